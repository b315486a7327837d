"""What a schedule does when its times come: the actions to take, by its policies.

A schedule's progress (``Progress``, kept on its row) holds the time up to which its spec has
been read (``processed``): a round reads every nominal time in ``(processed, now]`` whose
jittered time has come, so a server down across fire times catches up when it is back, and
a round that did not commit is read again by the next, by any replica. Each due time is
dropped when it is older than the catch-up window (``missed_catchup_window``), or becomes a
start by the overlap policy given what still runs: SKIP drops it while one runs, BUFFER_ONE
keeps one waiting (dropping the rest), BUFFER_ALL keeps them all, CANCEL_OTHER cancels the
running ones and waits for them to close, TERMINATE_OTHER terminates them and starts at
once, ALLOW_ALL starts it anyway. A start's workflow id is the action's followed by the
time, as Temporal's (``orders-2026-12-03T13:00:00Z``), so one time never starts twice.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from legato.api.common.v1 import WorkflowExecution
from legato.api.schedule import v1 as wire
from legato_operator import errors
from legato_operator.engine.rules import schedule_spec
from legato_operator.engine.rules.schedule_spec import Calendar, Interval, Range

Policy = wire.ScheduleOverlapPolicy
# Temporal's default catch-up window (the server's), and how many times one round reads.
DEFAULT_CATCHUP_WINDOW = timedelta(days=365)
MAX_TIMES_PER_ROUND = 1000
MAX_BACKFILL = 500
# Running workflows a schedule keeps track of (ALLOW_ALL may start more than finish); past
# this the oldest are forgotten, as far as the schedule's overlap decisions go.
MAX_TRACKED_RUNNING = 100
RECENT = wire.MAX_RECENT_ACTIONS
# While something waits on a running workflow (a buffered start, pause on failure), the
# schedule looks at it this often.
WATCH_SECONDS = 2.0


@dataclass(frozen=True)
class Start:
    """Start the action's workflow for ``nominal`` (the time it stands for)."""

    nominal: datetime
    workflow_id: str


@dataclass
class Progress:
    """What the schedule has done, as its row keeps it (``dump``/``load``)."""

    processed: datetime
    action_count: int = 0
    missed_catchup_window: int = 0
    overlap_skipped: int = 0
    buffer_dropped: int = 0
    running: list[WorkflowExecution] = field(default_factory=list)
    recent: list[wire.ScheduleActionResult] = field(default_factory=list)
    # Nominal times waiting for the running workflows to close, with their overlap policy.
    buffer: list[tuple[datetime, Policy]] = field(default_factory=list)

    def dump(self) -> dict[str, Any]:
        return {
            "processed": self.processed.isoformat(),
            "counts": [self.action_count, self.missed_catchup_window, self.overlap_skipped, self.buffer_dropped],
            "running": [r.model_dump(mode="json") for r in self.running],
            "recent": [r.model_dump(mode="json") for r in self.recent],
            "buffer": [[t.isoformat(), p.value] for t, p in self.buffer],
        }

    @staticmethod
    def load(data: dict[str, Any]) -> Progress:
        counts = data["counts"]
        return Progress(
            processed=datetime.fromisoformat(data["processed"]),
            action_count=counts[0],
            missed_catchup_window=counts[1],
            overlap_skipped=counts[2],
            buffer_dropped=counts[3],
            running=[WorkflowExecution.model_validate(r) for r in data["running"]],
            recent=[wire.ScheduleActionResult.model_validate(r) for r in data["recent"]],
            buffer=[(datetime.fromisoformat(t), Policy(p)) for t, p in data["buffer"]],
        )


@dataclass
class Round:
    """One round's decisions: what to start, cancel and terminate, and the state after."""

    schedule: wire.Schedule
    progress: Progress
    starts: list[Start] = field(default_factory=list)
    cancels: list[WorkflowExecution] = field(default_factory=list)
    terminates: list[WorkflowExecution] = field(default_factory=list)
    backfilled: int = 0


# --- the spec ------------------------------------------------------------------------------


def compiled(spec: wire.ScheduleSpec) -> schedule_spec.CompiledSpec:
    """The wire spec compiled; a bad one is refused naming the field."""
    try:
        compiled = schedule_spec.compile(_spec(spec))
        # A time a whole offset away from the end of the calendar fails only when read.
        schedule_spec.next_time(compiled, datetime.now(UTC))
    except schedule_spec.SpecError as e:
        field_name = str(e).split(":", 1)[0]
        raise errors.InvalidArgument(f"schedule.{field_name}", f"schedule.{e}") from None
    except (ValueError, OverflowError) as e:
        raise errors.InvalidArgument("schedule.spec", f"schedule.spec: {e}") from None
    return compiled


def canonical(spec: wire.ScheduleSpec) -> wire.ScheduleSpec:
    """The spec as Temporal's describe returns it: cron strings as calendars and intervals."""
    c = compiled(spec).spec
    return wire.ScheduleSpec(
        calendars=[_wire_calendar(cal) for cal in c.calendars],
        intervals=[
            wire.ScheduleInterval(every=i.every.total_seconds(), offset=i.offset.total_seconds()) for i in c.intervals
        ],
        skip=[_wire_calendar(cal) for cal in c.skip],
        start_at=c.start_at,
        end_at=c.end_at,
        jitter=c.jitter.total_seconds(),
        time_zone_name=c.time_zone_name,
    )


def action_times(spec: schedule_spec.CompiledSpec, seed: str, after: datetime, count: int) -> list[datetime]:
    """The next ``count`` action times after ``after``, jittered (what describe shows)."""
    times: list[datetime] = []
    cursor = after
    while len(times) < count and (nominal := schedule_spec.next_time(spec, cursor)) is not None:
        times.append(schedule_spec.jittered(spec, nominal, seed))
        cursor = nominal
    return times


def _spec(w: wire.ScheduleSpec) -> schedule_spec.Spec:
    return schedule_spec.Spec(
        calendars=tuple(_calendar(c) for c in w.calendars),
        intervals=tuple(
            Interval(every=timedelta(seconds=i.every), offset=timedelta(seconds=i.offset)) for i in w.intervals
        ),
        cron_expressions=tuple(w.cron_expressions),
        skip=tuple(_calendar(c) for c in w.skip),
        start_at=w.start_at,
        end_at=w.end_at,
        jitter=timedelta(seconds=w.jitter),
        time_zone_name=w.time_zone_name,
    )


_FIELDS = ("second", "minute", "hour", "day_of_month", "month", "year", "day_of_week")


def _calendar(c: wire.ScheduleCalendar) -> Calendar:
    ranges = {f: tuple(Range(r.start, r.end, r.step) for r in getattr(c, f)) for f in _FIELDS}
    return Calendar(**ranges, comment=c.comment)


def _wire_calendar(c: Calendar) -> wire.ScheduleCalendar:
    ranges = {f: [wire.ScheduleRange(start=r.start, end=r.end, step=r.step) for r in getattr(c, f)] for f in _FIELDS}
    return wire.ScheduleCalendar(**ranges, comment=c.comment)


# --- a round -------------------------------------------------------------------------------


def step(
    schedule: wire.Schedule,
    progress: Progress,
    spec: schedule_spec.CompiledSpec,
    seed: str,
    closed: dict[str, str],
    now: datetime,
) -> Round:
    """Read the times due by ``now``; ``closed`` gives the running workflows that closed since
    (run id -> status)."""
    copied = replace(
        progress, running=list(progress.running), recent=list(progress.recent), buffer=list(progress.buffer)
    )
    r = Round(schedule, copied)
    _note_closed(r, closed)
    _start_buffered(r)
    cursor = progress.processed
    for _ in range(MAX_TIMES_PER_ROUND):
        nominal = schedule_spec.next_time(spec, cursor)
        if nominal is None or schedule_spec.jittered(spec, nominal, seed) > now:
            break
        cursor = nominal
        _take(r, nominal, now, None)
    r.progress.processed = max(cursor, progress.processed)
    return r


def trigger(r: Round, now: datetime, overlap: Policy) -> None:
    """An action now, outside the spec (``trigger_immediately``)."""
    _act(r, now, _policy(r, overlap))


def backfill(r: Round, spec: schedule_spec.CompiledSpec, request: wire.BackfillRequest) -> None:
    """The actions of ``(start_time, end_time]`` now, catch-up window aside. One call takes
    at most ``MAX_BACKFILL`` times (all its backfills together), so that no request holds
    the schedule for long; a longer period is refused, to be split."""
    try:
        _backfill(r, spec, request)
    except (ValueError, OverflowError) as e:  # a time past what a calendar can hold
        raise errors.InvalidArgument("patch.backfill_request", f"patch.backfill_request: {e}") from None


def _backfill(r: Round, spec: schedule_spec.CompiledSpec, request: wire.BackfillRequest) -> None:
    cursor = request.start_time
    while (nominal := schedule_spec.next_time(spec, cursor)) is not None and nominal <= request.end_time:
        r.backfilled += 1
        if r.backfilled > MAX_BACKFILL:
            raise errors.InvalidArgument(
                "patch.backfill_request",
                f"a backfill may cover at most {MAX_BACKFILL} times of the schedule; split the period",
            )
        cursor = nominal
        _act(r, nominal, _policy(r, request.overlap_policy))


def next_wake(r: Round, spec: schedule_spec.CompiledSpec, seed: str, now: datetime) -> datetime | None:
    """When the schedule must be looked at next: its next time, sooner while a buffered start
    or a pause on failure waits on a running workflow."""
    nominal = schedule_spec.next_time(spec, r.progress.processed)
    wake = None if nominal is None else schedule_spec.jittered(spec, nominal, seed)
    watching = r.progress.running and (r.progress.buffer or r.schedule.policies.pause_on_failure)
    if watching:
        soon = now + timedelta(seconds=WATCH_SECONDS)
        wake = soon if wake is None else min(wake, soon)
    return wake


def _take(r: Round, nominal: datetime, now: datetime, overlap: Policy | None) -> None:
    state, policies = r.schedule.state, r.schedule.policies
    if state.paused or (state.limited_actions and state.remaining_actions <= 0):
        return
    window = timedelta(seconds=policies.catchup_window) if policies.catchup_window else DEFAULT_CATCHUP_WINDOW
    if now - nominal > window:
        r.progress.missed_catchup_window += 1
        return
    _act(r, nominal, overlap or _policy(r, Policy.UNSPECIFIED))


def _policy(r: Round, given: Policy) -> Policy:
    if given is not Policy.UNSPECIFIED:
        return given
    own = r.schedule.policies.overlap_policy
    return Policy.SKIP if own is Policy.UNSPECIFIED else own


def _act(r: Round, nominal: datetime, overlap: Policy) -> None:
    p = r.progress
    if not p.running or overlap is Policy.ALLOW_ALL:
        _start(r, nominal)
    elif overlap is Policy.SKIP:
        p.overlap_skipped += 1
    elif overlap is Policy.BUFFER_ONE:
        if p.buffer:
            p.buffer_dropped += 1
        else:
            p.buffer.append((nominal, overlap))
    elif overlap is Policy.BUFFER_ALL:
        p.buffer.append((nominal, overlap))
    elif overlap is Policy.CANCEL_OTHER:
        r.cancels += [w for w in p.running if w.run_id and w not in r.cancels]
        p.buffer = [(nominal, overlap)]
    elif overlap is Policy.TERMINATE_OTHER:
        r.terminates += [w for w in p.running if w.run_id]
        p.running = []
        _start(r, nominal)


def _start(r: Round, nominal: datetime) -> None:
    state = r.schedule.state
    if state.limited_actions:
        if state.remaining_actions <= 0:
            return
        remaining = state.model_copy(update={"remaining_actions": state.remaining_actions - 1})
        r.schedule = r.schedule.model_copy(update={"state": remaining})
    start = Start(nominal, workflow_id(r.schedule.action.workflow_id, nominal))
    r.starts.append(start)
    # Running from now on for the rest of the round; ``started`` gives it its run id.
    r.progress.running.append(WorkflowExecution(workflow_id=start.workflow_id))
    r.progress.action_count += 1


def started(r: Round, start: Start, run: WorkflowExecution, now: datetime) -> None:
    """Record a start the service made: running, and among the recent actions."""
    p = r.progress
    p.running = [run if (w.workflow_id == start.workflow_id and not w.run_id) else w for w in p.running]
    p.running = p.running[-MAX_TRACKED_RUNNING:]
    result = wire.ScheduleActionResult(schedule_time=start.nominal, actual_time=now, start_workflow_result=run)
    p.recent = [*p.recent, result][-RECENT:]


def workflow_id(base: str, nominal: datetime) -> str:
    """The id of the workflow an action starts: Temporal's ``<id>-<time>``."""
    return f"{base}-{nominal.astimezone(UTC).strftime('%Y-%m-%dT%H:%M:%SZ')}"


def _note_closed(r: Round, closed: dict[str, str]) -> None:
    p = r.progress
    p.running = [w for w in p.running if w.run_id not in closed]
    p.recent = [
        a.model_copy(update={"start_workflow_status": closed[a.start_workflow_result.run_id]})
        if a.start_workflow_result.run_id in closed
        else a
        for a in p.recent
    ]
    failed = [s for s in closed.values() if s in ("FAILED", "TIMED_OUT")]
    if failed and r.schedule.policies.pause_on_failure:
        state = r.schedule.state.model_copy(update={"paused": True, "notes": "paused: an action failed"})
        r.schedule = r.schedule.model_copy(update={"state": state})


def _start_buffered(r: Round) -> None:
    """A buffered start goes once nothing runs; one at a time, each waiting for the last."""
    p = r.progress
    if p.buffer and not p.running:
        nominal, _ = p.buffer.pop(0)
        _start(r, nominal)
