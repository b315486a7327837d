"""A worker image needs no configuration: the SDK reads what the operator sets on its pod."""

from __future__ import annotations

import pytest

from legato import activity
from legato.client import Client
from legato.worker import Worker


@activity.defn
async def _noop() -> None:
    return None


async def test_client_takes_address_and_namespace_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LEGATO_ADDRESS", "legato.legato-system.svc:7233")
    monkeypatch.setenv("LEGATO_NAMESPACE", "shop")
    client = await Client.connect()
    assert client.namespace == "shop"
    assert client.service_client.transport.base_url == "http://legato.legato-system.svc:7233"


async def test_explicit_arguments_win_over_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LEGATO_ADDRESS", "elsewhere:1")
    monkeypatch.setenv("LEGATO_NAMESPACE", "shop")
    client = await Client.connect("localhost:7233", namespace="default")
    assert client.namespace == "default"
    assert client.service_client.transport.base_url == "http://localhost:7233"


async def test_worker_takes_its_task_queue_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LEGATO_TASK_QUEUE", "orders")
    worker = Worker(await Client.connect("localhost:7233"), activities=[_noop])
    assert worker.task_queue == "orders"


async def test_worker_without_a_task_queue_says_which_setting_is_missing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("LEGATO_TASK_QUEUE", raising=False)
    with pytest.raises(ValueError, match="LEGATO_TASK_QUEUE"):
        Worker(await Client.connect("localhost:7233"), activities=[_noop])
