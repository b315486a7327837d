"""Schedules, as Temporal's ``schedule`` messages and the schedule calls of ``workflowservice``."""
