"""The `Workflow` reconciler: start the run, deliver signals, refuse identity changes,
follow ``spec.onDelete`` on deletion, and write the run's status back.

Handlers run on the replica holding the Lease. Everything they decide is kept in
Postgres beside the run (``engine.resources``), so a restarted or newly elected operator
starts nothing twice and delivers no signal twice:

* the run starts in one transaction with the row linking it to the resource's uid, and
  with a request id derived from that uid;
* each signal goes out with a request id derived from (uid, signal id), which the engine
  deduplicates, and is then recorded as delivered;
* the status writer (a leader loop) writes a status only when the run or the link moved
  on, and records what it wrote only after the write succeeded, so a close is never lost.
  Its full passes also recheck, a batch at a time, the runs whose workflow task has waited
  for a worker past ``stuck_after``: nobody polling a queue changes no run, yet makes it
  stuck. Pollers of all the queues involved are read in one query, and a recheck writes
  only when what the queue says differs from what the status shows.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import kopf
import pydantic
from pydantic.alias_generators import to_camel

from legato.api.common.v1 import RetryPolicy, WorkflowExecutionStatus
from legato.api.workflowservice import v1 as api
from legato_operator import errors, limits, payloads
from legato_operator.engine.rules import keys
from legato_operator.engine.services import namespaces, resources, runner, workflows
from legato_operator.engine.services import task_queues as queue_load
from legato_operator.k8s import context, kube, models, status, task_queues
from legato_operator.store import db, resource_links, rows

log = logging.getLogger(__name__)

WORKFLOWS = (kube.GROUP, kube.VERSION, "workflows")
PLURAL = "workflows"
API_VERSION = f"{kube.GROUP}/{kube.VERSION}"
# Recorded as the identity of what the operator does to a run.
IDENTITY = "legato-operator"
# Woken in-process when the reconciler changed a link, so its status is written at once.
STATUS_KEY = "workflow-resources"
# A retry after what may heal (the database was unreachable, a conflict).
RETRY_DELAY = 5.0
# Closes coming in a burst are written together: the writer waits this long after a pass.
MIN_PASS_GAP = 0.1
# How many status writes are in flight at once.
WRITE_CONCURRENCY = 8
# The largest spec (as JSON) that starts a run: etcd refuses objects past 1.5 MiB, and a
# resource needs room beside its spec for its status and for kopf's and kubectl's annotations.
MAX_SPEC_BYTES = 1024 * 1024
_REUSE_POLICIES = {
    models.IdReusePolicy.ALLOW_DUPLICATE: api.IdReusePolicy.ALLOW_DUPLICATE,
    models.IdReusePolicy.ALLOW_DUPLICATE_FAILED_ONLY: api.IdReusePolicy.ALLOW_DUPLICATE_FAILED_ONLY,
    models.IdReusePolicy.REJECT_DUPLICATE: api.IdReusePolicy.REJECT_DUPLICATE,
}


class StartRefused(Exception):
    """The spec cannot start a run as it is; ``reason`` is the condition's reason."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason
        self.message = message


# --- create / update / resume -------------------------------------------------------------


@kopf.on.resume(*WORKFLOWS, registry=context.registry)
@kopf.on.create(*WORKFLOWS, registry=context.registry)
@kopf.on.update(*WORKFLOWS, registry=context.registry)
@context.reconciler("Workflow")
async def reconcile_workflow(
    spec: kopf.Spec, meta: kopf.Meta, name: str, namespace: str | None, uid: str, memo: Any, **_: Any
) -> None:
    """Start the run once, refuse identity changes, deliver new signals."""
    ctx = context.of(memo)
    key = rows.ResourceKey(namespace or "default", name, uid)
    generation = int(meta.get("generation") or 0)
    try:
        parsed = models.WorkflowSpec.model_validate(dict(spec))
        link = await _ensure_started(ctx, key, parsed, generation, spec_size=spec_bytes(spec))
        await resources.set_ttl(ctx.runtime, key, _ttl_seconds(ctx, parsed))
        await _check_identity(ctx, link, parsed, generation)
        await _deliver_signals(ctx, link, parsed.signals)
    # The spec can never start a run: say why on the resource, and wait for a new spec.
    except (pydantic.ValidationError, StartRefused) as e:
        refusal = e if isinstance(e, StartRefused) else StartRefused("InvalidSpec", validation_message(e))
        await _record_refusal(ctx, key, refusal, generation)
        raise kopf.PermanentError(refusal.message) from e
    # The database, the API server or a concurrent change: try again shortly.
    except Exception as e:
        raise kopf.TemporaryError(f"{type(e).__name__}: {e}", delay=RETRY_DELAY) from e
    ctx.runtime.hub.wake(STATUS_KEY)


async def _ensure_started(
    ctx: context.OperatorContext, key: rows.ResourceKey, spec: models.WorkflowSpec, generation: int, *, spec_size: int
) -> rows.WorkflowResource:
    """The resource's link, starting its run first if there is none yet."""
    link = await ctx.runtime.query(resource_links.load, key)
    if link is not None:
        return link
    if spec_size > MAX_SPEC_BYTES:
        message = f"spec is {spec_size} bytes of JSON, over the limit of {MAX_SPEC_BYTES} bytes for a Workflow"
        raise StartRefused("InvalidSpec", f"{message}: pass large inputs by reference")
    request = start_request(key, spec, ctx.runtime.limits)
    # Each Kubernetes namespace with Legato resources is a Legato namespace.
    await namespaces.ensure(ctx.runtime, key.namespace)
    try:
        link, started = await resources.start(
            ctx.runtime, key, request, identity=status.identity(spec, key.name), generation=generation
        )
    except errors.AlreadyStarted as e:
        raise StartRefused("AlreadyStarted", e.message) from e
    except (errors.InvalidArgument, errors.PayloadTooLarge) as e:
        raise StartRefused("InvalidSpec", e.message) from e
    if started:
        message = f"Started run {link.run_id} of {spec.workflow_type} on task queue {spec.task_queue}"
        log.info("Workflow %s/%s: %s", key.namespace, key.name, message)
        await ctx.kube.post_event(involved(key), reason="Started", message=message)
    return link


def start_request(
    key: rows.ResourceKey, spec: models.WorkflowSpec, payload_limits: limits.Limits
) -> api.StartWorkflowRequest:
    """The engine's start request for the resource; StartRefused when the spec cannot make one."""
    try:
        request = api.StartWorkflowRequest(
            workflow_id=spec.workflow_id or key.name,
            workflow_type=spec.workflow_type,
            task_queue=spec.task_queue,
            # People write JSON; the run gets json/plain payloads, as an SDK client sends.
            args=payloads.from_json(spec.args, "spec.args"),
            id_reuse_policy=_REUSE_POLICIES[spec.id_reuse_policy],
            execution_timeout=_seconds(spec.execution_timeout),
            retry_policy=retry_policy(spec.retry_policy),
            # A retried start (a crash between the start and its link) returns the same run.
            request_id=f"workflow-resource/{key.uid}",
            identity=IDENTITY,
        )
        payload_limits.check_payloads(request)
    except (ValueError, errors.PayloadTooLarge, errors.InvalidArgument) as e:
        message = validation_message(e) if isinstance(e, ValueError) else e.message
        raise StartRefused("InvalidSpec", message) from e
    return request


def spec_bytes(spec: Mapping[str, Any]) -> int:
    """The size of a resource's spec as compact JSON, as the start limit counts it."""
    return len(json.dumps(dict(spec), separators=(",", ":"), ensure_ascii=False).encode())


def _ttl_seconds(ctx: context.OperatorContext, spec: models.WorkflowSpec) -> float | None:
    # The spec's own ttlAfterFinished wins over the operator's default.
    return _seconds(spec.ttl_after_finished) if spec.ttl_after_finished else ctx.ttl_after_finished


def _seconds(duration: str | None) -> float | None:
    return models.parse_duration(duration).total_seconds() if duration else None


def retry_policy(spec: models.RetryPolicySpec | None) -> RetryPolicy | None:
    """The wire retry policy of a resource's ``retryPolicy`` (also a Schedule's)."""
    if spec is None:
        return None
    # Fields left out take Temporal's defaults (the wire model's).
    given: dict[str, Any] = {
        "initial_interval": _seconds(spec.initial_interval),
        "backoff_coefficient": spec.backoff_coefficient,
        "maximum_interval": _seconds(spec.maximum_interval),
        "maximum_attempts": spec.maximum_attempts,
        "non_retryable_error_types": spec.non_retryable_error_types,
    }
    return RetryPolicy(**{k: v for k, v in given.items() if v is not None})


def validation_message(error: Exception) -> str:
    """A refused spec's first error, naming its field as the resource spells it."""
    if isinstance(error, pydantic.ValidationError):
        first = error.errors()[0]
        # Named as in the spec (the request's fields are the spec's, in snake_case).
        where = ".".join(to_camel(p) if isinstance(p, str) else str(p) for p in first["loc"])
        return f"spec.{where}: {first['msg']}" if where else str(first["msg"])
    return str(error)


async def _record_refusal(
    ctx: context.OperatorContext, key: rows.ResourceKey, refusal: StartRefused, generation: int
) -> None:
    """Write a never-started resource's status and a Warning event (a started one keeps its run)."""
    if await ctx.runtime.query(resource_links.load, key) is not None:
        await ctx.kube.post_event(involved(key), reason=refusal.reason, message=refusal.message, warning=True)
        return
    now = ctx.runtime.clock.now()
    new = status.not_started(
        reason=refusal.reason, message=refusal.message, generation=generation, previous=[], now=now
    )
    await ctx.kube.patch_custom_status(PLURAL, key.namespace, key.name, dump(new), uid=key.uid)
    await ctx.kube.post_event(involved(key), reason=refusal.reason, message=refusal.message, warning=True)


async def _check_identity(
    ctx: context.OperatorContext, link: rows.WorkflowResource, spec: models.WorkflowSpec, generation: int
) -> None:
    """Record whether the spec now differs from the one the run started with, and say so once."""
    refused = status.changed_fields(link.identity, status.identity(spec, link.key.name))
    if refused == link.refused_fields and generation == link.generation:
        return
    await ctx.runtime.query(resource_links.observe, link.key, generation, refused)
    if refused and refused != link.refused_fields:
        message = status.refusal_message(refused)
        await ctx.kube.post_event(involved(link.key), reason="SpecChangeRefused", message=message, warning=True)
    elif link.refused_fields and not refused:
        message = "The spec matches the started run again"
        await ctx.kube.post_event(involved(link.key), reason="SpecChangeReverted", message=message)


async def _deliver_signals(
    ctx: context.OperatorContext, link: rows.WorkflowResource, signals: list[models.SignalSpec]
) -> None:
    """Deliver, in order, each signal not yet handled; a failure stops here to keep the order."""
    handled = {*link.delivered_signals, *link.undelivered_signals}
    for signal in signals:
        if signal.id in handled:
            continue
        refusal = await _send_signal(ctx.runtime, link, signal)
        if refusal is None:
            message = f"Delivered signal {signal.name!r} (id {signal.id})"
            await ctx.kube.post_event(involved(link.key), reason="SignalDelivered", message=message)
        else:
            message = f"Signal {signal.name!r} (id {signal.id}) not delivered: {refusal}"
            await ctx.kube.post_event(involved(link.key), reason="SignalNotDelivered", message=message, warning=True)


async def _send_signal(rt: runner.Runtime, link: rows.WorkflowResource, signal: models.SignalSpec) -> str | None:
    """Signal the resource's run; None when delivered, else why it cannot ever be."""
    # Deterministic: a redelivery after a crash is deduplicated by the engine.
    digest = hashlib.sha256(signal.id.encode()).hexdigest()[:32]
    try:
        request = api.SignalWorkflowRequest(
            workflow_id=link.workflow_id,
            signal_name=signal.name,
            args=payloads.from_json(signal.args, f"spec.signals[{signal.id}].args"),
            run_id=link.run_id,
            request_id=f"workflow-resource/{link.key.uid}/signal/{digest}",
            identity=IDENTITY,
        )
        rt.limits.check_payloads(request)
    # Too large for this server, or not JSON: it will never be delivered, whatever the run does.
    except (errors.PayloadTooLarge, errors.InvalidArgument) as e:
        await resources.refuse_signal(rt, link.key, signal.id, e.message)
        return e.message
    return await resources.signal(rt, link.key, signal.id, request)


# --- delete -------------------------------------------------------------------------------


def may_have_run(spec: kopf.Spec, status: kopf.Status, **_: Any) -> bool:
    """Whether deleting the resource may have a run to stop, so kopf holds it with its finalizer.

    A spec over the start limit never starts a run, and near etcd's limit a resource held by
    a finalizer cannot even be marked deleted (that adds to it): such a resource goes without.
    """
    return bool(status.get("runId")) or spec_bytes(spec) <= MAX_SPEC_BYTES


@kopf.on.delete(*WORKFLOWS, registry=context.registry, when=may_have_run)
@context.reconciler("Workflow")
async def delete_workflow(spec: kopf.Spec, name: str, namespace: str | None, uid: str, memo: Any, **_: Any) -> None:
    """Follow ``spec.onDelete``; kopf removes the finalizer when this returns."""
    ctx = context.of(memo)
    key = rows.ResourceKey(namespace or "default", name, uid)
    try:
        link = await ctx.runtime.query(resource_links.load, key)
        # Never started (its spec was refused): nothing to stop.
        if link is None:
            return
        policy = _on_delete(spec)
        outcome = await _stop_run(ctx, link, policy)
        await ctx.runtime.query(resource_links.delete, key)
    # The database or a concurrent change: try again shortly.
    except Exception as e:
        raise kopf.TemporaryError(f"{type(e).__name__}: {e}", delay=RETRY_DELAY) from e
    if outcome:
        await ctx.kube.post_event(involved(key), reason=f"OnDelete{policy.value}", message=outcome)


def _on_delete(spec: kopf.Spec) -> models.OnDelete:
    try:
        return models.OnDelete(spec.get("onDelete", models.OnDelete.CANCEL.value))
    # The CRD allows only the enum; the safe default if it somehow is not one.
    except ValueError:
        return models.OnDelete.CANCEL


async def _stop_run(ctx: context.OperatorContext, link: rows.WorkflowResource, policy: models.OnDelete) -> str:
    """Do ``policy`` to the run; returns what was done ('' when the run had already closed)."""
    rt, namespace = ctx.runtime, link.key.namespace
    if policy is models.OnDelete.ABANDON:
        return f"Run {link.run_id} left running (onDelete: Abandon)"
    try:
        if policy is models.OnDelete.CANCEL:
            request = api.CancelWorkflowRequest(
                workflow_id=link.workflow_id, run_id=link.run_id, reason="Workflow resource deleted", identity=IDENTITY
            )
            await workflows.cancel_workflow(rt, namespace, request)
            outcome = await workflows.wait_for_close(rt, namespace, link.workflow_id, link.run_id, ctx.cancel_grace)
            if outcome is not None:
                return f"Run {link.run_id} closed ({outcome.status.value}) after a cancel request"
        reason = "Workflow resource deleted" + (
            f"; not closed {ctx.cancel_grace:g}s after a cancel request" if policy is models.OnDelete.CANCEL else ""
        )
        terminate = api.TerminateWorkflowRequest(
            workflow_id=link.workflow_id, run_id=link.run_id, reason=reason, identity=IDENTITY
        )
        await workflows.terminate_workflow(rt, namespace, terminate)
        return f"Run {link.run_id} terminated: {reason}"
    # Already closed: nothing to stop.
    except errors.NotFound:
        return ""


# --- status -------------------------------------------------------------------------------


@dataclass
class Rechecks:
    """Where the status writer's round of rechecks (runs waiting for a worker) goes on from."""

    after_run_id: str | None = None


@context.leader_loop
async def write_statuses(ctx: context.OperatorContext) -> None:
    """Write runs' status to their resources: closes at once, other changes coalesced."""
    loop = asyncio.get_running_loop()
    next_full = 0.0
    hub = ctx.runtime.hub
    rechecks = Rechecks()
    while True:
        with hub.watching(keys.ANY_CLOSED) as closed, hub.watching(STATUS_KEY) as changed:
            full = loop.time() >= next_full
            try:
                await sync_statuses(ctx, include_running=full, rechecks=rechecks if full else None)
            except Exception as e:
                _failed(ctx, e, "Writing Workflow statuses failed; retrying")
            if full:
                next_full = loop.time() + ctx.status_interval
            await asyncio.sleep(MIN_PASS_GAP)
            await asyncio.wait({closed, changed}, timeout=max(0.0, next_full - loop.time()))


async def sync_statuses(
    ctx: context.OperatorContext, *, include_running: bool, rechecks: Rechecks | None = None
) -> int:
    """One pass: write the status of every link that is behind and, with ``rechecks``, of the
    next batch of waiting runs whose queue says something new; returns how many were written."""
    behind = await resources.unsynced(ctx.runtime, include_running=include_running)
    again = await _rechecks(ctx, rechecks, behind) if rechecks is not None else []
    queues = await _queues(ctx, [*behind, *again])
    limit = asyncio.Semaphore(WRITE_CONCURRENCY)

    async def one(item: rows.UnsyncedResource, *, recheck: bool) -> bool:
        async with limit:
            try:
                return await _sync_one(ctx, item, _waiting(item, queues), recheck=recheck)
            # One resource's failure must not hold up the others; it is retried next pass.
            except Exception as e:
                _failed(ctx, e, "Writing the status of Workflow %s/%s failed", *_where(item.resource.key))
                return False

    written = await asyncio.gather(
        *(one(item, recheck=False) for item in behind), *(one(item, recheck=True) for item in again)
    )
    return sum(written)


def _failed(ctx: context.OperatorContext, error: Exception, message: str, *args: object) -> None:
    """Report a failed write from inside its ``except``: the database being down is an
    outage, logged once for all; anything else is logged here with its traceback."""
    if db.is_unavailable(error):
        ctx.runtime.outage.failed(error, "the Workflow status writer")
    else:
        log.exception(message, *args)


async def _rechecks(
    ctx: context.OperatorContext, rechecks: Rechecks, behind: Sequence[rows.UnsyncedResource]
) -> list[rows.UnsyncedResource]:
    """The next batch of runs whose workflow task has waited past ``stuck_after`` (those
    already behind aside); the round goes on from there next time, or starts over."""
    found = await resources.waiting(
        ctx.runtime, longer_than=timedelta(seconds=ctx.stuck_after), after_run_id=rechecks.after_run_id
    )
    rechecks.after_run_id = found[-1].resource.run_id if len(found) >= resources.RECHECK_BATCH else None
    taken = {item.resource.key for item in behind}
    return [item for item in found if item.resource.key not in taken]


async def _queues(
    ctx: context.OperatorContext, items: Sequence[rows.UnsyncedResource]
) -> dict[tuple[str, str], status.Queue]:
    """Who polls the queues whose workflow tasks have waited past ``stuck_after``: one query
    for all of them, and for those nobody polls, whether their TaskQueue exists."""
    now, after = ctx.runtime.clock.now(), timedelta(seconds=ctx.stuck_after)
    due = {(i.resource.key.namespace, i.task_queue) for i in items if status.queue_due(i.waiting_since, now, after)}
    if not due:
        return {}
    pollers = await queue_load.workflow_pollers(ctx.runtime, due)
    window = queue_load.POLLER_WINDOW.total_seconds()
    found = {}
    for key in sorted(due):
        polled = pollers.get(key, 0)
        exists = polled > 0 or await task_queues.exists(ctx, *key)
        found[key] = status.Queue(pollers=polled, window=window, resource=exists)
    return found


def _waiting(item: rows.UnsyncedResource, queues: Mapping[tuple[str, str], status.Queue]) -> status.Waiting | None:
    if item.waiting_since is None:
        return None
    return status.Waiting(item.waiting_since, queues.get((item.resource.key.namespace, item.task_queue)))


async def _sync_one(
    ctx: context.OperatorContext, item: rows.UnsyncedResource, waiting: status.Waiting | None, *, recheck: bool
) -> bool:
    link = item.resource
    now, stuck_after = ctx.runtime.clock.now(), timedelta(seconds=ctx.stuck_after)
    previous = [models.Condition.model_validate(c) for c in link.conditions]
    # The run did not change: write only if its queue tells something the status does not.
    if recheck and not _recheck_writes(item, waiting, previous, now, stuck_after):
        return False
    described = api.DescribeWorkflowRequest(workflow_id=link.workflow_id, run_id=link.run_id)
    run = await workflows.describe_workflow(ctx.runtime, link.key.namespace, described)
    new = status.of_run(run, bookkeeping(link), previous, now, waiting=waiting, stuck_after=stuck_after)
    if not await ctx.kube.patch_custom_status(PLURAL, link.key.namespace, link.key.name, dump(new), uid=link.key.uid):
        # The resource is gone without its finalizer (removed by hand): nothing to write to.
        await ctx.runtime.query(resource_links.delete, link.key)
        return False
    closed = run.status is not WorkflowExecutionStatus.RUNNING
    if closed and link.synced_status != run.status:
        await _post_close_event(ctx, link, new)
    await _post_progress_event(ctx, link, previous, new)
    conditions = [c.model_dump(mode="json", by_alias=True) for c in new.conditions]
    # Only now: a crash before this line writes the status again, never loses it.
    await ctx.runtime.query(
        resource_links.mark_synced, link, version=item.version, status=run.status, closed=closed, conditions=conditions
    )
    return True


def _recheck_writes(
    item: rows.UnsyncedResource,
    waiting: status.Waiting | None,
    previous: Sequence[models.Condition],
    now: datetime,
    stuck_after: timedelta,
) -> bool:
    return waiting is not None and status.recheck_changes(previous, item.task_queue, waiting, now, stuck_after)


async def _post_progress_event(
    ctx: context.OperatorContext,
    link: rows.WorkflowResource,
    previous: Sequence[models.Condition],
    new: models.WorkflowStatus,
) -> None:
    """Say when the run becomes stuck, or moves again: once per change, not per status write."""
    event = status.progress_event(previous, new.conditions)
    if event is None:
        return
    if event.warning:
        log.warning("Workflow %s/%s is stuck (%s): %s", *_where(link.key), event.reason, event.message)
    await ctx.kube.post_event(involved(link.key), reason=event.reason, message=event.message, warning=event.warning)


async def _post_close_event(
    ctx: context.OperatorContext, link: rows.WorkflowResource, new: models.WorkflowStatus
) -> None:
    reason, warning = _close_reason(new.phase)
    await ctx.kube.post_event(
        involved(link.key), reason=reason, message=f"Run {link.run_id}: {new.message}", warning=warning
    )


def _close_reason(phase: models.Phase) -> tuple[str, bool]:
    """The event reason of a close, and whether it is a Warning (the run did not succeed)."""
    return phase.value, phase in (models.Phase.FAILED, models.Phase.TERMINATED, models.Phase.TIMED_OUT)


def bookkeeping(link: rows.WorkflowResource) -> status.Bookkeeping:
    """What the status needs from the link."""
    return status.Bookkeeping(
        generation=link.generation or None,
        delivered_signals=link.delivered_signals,
        undelivered_signals=link.undelivered_signals,
        refused_fields=link.refused_fields,
    )


def dump(new: models.WorkflowStatus) -> dict[str, Any]:
    """The status as JSON; it replaces the resource's whole status, so absent fields go."""
    return new.model_dump(mode="json", by_alias=True, exclude_none=True)


def involved(key: rows.ResourceKey) -> dict[str, Any]:
    """The resource as an Event's involvedObject."""
    return {"apiVersion": API_VERSION, "kind": "Workflow", "name": key.name, "namespace": key.namespace, "uid": key.uid}


def _where(key: rows.ResourceKey) -> tuple[str, str]:
    return key.namespace, key.name
