"""The scaler's decision for one TaskQueue (how many workers, and why) and the status it reports.

Pure, no I/O.

The load a queue puts on its workers is its **backlog**: tasks waiting for a poller plus
tasks a worker holds now. Counting running tasks matters: a worker busy with a 10-minute
activity leaves nothing waiting, yet scaling it away would kill the attempt.

    recommended = clamp(ceil(backlog / targetBacklogPerReplica), minReplicas, maxReplicas)

* **Up at once**: replicas never stay below the recommendation, so a task waiting on a
  queue at zero gets a worker within one scale interval.
* **Down after scaleDownDelay**: replicas are the highest recommendation of the last
  ``scaleDownDelay`` (as an HPA's stabilization window), so a lull shorter than the
  delay changes nothing.
* **To zero only when idle for scaleDownDelay**: nothing waited or ran for that long. The
  scaler samples every few seconds, so it also reads when a task was last handed out
  (recorded in Postgres by the replica that handed it out): tasks that come and go between
  two samples keep the queue active.

The window lives in the leading replica's memory. A new leader knows no history: unless
the queue is already idle past the delay, it starts its window at the current replicas,
so a failover never scales down early.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from legato_operator.engine.services import task_queues
from legato_operator.k8s import builders, models, status


class Reason(StrEnum):
    """Why the replicas are what they are: the reason of the ``Scaling`` condition."""

    BACKLOG_GROWING = "BacklogGrowing"
    BACKLOG_SHRINKING = "BacklogShrinking"
    SCALE_DOWN_DELAYED = "ScaleDownDelayed"
    AT_MAX_REPLICAS = "AtMaxReplicas"
    SCALED_TO_ZERO = "ScaledToZero"
    STEADY = "Steady"
    EXTERNAL = "External"


@dataclass(frozen=True)
class Observation:
    """What the scaler sees of one queue at one moment."""

    now: datetime
    waiting: int
    running: int
    # The Deployment's spec.replicas; None before it exists.
    current: int | None
    # Latest known activity: Postgres' last hand-out, or what an earlier leader saw (status).
    last_active: datetime | None

    @property
    def backlog(self) -> int:
        return self.waiting + self.running


@dataclass(frozen=True)
class Window:
    """Recommendations of the last scaleDownDelay, strictly decreasing from oldest to newest.

    A recommendation followed by a higher one can never be the window's maximum again, so
    it is dropped: the window holds a handful of samples however often the scaler ticks.
    """

    samples: tuple[tuple[datetime, int], ...] = ()

    def add(self, at: datetime, replicas: int, since: datetime) -> Window:
        """The window with ``replicas`` recommended ``at``, samples older than ``since`` gone."""
        kept = [(t, r) for t, r in self.samples if t >= since and r > replicas]
        return Window((*kept, (at, replicas)))

    @property
    def peak(self) -> int:
        return self.samples[0][1] if self.samples else 0


@dataclass(frozen=True)
class Decision:
    """The replicas to set, with the reason and message of the ``Scaling`` condition."""

    replicas: int
    reason: Reason
    message: str
    last_active: datetime | None
    window: Window = field(default_factory=Window)


def recommended(scaling: models.ScalingSpec, backlog: int) -> int:
    """clamp(ceil(backlog / targetBacklogPerReplica), minReplicas, maxReplicas)."""
    wanted = math.ceil(backlog / scaling.target_backlog_per_replica)
    return max(scaling.min_replicas, min(scaling.max_replicas, wanted))


def decide(scaling: models.ScalingSpec, seen: Observation, window: Window | None) -> Decision:
    """Replicas for mode Backlog; ``window`` None means this replica has no memory of the queue yet."""
    delay = models.parse_duration(scaling.scale_down_delay)
    last_active = seen.now if seen.backlog > 0 else seen.last_active
    idle = last_active is None or seen.now - last_active >= delay
    current = scaling.min_replicas if seen.current is None else seen.current
    if window is None:
        # No memory (a new leader, a restart): hold what runs for a delay, unless idle already.
        window = Window() if idle else Window(((seen.now, current),))
    window = window.add(seen.now, recommended(scaling, seen.backlog), since=seen.now - delay)
    replicas = window.peak
    # Work came and went between two samples: keep a worker that is there until idle.
    if not idle and current > 0:
        replicas = max(replicas, 1)
    replicas = max(scaling.min_replicas, min(scaling.max_replicas, replicas))
    reason = _reason(scaling, seen, current, replicas)
    return Decision(replicas, reason, _message(scaling, seen, replicas, reason, delay), last_active, window)


def _reason(scaling: models.ScalingSpec, seen: Observation, current: int, replicas: int) -> Reason:
    if replicas > current:
        return Reason.BACKLOG_GROWING
    if replicas == 0:
        return Reason.SCALED_TO_ZERO
    if replicas < current:
        return Reason.BACKLOG_SHRINKING
    if math.ceil(seen.backlog / scaling.target_backlog_per_replica) > scaling.max_replicas:
        return Reason.AT_MAX_REPLICAS
    if recommended(scaling, seen.backlog) < replicas:
        return Reason.SCALE_DOWN_DELAYED
    return Reason.STEADY


def _message(scaling: models.ScalingSpec, seen: Observation, replicas: int, reason: Reason, delay: timedelta) -> str:
    load = (
        f"backlog {seen.backlog} ({seen.waiting} waiting, {seen.running} running), "
        f"{scaling.target_backlog_per_replica} per replica"
    )
    if reason is Reason.SCALE_DOWN_DELAYED:
        held = builders.format_duration(delay.total_seconds())
        return f"{load}: holding {replicas} replicas until fewer suffice for {held}"
    if reason is Reason.AT_MAX_REPLICAS:
        return f"{load}: {replicas} replicas, the maximum"
    if reason is Reason.SCALED_TO_ZERO:
        return f"nothing waiting or running for {builders.format_duration(delay.total_seconds())}: no workers"
    return f"{load}: {replicas} replicas"


def external(spec: models.TaskQueueSpec) -> models.Condition:
    """The Scaling condition in mode External: the operator does not decide replicas."""
    if spec.replicas is None:
        message = "replicas are left to an HPA or KEDA on the Deployment"
    else:
        message = f"spec.replicas {spec.replicas} (set through the scale subresource) is copied to the Deployment"
    return condition(SCALING, "False", Reason.EXTERNAL, message)


def scaling_condition(decision: Decision) -> models.Condition:
    """The Scaling condition in mode Backlog."""
    return condition(SCALING, "True", decision.reason, decision.message)


READY = "Ready"
SCALING = "Scaling"
# Ready's reasons when the Deployment is applied but its pods cannot run.
PODS_REFUSED = "WorkerPodsRefused"
ROLLOUT_STUCK = "WorkerRolloutStuck"


def worker_trouble(deployment: dict[str, Any] | None) -> tuple[str, str] | None:
    """Why the Deployment's pods cannot run, as its controller reports it: (reason, message).

    ``ReplicaFailure`` is a ReplicaSet that may not create pods (PodSecurity admission, a
    quota, a missing ServiceAccount); ``Progressing`` False is a rollout past its deadline
    (an image that cannot be pulled, pods that crash).
    """
    for found in ((deployment or {}).get("status") or {}).get("conditions") or []:
        detail = found.get("message") or found.get("reason") or ""
        if found.get("type") == "ReplicaFailure" and found.get("status") == "True":
            return PODS_REFUSED, f"the worker pods cannot be created: {detail}"
        if found.get("type") == "Progressing" and found.get("status") == "False":
            return ROLLOUT_STUCK, f"the worker Deployment does not progress ({found.get('reason')}): {detail}"
    return None


def condition(kind: str, state: str, reason: str, message: str) -> models.Condition:
    """A condition whose lastTransitionTime `queue_status` fills in."""
    return models.Condition(type=kind, status=state, reason=reason, message=message[:1024])


@dataclass(frozen=True)
class Report:
    """Everything the status of one TaskQueue is made of, read in one scale tick."""

    load: task_queues.QueueLoad
    deployment: dict[str, Any] | None
    conditions: Sequence[models.Condition]
    last_active: datetime | None
    generation: int | None
    selector: str


def queue_status(report: Report, previous: Sequence[models.Condition], now: datetime) -> models.TaskQueueStatus:
    """The TaskQueue's status: load, replicas (the Deployment's spec and status), conditions.

    ``desiredReplicas`` is the Deployment's spec.replicas (what was asked for), ``replicas``
    its status.replicas (what the Deployment controller reports running).
    """
    load = report.load
    deployment = report.deployment or {}
    return models.TaskQueueStatus(
        backlog=models.Backlog(
            workflow_tasks=load.workflow_tasks,
            activity_tasks=load.activity_tasks,
            total=load.waiting,
            running=load.running,
            oldest_task_age=builders.format_duration(load.oldest_task_age),
        ),
        pollers=load.pollers,
        replicas=int((deployment.get("status") or {}).get("replicas") or 0),
        desired_replicas=int((deployment.get("spec") or {}).get("replicas") or 0),
        selector=report.selector,
        last_active_time=None if report.last_active is None else status.timestamp(report.last_active),
        conditions=status.merge_conditions(previous, report.conditions, now),
        observed_generation=report.generation,
    )
