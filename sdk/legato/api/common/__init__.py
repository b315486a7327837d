"""Temporal's `temporalio.api.common` layout: the ``v1`` module holds the models."""
