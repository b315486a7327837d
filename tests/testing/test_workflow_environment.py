"""``WorkflowEnvironment.start_local`` and ``from_client``: an in-process server that
starts in about a second, takes temporalio's arguments, and leaves nothing behind."""

from __future__ import annotations

import os
import socket
import tempfile
import threading
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from legato.client import WorkflowExecutionStatus, WorkflowFailureError
from legato.common import SearchAttributeKey, SearchAttributePair, TypedSearchAttributes
from legato.exceptions import ApplicationError
from legato.testing import WorkflowEnvironment
from legato.worker import Worker
from tests.testing import workflows

pytestmark = pytest.mark.e2e

SERVERS = Path(tempfile.gettempdir()) / f"legato-testing-{os.getuid()}"


async def test_a_local_environment_runs_a_workflow_and_its_activity(local_env: WorkflowEnvironment) -> None:
    task_queue = str(uuid.uuid4())
    async with Worker(
        local_env.client, task_queue=task_queue, workflows=[workflows.Sleeper], activities=[workflows.greet]
    ):
        slept = await local_env.client.execute_workflow(
            workflows.Sleeper.run, 0.1, id=str(uuid.uuid4()), task_queue=task_queue
        )
    assert slept >= 0.1


async def test_start_local_takes_temporalios_arguments_and_ignores_those_that_do_not_apply() -> None:
    async with await WorkflowEnvironment.start_local(
        namespace="elsewhere",
        ui=True,
        dev_server_download_version="latest",
        dev_server_extra_args=["--dynamic-config-value", "frontend.enableUpdateWorkflowExecution=true"],
        dev_server_log_level=None,
        download_dest_dir="/nonexistent",
        dev_server_startup_timeout=timedelta(seconds=1),
    ) as env:
        assert env.client.namespace == "elsewhere"
        task_queue = str(uuid.uuid4())
        async with Worker(env.client, task_queue=task_queue, workflows=[workflows.Sleeper]):
            assert (
                await env.client.execute_workflow(
                    workflows.Sleeper.run, 0.0, id=str(uuid.uuid4()), task_queue=task_queue
                )
                == 0.0
            )


async def test_start_local_refuses_tls_by_name() -> None:
    with pytest.raises(NotImplementedError, match="tls"):
        await WorkflowEnvironment.start_local(tls=True)


def _server_threads() -> list[str]:
    return [t.name for t in threading.enumerate() if t.name == "legato-testing-server"]


def _server_folders() -> set[str]:
    return {p.name for p in SERVERS.glob("server-*")}


def _postgres_in(folders: set[str]) -> list[int]:
    """Pids of processes whose command line names one of the servers' folders."""
    found = []
    for proc in Path("/proc").iterdir():
        try:
            command = (proc / "cmdline").read_bytes().decode(errors="replace")
        except OSError:
            continue
        if any(folder in command for folder in folders):
            found.append(int(proc.name))
    return found


def _port_refuses(address: str) -> bool:
    host, _, port = address.rpartition(":")
    with socket.socket() as s:
        return s.connect_ex((host, int(port))) != 0


async def test_starting_and_stopping_again_and_again_leaves_no_thread_port_process_or_folder() -> None:
    threads, folders = _server_threads(), _server_folders()
    for _ in range(3):
        env = await WorkflowEnvironment.start_local()
        mine = _server_folders() - folders
        address = env.client.service_client.transport.base_url.removeprefix("http://")
        assert mine, "the environment has a folder of its own"
        assert _postgres_in(mine), "the environment runs a Postgres of its own"
        await env.shutdown()
        assert _port_refuses(address)
        assert not _postgres_in(mine)
    assert _server_threads() == threads
    assert _server_folders() == folders


async def test_an_assert_in_workflow_code_fails_the_workflow_rather_than_its_task(
    local_env: WorkflowEnvironment,
) -> None:
    task_queue = str(uuid.uuid4())
    async with Worker(local_env.client, task_queue=task_queue, workflows=[workflows.Asserting]):
        with pytest.raises(WorkflowFailureError) as in_run:
            await local_env.client.execute_workflow(
                workflows.Asserting.run, True, id=str(uuid.uuid4()), task_queue=task_queue
            )
        handle = await local_env.client.start_workflow(
            workflows.Asserting.run, False, id=str(uuid.uuid4()), task_queue=task_queue
        )
        await handle.signal(workflows.Asserting.poke)
        with pytest.raises(WorkflowFailureError) as in_signal:
            await handle.result()
    for raised, message in ((in_run, "the run method's assertion"), (in_signal, "the signal handler's assertion")):
        cause = raised.value.cause
        assert isinstance(cause, ApplicationError)
        assert (cause.type, cause.non_retryable, cause.message) == ("AssertionError", True, message)


async def test_from_client_uses_the_running_server_and_its_shutdown_leaves_it_running(
    local_env: WorkflowEnvironment,
) -> None:
    env = WorkflowEnvironment.from_client(local_env.client)
    assert not env.supports_time_skipping
    assert abs(await env.get_current_time() - datetime.now(UTC)) < timedelta(seconds=5)
    task_queue = str(uuid.uuid4())
    async with env, Worker(env.client, task_queue=task_queue, workflows=[workflows.Sleeper]):
        handle = await env.client.start_workflow(
            workflows.Sleeper.run, 0.0, id=str(uuid.uuid4()), task_queue=task_queue
        )
        await handle.result()
    assert (await local_env.client.get_workflow_handle(handle.id).describe()).status == (
        WorkflowExecutionStatus.COMPLETED
    )


async def test_connect_client_reaches_the_same_server_in_the_same_namespace(local_env: WorkflowEnvironment) -> None:
    other = await local_env.connect_client(identity="second client")
    assert other.namespace == local_env.client.namespace
    task_queue = str(uuid.uuid4())
    try:
        async with Worker(local_env.client, task_queue=task_queue, workflows=[workflows.Sleeper]):
            handle = await other.start_workflow(workflows.Sleeper.run, 0.0, id=str(uuid.uuid4()), task_queue=task_queue)
            assert await handle.result() == 0.0
    finally:
        await other.close()


async def test_start_local_registers_the_search_attributes_it_is_given() -> None:
    customer = SearchAttributeKey.for_keyword("CustomerId")
    async with await WorkflowEnvironment.start_local(search_attributes=[customer]) as env:
        attributes = TypedSearchAttributes([SearchAttributePair(customer, "c-1")])
        await env.client.start_workflow("Anything", id="w", task_queue="nobody", search_attributes=attributes)
        found = [e.id async for e in env.client.list_workflows("CustomerId = 'c-1'")]
        assert found == ["w"]
