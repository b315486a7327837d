"""The rest of temporalio's workflow module: seeds and generators, ``uuid7``, the workflow
object, the cancellation's reason, failure exceptions, the last failure of a retried run,
and the worker's patch activation callback.

Pure tests: each runs workflow code against hand-built history and reads its commands.
"""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

from legato import workflow
from legato._runtime import instance as runtime_instance
from legato._runtime import replay
from legato._runtime.definitions import WorkflowDefinition
from legato.api.command import v1 as cmd
from legato.api.common.v1 import Failure
from legato.api.history import v1 as hist
from legato.exceptions import ApplicationError
from legato.worker import PatchActivationInput
from tests.sdk.histories import HistoryBuilder, new_instance, run_task
from tests.sdk.test_workflow_api import result_of


@workflow.defn(name="Draws", sandboxed=False)
class Draws:
    @workflow.run
    async def run(self) -> dict[str, Any]:
        plain, named = workflow.new_random(), workflow.new_random("other")
        first = workflow.random().random()
        return {
            "seed": workflow.random_seed(),
            "same_as_random": plain.random() == first,
            "named_differs": named.random() != first,
            "uuid7": str(workflow.uuid7()),
            "is_instance": workflow.instance() is self,
        }


def test_seeds_generators_and_uuid7_come_from_the_history_and_the_workflow_time() -> None:
    h = HistoryBuilder("Draws", seed=1234)
    h.workflow_task()
    out = result_of(run_task(new_instance(Draws), h.events))
    assert out["seed"] == 1234
    assert (out["same_as_random"], out["named_differs"], out["is_instance"]) == (True, True, True)
    value = uuid.UUID(out["uuid7"])
    assert value.version == 7
    # The leading 48 bits are the workflow time (the task's start) in milliseconds.
    task_time = h.events[-1].event_time
    assert value.int >> 80 == int(task_time.timestamp() * 1000)
    again = result_of(run_task(new_instance(Draws), h.events))
    assert again == out


@workflow.defn(name="Cancellable", sandboxed=False)
class Cancellable:
    @workflow.run
    async def run(self) -> list[str | None]:
        seen = [workflow.cancellation_reason()]
        inner = asyncio.ensure_future(workflow.wait_condition(lambda: False))
        await asyncio.sleep(0)
        inner.cancel()
        seen.append(workflow.cancellation_reason())
        try:
            await workflow.wait_condition(lambda: False)
        except asyncio.CancelledError:
            seen.append(workflow.cancellation_reason())
        return seen


def test_the_cancellation_reason_is_none_until_the_run_is_asked_to_cancel() -> None:
    h = HistoryBuilder("Cancellable")
    h.workflow_task()
    instance = new_instance(Cancellable)
    assert run_task(instance, h.events) == []
    h.complete_task([])
    h.add(hist.WorkflowExecutionCancelRequested(cause="enough"))
    h.workflow_task()
    assert result_of(run_task(instance, h.since(3))) == [None, None, "enough"]


@workflow.defn(name="Raises", sandboxed=False)
class Raises:
    @workflow.run
    async def run(self, what: str) -> list[bool]:
        seen = [
            workflow.is_failure_exception(ApplicationError("x")),
            workflow.is_failure_exception(TimeoutError()),
            workflow.is_failure_exception(ValueError("x")),
        ]
        if what == "timeout":
            raise TimeoutError
        return seen


def test_failure_exceptions_are_temporalios_and_a_timeout_error_fails_the_run() -> None:
    h = HistoryBuilder("Raises", "nothing")
    h.workflow_task()
    assert result_of(run_task(new_instance(Raises), h.events)) == [True, True, False]
    h = HistoryBuilder("Raises", "timeout")
    h.workflow_task()
    (failed,) = run_task(new_instance(Raises), h.events)
    assert isinstance(failed, cmd.FailWorkflowExecution)
    assert failed.failure.type == "TimeoutError"


@workflow.defn(name="Retried", sandboxed=False)
class Retried:
    @workflow.run
    async def run(self) -> str:
        last = workflow.get_last_failure()
        return "none" if last is None else f"{type(last).__name__}: {last}"


def test_a_retried_run_reads_how_the_run_before_failed() -> None:
    h = HistoryBuilder("Retried")
    h.workflow_task()
    assert result_of(run_task(new_instance(Retried), h.events)) == "none"
    h = HistoryBuilder("Retried")
    started = h.events[0].attributes
    assert isinstance(started, hist.WorkflowExecutionStarted)
    retried = started.model_copy(update={"continued_failure": Failure(message="boom", type="Boom")})
    h.events[0] = h.events[0].model_copy(update={"attributes": retried})
    h.workflow_task()
    assert result_of(run_task(new_instance(Retried), h.events)) == "ApplicationError: Boom: boom"


@workflow.defn(name="Patches", sandboxed=False)
class Patches:
    @workflow.run
    async def run(self) -> list[bool]:
        return [workflow.patched("on"), workflow.patched("off"), workflow.patched("off")]


def _patching_instance(asked: list[str]) -> runtime_instance.WorkflowInstance:
    def activate(input: PatchActivationInput) -> bool:
        asked.append(f"{input.workflow_info.workflow_type}:{input.patch_id}")
        return input.patch_id == "on"

    return runtime_instance.new_instance(
        WorkflowDefinition.must_from_class(Patches),
        namespace="default",
        workflow_id="wf-1",
        run_id="run-1",
        patch_activation=activate,
    )


def test_the_patch_activation_callback_decides_a_new_patch_once_and_off_records_no_marker() -> None:
    h = HistoryBuilder("Patches")
    h.workflow_task()
    asked: list[str] = []
    commands = run_task(_patching_instance(asked), h.events)
    assert asked == ["Patches:on", "Patches:off"]
    assert result_of(commands) == [True, False, False]
    markers = [c for c in commands if isinstance(c, cmd.RecordMarker)]
    assert len(markers) == 1


def test_replay_decides_patches_by_history_without_asking_the_callback() -> None:
    h = HistoryBuilder("Patches")
    h.workflow_task()
    asked: list[str] = []
    commands = run_task(_patching_instance(asked), h.events)
    h.complete_task(commands)
    assert asked
    asked.clear()
    replayer = _patching_instance(asked)
    for activation in replay.split(h.events):
        replayer.activate(activation, replaying=True)
    assert asked == []
