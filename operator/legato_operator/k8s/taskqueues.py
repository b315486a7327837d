"""Placeholder: the taskqueues reconciler lands here."""
