"""Cancelling a child whose start has not resolved, as temporalio's core does.

A start command not sent yet is dropped and the start fails with "Child Workflow Execution
cancelled before scheduled: <reason>" (checked on Temporal's dev server for every
cancellation type: nothing of the child reaches history). A start already sent is
cancelled by the cancellation type: the request names the child by id alone, ABANDON and
TRY_CANCEL fail the start at once, and the WAIT types let it resolve and wait for the close.
"""

from __future__ import annotations

import asyncio
import json

import pytest

from legato import workflow
from legato.api.command import v1 as cmd
from legato.api.common.v1 import WorkflowExecution
from legato.api.history import v1 as hist
from legato.exceptions import ChildWorkflowError
from tests.sdk.histories import HistoryBuilder, new_instance, run_task


@workflow.defn(name="Kid", sandboxed=False)
class Kid:
    @workflow.run
    async def run(self) -> str:
        return "kid"


@workflow.defn(name="EarlyCanceller", sandboxed=False)
class EarlyCanceller:
    """Starts a Kid and cancels the start at once (``now``) or when signalled ``stop``."""

    def __init__(self) -> None:
        self.stop = False

    @workflow.run
    async def run(self, kind: str, when: str) -> list[str]:
        start = asyncio.create_task(
            workflow.start_child_workflow(
                Kid.run, id="kid-1", cancellation_type=workflow.ChildWorkflowCancellationType[kind]
            )
        )
        await (asyncio.sleep(0) if when == "now" else workflow.wait_condition(lambda: self.stop))
        start.cancel("why")
        try:
            handle = await start
        except ChildWorkflowError as e:
            return [f"start: {e} / {e.cause!r} / {e.run_id!r} / {e.initiated_event_id}"]
        try:
            return ["handle", await handle]
        except ChildWorkflowError as e:
            return ["handle", f"result: {e}"]

    @workflow.signal
    def halt(self) -> None:
        self.stop = True


def _result(commands: list[cmd.Command]) -> list[str]:
    (done,) = [c for c in commands if isinstance(c, cmd.CompleteWorkflowExecution)]
    assert done.result is not None
    value: list[str] = json.loads(done.result.data)
    return value


@pytest.mark.parametrize(
    "kind", ["ABANDON", "TRY_CANCEL", "WAIT_CANCELLATION_COMPLETED", "WAIT_CANCELLATION_REQUESTED"]
)
def test_a_start_cancelled_in_the_task_that_made_it_is_dropped_and_fails_before_scheduled(kind: str) -> None:
    b = HistoryBuilder("EarlyCanceller", kind, "now")
    b.workflow_task()
    commands = run_task(new_instance(EarlyCanceller), b.events)
    assert [type(c) for c in commands] == [cmd.CompleteWorkflowExecution]
    assert _result(commands) == [
        "start: Child Workflow Execution cancelled before scheduled: why / CancelledError('Cancelled') / '' / 0"
    ]


def _sent_then_cancelled(kind: str) -> tuple[HistoryBuilder, list[cmd.Command]]:
    """The start is in history (initiated, not started) when the parent cancels it."""
    b = HistoryBuilder("EarlyCanceller", kind, "signal")
    first = b.workflow_task()
    instance = new_instance(EarlyCanceller)
    (start,) = run_task(instance, b.events)
    assert isinstance(start, cmd.StartChildWorkflowExecution)
    b.complete_task([start])
    b.add(hist.WorkflowExecutionSignaled(signal_name="halt"))
    b.workflow_task()
    return b, run_task(instance, b.since(first.event_id))


def test_try_cancel_of_a_sent_start_asks_the_child_by_id_and_fails_the_start_at_once() -> None:
    _, commands = _sent_then_cancelled("TRY_CANCEL")
    request = commands[0]
    assert isinstance(request, cmd.RequestCancelExternalWorkflowExecution)
    assert (request.workflow_id, request.run_id, request.child_workflow_only, request.reason) == (
        "kid-1",
        "",
        True,
        "why",
    )
    assert _result(commands) == ["start: Child Workflow execution cancelled / CancelledError('Cancelled') / '' / 5"]


def test_abandon_of_a_sent_start_fails_it_at_once_and_asks_nothing() -> None:
    _, commands = _sent_then_cancelled("ABANDON")
    assert [type(c) for c in commands] == [cmd.CompleteWorkflowExecution]
    assert _result(commands)[0].startswith("start: Child Workflow execution cancelled")


def test_a_waiting_cancel_of_a_sent_start_gives_the_handle_and_then_the_childs_cancellation() -> None:
    b, commands = _sent_then_cancelled("WAIT_CANCELLATION_COMPLETED")
    assert [type(c) for c in commands] == [cmd.RequestCancelExternalWorkflowExecution]
    b.complete_task(commands)
    kid = WorkflowExecution(workflow_id="kid-1", run_id="kid-run")
    started = b.add(
        hist.ChildWorkflowExecutionStarted(initiated_event_id=5, workflow_execution=kid, workflow_type="Kid")
    )
    b.add(
        hist.ChildWorkflowExecutionCanceled(
            workflow_execution=kid, workflow_type="Kid", initiated_event_id=5, started_event_id=started.event_id
        )
    )
    b.workflow_task()
    instance = new_instance(EarlyCanceller)
    commands = run_task(instance, b.events)
    assert _result(commands) == ["handle", "result: Child Workflow execution cancelled"]
