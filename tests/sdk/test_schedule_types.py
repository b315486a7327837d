"""Schedules on the client, without a server: each type to the wire and back, temporalio's
defaults, payloads through the codec (and left encoded on describe), the calls each handle
method makes, and the conflict token of an update.

The service is a ``ServiceClient`` whose schedule calls answer from memory and record
what they were sent.
"""

from __future__ import annotations

import dataclasses
import zlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest

from legato import _service, _transport, workflow
from legato.api.common.v1 import Payload, WireModel, WorkflowExecution
from legato.api.schedule import v1 as wire
from legato.client import (
    Client,
    CreateScheduleInput,
    Interceptor,
    OutboundInterceptor,
    PauseScheduleInput,
    Schedule,
    ScheduleActionExecutionStartWorkflow,
    ScheduleActionStartWorkflow,
    ScheduleAlreadyRunningError,
    ScheduleBackfill,
    ScheduleCalendarSpec,
    ScheduleHandle,
    ScheduleIntervalSpec,
    ScheduleListActionStartWorkflow,
    ScheduleListState,
    ScheduleOverlapPolicy,
    SchedulePolicy,
    ScheduleRange,
    ScheduleSpec,
    ScheduleState,
    ScheduleUpdate,
    ScheduleUpdateInput,
)
from legato.common import Priority, RetryPolicy, SearchAttributeKey, SearchAttributePair, TypedSearchAttributes
from legato.converter import DataConverter, PayloadCodec
from legato.exceptions import RPCError, RPCStatusCode
from tests.support.payloads import payload

TEAM = SearchAttributeKey.for_keyword("Team")
NOON = datetime(2030, 1, 2, 12, 0, tzinfo=UTC)


@dataclass
class Order:
    item: str
    count: int


@workflow.defn(name="Report")
class Report:
    @workflow.run
    async def run(self, order: Order) -> None:
        return None


@workflow.defn(dynamic=True)
class Anything:
    @workflow.run
    async def run(self, args: Sequence[object]) -> None:
        return None


class ZlibCodec(PayloadCodec):
    """Compresses each payload into a ``binary/zlib`` one that keeps the original inside."""

    async def encode(self, payloads: Sequence[Payload]) -> list[Payload]:
        return [
            Payload(metadata={"encoding": b"binary/zlib"}, data=zlib.compress(p.model_dump_json().encode()))
            for p in payloads
        ]

    async def decode(self, payloads: Sequence[Payload]) -> list[Payload]:
        return [Payload.model_validate_json(zlib.decompress(p.data)) for p in payloads]


class FakeService(_service.ServiceClient):
    """Schedule calls answered from memory; every request kept, through its JSON (as sent)."""

    def __init__(self) -> None:
        # Nothing listens there, and nothing is connected: only the schedule calls are used.
        super().__init__(_transport.Transport("127.0.0.1:9", namespace="default"))
        self.sent: list[object] = []
        self.create_error: RPCError | None = None
        self.description: wire.DescribeScheduleResponse | None = None
        self.pages: dict[str | None, wire.ListSchedulesResponse] = {}

    def _keep(self, request: WireModel) -> None:
        self.sent.append(type(request).model_validate_json(request.model_dump_json()))

    async def create_schedule(
        self, request: wire.CreateScheduleRequest, options: _service.CallOptions = _service.NO_OPTIONS
    ) -> wire.CreateScheduleResponse:
        self._keep(request)
        if self.create_error is not None:
            raise self.create_error
        return wire.CreateScheduleResponse(conflict_token="1")

    async def describe_schedule(
        self, request: wire.DescribeScheduleRequest, options: _service.CallOptions = _service.NO_OPTIONS
    ) -> wire.DescribeScheduleResponse:
        self._keep(request)
        assert self.description is not None
        return self.description

    async def update_schedule(
        self, request: wire.UpdateScheduleRequest, options: _service.CallOptions = _service.NO_OPTIONS
    ) -> None:
        self._keep(request)

    async def patch_schedule(
        self, request: wire.PatchScheduleRequest, options: _service.CallOptions = _service.NO_OPTIONS
    ) -> None:
        self._keep(request)

    async def delete_schedule(
        self, request: wire.DeleteScheduleRequest, options: _service.CallOptions = _service.NO_OPTIONS
    ) -> None:
        self._keep(request)

    async def list_schedules(
        self, request: wire.ListSchedulesRequest, options: _service.CallOptions = _service.NO_OPTIONS
    ) -> wire.ListSchedulesResponse:
        self._keep(request)
        return self.pages[request.next_page_token]


def _client(service: FakeService, *, codec: bool = False, interceptors: Sequence[Interceptor] = ()) -> Client:
    converter = (
        dataclasses.replace(DataConverter.default, payload_codec=ZlibCodec()) if codec else DataConverter.default
    )
    return Client(service, data_converter=converter, interceptors=interceptors)


def _action(**overrides: Any) -> ScheduleActionStartWorkflow:
    options: dict[str, Any] = {"id": "report", "task_queue": "reports", **overrides}
    return ScheduleActionStartWorkflow(Report.run, Order("tea", 2), **options)


def _full_schedule() -> Schedule:
    return Schedule(
        action=_action(
            execution_timeout=timedelta(hours=1),
            run_timeout=timedelta(minutes=30),
            task_timeout=timedelta(seconds=10),
            retry_policy=RetryPolicy(maximum_attempts=3),
            memo={"owner": "ops"},
            typed_search_attributes=TypedSearchAttributes([SearchAttributePair(TEAM, "ops")]),
            headers={"trace": payload("t-1")},
        ),
        spec=ScheduleSpec(
            calendars=[ScheduleCalendarSpec(hour=(ScheduleRange(9, 17, 2),), comment="office hours")],
            intervals=[ScheduleIntervalSpec(every=timedelta(hours=1), offset=timedelta(minutes=5))],
            cron_expressions=["0 12 * * MON"],
            skip=[ScheduleCalendarSpec(month=(ScheduleRange(12),))],
            start_at=NOON,
            end_at=NOON + timedelta(days=30),
            jitter=timedelta(seconds=30),
            time_zone_name="Europe/Paris",
        ),
        policy=SchedulePolicy(
            overlap=ScheduleOverlapPolicy.BUFFER_ALL, catchup_window=timedelta(minutes=10), pause_on_failure=True
        ),
        state=ScheduleState(note="new", paused=True, limited_actions=True, remaining_actions=5),
    )


def _description(schedule: wire.Schedule, *, token: str = "tok-7") -> wire.DescribeScheduleResponse:
    return wire.DescribeScheduleResponse(
        schedule=schedule,
        info=wire.ScheduleInfo(create_time=NOON),
        memo={"owner": payload("ops")},
        conflict_token=token,
    )


# --- defaults and conversions ---


def test_calendar_spec_defaults_are_temporalios_midnight_every_day() -> None:
    spec = ScheduleCalendarSpec()
    assert (spec.second, spec.minute, spec.hour) == ((ScheduleRange(0, 0, 1),),) * 3
    assert (spec.day_of_month, spec.month, spec.day_of_week) == (
        (ScheduleRange(1, 31, 1),),
        (ScheduleRange(1, 12, 1),),
        (ScheduleRange(0, 6, 1),),
    )
    assert (spec.year, spec.comment) == ((), None)


def test_range_end_before_start_is_start_and_step_zero_is_one() -> None:
    assert ScheduleRange(5) == ScheduleRange(5, 5, 1)
    assert ScheduleRange(5, 3, 0) == ScheduleRange(5, 5, 1)


def test_policy_state_and_spec_defaults_are_temporalios() -> None:
    assert SchedulePolicy() == SchedulePolicy(ScheduleOverlapPolicy.SKIP, None, False)
    assert ScheduleState() == ScheduleState(None, False, False, 0)
    assert ScheduleSpec()._to_api() == wire.ScheduleSpec()


async def test_schedule_round_trips_through_the_wire() -> None:
    schedule = _full_schedule()
    sent = await schedule._to_api(_client(FakeService()))
    back = Schedule._from_api(wire.Schedule.model_validate_json(sent.model_dump_json()))
    assert (back.spec, back.policy, back.state) == (schedule.spec, schedule.policy, schedule.state)
    assert isinstance(back.action, ScheduleActionStartWorkflow)
    assert (back.action.workflow, back.action.id, back.action.task_queue) == ("Report", "report", "reports")
    assert (back.action.execution_timeout, back.action.run_timeout, back.action.task_timeout) == (
        timedelta(hours=1),
        timedelta(minutes=30),
        timedelta(seconds=10),
    )
    assert back.action.retry_policy == RetryPolicy(maximum_attempts=3)
    assert back.action.typed_search_attributes == TypedSearchAttributes([SearchAttributePair(TEAM, "ops")])
    assert (back.action.untyped_search_attributes, back.action.headers) == ({}, {"trace": payload("t-1")})


async def test_wire_values_are_temporals_names_seconds_and_utc() -> None:
    sent = await _full_schedule()._to_api(_client(FakeService()))
    assert sent.policies == wire.SchedulePolicies(
        overlap_policy=wire.ScheduleOverlapPolicy.BUFFER_ALL, catchup_window=600.0, pause_on_failure=True
    )
    assert sent.state == wire.ScheduleState(notes="new", paused=True, limited_actions=True, remaining_actions=5)
    assert sent.spec.intervals == [wire.ScheduleInterval(every=3600.0, offset=300.0)]
    assert (sent.spec.jitter, sent.spec.time_zone_name) == (30.0, "Europe/Paris")
    assert sent.spec.calendars[0].hour == [wire.ScheduleRange(start=9, end=17, step=2)]


def test_naive_times_are_sent_as_utc_and_read_back_in_utc() -> None:
    spec = ScheduleSpec(start_at=datetime(2030, 1, 2, 12, 0))._to_api()
    assert spec.start_at == NOON
    paris = timezone(timedelta(hours=1))
    back = ScheduleSpec._from_api(wire.ScheduleSpec(start_at=datetime(2030, 1, 2, 13, 0, tzinfo=paris)))
    assert back.start_at == NOON
    assert back.start_at is not None
    assert back.start_at.tzinfo is UTC


def test_unset_wire_values_read_as_temporalios_nones() -> None:
    spec = ScheduleSpec._from_api(wire.ScheduleSpec(intervals=[wire.ScheduleInterval(every=60.0)]))
    assert spec == ScheduleSpec(intervals=[ScheduleIntervalSpec(timedelta(minutes=1))])
    assert ScheduleState._from_api(wire.ScheduleState()).note is None
    assert SchedulePolicy._from_api(wire.SchedulePolicies(overlap_policy=wire.ScheduleOverlapPolicy.UNSPECIFIED)) == (
        SchedulePolicy()
    )


def test_backfill_without_overlap_leaves_the_schedules_policy() -> None:
    backfill = ScheduleBackfill(start_at=NOON, end_at=NOON + timedelta(hours=1))._to_api()
    assert backfill == wire.BackfillRequest(
        start_time=NOON, end_time=NOON + timedelta(hours=1), overlap_policy=wire.ScheduleOverlapPolicy.UNSPECIFIED
    )


# --- the action ---


def test_action_takes_the_type_name_of_a_run_method_or_a_name() -> None:
    assert _action().workflow == "Report"
    assert ScheduleActionStartWorkflow("Other", args=[1, 2], id="o", task_queue="q").args == [1, 2]


@pytest.mark.parametrize(
    ("make", "error"),
    [
        (lambda: ScheduleActionStartWorkflow("Report", task_queue="q"), "ID required"),
        (lambda: ScheduleActionStartWorkflow("Report", id="r"), "Task queue required"),
        (lambda: ScheduleActionStartWorkflow(Anything.run, id="r", task_queue="q"), "dynamic"),
        (lambda: ScheduleActionStartWorkflow("Report", 1, args=[2], id="r", task_queue="q"), "arg and args"),
    ],
)
def test_action_refuses_what_temporalio_refuses(make: Callable[[], object], error: str) -> None:
    with pytest.raises(ValueError, match=error):
        make()


async def test_action_with_a_priority_is_refused_by_name() -> None:
    action = _action(priority=Priority(priority_key=1))
    with pytest.raises(NotImplementedError, match="priority"):
        await action._to_api(_client(FakeService()))


async def test_action_args_and_memo_go_through_the_codec_but_search_attributes_do_not() -> None:
    client = _client(FakeService(), codec=True)
    sent = await _full_schedule().action._to_api(client)
    assert {p.metadata["encoding"] for p in [*sent.args, *sent.memo.values()]} == {b"binary/zlib"}
    assert await client.data_converter.decode(sent.args, [Order]) == [Order("tea", 2)]
    assert await client.data_converter.decode(list(sent.memo.values())) == ["ops"]
    assert sent.search_attributes["Team"].metadata == {"encoding": b"json/plain", "type": b"Keyword"}
    assert sent.header == {"trace": payload("t-1")}


async def test_described_action_keeps_encoded_payloads_and_sends_them_back_as_they_are() -> None:
    client = _client(FakeService(), codec=True)
    sent = await _full_schedule().action._to_api(client)
    described = ScheduleActionStartWorkflow._from_api(sent)
    assert (described.args, described.memo) == (sent.args, sent.memo)
    again = await described._to_api(client)
    assert (again.args, again.memo, again.search_attributes) == (sent.args, sent.memo, sent.search_attributes)


def test_described_action_keeps_untyped_search_attributes_apart() -> None:
    raw = wire.ScheduleActionStartWorkflow(
        workflow_type="Report",
        workflow_id="r",
        task_queue="q",
        search_attributes={
            "Team": payload("ops").model_copy(update={"metadata": {"encoding": b"json/plain", "type": b"Keyword"}}),
            "Old": payload(["x"]),
        },
    )
    action = ScheduleActionStartWorkflow._from_api(raw)
    assert action.typed_search_attributes == TypedSearchAttributes([SearchAttributePair(TEAM, "ops")])
    assert action.untyped_search_attributes == {"Old": ["x"]}
    assert (action.memo, action.headers, action.static_summary) == (None, None, None)


# --- the calls ---


async def test_create_sends_the_schedule_memo_search_attributes_and_initial_patch() -> None:
    service = FakeService()
    client = _client(service, codec=True)
    backfill = ScheduleBackfill(NOON, NOON + timedelta(hours=1), ScheduleOverlapPolicy.ALLOW_ALL)
    handle = await client.create_schedule(
        "nightly",
        _full_schedule(),
        trigger_immediately=True,
        backfill=[backfill],
        memo={"why": "reports"},
        search_attributes=TypedSearchAttributes([SearchAttributePair(TEAM, "ops")]),
    )
    assert isinstance(handle, ScheduleHandle)
    assert handle.id == "nightly"
    [request] = service.sent
    assert isinstance(request, wire.CreateScheduleRequest)
    assert (request.schedule_id, request.identity) == ("nightly", client.identity)
    assert request.initial_patch == wire.SchedulePatch(
        trigger_immediately=wire.TriggerImmediately(overlap_policy=wire.ScheduleOverlapPolicy.BUFFER_ALL),
        backfill_request=[backfill._to_api()],
    )
    assert await client.data_converter.decode(list(request.memo.values())) == ["reports"]
    assert request.search_attributes["Team"].metadata["encoding"] == b"json/plain"


async def test_create_without_trigger_or_backfill_sends_no_initial_patch() -> None:
    service = FakeService()
    await _client(service).create_schedule("s", Schedule(action=_action(), spec=ScheduleSpec()))
    [request] = service.sent
    assert isinstance(request, wire.CreateScheduleRequest)
    assert (request.initial_patch, request.memo, request.search_attributes) == (None, {}, {})


async def test_create_of_a_taken_id_raises_schedule_already_running() -> None:
    service = FakeService()
    service.create_error = RPCError("schedule 's' exists", RPCStatusCode.ALREADY_EXISTS, b"")
    with pytest.raises(ScheduleAlreadyRunningError, match="Schedule already running") as raised:
        await _client(service).create_schedule("s", Schedule(action=_action(), spec=ScheduleSpec()))
    assert raised.value.__cause__ is service.create_error


async def test_create_passes_other_errors_on() -> None:
    service = FakeService()
    service.create_error = RPCError("bad spec", RPCStatusCode.INVALID_ARGUMENT, b"")
    with pytest.raises(RPCError, match="bad spec"):
        await _client(service).create_schedule("s", Schedule(action=_action(), spec=ScheduleSpec()))


@pytest.mark.parametrize("state", [ScheduleState(limited_actions=True), ScheduleState(remaining_actions=3)])
async def test_create_refuses_limited_actions_that_disagree_with_remaining_actions(state: ScheduleState) -> None:
    service = FakeService()
    with pytest.raises(ValueError, match="limited actions"):
        await _client(service).create_schedule("s", Schedule(action=_action(), spec=ScheduleSpec(), state=state))
    assert service.sent == []


async def test_update_sends_the_describes_conflict_token_and_the_updaters_schedule() -> None:
    service = FakeService()
    client = _client(service, codec=True)
    service.description = _description(await _full_schedule()._to_api(client))
    seen: list[ScheduleUpdateInput] = []

    async def updater(input: ScheduleUpdateInput) -> ScheduleUpdate:
        seen.append(input)
        input.description.schedule.state.note = "changed"
        return ScheduleUpdate(input.description.schedule)

    await client.get_schedule_handle("nightly").update(updater)
    describe, update = service.sent
    assert describe == wire.DescribeScheduleRequest(schedule_id="nightly")
    assert isinstance(update, wire.UpdateScheduleRequest)
    assert (update.schedule_id, update.conflict_token, update.search_attributes) == ("nightly", "tok-7", None)
    assert update.schedule.state.notes == "changed"
    # The described payloads go back as they came, not encoded a second time.
    assert update.schedule.action.args == service.description.schedule.action.args
    assert seen[0].description.id == "nightly"


async def test_update_with_search_attributes_replaces_them_all() -> None:
    service = FakeService()
    client = _client(service)
    service.description = _description(await Schedule(action=_action(), spec=ScheduleSpec())._to_api(client))
    await client.get_schedule_handle("s").update(
        lambda input: ScheduleUpdate(input.description.schedule, search_attributes=TypedSearchAttributes.empty)
    )
    update = service.sent[-1]
    assert isinstance(update, wire.UpdateScheduleRequest)
    assert update.search_attributes == {}


async def test_update_whose_updater_returns_none_sends_nothing() -> None:
    service = FakeService()
    client = _client(service)
    service.description = _description(await Schedule(action=_action(), spec=ScheduleSpec())._to_api(client))
    await client.get_schedule_handle("s").update(lambda input: None)
    assert [type(r) for r in service.sent] == [wire.DescribeScheduleRequest]


async def test_pause_unpause_trigger_and_backfill_are_patches() -> None:
    service = FakeService()
    handle = _client(service).get_schedule_handle("s")
    await handle.pause()
    await handle.unpause(note="back")
    await handle.trigger(overlap=ScheduleOverlapPolicy.TERMINATE_OTHER)
    await handle.trigger()
    await handle.backfill(ScheduleBackfill(NOON, NOON + timedelta(hours=1)))
    patches = [r.patch for r in service.sent if isinstance(r, wire.PatchScheduleRequest)]
    assert patches == [
        wire.SchedulePatch(pause="Paused via Python SDK"),
        wire.SchedulePatch(unpause="back"),
        wire.SchedulePatch(
            trigger_immediately=wire.TriggerImmediately(overlap_policy=wire.ScheduleOverlapPolicy.TERMINATE_OTHER)
        ),
        wire.SchedulePatch(trigger_immediately=wire.TriggerImmediately()),
        wire.SchedulePatch(backfill_request=[ScheduleBackfill(NOON, NOON + timedelta(hours=1))._to_api()]),
    ]
    with pytest.raises(ValueError, match="At least one backfill"):
        await handle.backfill()


async def test_delete_names_the_schedule() -> None:
    service = FakeService()
    client = _client(service)
    await client.get_schedule_handle("s").delete()
    assert service.sent == [wire.DeleteScheduleRequest(schedule_id="s", identity=client.identity)]


async def test_describe_converts_the_info_and_decodes_the_memo_only_when_asked() -> None:
    service = FakeService()
    client = _client(service, codec=True)
    run = WorkflowExecution(workflow_id="report-2030-01-02T12:00:00Z", run_id="r1")
    service.description = wire.DescribeScheduleResponse(
        schedule=await Schedule(action=_action(), spec=ScheduleSpec())._to_api(client),
        info=wire.ScheduleInfo(
            action_count=4,
            missed_catchup_window=1,
            overlap_skipped=2,
            running_workflows=[run],
            recent_actions=[wire.ScheduleActionResult(schedule_time=NOON, actual_time=NOON, start_workflow_result=run)],
            future_action_times=[NOON + timedelta(days=1)],
            create_time=datetime(2030, 1, 1),
        ),
        memo={"owner": (await client.data_converter.encode(["ops"]))[0]},
        search_attributes={"Team": (await _full_schedule().action._to_api(client)).search_attributes["Team"]},
        conflict_token="t",
    )
    description = await client.get_schedule_handle("s").describe()
    info = description.info
    assert (info.num_actions, info.num_actions_missed_catchup_window, info.num_actions_skipped_overlap) == (4, 1, 2)
    assert info.running_actions == [ScheduleActionExecutionStartWorkflow(run.workflow_id, "r1")]
    assert [(a.scheduled_at, a.started_at, a.action) for a in info.recent_actions] == [
        (NOON, NOON, ScheduleActionExecutionStartWorkflow(run.workflow_id, "r1"))
    ]
    assert (info.next_action_times, info.created_at, info.last_updated_at) == (
        [NOON + timedelta(days=1)],
        datetime(2030, 1, 1, tzinfo=UTC),
        None,
    )
    assert description.typed_search_attributes == TypedSearchAttributes([SearchAttributePair(TEAM, "ops")])
    assert description.search_attributes == {"Team": ["ops"]}
    assert await description.memo() == {"owner": "ops"}
    assert await description.memo_value("owner", type_hint=str) == "ops"
    assert await description.memo_value("missing", "none") == "none"
    with pytest.raises(KeyError):
        await description.memo_value("missing")
    action = description.schedule.action
    assert isinstance(action, ScheduleActionStartWorkflow)
    assert await client.data_converter.decode(list(action.args), [Order]) == [Order("tea", 2)]


def _entry(schedule_id: str) -> wire.ScheduleListEntry:
    return wire.ScheduleListEntry(
        schedule_id=schedule_id,
        memo={"owner": payload("ops")},
        info=wire.ScheduleListInfo(
            spec=wire.ScheduleSpec(cron_expressions=["@daily"]), workflow_type="Report", paused=True
        ),
    )


async def test_list_pages_through_every_schedule() -> None:
    service = FakeService()
    service.pages = {
        None: wire.ListSchedulesResponse(schedules=[_entry("a"), _entry("b")], next_page_token="p2"),
        "p2": wire.ListSchedulesResponse(schedules=[_entry("c")]),
    }
    listed = [s async for s in await _client(service).list_schedules("Team = 'ops'", page_size=2)]
    assert [s.id for s in listed] == ["a", "b", "c"]
    assert service.sent == [
        wire.ListSchedulesRequest(page_size=2, query="Team = 'ops'"),
        wire.ListSchedulesRequest(page_size=2, next_page_token="p2", query="Team = 'ops'"),
    ]
    first = listed[0]
    assert first.schedule is not None
    assert first.info is not None
    assert first.schedule.action == ScheduleListActionStartWorkflow("Report")
    assert first.schedule.spec == ScheduleSpec(cron_expressions=["@daily"])
    assert first.schedule.state == ScheduleListState(note=None, paused=True)
    assert (first.info.recent_actions, first.info.next_action_times) == ([], [])
    assert await first.memo() == {"owner": "ops"}


async def test_list_fetches_pages_by_hand_with_their_tokens() -> None:
    service = FakeService()
    service.pages = {"p2": wire.ListSchedulesResponse(schedules=[_entry("c")])}
    schedules = await _client(service).list_schedules(next_page_token=b"p2")
    assert service.sent == []  # nothing is asked before the first page is wanted
    await schedules.fetch_next_page(page_size=5)
    assert [s.id for s in schedules.current_page or []] == ["c"]
    assert (schedules.next_page_token, schedules.current_page_index) == (None, 0)
    assert service.sent == [wire.ListSchedulesRequest(page_size=5, next_page_token="p2")]


async def test_interceptors_see_every_schedule_call() -> None:
    seen: list[str] = []

    class Recording(OutboundInterceptor):
        async def create_schedule(self, input: CreateScheduleInput) -> ScheduleHandle:
            seen.append(f"create {input.id}")
            return await super().create_schedule(input)

        async def pause_schedule(self, input: PauseScheduleInput) -> None:
            seen.append(f"pause {input.note}")
            await super().pause_schedule(input)

    class Recorder(Interceptor):
        def intercept_client(self, next: OutboundInterceptor) -> OutboundInterceptor:
            return Recording(next)

    service = FakeService()
    client = _client(service, interceptors=[Recorder()])
    handle = await client.create_schedule("s", Schedule(action=_action(), spec=ScheduleSpec()))
    await handle.pause(note="quiet")
    assert seen == ["create s", "pause quiet"]
    assert [type(r) for r in service.sent] == [wire.CreateScheduleRequest, wire.PatchScheduleRequest]
