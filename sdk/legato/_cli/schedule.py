"""``legato schedule ...``: schedules from flags, as the Temporal CLI's ``schedule`` commands.

A schedule made here starts one workflow type with JSON arguments at the times of its
``--cron`` strings and ``--interval`` periods. ``update`` replaces only what its flags
give: the rest of the schedule stays as ``describe`` shows it.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from typing import Any

from legato._cli import errors, values
from legato._cli.command import Context, Group, add_command, add_group
from legato._cli.flags import add_input_flags
from legato._cli.output import fields, section, table
from legato.api.schedule import v1 as wire
from legato.client import (
    Schedule,
    ScheduleActionStartWorkflow,
    ScheduleBackfill,
    ScheduleIntervalSpec,
    ScheduleOverlapPolicy,
    SchedulePolicy,
    ScheduleSpec,
    ScheduleState,
    ScheduleUpdate,
    ScheduleUpdateInput,
)

OVERLAP = [p.name for p in ScheduleOverlapPolicy]


def register(root: Group, parents: Sequence[argparse.ArgumentParser]) -> None:
    """Add ``schedule`` and its commands to the tree."""
    group = add_group(root, "schedule", "Create, change and follow schedules.")
    _spec_flags(add_command(group, "create", "Create a schedule that starts a workflow.", create, parents), True)
    _id_flag(add_command(group, "describe", "Show a schedule, what it did and will do.", describe, parents))
    listing = add_command(group, "list", "List the namespace's schedules.", list_schedules, parents)
    listing.add_argument("--query", "-q", help="list filter")
    _spec_flags(add_command(group, "update", "Change a schedule (only what the flags give).", update, parents), False)
    for name, summary, handler in (
        ("pause", "Pause a schedule.", pause),
        ("unpause", "Unpause a schedule.", unpause),
    ):
        _id_flag(add_command(group, name, summary, handler, parents)).add_argument("--reason", help="a note")
    trigger_parser = _id_flag(add_command(group, "trigger", "Start the schedule's workflow now.", trigger, parents))
    trigger_parser.add_argument("--overlap-policy", choices=OVERLAP, help="default: the schedule's")
    backfill_parser = _id_flag(add_command(group, "backfill", "Take a past period's actions now.", backfill, parents))
    backfill_parser.add_argument("--start-time", required=True, help="start of the period (RFC 3339, exclusive)")
    backfill_parser.add_argument("--end-time", required=True, help="end of the period (RFC 3339, inclusive)")
    backfill_parser.add_argument("--overlap-policy", choices=OVERLAP, help="default: the schedule's")
    _id_flag(add_command(group, "delete", "Delete a schedule (its workflows go on).", delete, parents))


def _id_flag(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    parser.add_argument("--schedule-id", "-s", required=True, help="schedule id")
    return parser


def _spec_flags(parser: argparse.ArgumentParser, creating: bool) -> None:
    _id_flag(parser)
    parser.add_argument("--cron", action="append", help="cron string, as '0 2 * * *' (repeatable)")
    parser.add_argument("--interval", action="append", help="period, as 1h or 5m, or every/offset as 1h/15m")
    parser.add_argument("--time-zone", help="IANA time zone of the cron strings (default: UTC)")
    parser.add_argument("--workflow-id", "-w", required=creating, help="id of the workflows (the time is appended)")
    parser.add_argument("--type", required=creating, help="workflow type name")
    parser.add_argument("--task-queue", "-t", required=creating, help="task queue its workers poll")
    add_input_flags(parser)
    parser.add_argument("--overlap-policy", choices=OVERLAP, help="when the last workflow still runs")
    parser.add_argument("--notes", help="a note on the schedule's state")
    if creating:
        parser.add_argument("--paused", action="store_true", help="create it paused")


def _intervals(texts: Sequence[str] | None) -> list[ScheduleIntervalSpec]:
    specs = []
    for text in texts or ():
        every, _, offset = text.partition("/")
        specs.append(ScheduleIntervalSpec(values.duration(every), values.duration(offset) if offset else None))
    return specs


def _spec(a: argparse.Namespace) -> ScheduleSpec:
    if not a.cron and not a.interval:
        raise errors.UsageError("a schedule needs --cron or --interval")
    return ScheduleSpec(cron_expressions=a.cron or [], intervals=_intervals(a.interval), time_zone_name=a.time_zone)


async def create(ctx: Context) -> int:
    """Create the schedule."""
    a = ctx.args
    action = ScheduleActionStartWorkflow(
        a.type, args=values.inputs(a.input, a.input_file), id=a.workflow_id, task_queue=a.task_queue
    )
    policy = SchedulePolicy(overlap=ScheduleOverlapPolicy[a.overlap_policy or "SKIP"])
    state = ScheduleState(note=a.notes, paused=a.paused)
    await ctx.client.create_schedule(a.schedule_id, Schedule(action=action, spec=_spec(a), policy=policy, state=state))
    return _done(ctx, "create", f"Schedule {a.schedule_id!r} created.")


def _done(ctx: Context, action: str, sentence: str) -> int:
    ctx.out.emit({"schedule_id": ctx.args.schedule_id, "action": action}, [sentence])
    return errors.OK


async def describe(ctx: Context) -> int:
    """Print the schedule: what it starts, when, its state and its actions."""
    raw = (await ctx.client.get_schedule_handle(ctx.args.schedule_id).describe()).raw_description
    action, spec, state, info = raw.schedule.action, raw.schedule.spec, raw.schedule.state, raw.info
    summary = {
        "Schedule ID": ctx.args.schedule_id,
        "Workflow Type": action.workflow_type,
        "Workflow ID": action.workflow_id,
        "Task Queue": action.task_queue,
        "Input": values.compact([values.payload_value(p) for p in action.args]) if action.args else None,
        "Cron": ", ".join(spec.cron_expressions),
        "Intervals": ", ".join(_interval_text(i.every, i.offset) for i in spec.intervals),
        "Calendars": ", ".join(_calendar_text(c) for c in spec.calendars),
        "Time Zone": spec.time_zone_name,
        "Overlap Policy": raw.schedule.policies.overlap_policy.value,
        "Paused": "yes" if state.paused else "no",
        "Notes": state.notes,
        "Actions": info.action_count,
        "Created": values.time_text(info.create_time),
    }
    recent = [
        [values.time_text(r.schedule_time), r.start_workflow_result.workflow_id, r.start_workflow_status]
        for r in info.recent_actions
    ]
    lines = [
        *fields(summary),
        *section("Running", [r.workflow_id for r in info.running_workflows]),
        *section("Recent Actions", table(recent, ["SCHEDULED", "WORKFLOW ID", "STATUS"]) if recent else []),
        *section("Next Action Times", [values.time_text(t) for t in info.future_action_times]),
    ]
    ctx.out.emit(values.jsonable(raw), lines)
    return errors.OK


# Each calendar field's full range, shown as cron's "*".
_FULL = {"minute": (0, 59), "hour": (0, 23), "day_of_month": (1, 31), "month": (1, 12), "day_of_week": (0, 6)}


def _calendar_text(calendar: wire.ScheduleCalendar) -> str:
    """A calendar as a cron string (seconds first when not just 0), or its comment."""
    if calendar.comment:
        return calendar.comment
    cron = " ".join(_field_text(getattr(calendar, name), full) for name, full in _FULL.items())
    seconds = _field_text(calendar.second, (0, 59))
    return cron if seconds == "0" else f"{seconds} {cron}"


def _field_text(ranges: Sequence[wire.ScheduleRange], full: tuple[int, int]) -> str:
    parts = []
    for r in ranges:
        end = max(r.end, r.start)
        text = "*" if (r.start, end) == full else str(r.start) if end == r.start else f"{r.start}-{end}"
        parts.append(text + (f"/{r.step}" if r.step > 1 else ""))
    return ",".join(parts)


def _interval_text(every: float, offset: float) -> str:
    return values.seconds_text(every) + (f"/{values.seconds_text(offset)}" if offset else "")


async def list_schedules(ctx: Context) -> int:
    """Print the namespace's schedules."""
    entries = [s async for s in await ctx.client.list_schedules(ctx.args.query)]
    rows = []
    for e in entries:
        info = e.raw_entry.info
        upcoming = info.future_action_times[0] if info.future_action_times else None
        rows.append([e.id, info.workflow_type, "yes" if info.paused else "no", values.time_text(upcoming)])
    data = [values.jsonable(e.raw_entry) for e in entries]
    ctx.out.emit(data, table(rows, ["SCHEDULE ID", "WORKFLOW TYPE", "PAUSED", "NEXT ACTION"]))
    return errors.OK


async def update(ctx: Context) -> int:
    """Replace what the flags give, keep the rest."""
    a = ctx.args
    new_args = values.inputs(a.input, a.input_file) if a.input or a.input_file else None

    def change(input: ScheduleUpdateInput) -> ScheduleUpdate:
        schedule = input.description.schedule
        _change_action(schedule.action, a, new_args)
        if a.cron or a.interval:
            schedule.spec = _spec(a)
        if a.overlap_policy:
            schedule.policy.overlap = ScheduleOverlapPolicy[a.overlap_policy]
        if a.notes is not None:
            schedule.state.note = a.notes
        return ScheduleUpdate(schedule=schedule)

    await ctx.client.get_schedule_handle(a.schedule_id).update(change)
    return _done(ctx, "update", f"Schedule {a.schedule_id!r} updated.")


def _change_action(action: Any, a: argparse.Namespace, new_args: list[Any] | None) -> None:
    # The described action holds the stored payloads; only what a flag gives is replaced.
    for flag, attribute in (("type", "workflow"), ("workflow_id", "id"), ("task_queue", "task_queue")):
        if getattr(a, flag):
            setattr(action, attribute, getattr(a, flag))
    if new_args is not None:
        action.args = new_args


async def pause(ctx: Context) -> int:
    """Pause the schedule."""
    await ctx.client.get_schedule_handle(ctx.args.schedule_id).pause(note=ctx.args.reason)
    return _done(ctx, "pause", f"Schedule {ctx.args.schedule_id!r} paused.")


async def unpause(ctx: Context) -> int:
    """Unpause the schedule."""
    await ctx.client.get_schedule_handle(ctx.args.schedule_id).unpause(note=ctx.args.reason)
    return _done(ctx, "unpause", f"Schedule {ctx.args.schedule_id!r} unpaused.")


def _overlap(ctx: Context) -> ScheduleOverlapPolicy | None:
    return ScheduleOverlapPolicy[ctx.args.overlap_policy] if ctx.args.overlap_policy else None


async def trigger(ctx: Context) -> int:
    """Take the schedule's action now."""
    await ctx.client.get_schedule_handle(ctx.args.schedule_id).trigger(overlap=_overlap(ctx))
    return _done(ctx, "trigger", f"Schedule {ctx.args.schedule_id!r} triggered.")


async def backfill(ctx: Context) -> int:
    """Take the actions of a past period now."""
    start, end = values.timestamp(ctx.args.start_time), values.timestamp(ctx.args.end_time)
    period = ScheduleBackfill(start_at=start, end_at=end, overlap=_overlap(ctx))
    await ctx.client.get_schedule_handle(ctx.args.schedule_id).backfill(period)
    period_text = f"{values.time_text(start)} to {values.time_text(end)}"
    return _done(ctx, "backfill", f"Schedule {ctx.args.schedule_id!r} backfilled from {period_text}.")


async def delete(ctx: Context) -> int:
    """Delete the schedule."""
    await ctx.client.get_schedule_handle(ctx.args.schedule_id).delete()
    return _done(ctx, "delete", f"Schedule {ctx.args.schedule_id!r} deleted.")
