"""Temporal's ``temporalio.api.enums`` layout: the ``v1`` module holds the enums."""
