"""Placeholder: the workflows reconciler lands here."""
