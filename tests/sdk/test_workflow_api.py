"""The workflow API beyond activities: waiting, dynamic workflows and signals, memo, info.

Pure tests: each runs workflow code against hand-built history and reads its commands.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import timedelta
from typing import Any

import pytest

from legato import workflow
from legato.api.command import v1 as cmd
from legato.api.history import v1 as hist
from legato.common import RawValue
from tests.sdk.histories import HistoryBuilder, new_instance, payload, payloads, run_task


def result_of(commands: list[cmd.Command]) -> Any:
    done = commands[-1]
    assert isinstance(done, cmd.CompleteWorkflowExecution), commands
    assert done.result is not None
    return workflow_converter().from_payload(done.result)


def workflow_converter() -> Any:
    from legato.converter import DataConverter

    return DataConverter.default.payload_converter


def signal(h: HistoryBuilder, name: str, *args: Any) -> None:
    h.add(hist.WorkflowExecutionSignaled(signal_name=name, input=payloads(*args)))


def fire(h: HistoryBuilder, timer_id: str) -> None:
    h.add(hist.TimerFired(timer_id=timer_id, started_event_id=0))


# --- waiting: workflow.wait, as_completed, asyncio.wait_for and asyncio.timeout as durable timers ---


@workflow.defn
class WaitsInOrder:
    @workflow.run
    async def run(self) -> list[str]:
        async def after(seconds: float, name: str) -> str:
            await asyncio.sleep(seconds)
            return name

        tasks = [asyncio.ensure_future(after(s, n)) for s, n in ((3, "c"), (1, "a"), (2, "b"))]
        done, pending = await workflow.wait(tasks, timeout=2.5)
        finished = [t.result() for t in done]
        later = [await t for t in pending]
        ordered = [await f for f in workflow.as_completed([after(2, "y"), after(1, "x")])]
        return [*finished, "|", *later, "|", *ordered]


def next_task(h: HistoryBuilder, instance: Any, commands: list[cmd.Command], *fired: str) -> list[cmd.Command]:
    """Complete the task with ``commands``, fire ``fired`` timers, run the next task."""
    last = instance.last_event_id
    h.complete_task(commands)
    for timer_id in fired:
        fire(h, timer_id)
    h.workflow_task()
    return run_task(instance, h.since(last))


def test_wait_returns_done_and_pending_in_input_order_and_as_completed_in_finishing_order() -> None:
    h = HistoryBuilder("WaitsInOrder")
    instance = new_instance(WaitsInOrder)
    h.workflow_task()
    first = run_task(instance, h.events)
    # The wait's timeout, then the three tasks' sleeps: durable timers, in the order made.
    assert [(c.type, getattr(c, "start_to_fire_timeout", None)) for c in first] == [
        ("StartTimer", 2.5),
        ("StartTimer", 3),
        ("StartTimer", 1),
        ("StartTimer", 2),
    ]
    # "a" and "b" finish, then the wait times out with "c" pending.
    assert next_task(h, instance, first, "3", "4", "1") == []
    third = next_task(h, instance, [], "2")
    assert [c.type for c in third] == ["StartTimer", "StartTimer"]
    # as_completed: the 1 s timer ("x") fires before the 2 s one ("y").
    assert result_of(next_task(h, instance, third, "6", "5")) == ["a", "b", "|", "c", "|", "x", "y"]


@workflow.defn
class WaitsAll:
    @workflow.run
    async def run(self) -> list[list[int]]:
        async def value(n: int) -> int:
            await asyncio.sleep(0)
            return n

        tasks = [asyncio.ensure_future(value(n)) for n in (3, 1, 2)]
        done, pending = await workflow.wait(tasks)
        first_done, _ = await workflow.wait(
            [asyncio.ensure_future(value(n)) for n in (9, 8)], return_when="FIRST_COMPLETED"
        )
        return [[t.result() for t in done], [len(pending)], [t.result() for t in first_done]]


def test_wait_without_a_timeout_returns_every_task_in_input_order() -> None:
    h = HistoryBuilder("WaitsAll")
    h.workflow_task()
    assert result_of(run_task(new_instance(WaitsAll), h.events)) == [[3, 1, 2], [0], [9, 8]]


@workflow.defn
class CompletesInOrder:
    @workflow.run
    async def run(self) -> list[str]:
        async def after(seconds: float, name: str) -> str:
            await asyncio.sleep(seconds)
            return name

        return [await f for f in workflow.as_completed([after(2, "slow"), after(1, "fast")])]


def test_as_completed_yields_results_as_their_timers_fire() -> None:
    h = HistoryBuilder("CompletesInOrder")
    instance = new_instance(CompletesInOrder)
    h.workflow_task()
    first = run_task(instance, h.events)
    assert [c.type for c in first] == ["StartTimer", "StartTimer"]
    last = instance.last_event_id
    h.complete_task(first)
    fire(h, "2")
    h.workflow_task()
    assert run_task(instance, h.since(last)) == []
    last = instance.last_event_id
    h.complete_task([])
    fire(h, "1")
    h.workflow_task()
    assert result_of(run_task(instance, h.since(last))) == ["fast", "slow"]


def test_wait_refuses_coroutines_and_empty_input_as_asyncio_does() -> None:
    @workflow.defn
    class BadWait:
        @workflow.run
        async def run(self) -> str:
            async def nothing() -> None:
                return None

            errors = []
            coroutine = nothing()
            for fs in ([], [coroutine]):
                try:
                    await workflow.wait(fs)
                except (TypeError, ValueError) as e:
                    errors.append(type(e).__name__)
            coroutine.close()
            return ",".join(errors)

    h = HistoryBuilder("BadWait")
    h.workflow_task()
    assert result_of(run_task(new_instance(BadWait), h.events)) == "ValueError,TypeError"


@workflow.defn
class TimesOut:
    def __init__(self) -> None:
        self.ready = False

    @workflow.run
    async def run(self, how: str) -> str:
        never: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        try:
            if how == "wait_for":
                await asyncio.wait_for(never, 30)
            elif how == "timeout":
                async with asyncio.timeout(30):
                    await never
            else:
                await workflow.wait_condition(lambda: self.ready, timeout=timedelta(seconds=30))
        except TimeoutError:
            return "timed out"
        return "in time"

    @workflow.signal
    def go(self) -> None:
        self.ready = True


@pytest.mark.parametrize("how", ["wait_for", "timeout", "wait_condition"])
def test_asyncio_timeouts_and_wait_condition_are_durable_timers_that_raise_timeout_error(how: str) -> None:
    h = HistoryBuilder("TimesOut", how)
    instance = new_instance(TimesOut)
    h.workflow_task()
    first = run_task(instance, h.events)
    assert len(first) == 1
    assert isinstance(first[0], cmd.StartTimer)
    assert first[0].start_to_fire_timeout == 30
    last = instance.last_event_id
    h.complete_task(first)
    fire(h, first[0].timer_id)
    h.workflow_task()
    assert result_of(run_task(instance, h.since(last))) == "timed out"


def test_wait_condition_met_in_time_cancels_its_timer() -> None:
    h = HistoryBuilder("TimesOut", "wait_condition")
    instance = new_instance(TimesOut)
    h.workflow_task()
    first = run_task(instance, h.events)
    last = instance.last_event_id
    h.complete_task(first)
    signal(h, "go")
    h.workflow_task()
    second = run_task(instance, h.since(last))
    assert [c.type for c in second] == ["CancelTimer", "CompleteWorkflowExecution"]
    assert result_of(second) == "in time"


# --- dynamic workflows and signals, handlers set at run time, buffered signals ---


@workflow.defn(dynamic=True)
class AnyType:
    def __init__(self) -> None:
        self.signals: list[str] = []

    @workflow.run
    async def run(self, args: Sequence[RawValue]) -> dict[str, Any]:
        await workflow.wait_condition(lambda: len(self.signals) == 2)
        convert = workflow.payload_converter()
        return {
            "type": workflow.info().workflow_type,
            "args": [convert.from_payload(a.payload, int) for a in args],
            "signals": self.signals,
        }

    @workflow.signal(dynamic=True)
    def anything(self, name: str, args: Sequence[RawValue]) -> None:
        self.signals.append(f"{name}:{workflow.payload_converter().from_payload(args[0].payload, str)}")


def test_a_dynamic_workflow_runs_any_type_with_raw_arguments_and_a_dynamic_signal_handler() -> None:
    h = HistoryBuilder("Whatever", 1, 2)
    signal(h, "first", "a")
    signal(h, "second", "b")
    h.workflow_task()
    assert result_of(run_task(new_instance(AnyType), h.events)) == {
        "type": "Whatever",
        "args": [1, 2],
        "signals": ["first:a", "second:b"],
    }


@workflow.defn
class LateHandlers:
    def __init__(self) -> None:
        self.got: list[str] = []

    @workflow.run
    async def run(self) -> list[str]:
        await workflow.sleep(1)
        assert workflow.get_signal_handler("add") is None
        workflow.set_signal_handler("add", lambda item: self.got.append(f"add {item}"))
        assert workflow.get_signal_handler("add") is not None
        await workflow.sleep(1)
        workflow.set_dynamic_signal_handler(lambda name, args: self.got.append(f"{name} (dynamic)"))
        assert workflow.get_dynamic_signal_handler() is not None
        await workflow.wait_condition(lambda: len(self.got) == 4)
        return self.got


def test_signals_without_a_handler_wait_for_one_and_arrive_in_order() -> None:
    h = HistoryBuilder("LateHandlers")
    signal(h, "other", 0)
    signal(h, "add", "x")
    signal(h, "add", "y")
    instance = new_instance(LateHandlers)
    h.workflow_task()
    first = run_task(instance, h.events)
    last = instance.last_event_id
    h.complete_task(first)
    fire(h, "1")
    h.workflow_task()
    second = run_task(instance, h.since(last))
    assert instance.workflow_object.got == ["add x", "add y"]
    last = instance.last_event_id
    h.complete_task(second)
    signal(h, "late", 1)
    fire(h, "2")
    h.workflow_task()
    assert result_of(run_task(instance, h.since(last))) == ["add x", "add y", "other (dynamic)", "late (dynamic)"]


@workflow.defn
class Greeter:
    @workflow.init
    def __init__(self, name: str) -> None:
        self.greeting = f"hello {name}"

    @workflow.run
    async def run(self, name: str) -> str:
        return self.greeting


def test_workflow_init_receives_the_run_arguments() -> None:
    h = HistoryBuilder("Greeter", "ana")
    h.workflow_task()
    assert result_of(run_task(new_instance(Greeter), h.events)) == "hello ana"


# --- memo and info ---


@workflow.defn
class Memos:
    @workflow.run
    async def run(self) -> list[Any]:
        before = dict(workflow.memo())
        workflow.upsert_memo({"step": 2, "customer": None})
        missing = workflow.memo_value("customer", "gone")
        try:
            workflow.memo_value("nothing")
        except KeyError:
            missing_error = True
        return [
            before,
            workflow.memo_value("step", type_hint=int),
            missing,
            missing_error,
            sorted(workflow.info().raw_memo),
        ]


def start_with(h: HistoryBuilder, **changes: Any) -> None:
    """Change the run's WorkflowExecutionStarted (events are frozen: replace it)."""
    first = h.events[0]
    h.events[0] = first.model_copy(update={"attributes": first.attributes.model_copy(update=changes)})


def test_memo_reads_the_start_memo_and_upsert_memo_is_a_command_that_changes_it() -> None:
    h = HistoryBuilder("Memos")
    start_with(h, memo={"customer": payload("ana"), "tier": payload("gold")})
    h.workflow_task()
    commands = run_task(new_instance(Memos), h.events)
    upsert = commands[0]
    assert isinstance(upsert, cmd.ModifyWorkflowProperties)
    assert upsert.upserted_memo == {"step": payload(2), "customer": payload(None)}
    assert result_of(commands) == [{"customer": "ana", "tier": "gold"}, 2, "gone", True, ["step", "tier"]]


@workflow.defn
class Informed:
    @workflow.run
    async def run(self) -> list[Any]:
        i = workflow.info()
        return [
            i.attempt,
            i.run_timeout.total_seconds() if i.run_timeout else None,
            i.continued_run_id,
            i.cron_schedule,
            i.parent,
            i.root,
            i.workflow_type,
        ]


def test_info_has_temporals_fields_for_what_exists() -> None:
    h = HistoryBuilder("Informed")
    start_with(h, attempt=2, workflow_run_timeout=60.0)
    h.workflow_task()
    assert result_of(run_task(new_instance(Informed), h.events)) == [2, 60.0, None, None, None, None, "Informed"]


def test_a_dynamic_workflow_must_take_one_sequence_of_raw_values() -> None:
    with pytest.raises(TypeError, match="must accept a single Sequence"):

        @workflow.defn(dynamic=True)
        class TwoArgs:
            @workflow.run
            async def run(self, a: Sequence[RawValue], b: int) -> None:
                return None
