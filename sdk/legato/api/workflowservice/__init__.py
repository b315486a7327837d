"""Temporal's `temporalio.api.workflowservice` layout: the ``v1`` module holds the models."""
