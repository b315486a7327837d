"""workflow.patched and deprecate_patch, as Temporal's: the three steps of changing running code.

Each step's code records its own history here (run as a worker would, against
``HistoryBuilder``), and each later step's code replays the histories of the runs it may
still meet. The rules are Temporal's, checked against its SDK's replayer: ``patched`` is
true on first execution and, on replay, only where history has the marker; a patch
marker the code does not ask for is nondeterminism unless it is deprecated.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from legato import activity, workflow
from legato.api.command import v1 as cmd
from legato.api.history import v1 as hist
from legato.api.history.v1 import HistoryEvent
from legato.exceptions import NondeterminismError
from tests.sdk.histories import HistoryBuilder, new_instance, replay_all, run_task

TIMEOUT = timedelta(seconds=30)


@activity.defn
async def old_step() -> str:
    return "old"


@activity.defn
async def new_step() -> str:
    return "new"


@workflow.defn(name="Migrating")
class BeforePatch:
    @workflow.run
    async def run(self) -> str:
        return await workflow.execute_activity(old_step, start_to_close_timeout=TIMEOUT)


@workflow.defn(name="Migrating")
class Patched:
    """Step 1: new code behind workflow.patched, old code for the runs that started before."""

    @workflow.run
    async def run(self) -> str:
        if workflow.patched("new-step"):
            return await workflow.execute_activity(new_step, start_to_close_timeout=TIMEOUT)
        return await workflow.execute_activity(old_step, start_to_close_timeout=TIMEOUT)


@workflow.defn(name="Migrating")
class Deprecated:
    """Step 2: every run from before the patch is gone; only the new code is left."""

    @workflow.run
    async def run(self) -> str:
        workflow.deprecate_patch("new-step")
        return await workflow.execute_activity(new_step, start_to_close_timeout=TIMEOUT)


@workflow.defn(name="Migrating")
class Removed:
    """Step 3: every run of step 1 is gone; the call goes."""

    @workflow.run
    async def run(self) -> str:
        return await workflow.execute_activity(new_step, start_to_close_timeout=TIMEOUT)


def record(workflow_cls: type) -> list[HistoryEvent]:
    """The history of one run of ``workflow_cls`` to its end, each activity answering its name."""
    h = HistoryBuilder("Migrating")
    instance = new_instance(workflow_cls)
    h.workflow_task()
    commands = run_task(instance, h.events)
    while not any(isinstance(c, cmd.CompleteWorkflowExecution) for c in commands):
        last = instance.last_event_id
        for event in h.complete_task(commands):
            if isinstance(event.attributes, hist.ActivityTaskScheduled):
                h.activity_completed(event.event_id, event.attributes.activity_type)
        h.workflow_task()
        commands = run_task(instance, h.since(last))
    h.complete_task(commands)
    return h.events


def markers(events: list[HistoryEvent]) -> list[bytes]:
    return [e.attributes.details["patch-data"][0].data for e in events if isinstance(e.attributes, hist.MarkerRecorded)]


def result(events: list[HistoryEvent]) -> bytes:
    completed = events[-1].attributes
    assert isinstance(completed, hist.WorkflowExecutionCompleted)
    assert completed.result is not None
    return completed.result.data


def test_patched_takes_the_new_code_and_records_a_marker_on_first_execution() -> None:
    events = record(Patched)
    assert markers(events) == [b'{"id":"new-step","deprecated":false}']
    assert result(events) == b'"new_step"'
    kinds = [e.attributes.type for e in events]
    assert kinds.index("MarkerRecorded") < kinds.index("ActivityTaskScheduled")


def test_deprecate_patch_records_a_deprecated_marker() -> None:
    assert markers(record(Deprecated)) == [b'{"id":"new-step","deprecated":true}']


def test_patched_replays_history_from_before_the_patch_down_the_old_path_without_error() -> None:
    before = record(BeforePatch)
    instance = replay_all(Patched, before)
    assert instance.completed


def test_patched_replays_its_own_history_down_the_new_path() -> None:
    assert replay_all(Patched, record(Patched)).completed


def test_deprecate_patch_replays_histories_of_step_one_and_its_own() -> None:
    assert replay_all(Deprecated, record(Patched)).completed
    assert replay_all(Deprecated, record(Deprecated)).completed


def test_removing_the_call_replays_histories_with_a_deprecated_marker() -> None:
    assert replay_all(Removed, record(Deprecated)).completed


def test_removing_the_call_while_a_live_marker_is_in_history_is_nondeterminism() -> None:
    with pytest.raises(NondeterminismError, match=r"MarkerRecorded\(patch='new-step'\).*not deprecated"):
        replay_all(Removed, record(Patched))


def test_deprecating_while_runs_from_before_the_patch_remain_is_caught_by_their_activities() -> None:
    with pytest.raises(NondeterminismError, match="old_step"):
        replay_all(Deprecated, record(BeforePatch))


@workflow.defn(name="Twice")
class AsksTwice:
    @workflow.run
    async def run(self) -> list[bool]:
        first = workflow.patched("p")
        await workflow.sleep(5)
        return [first, workflow.patched("p")]


def test_a_patch_keeps_its_first_answer_and_records_one_marker() -> None:
    h = HistoryBuilder("Twice")
    instance = new_instance(AsksTwice)
    h.workflow_task()
    first = run_task(instance, h.events)
    assert [c.type for c in first] == ["RecordMarker", "StartTimer"]
    last = instance.last_event_id
    h.complete_task(first)
    h.add(hist.TimerFired(timer_id="1", started_event_id=6))
    h.workflow_task()
    second = run_task(instance, h.since(last))
    assert [c.type for c in second] == ["CompleteWorkflowExecution"]
    assert isinstance(second[0], cmd.CompleteWorkflowExecution)
    assert second[0].result is not None
    assert second[0].result.data == b"[true,true]"
