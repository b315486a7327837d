"""The parts of ``legato.testing``; the public names are re-exported there."""
