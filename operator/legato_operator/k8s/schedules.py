"""The `Schedule` reconciler: one engine schedule per resource, as Argo's CronWorkflow is to
its Workflow.

The schedule's id is the resource's name, in the Legato namespace of the resource's
namespace. Creating the resource creates the schedule; a spec change (``spec.paused`` and
``spec.note`` included) replaces it with ``update_schedule``, but only when the stored
schedule differs from the spec, so a resume or an unrelated change updates nothing;
deleting the resource deletes the schedule (the workflows it started go on). A kopf timer
refreshes the status every ``STATUS_INTERVAL`` seconds and writes it only when it changed.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import datetime
from typing import Any

import kopf
import pydantic

from legato.api.schedule import v1 as wire
from legato.api.workflowservice.v1 import DescribeWorkflowRequest
from legato_operator import errors, payloads
from legato_operator.engine.rules import schedules as schedule_rules
from legato_operator.engine.services import namespaces
from legato_operator.engine.services import schedules as engine
from legato_operator.engine.services import workflows as workflow_service
from legato_operator.k8s import context, kube, models, status, workflows
from legato_operator.store import rows

log = logging.getLogger(__name__)

SCHEDULES = (kube.GROUP, kube.VERSION, "schedules")
PLURAL = "schedules"
API_VERSION = f"{kube.GROUP}/{kube.VERSION}"
IDENTITY = "legato-operator"
READY = "Ready"
# How often a Schedule's status (next and recent actions) is refreshed, at most.
STATUS_INTERVAL = 10.0
RETRY_DELAY = 5.0
# The wire's lower bound on a catch-up window, in seconds.
MIN_CATCHUP_SECONDS = 10.0
_CALENDAR_FIELDS = ("second", "minute", "hour", "day_of_month", "month", "year", "day_of_week")


class SpecRefused(Exception):
    """The spec cannot make a schedule; ``message`` names the field."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


# --- create / update / resume -------------------------------------------------------------


@kopf.on.resume(*SCHEDULES, registry=context.registry)
@kopf.on.create(*SCHEDULES, registry=context.registry)
@kopf.on.update(*SCHEDULES, registry=context.registry)
@context.reconciler("Schedule")
async def reconcile_schedule(
    spec: kopf.Spec,
    meta: kopf.Meta,
    status: kopf.Status,
    name: str,
    namespace: str | None,
    uid: str,
    memo: Any,
    **_: Any,
) -> None:
    """Create the schedule, or update it to match the spec; say why when the spec is refused."""
    ctx = context.of(memo)
    key = rows.ResourceKey(namespace or "default", name, uid)
    generation = int(meta.get("generation") or 0)
    try:
        parsed = models.ScheduleResourceSpec.model_validate(dict(spec))
        desired = schedule_of(name, parsed)
        # Each Kubernetes namespace with Legato resources is a Legato namespace.
        await namespaces.ensure(ctx.runtime, key.namespace)
        change = await _apply(ctx, key, desired)
    # The spec can never make a schedule: say why on the resource, and wait for a new spec.
    except (pydantic.ValidationError, SpecRefused, errors.InvalidArgument) as e:
        message = _refusal_message(e)
        await _record_refusal(ctx, key, message, generation, status)
        raise kopf.PermanentError(message) from e
    # The database, the API server or a concurrent change: try again shortly.
    except Exception as e:
        raise kopf.TemporaryError(f"{type(e).__name__}: {e}", delay=RETRY_DELAY) from e
    if change:
        log.info("Schedule %s/%s: %s", key.namespace, key.name, change)
        await ctx.kube.post_event(involved(key), reason=change.split(" ", 1)[0], message=change)
    await write_status(ctx, key, parsed, generation, status)


async def _apply(ctx: context.OperatorContext, key: rows.ResourceKey, desired: wire.Schedule) -> str:
    """Create or update the schedule; what was done ('' when it already matched)."""
    rt, schedule_id = ctx.runtime, key.name
    try:
        current = await engine.describe_schedule(rt, key.namespace, wire.DescribeScheduleRequest(schedule_id=key.name))
    # None yet: create it (a retried create with this resource's request id is a no-op).
    except errors.NotFound:
        request = wire.CreateScheduleRequest(
            schedule_id=schedule_id, schedule=desired, identity=IDENTITY, request_id=f"schedule-resource/{key.uid}"
        )
        await engine.create_schedule(rt, key.namespace, request)
        return f"Created schedule {schedule_id}"
    if _matches(current.schedule, desired):
        return ""
    update = wire.UpdateScheduleRequest(schedule_id=schedule_id, schedule=desired, identity=IDENTITY)
    await engine.update_schedule(rt, key.namespace, update)
    # A pause or unpause alone gets its own reason, so `kubectl get events` reads as the patch.
    if _matches(current.schedule.model_copy(update={"state": desired.state}), desired):
        return f"Paused schedule {schedule_id}" if desired.state.paused else f"Unpaused schedule {schedule_id}"
    return f"Updated schedule {schedule_id}"


def _matches(stored: wire.Schedule, desired: wire.Schedule) -> bool:
    # Describe shows the spec canonical (cron strings as calendars): compare like with like.
    return stored == desired.model_copy(update={"spec": schedule_rules.canonical(desired.spec)})


def _refusal_message(error: Exception) -> str:
    if isinstance(error, errors.InvalidArgument):
        return str(error)
    if isinstance(error, SpecRefused):
        return error.message
    return workflows.validation_message(error)


async def _record_refusal(
    ctx: context.OperatorContext, key: rows.ResourceKey, message: str, generation: int, current: Mapping[str, Any]
) -> None:
    """Ready=False InvalidSpec and a Warning event; a schedule made earlier keeps its last spec."""
    previous = _conditions(current)
    ready = models.Condition(type=READY, status="False", reason="InvalidSpec", message=status.one_line(message))
    merged = _merge(previous, ready, ctx.runtime.clock.now())
    new = {
        **dict(current),
        "conditions": [c.model_dump(mode="json", by_alias=True, exclude_none=True) for c in merged],
        "observedGeneration": generation,
    }
    await ctx.kube.patch_custom_status(PLURAL, key.namespace, key.name, new, uid=key.uid)
    await ctx.kube.post_event(involved(key), reason="InvalidSpec", message=message, warning=True)


# --- the spec as the engine's schedule -----------------------------------------------------


def schedule_of(name: str, spec: models.ScheduleResourceSpec) -> wire.Schedule:
    """The engine's schedule for the resource; SpecRefused (naming the field) when there is none."""
    wf = spec.workflow
    try:
        action = wire.ScheduleActionStartWorkflow(
            workflow_type=wf.workflow_type,
            workflow_id=wf.workflow_id or name,
            task_queue=wf.task_queue,
            # People write JSON; each run gets json/plain payloads, as an SDK client sends.
            args=payloads.from_json(wf.args, "spec.workflow.args"),
            execution_timeout=_seconds(wf.execution_timeout),
            run_timeout=_seconds(wf.run_timeout),
            task_timeout=_seconds(wf.task_timeout),
            retry_policy=workflows.retry_policy(wf.retry_policy),
        )
    except errors.InvalidArgument as e:
        raise SpecRefused(str(e)) from e
    return wire.Schedule(
        spec=_times(spec.schedule),
        action=action,
        policies=_policies(spec.policy),
        state=wire.ScheduleState(paused=spec.paused, notes=spec.note),
    )


def _times(spec: models.ScheduleTimesSpec) -> wire.ScheduleSpec:
    return wire.ScheduleSpec(
        calendars=[_calendar(c) for c in spec.calendars],
        intervals=[
            wire.ScheduleInterval(every=_seconds(i.every) or 0.0, offset=_seconds(i.offset) or 0.0)
            for i in spec.intervals
        ],
        cron_expressions=list(spec.cron_expressions),
        skip=[_calendar(c) for c in spec.skip],
        start_at=_time(spec.start_at, "spec.schedule.startAt"),
        end_at=_time(spec.end_at, "spec.schedule.endAt"),
        jitter=_seconds(spec.jitter) or 0.0,
        time_zone_name=spec.time_zone,
    )


def _calendar(calendar: models.CalendarSpec) -> wire.ScheduleCalendar:
    # Fields left out keep the wire's defaults (Temporal's).
    given: dict[str, Any] = {}
    for field in _CALENDAR_FIELDS:
        ranges = getattr(calendar, field)
        if ranges is not None:
            given[field] = [wire.ScheduleRange(start=r.start, end=r.end, step=r.step) for r in ranges]
    return wire.ScheduleCalendar(**given, comment=calendar.comment)


def _policies(policy: models.SchedulePolicySpec) -> wire.SchedulePolicies:
    catchup = _seconds(policy.catchup_window)
    if catchup is not None and catchup < MIN_CATCHUP_SECONDS:
        raise SpecRefused(f"spec.policy.catchupWindow: {policy.catchup_window} is under the minimum of 10s")
    return wire.SchedulePolicies(
        overlap_policy=wire.ScheduleOverlapPolicy[policy.overlap.name],
        catchup_window=catchup,
        pause_on_failure=policy.pause_on_failure,
    )


def _time(text: str | None, where: str) -> datetime | None:
    if text is None:
        return None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise SpecRefused(f"{where}: {text!r} is not an RFC 3339 time") from None
    if moment.tzinfo is None:
        raise SpecRefused(f"{where}: {text!r} has no time zone offset (add Z or +01:00)")
    return moment


def _seconds(duration: str | None) -> float | None:
    return models.parse_duration(duration).total_seconds() if duration else None


def summary(spec: models.ScheduleTimesSpec) -> str:
    """The schedule in a few words for `kubectl get`: its first cron string, interval or calendar."""
    parts = [
        *spec.cron_expressions,
        *(f"every {i.every}" + (f" offset {i.offset}" if i.offset else "") for i in spec.intervals),
        *(f"calendar {c.comment}".strip() for c in spec.calendars),
    ]
    if not parts:
        return "no times"
    more = f" (+{len(parts) - 1} more)" if len(parts) > 1 else ""
    zone = f" {spec.time_zone}" if spec.time_zone else ""
    return status.one_line(parts[0] + zone + more)


# --- delete -------------------------------------------------------------------------------


@kopf.on.delete(*SCHEDULES, registry=context.registry)
@context.reconciler("Schedule")
async def delete_schedule(name: str, namespace: str | None, uid: str, memo: Any, **_: Any) -> None:
    """Delete the schedule; kopf removes the finalizer when this returns."""
    ctx = context.of(memo)
    key = rows.ResourceKey(namespace or "default", name, uid)
    try:
        await engine.delete_schedule(ctx.runtime, key.namespace, wire.DeleteScheduleRequest(schedule_id=name))
    # Never created (its spec was refused) or already deleted: nothing to do.
    except errors.NotFound:
        return
    # The database: try again shortly.
    except Exception as e:
        raise kopf.TemporaryError(f"{type(e).__name__}: {e}", delay=RETRY_DELAY) from e
    log.info("Schedule %s/%s: deleted schedule %s", key.namespace, key.name, name)


# --- status -------------------------------------------------------------------------------


@kopf.timer(*SCHEDULES, interval=STATUS_INTERVAL, registry=context.registry)
async def refresh_status(
    spec: kopf.Spec,
    meta: kopf.Meta,
    status: kopf.Status,
    name: str,
    namespace: str | None,
    uid: str,
    memo: Any,
    **_: Any,
) -> None:
    """Write what the schedule did and will do, when that changed since the last write."""
    ctx = context.of(memo)
    key = rows.ResourceKey(namespace or "default", name, uid)
    try:
        parsed = models.ScheduleResourceSpec.model_validate(dict(spec))
    # Refused: its status already says why.
    except pydantic.ValidationError:
        return
    try:
        await write_status(ctx, key, parsed, int(meta.get("generation") or 0), status)
    # The database or the API server: the next tick tries again.
    except Exception:
        log.exception("Refreshing the status of Schedule %s/%s failed", key.namespace, key.name)


async def write_status(
    ctx: context.OperatorContext,
    key: rows.ResourceKey,
    spec: models.ScheduleResourceSpec,
    generation: int,
    current: Mapping[str, Any],
) -> bool:
    """Describe the schedule and write its status if it changed; whether it was written."""
    try:
        described = await engine.describe_schedule(
            ctx.runtime, key.namespace, wire.DescribeScheduleRequest(schedule_id=key.name)
        )
    # Never created (a refused spec): the refusal is the status.
    except errors.NotFound:
        return False
    previous = _conditions(current)
    old_ready = next((c for c in previous if c.type == READY), None)
    # A refused update of this generation keeps saying so; the schedule keeps its last spec.
    refused = old_ready is not None and old_ready.reason == "InvalidSpec" and _observed(current) == generation
    new = status_of(described, key.name, spec, generation, previous, ctx.runtime.clock.now(), keep_ready=refused)
    new = new.model_copy(update=await _last_result(ctx, key, described))
    body = new.model_dump(mode="json", by_alias=True, exclude_none=True)
    if body == dict(current):
        return False
    return await ctx.kube.patch_custom_status(PLURAL, key.namespace, key.name, body, uid=key.uid)


async def _last_result(
    ctx: context.OperatorContext, key: rows.ResourceKey, described: wire.DescribeScheduleResponse
) -> dict[str, Any]:
    """The result of the last action whose workflow completed (read from its run)."""
    done = [a for a in described.info.recent_actions if a.start_workflow_status == "COMPLETED"]
    if not done:
        return {}
    run = done[-1].start_workflow_result
    request = DescribeWorkflowRequest(workflow_id=run.workflow_id, run_id=run.run_id or None)
    try:
        result = (await workflow_service.describe_workflow(ctx.runtime, key.namespace, request)).result
    # Deleted by retention since: nothing to show.
    except errors.NotFound:
        return {}
    text, truncated = status.result_text(result)
    return {"last_result": text, "last_result_truncated": truncated}


def status_of(
    described: wire.DescribeScheduleResponse,
    schedule_id: str,
    spec: models.ScheduleResourceSpec,
    generation: int,
    previous: list[models.Condition],
    now: datetime,
    *,
    keep_ready: bool = False,
) -> models.ScheduleStatus:
    """The resource's status from the engine's describe (pure)."""
    info, state = described.info, described.schedule.state
    upcoming = [status.timestamp(t) for t in info.future_action_times[: models.MAX_NEXT_ACTION_TIMES]]
    recent = [_action(a) for a in info.recent_actions[-models.MAX_RECENT_ACTIONS :]]
    conditions = previous if keep_ready else _merge(previous, _ready(state, upcoming), now)
    return models.ScheduleStatus(
        schedule_id=schedule_id,
        summary=summary(spec.schedule),
        next_action_time=upcoming[0] if upcoming else None,
        next_action_times=upcoming,
        last_action_time=recent[-1].actual_time if recent else None,
        recent_actions=recent,
        running_workflows=[
            models.ScheduleRun(workflow_id=w.workflow_id, run_id=w.run_id or "") for w in info.running_workflows
        ][:100],
        action_count=info.action_count,
        paused=state.paused,
        conditions=conditions,
        observed_generation=generation,
    )


def _ready(state: wire.ScheduleState, upcoming: list[str]) -> models.Condition:
    if state.paused:
        note = f": {state.notes}" if state.notes else ""
        return models.Condition(type=READY, status="True", reason="Paused", message=f"Paused{note}")
    if not upcoming:
        return models.Condition(type=READY, status="True", reason="NoNextAction", message="No action time is left")
    return models.Condition(type=READY, status="True", reason="Scheduled", message=f"Next action at {upcoming[0]}")


def _action(action: wire.ScheduleActionResult) -> models.ScheduleActionStatus:
    run = action.start_workflow_result
    return models.ScheduleActionStatus(
        schedule_time=status.timestamp(action.schedule_time),
        actual_time=status.timestamp(action.actual_time),
        workflow_id=run.workflow_id,
        run_id=run.run_id or "",
        # RUNNING, TIMED_OUT: as a Workflow's phase spells them (Running, TimedOut).
        status="".join(part.capitalize() for part in action.start_workflow_status.split("_")),
    )


def _merge(previous: list[models.Condition], ready: models.Condition, now: datetime) -> list[models.Condition]:
    others = [c for c in previous if c.type != READY]
    return [*others, *status.merge_conditions(previous, [ready], now)]


def _conditions(current: Mapping[str, Any]) -> list[models.Condition]:
    found = []
    for raw in current.get("conditions") or []:
        try:
            found.append(models.Condition.model_validate(raw))
        # Someone else's malformed condition: not ours to keep.
        except pydantic.ValidationError:
            continue
    return found


def _observed(current: Mapping[str, Any]) -> int | None:
    value = current.get("observedGeneration")
    return int(value) if isinstance(value, int) else None


def involved(key: rows.ResourceKey) -> dict[str, Any]:
    """The resource as an Event's involvedObject."""
    return {"apiVersion": API_VERSION, "kind": "Schedule", "name": key.name, "namespace": key.namespace, "uid": key.uid}
