"""The testing service of a time-skipping server, as Temporal's ``testservice``."""
