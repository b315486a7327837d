"""Namespaces as objects, as Temporal's ``namespace`` and the namespace calls of ``workflowservice``."""
