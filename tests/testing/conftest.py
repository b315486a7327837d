"""Environments shared by the tests of ``legato.testing``: one of each kind per session,
started as Temporal's samples start theirs."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from legato.testing import WorkflowEnvironment


@pytest.fixture(scope="session")
async def local_env() -> AsyncIterator[WorkflowEnvironment]:
    env = await WorkflowEnvironment.start_local()
    yield env
    await env.shutdown()


@pytest.fixture(scope="session")
async def skipping_env() -> AsyncIterator[WorkflowEnvironment]:
    env = await WorkflowEnvironment.start_time_skipping()
    yield env
    await env.shutdown()
