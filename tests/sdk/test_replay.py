"""The workflow runtime driven by hand-built histories: commands per task, replay, nondeterminism."""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime, timedelta

import pytest

from legato import activity, workflow
from legato.api.command import v1 as cmd
from legato.api.common.v1 import Failure, FailureKind
from legato.api.history import v1 as hist
from legato.exceptions import ActivityError, ApplicationError, NondeterminismError, is_cancelled_exception
from tests.sdk.histories import HistoryBuilder, new_instance, payload, payloads, replay_all, run_task

TIMEOUT = timedelta(seconds=30)


@activity.defn
async def reserve(order: str) -> str:
    return f"reserved {order}"


@activity.defn
async def charge(order: str) -> str:
    return f"charged {order}"


@activity.defn
async def ship(order: str) -> str:
    return f"shipped {order}"


@workflow.defn(name="Order")
class OrderWorkflow:
    @workflow.run
    async def run(self, order: str) -> list[str]:
        results = []
        for step in (reserve, charge, ship):
            results.append(await workflow.execute_activity(step, order, start_to_close_timeout=TIMEOUT))
        return results


@workflow.defn(name="Order")
class ChargeFirstOrderWorkflow:
    """Changed code: charges where the history says it reserved."""

    @workflow.run
    async def run(self, order: str) -> list[str]:
        return [await workflow.execute_activity(charge, order, start_to_close_timeout=TIMEOUT)]


@workflow.defn
class NapWorkflow:
    @workflow.run
    async def run(self) -> str:
        await asyncio.sleep(90)
        return "rested"


@workflow.defn
class GatherWorkflow:
    @workflow.run
    async def run(self, order: str) -> list[str]:
        return list(
            await asyncio.gather(
                workflow.execute_activity(reserve, order, start_to_close_timeout=TIMEOUT),
                workflow.execute_activity(charge, order, start_to_close_timeout=TIMEOUT),
            )
        )


def completed_order_history() -> HistoryBuilder:
    """The history of an OrderWorkflow run that completed, each task run as a worker would."""
    h = HistoryBuilder("Order", "o-1")
    instance = new_instance(OrderWorkflow)
    h.workflow_task()
    commands = run_task(instance, h.events)
    for _ in range(3):
        last = instance.last_event_id
        scheduled = h.complete_task(commands)
        h.activity_completed(scheduled[0].event_id, f"done {scheduled[0].event_id}")
        h.workflow_task()
        commands = run_task(instance, h.since(last))
    h.complete_task(commands)
    return h


def test_three_activities_in_sequence_schedule_one_per_task() -> None:
    h = HistoryBuilder("Order", "o-1")
    instance = new_instance(OrderWorkflow)
    h.workflow_task()
    seen = []
    commands = run_task(instance, h.events)
    for expected in ("reserve", "charge", "ship"):
        assert [type(c) for c in commands] == [cmd.ScheduleActivityTask]
        assert isinstance(commands[0], cmd.ScheduleActivityTask)
        seen.append((commands[0].activity_type, commands[0].activity_id))
        assert commands[0].activity_type == expected
        last = instance.last_event_id
        scheduled = h.complete_task(commands)
        h.activity_completed(scheduled[0].event_id, f"{expected} ok")
        h.workflow_task()
        commands = run_task(instance, h.since(last))
    assert seen == [("reserve", "1"), ("charge", "2"), ("ship", "3")]
    assert commands == [cmd.CompleteWorkflowExecution(result=payload(["reserve ok", "charge ok", "ship ok"]))]


def test_asyncio_sleep_starts_a_durable_timer() -> None:
    h = HistoryBuilder("NapWorkflow")
    instance = new_instance(NapWorkflow)
    h.workflow_task()
    commands = run_task(instance, h.events)
    assert commands == [cmd.StartTimer(timer_id="1", start_to_fire_timeout=90)]


def test_gather_schedules_both_activities_in_one_task() -> None:
    h = HistoryBuilder("GatherWorkflow", "o-2")
    instance = new_instance(GatherWorkflow)
    h.workflow_task()
    commands = run_task(instance, h.events)
    assert [(c.activity_type, c.activity_id) for c in commands if isinstance(c, cmd.ScheduleActivityTask)] == [
        ("reserve", "1"),
        ("charge", "2"),
    ]
    assert len(commands) == 2


def test_replaying_a_completed_history_produces_the_same_commands_without_error() -> None:
    h = completed_order_history()
    instance = replay_all(OrderWorkflow, h.events)
    assert instance.completed


def test_changed_activity_type_in_the_same_position_raises_nondeterminism() -> None:
    h = completed_order_history()
    with pytest.raises(NondeterminismError, match=r"ActivityTaskScheduled\(activity_type='reserve'.*charge"):
        replay_all(ChargeFirstOrderWorkflow, h.events)


@workflow.defn
class ClockWorkflow:
    def __init__(self) -> None:
        self.seen: list[datetime] = []

    @workflow.run
    async def run(self) -> None:
        self.seen.append(workflow.now())
        await asyncio.sleep(60)
        self.seen.append(workflow.now())


def test_now_is_the_workflow_task_started_time_on_replay() -> None:
    h = HistoryBuilder("ClockWorkflow")
    first = h.workflow_task()
    live = new_instance(ClockWorkflow)
    commands = run_task(live, h.events)
    h.complete_task(commands)
    h.add(hist.TimerFired(timer_id="1", started_event_id=6), after=timedelta(seconds=60))
    second = h.workflow_task(after=timedelta(seconds=7))
    replayed = replay_all(ClockWorkflow, h.events)
    assert replayed._object.seen == [first.event_time, second.event_time]


@workflow.defn
class ChattyWorkflow:
    @workflow.run
    async def run(self) -> None:
        workflow.logger.info("before the timer")
        await asyncio.sleep(5)
        workflow.logger.info("after the timer")


def test_logger_is_silent_while_replaying(caplog: pytest.LogCaptureFixture) -> None:
    h = HistoryBuilder("ChattyWorkflow")
    h.workflow_task()
    h.complete_task([cmd.StartTimer(timer_id="1", start_to_fire_timeout=5)])
    h.add(hist.TimerFired(timer_id="1", started_event_id=5))
    h.workflow_task()
    with caplog.at_level(logging.INFO, logger="legato.workflow"):
        run_task(new_instance(ChattyWorkflow), h.events)
    messages = [r.getMessage() for r in caplog.records]
    assert len(messages) == 1
    assert messages[0].startswith("after the timer (")
    assert "'workflow_id': 'wf-1'" in messages[0]
    assert caplog.records[0].legato_workflow["run_id"] == "run-1"  # type: ignore[attr-defined]


def test_task_for_a_cached_run_applies_only_new_events_like_a_full_replay() -> None:
    h = completed_order_history()
    cached = new_instance(OrderWorkflow)
    full = new_instance(OrderWorkflow)
    boundaries = [e.event_id for e in h.events if e.attributes.type == "WorkflowTaskStarted"]
    previous = 0
    for boundary in boundaries:
        incremental = run_task(cached, h.events[previous:boundary])
        from_scratch = run_task(new_instance(OrderWorkflow), h.events[:boundary])
        assert incremental == from_scratch
        previous = boundary
    assert full.last_event_id == 0


def test_failed_workflow_task_leaves_its_jobs_to_the_next_task() -> None:
    h = HistoryBuilder("Order", "o-9")
    h.workflow_task()
    h.fail_task()
    h.workflow_task()
    commands = run_task(new_instance(OrderWorkflow), h.events)
    assert [c.type for c in commands] == ["ScheduleActivityTask"]


@workflow.defn
class FailingActivityWorkflow:
    @workflow.run
    async def run(self) -> str:
        try:
            return await workflow.execute_activity(charge, "o-1", start_to_close_timeout=TIMEOUT)
        except ActivityError as e:
            cause = e.cause if isinstance(e.cause, ApplicationError) else None
            raise ApplicationError(f"payment refused: {cause and cause.message}", type="Refused") from e


def test_failed_activity_raises_activity_error_caused_by_the_application_error() -> None:
    h = HistoryBuilder("FailingActivityWorkflow")
    h.workflow_task()
    instance = new_instance(FailingActivityWorkflow)
    scheduled = h.complete_task(run_task(instance, h.events))
    h.activity_failed(scheduled[0].event_id, Failure(message="card stolen", type="StolenCard", non_retryable=True))
    h.workflow_task()
    [command] = run_task(instance, h.since(instance.last_event_id))
    assert isinstance(command, cmd.FailWorkflowExecution)
    failure = command.failure
    assert (failure.message, failure.type) == ("payment refused: card stolen", "Refused")
    assert failure.cause is not None
    assert failure.cause.kind is FailureKind.ACTIVITY
    assert failure.cause.activity is not None
    assert failure.cause.activity.activity_type == "charge"
    assert failure.cause.cause is not None
    assert (failure.cause.cause.message, failure.cause.cause.type) == ("card stolen", "StolenCard")


@workflow.defn
class BuggyWorkflow:
    @workflow.run
    async def run(self) -> None:
        raise KeyError("oops")


def test_plain_exception_fails_the_task_not_the_run() -> None:
    h = HistoryBuilder("BuggyWorkflow")
    h.workflow_task()
    with pytest.raises(KeyError, match="oops"):
        run_task(new_instance(BuggyWorkflow), h.events)


@workflow.defn
class NoTimeoutWorkflow:
    @workflow.run
    async def run(self) -> None:
        await workflow.execute_activity(charge, "o-1")


def test_activity_without_timeouts_raises_value_error_in_the_workflow() -> None:
    h = HistoryBuilder("NoTimeoutWorkflow")
    h.workflow_task()
    with pytest.raises(ValueError, match="Activity must have start_to_close_timeout or schedule_to_close_timeout"):
        run_task(new_instance(NoTimeoutWorkflow), h.events)


@workflow.defn
class ImpatientWorkflow:
    @workflow.run
    async def run(self) -> str:
        try:
            return await asyncio.wait_for(
                workflow.execute_activity(charge, "o-1", start_to_close_timeout=TIMEOUT), timeout=10
            )
        # As in Temporal, a cancelled activity raises ActivityError (cause CancelledError),
        # which wait_for passes on instead of its TimeoutError.
        except ActivityError as e:
            return "gave up" if is_cancelled_exception(e) else "failed"


def test_wait_for_completing_first_cancels_its_timer() -> None:
    h = HistoryBuilder("ImpatientWorkflow")
    h.workflow_task()
    instance = new_instance(ImpatientWorkflow)
    first = run_task(instance, h.events)
    # wait_for starts its timer before the activity's task first runs.
    assert [c.type for c in first] == ["StartTimer", "ScheduleActivityTask"]
    scheduled = h.complete_task(first)
    h.activity_completed(scheduled[1].event_id, "charged")
    h.workflow_task()
    second = run_task(instance, h.since(instance.last_event_id))
    assert second == [cmd.CancelTimer(timer_id="1"), cmd.CompleteWorkflowExecution(result=payload("charged"))]


def test_timer_firing_first_cancels_the_activity() -> None:
    h = HistoryBuilder("ImpatientWorkflow")
    h.workflow_task()
    instance = new_instance(ImpatientWorkflow)
    scheduled = h.complete_task(run_task(instance, h.events))
    h.add(hist.TimerFired(timer_id="1", started_event_id=scheduled[0].event_id))
    h.workflow_task()
    second = run_task(instance, h.since(instance.last_event_id))
    assert second == [
        cmd.RequestCancelActivityTask(scheduled_event_id=scheduled[1].event_id),
        cmd.CompleteWorkflowExecution(result=payload("gave up")),
    ]


@workflow.defn
class ApprovalWorkflow:
    def __init__(self) -> None:
        self.approvals: list[str] = []

    @workflow.signal
    def approve(self, who: str) -> None:
        self.approvals.append(who)

    @workflow.run
    async def run(self) -> list[str]:
        await workflow.wait_condition(lambda: len(self.approvals) >= 2)
        return self.approvals


def test_signals_reach_their_handler_and_wake_a_wait_condition() -> None:
    h = HistoryBuilder("ApprovalWorkflow")
    h.add(hist.WorkflowExecutionSignaled(signal_name="approve", input=payloads("ada")))
    h.workflow_task()
    instance = new_instance(ApprovalWorkflow)
    assert run_task(instance, h.events) == []
    h.complete_task([])
    h.add(hist.WorkflowExecutionSignaled(signal_name="approve", input=payloads("bob")))
    h.workflow_task()
    assert run_task(instance, h.since(instance.last_event_id)) == [
        cmd.CompleteWorkflowExecution(result=payload(["ada", "bob"]))
    ]


def test_cancel_request_cancels_the_run_when_the_code_lets_it() -> None:
    h = HistoryBuilder("NapWorkflow")
    h.workflow_task()
    instance = new_instance(NapWorkflow)
    h.complete_task(run_task(instance, h.events))
    h.add(hist.WorkflowExecutionCancelRequested())
    h.workflow_task()
    assert run_task(instance, h.since(instance.last_event_id)) == [
        cmd.CancelTimer(timer_id="1"),
        cmd.CancelWorkflowExecution(),
    ]


@workflow.defn
class DiceWorkflow:
    @workflow.run
    async def run(self) -> list[str]:
        return [str(workflow.random().randint(1, 6)), str(workflow.uuid4())]


def test_random_and_uuid4_are_the_same_on_every_replay() -> None:
    h = HistoryBuilder("DiceWorkflow", seed=42)
    h.workflow_task()
    first = run_task(new_instance(DiceWorkflow), h.events)
    second = run_task(new_instance(DiceWorkflow), h.events)
    assert first == second


def test_extra_command_not_in_history_raises_nondeterminism() -> None:
    h = HistoryBuilder("Order", "o-1")
    h.workflow_task()
    h.complete_task([])
    h.workflow_task()
    with pytest.raises(NondeterminismError, match=r"produced ScheduleActivityTask.*which history does not have"):
        run_task(new_instance(OrderWorkflow), h.events)
