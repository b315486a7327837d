"""The TaskQueue reconciler: a worker Deployment per queue, scaled by the queue's backlog.

Two parts, both on the replica that holds the Lease:

* kopf handlers (create, update, resume) validate the spec, remember the queue and sync
  it at once: apply its worker Deployment (server-side apply, owned by the TaskQueue)
  and write its status. A DELETED event forgets it.
* one leader loop, `scale_task_queues`, syncs every remembered queue each
  ``scale_interval``: it reads all queues' loads in one database pass, decides replicas
  with `scaling.decide` (mode Backlog) and applies them, then patches each status that
  changed. One loop rather than a kopf timer per queue, because a timer's interval is
  fixed when it is registered (ours is a `run` flag), and because one grouped query per
  tick costs the same for one queue or a thousand.

In mode External the operator never decides replicas: it copies ``spec.replicas`` (what an
HPA or KEDA wrote through the scale subresource) to the Deployment, or, when that is
unset, leaves the Deployment's replicas to whoever scales it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import kopf
from pydantic import ValidationError

from legato_operator.engine.services import namespaces, task_queues
from legato_operator.k8s import builders, context, kube, models, scaling
from legato_operator.store import db

log = logging.getLogger(__name__)

RESOURCE = ("legato.dev", "v1alpha1", "taskqueues")
PLURAL = "taskqueues"
# How soon kopf retries a queue whose Deployment could not be applied for a passing reason.
RETRY_DELAY = 10.0
# How long the API server's answer on whether an unregistered TaskQueue exists is kept.
LOOKUP_TTL = 30.0
# Answers to an apply that no retry heals: the spec produces an invalid Deployment.
_INVALID = frozenset({400, 403, 422})


@dataclass
class Queue:
    """What the leader knows of one TaskQueue between ticks."""

    namespace: str
    name: str
    uid: str
    generation: int | None
    spec: models.TaskQueueSpec
    last_active: datetime | None = None
    window: scaling.Window | None = None
    # (generation, replicas, server address) of the last apply, to apply only on a change.
    applied: tuple[int | None, int | None, str] | None = None
    # Set when the spec's Deployment was refused: nothing to retry until the spec changes.
    refused: str | None = None
    status: dict[str, Any] | None = None
    conditions: list[models.Condition] = field(default_factory=list)
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)


class Queues:
    """The TaskQueues this leader scales, by (namespace, name)."""

    def __init__(self) -> None:
        self._queues: dict[tuple[str, str], Queue] = {}
        # Queues not registered here that were looked up on the API server: (until when the
        # answer holds, whether it exists).
        self._looked_up: dict[tuple[str, str], tuple[float, bool]] = {}

    def register(self, queue: Queue) -> Queue:
        """Remember ``queue``; the same object (same uid) keeps its lock and scaling window."""
        known = self._queues.get((queue.namespace, queue.name))
        if known is not None and known.uid == queue.uid:
            known.generation, known.spec, known.refused = queue.generation, queue.spec, None
            return known
        self._queues[(queue.namespace, queue.name)] = queue
        return queue

    def forget(self, namespace: str, name: str) -> None:
        self._queues.pop((namespace, name), None)

    def all(self) -> list[Queue]:
        return list(self._queues.values())

    def known(self, namespace: str, name: str) -> bool:
        """Whether this leader reconciles a TaskQueue of that name (kopf told it of one)."""
        return (namespace, name) in self._queues

    def looked_up(self, namespace: str, name: str, now: float) -> bool | None:
        """What the API server said of an unregistered queue, while that answer holds; else None."""
        until, found = self._looked_up.get((namespace, name), (0.0, False))
        return found if until > now else None

    def keep_lookup(self, namespace: str, name: str, found: bool, until: float) -> None:
        """Keep the API server's answer on whether an unregistered queue exists until ``until``."""
        self._looked_up[(namespace, name)] = (until, found)

    def clear(self) -> None:
        self._queues.clear()
        self._looked_up.clear()


def queues(ctx: context.OperatorContext) -> Queues:
    """The registry of this operator context (created on first use)."""
    registry: Queues = ctx.extras.setdefault("taskqueues", Queues())
    return registry


async def exists(ctx: context.OperatorContext, namespace: str, name: str) -> bool:
    """Whether a TaskQueue of that name exists in ``namespace``.

    Known to this leader, it does. Otherwise (kopf has not resumed it yet, or its spec is
    refused) the API server is asked, and its answer kept for ``LOOKUP_TTL`` seconds so a
    queue that stays missing costs one GET per TTL however many runs wait on it. When the
    API server cannot answer, it is taken to exist: nothing is claimed missing on a guess.
    """
    registry = queues(ctx)
    if registry.known(namespace, name):
        return True
    now = asyncio.get_running_loop().time()
    kept = registry.looked_up(namespace, name, now)
    if kept is not None:
        return kept
    try:
        found = await ctx.kube.get_custom(PLURAL, namespace, name) is not None
    except kube.KubeError as e:
        log.warning("Could not look up TaskQueue %s/%s: %s", namespace, name, e)
        return True
    registry.keep_lookup(namespace, name, found, now + LOOKUP_TTL)
    return found


@kopf.on.resume(*RESOURCE, registry=context.registry)
@kopf.on.create(*RESOURCE, registry=context.registry)
@kopf.on.update(*RESOURCE, registry=context.registry)
@context.reconciler("TaskQueue")
async def reconcile_task_queue(
    body: kopf.Body, spec: kopf.Spec, name: str, namespace: str | None, uid: str, memo: Any, **_: Any
) -> None:
    """Validate the spec, remember the queue, and apply its Deployment and status now."""
    ctx = context.of(memo)
    namespace = namespace or "default"  # TaskQueues are namespaced: kopf always has one
    queue = await _remember(ctx, body, spec, name, namespace, uid)
    try:
        # Each Kubernetes namespace with Legato resources is a Legato namespace: its workers
        # poll there from their first start.
        await namespaces.ensure(ctx.runtime, namespace)
        load = await task_queues.load(ctx.runtime, namespace, name)
    # The database may be briefly away; the Deployment waits for it rather than guess.
    except Exception as e:
        raise kopf.TemporaryError(f"TaskQueue {namespace}/{name}: cannot read its load: {e}", delay=RETRY_DELAY) from e
    try:
        await sync(ctx, queue, load)
    except kube.KubeError as e:
        raise kopf.TemporaryError(f"TaskQueue {namespace}/{name}: {e}", delay=RETRY_DELAY) from e
    if queue.refused:
        raise kopf.PermanentError(queue.refused)


async def _remember(
    ctx: context.OperatorContext, body: kopf.Body, spec: kopf.Spec, name: str, namespace: str, uid: str
) -> Queue:
    """The queue registered with its validated spec; an invalid spec is refused with a condition."""
    generation = body.metadata.get("generation")
    try:
        queue_spec = models.TaskQueueSpec.model_validate(dict(spec))
    except ValidationError as e:
        queues(ctx).forget(namespace, name)
        message = f"invalid spec, the worker Deployment is left as it was: {_first_error(e)}"
        await _refuse(ctx, namespace, name, uid, generation, "InvalidSpec", message)
        raise kopf.PermanentError(message) from e
    status = dict(body.get("status") or {})
    fresh = Queue(namespace, name, uid, generation, queue_spec, last_active=_parse_time(status.get("lastActiveTime")))
    queue = queues(ctx).register(fresh)
    # First sight on this leader: start from the status an earlier leader wrote.
    if queue is fresh:
        queue.status, queue.conditions = status, _conditions(status)
    return queue


@kopf.on.event(*RESOURCE, registry=context.registry)
async def forget_deleted(event: kopf.RawEvent, name: str, namespace: str | None, memo: Any, **_: Any) -> None:
    """A deleted TaskQueue is scaled no more; its Deployment goes by its owner reference."""
    if event.get("type") == "DELETED":
        queues(context.of(memo)).forget(namespace or "default", name)


@context.leader_loop
async def scale_task_queues(ctx: context.OperatorContext) -> None:
    """Every ``scale_interval``: read all queues' loads, scale, report. Runs while leading."""
    loop = asyncio.get_running_loop()
    try:
        while True:
            started = loop.time()
            await scale_all(ctx)
            await asyncio.sleep(max(0.0, ctx.scale_interval - (loop.time() - started)))
    finally:
        # The next leadership starts from kopf's resume of every queue that still exists.
        queues(ctx).clear()


async def scale_all(ctx: context.OperatorContext) -> None:
    """One tick: one database read for every queue, then each queue's sync."""
    registered = [q for q in queues(ctx).all() if not q.refused]
    if not registered:
        return
    try:
        loads = await task_queues.all_loads(ctx.runtime)
    # The database may be briefly away: skip this tick, the next one reads again.
    except Exception as e:
        if db.is_unavailable(e):
            ctx.runtime.outage.failed(e, "the TaskQueue scaler")
        else:
            log.warning("Could not read task queue loads: %s", e)
        return
    for queue in registered:
        load = loads.get((queue.namespace, queue.name)) or task_queues.QueueLoad(queue.namespace, queue.name)
        try:
            await sync(ctx, queue, load)
        # Kubernetes may be briefly away: this queue waits for the next tick.
        except kube.KubeError as e:
            log.warning("Could not scale TaskQueue %s/%s: %s", queue.namespace, queue.name, e)


async def sync(ctx: context.OperatorContext, queue: Queue, load: task_queues.QueueLoad) -> None:
    """Decide the queue's replicas, apply its Deployment if anything changed, report its status."""
    async with queue.lock:
        deployment = await ctx.kube.get_deployment(queue.namespace, builders.worker_deployment_name(queue.name))
        current = _spec_replicas(deployment)
        replicas, scaling_condition = _decide(ctx, queue, load, current)
        try:
            deployment = await _apply(ctx, queue, deployment, replicas)
        except kube.KubeError as e:
            if e.status not in _INVALID:
                raise
            queue.refused = f"the worker Deployment was refused: {e.detail}"
        # A change of replicas is worth an Event; creating a Deployment at zero is not.
        if replicas is not None and replicas != (current or 0) and not queue.refused:
            await _post_scaled(ctx, queue, current, replicas, scaling_condition.message)
        await _report(ctx, queue, load, deployment, scaling_condition)


def _decide(
    ctx: context.OperatorContext, queue: Queue, load: task_queues.QueueLoad, current: int | None
) -> tuple[int | None, models.Condition]:
    """Replicas to apply (None: leave them alone) and the Scaling condition."""
    if queue.spec.scaling.mode is models.ScalingMode.EXTERNAL:
        queue.window = None
        return queue.spec.replicas, scaling.external(queue.spec)
    seen = scaling.Observation(
        now=ctx.runtime.clock.now(),
        waiting=load.waiting,
        running=load.running,
        current=current,
        last_active=_latest(load.last_active, queue.last_active),
    )
    decision = scaling.decide(queue.spec.scaling, seen, queue.window)
    queue.window, queue.last_active = decision.window, decision.last_active
    return decision.replicas, scaling.scaling_condition(decision)


async def _apply(
    ctx: context.OperatorContext, queue: Queue, deployment: dict[str, Any] | None, replicas: int | None
) -> dict[str, Any] | None:
    wanted = (queue.generation, replicas, ctx.server_address)
    # Unchanged spec, replicas and address, and nobody changed the replicas under us: no call.
    untouched = replicas is None or _spec_replicas(deployment) == replicas
    if deployment is not None and queue.applied == wanted and untouched:
        return deployment
    if queue.spec.worker.service_account_name is None:
        account = builders.worker_service_account(
            name=queue.name, namespace=queue.namespace, uid=queue.uid, instance=ctx.scope.instance
        )
        await ctx.kube.apply_service_account(account)
    manifest = builders.worker_deployment(
        name=queue.name,
        namespace=queue.namespace,
        uid=queue.uid,
        queue=queue.spec,
        address=ctx.server_address,
        replicas=replicas,
        instance=ctx.scope.instance,
    )
    stored = await ctx.kube.apply_deployment(manifest)
    queue.applied = wanted
    return stored


async def _report(
    ctx: context.OperatorContext,
    queue: Queue,
    load: task_queues.QueueLoad,
    deployment: dict[str, Any] | None,
    scaling_condition: models.Condition,
) -> None:
    """Patch the status if it changed since the last patch."""
    now = ctx.runtime.clock.now()
    ready = _ready(queue, deployment)
    await _warn_of_trouble(ctx, queue, ready)
    report = scaling.Report(
        load=load,
        deployment=deployment,
        conditions=[ready] if queue.refused else [ready, scaling_condition],
        last_active=queue.last_active or load.last_active,
        generation=queue.generation,
        selector=builders.selector_string(builders.worker_selector(queue.name)),
    )
    new = scaling.queue_status(report, queue.conditions, now)
    body = new.model_dump(by_alias=True, exclude_none=True, mode="json")
    if body == queue.status:
        return
    if not await ctx.kube.patch_custom_status(PLURAL, queue.namespace, queue.name, body, uid=queue.uid):
        queues(ctx).forget(queue.namespace, queue.name)
        return
    queue.status, queue.conditions = body, new.conditions


def _ready(queue: Queue, deployment: dict[str, Any] | None) -> models.Condition:
    if queue.refused:
        return scaling.condition(scaling.READY, "False", "DeploymentRefused", queue.refused)
    trouble = scaling.worker_trouble(deployment)
    if trouble is not None:
        return scaling.condition(scaling.READY, "False", *trouble)
    name = builders.worker_deployment_name(queue.name)
    return scaling.condition(scaling.READY, "True", "DeploymentApplied", f"worker Deployment {name} is applied")


async def _warn_of_trouble(ctx: context.OperatorContext, queue: Queue, ready: models.Condition) -> None:
    """One Warning event when the workers start failing (not again every tick while they do)."""
    if ready.reason not in (scaling.PODS_REFUSED, scaling.ROLLOUT_STUCK):
        return
    before = next((c for c in queue.conditions if c.type == scaling.READY), None)
    if before is not None and before.reason == ready.reason:
        return
    await ctx.kube.post_event(_involved(queue), reason=ready.reason, message=ready.message, warning=True)


def _involved(queue: Queue) -> dict[str, Any]:
    return {
        "apiVersion": f"{builders.GROUP}/{builders.VERSION}",
        "kind": "TaskQueue",
        "name": queue.name,
        "namespace": queue.namespace,
        "uid": queue.uid,
    }


async def _refuse(
    ctx: context.OperatorContext, namespace: str, name: str, uid: str, generation: int | None, reason: str, message: str
) -> None:
    condition = scaling.condition(scaling.READY, "False", reason, message)
    condition.last_transition_time = kube.now_rfc3339()
    body = {"conditions": [condition.model_dump(by_alias=True, exclude_none=True)], "observedGeneration": generation}
    with contextlib.suppress(kube.KubeError):
        await ctx.kube.patch_custom_status(PLURAL, namespace, name, body, uid=uid)


async def _post_scaled(ctx: context.OperatorContext, queue: Queue, before: int | None, after: int, why: str) -> None:
    reason = "ScaledUp" if after > (before or 0) else "ScaledDown"
    await ctx.kube.post_event(_involved(queue), reason=reason, message=f"{before or 0} → {after} replicas: {why}")


def _spec_replicas(deployment: dict[str, Any] | None) -> int | None:
    if deployment is None:
        return None
    replicas = (deployment.get("spec") or {}).get("replicas")
    return None if replicas is None else int(replicas)


def _latest(*moments: datetime | None) -> datetime | None:
    known = [m for m in moments if m is not None]
    return max(known) if known else None


def _parse_time(text: str | None) -> datetime | None:
    if not text:
        return None
    with contextlib.suppress(ValueError):
        return datetime.fromisoformat(text)
    return None


def _conditions(status: dict[str, Any]) -> list[models.Condition]:
    found = []
    for raw in status.get("conditions") or []:
        with contextlib.suppress(ValidationError):
            found.append(models.Condition.model_validate(raw))
    return found


def _first_error(error: ValidationError) -> str:
    first = error.errors()[0]
    where = ".".join(str(part) for part in first["loc"])
    return f"spec.{where}: {first['msg']}" if where else first["msg"]
