"""temporalio's options whose feature Legato lacks are refused by name, never ignored."""

from __future__ import annotations

from typing import Any

import pytest

from legato import workflow
from legato.client import Client, WorkflowExecutionStatus
from legato.common import Priority
from legato.exceptions import RPCError, RPCStatusCode, WorkflowAlreadyStartedError
from legato.service import HttpConnectProxyConfig, TLSConfig
from legato.worker import Worker


@workflow.defn
class Nothing:
    @workflow.run
    async def run(self) -> None:
        return None


# Nothing listens there: a refused option must fail before any call is made.
UNREACHABLE = "127.0.0.1:9"


@pytest.mark.parametrize(
    ("option", "value"),
    [
        ("priority", Priority(priority_key=1)),
        ("versioning_override", object()),
    ],
)
async def test_start_workflow_refuses_an_option_legato_lacks_by_name(option: str, value: Any) -> None:
    client = await Client.connect(UNREACHABLE)
    with pytest.raises(NotImplementedError, match=option):
        await client.start_workflow(Nothing.run, id="x", task_queue="q", **{option: value})


@pytest.mark.parametrize(
    ("option", "value"),
    [("tuner", object()), ("max_activities_per_second", 1.0), ("plugins", [object()]), ("use_worker_versioning", True)],
)
async def test_worker_refuses_an_option_legato_lacks_by_name(option: str, value: Any) -> None:
    client = await Client.connect(UNREACHABLE)
    with pytest.raises(NotImplementedError, match=option):
        Worker(client, task_queue="q", workflows=[Nothing], **{option: value})


async def test_connect_refuses_a_proxy_and_a_tls_server_name() -> None:
    with pytest.raises(NotImplementedError, match="http_connect_proxy_config"):
        await Client.connect(UNREACHABLE, http_connect_proxy_config=HttpConnectProxyConfig("proxy:3128"))
    with pytest.raises(NotImplementedError, match="domain"):
        await Client.connect(UNREACHABLE, tls=TLSConfig(domain="other.example"))


async def test_options_that_change_nothing_observable_are_accepted() -> None:
    client = await Client.connect(UNREACHABLE, lazy=True, rpc_metadata={"x-team": "a"}, identity="me")
    Worker(client, task_queue="q", workflows=[Nothing], debug_mode=True, build_id="b1", max_cached_workflows=5)
    assert (client.identity, dict(client.rpc_metadata)) == ("me", {"x-team": "a"})


def test_workflow_execution_status_has_temporals_integers() -> None:
    assert [(s.name, s.value) for s in WorkflowExecutionStatus] == [
        ("RUNNING", 1),
        ("COMPLETED", 2),
        ("FAILED", 3),
        ("CANCELED", 4),
        ("TERMINATED", 5),
        ("CONTINUED_AS_NEW", 6),
        ("TIMED_OUT", 7),
    ]


def test_rpc_error_is_constructed_and_read_as_temporals() -> None:
    error = RPCError("no such workflow", RPCStatusCode.NOT_FOUND, b"")
    assert (error.message, error.status, error.raw_grpc_status) == ("no such workflow", RPCStatusCode.NOT_FOUND, b"")
    assert (error.grpc_status.code, error.grpc_status.message) == (5, "no such workflow")


def test_workflow_already_started_error_carries_the_first_run_id() -> None:
    error = WorkflowAlreadyStartedError("wf", "T", run_id="r2", first_run_id="r1")
    assert (error.run_id, error.first_run_id) == ("r2", "r1")
