"""Temporal's ``temporalio.api.failure`` layout: the ``v1`` module holds the failure models."""
