"""Temporal's `temporalio.api.history` layout: the ``v1`` module holds the models."""
