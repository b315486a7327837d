"""Fixtures of the end-to-end tests: a server process per test, on its own database."""

from __future__ import annotations

from tests.support.server_fixtures import client, server

__all__ = ["client", "server"]
