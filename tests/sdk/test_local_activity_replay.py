"""Local activity markers: their encoding, core's retry arithmetic, and replay rules."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from legato import activity, workflow
from legato._runtime import local_activities
from legato.api.history import v1 as hist
from legato.api.history.v1 import HistoryEvent
from legato.client import WorkflowHistory
from legato.common import RetryPolicy
from legato.exceptions import ApplicationError
from legato.worker import Replayer

TEMPORAL = Path(__file__).resolve().parents[1] / "golden" / "temporal" / "local_activity.sdk.json"


def _history() -> WorkflowHistory:
    return WorkflowHistory.from_json("golden-local_activity", TEMPORAL.read_text())


def _state(seq: int = 2, activity_id: str = "2") -> local_activities.LocalActivityState:
    options = local_activities.LocalActivityOptions(
        activity_type="flaky_lookup",
        activity_id=activity_id,
        args=[],
        headers={},
        retry_policy=RetryPolicy(),
        local_retry_threshold=1.0,
    )
    started = datetime(2026, 12, 2, 15, 33, 52, 233869, tzinfo=UTC)
    return local_activities.LocalActivityState(seq, options, 1, started, future=None)  # type: ignore[arg-type]  # not awaited here


def test_a_backoff_marker_is_encoded_as_temporal_core_writes_it() -> None:
    outcome = local_activities.Outcome(
        attempt=1, complete_time=datetime(2026, 12, 2, 15, 33, 52, 111260, tzinfo=UTC), backoff=1.5
    )
    command = local_activities.marker(_state(), outcome)
    recorded = next(e.attributes for e in _history().events if e.event_id == 6)
    assert isinstance(recorded, hist.MarkerRecorded)
    ours = json.loads(command.details["data"][0].data)
    theirs = json.loads(recorded.details["data"][0].data)
    assert command.marker_name == recorded.marker_name == "core_local_activity"
    assert set(ours) == set(theirs) - {"activation_index"}
    assert ours["backoff"] == theirs["backoff"] == {"seconds": 1, "nanos": 500000000}
    # Python's times hold microseconds; core's nanoseconds.
    assert ours["complete_time"] == {"seconds": theirs["complete_time"]["seconds"], "nanos": 111260000}
    assert ours["original_schedule_time"] == {"seconds": 1796225632, "nanos": 233869000}


def test_a_recorded_marker_reads_back_as_its_outcome() -> None:
    events = {e.event_id: e for e in _history().events}
    succeeded = local_activities.outcome_of(events[5])
    backed_off = local_activities.outcome_of(events[6])
    assert succeeded.attempt == 3
    assert succeeded.result is not None
    assert succeeded.failure is None
    assert succeeded.backoff is None
    assert backed_off.backoff == 1.5
    assert backed_off.failure is not None
    assert backed_off.failure.message == "tea-slow lookup failed (attempt 1)"


@pytest.mark.parametrize(
    ("policy", "attempt", "error", "elapsed", "schedule_to_close", "expected"),
    [
        (RetryPolicy(), 1, ApplicationError("x"), 0.0, None, 1.0),
        (RetryPolicy(), 4, ApplicationError("x"), 0.0, None, 8.0),
        # The default maximum interval is 100 times the initial one.
        (RetryPolicy(), 20, ApplicationError("x"), 0.0, None, 100.0),
        (RetryPolicy(maximum_interval=timedelta(seconds=3)), 5, ApplicationError("x"), 0.0, None, 3.0),
        (RetryPolicy(maximum_attempts=2), 2, ApplicationError("x"), 0.0, None, None),
        (RetryPolicy(), 1, ApplicationError("x", non_retryable=True), 0.0, None, None),
        (RetryPolicy(non_retryable_error_types=["Bad"]), 1, ApplicationError("x", type="Bad"), 0.0, None, None),
        # A wait that would end past schedule-to-close is not taken.
        (RetryPolicy(), 2, ApplicationError("x"), 9.0, 10.0, None),
    ],
)
def test_retry_backoff_follows_the_policy(
    policy: RetryPolicy,
    attempt: int,
    error: BaseException,
    elapsed: float,
    schedule_to_close: float | None,
    expected: float | None,
) -> None:
    assert (
        local_activities.backoff(policy, attempt, error, elapsed=elapsed, schedule_to_close=schedule_to_close)
        == expected
    )


@activity.defn
async def flaky_lookup(item: str) -> str:
    raise AssertionError("a replay must not run a local activity")


@workflow.defn(name="LocalActivityWorkflow")
class RunsAnotherActivity:
    @workflow.run
    async def run(self, item: str) -> str:
        result: str = await workflow.execute_local_activity(
            "another_lookup", item, start_to_close_timeout=timedelta(seconds=5)
        )
        return result


@workflow.defn(name="LocalActivityWorkflow")
class RunsNoActivity:
    @workflow.run
    async def run(self, item: str) -> str:
        await workflow.sleep(1)
        return item


@workflow.defn(name="LocalActivityWorkflow")
class RunsOneMore:
    @workflow.run
    async def run(self, item: str) -> str:
        first: str = await workflow.execute_local_activity(
            flaky_lookup, item, start_to_close_timeout=timedelta(seconds=5)
        )
        await workflow.execute_local_activity(flaky_lookup, item, start_to_close_timeout=timedelta(seconds=5))
        return first


async def test_a_local_activity_of_another_type_is_nondeterminism() -> None:
    with pytest.raises(workflow.NondeterminismError, match=r"local activity 'flaky_lookup'.*ran 'another_lookup'"):
        await Replayer(workflows=[RunsAnotherActivity]).replay_workflow(_history())


async def test_a_marker_the_code_no_longer_asks_for_is_nondeterminism() -> None:
    with pytest.raises(workflow.NondeterminismError, match=r"MarkerRecorded at event 5"):
        await Replayer(workflows=[RunsNoActivity]).replay_workflow(_history())


async def test_a_run_that_closed_where_the_code_waits_on_a_local_activity_is_nondeterminism() -> None:
    # The first task with its one marker, then the next task, which closed the run; the code
    # asks for a second local activity instead (core, too, would run it rather than close).
    events = {e.event_id: e for e in _history().events}
    next_task = [events[i].model_copy(update={"event_id": i - 3}) for i in (9, 10, 11)]
    closed = HistoryEvent(
        event_id=9,
        event_time=events[11].event_time,
        attributes=hist.WorkflowExecutionCompleted(result=None, workflow_task_completed_event_id=8),
    )
    history = WorkflowHistory("golden-local_activity", [*(events[i] for i in range(1, 6)), *next_task, closed])
    with pytest.raises(
        workflow.NondeterminismError, match=r"WorkflowExecutionCompleted at event 9 but the code produced no command"
    ):
        await Replayer(workflows=[RunsOneMore]).replay_workflow(history)
