"""Temporal's `temporalio.api.command` layout: the ``v1`` module holds the models."""
