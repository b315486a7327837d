"""What the server tells of a workflow run (Temporal's ``temporal.api.workflow``)."""
