"""Spec and status of the `Workflow`, `TaskQueue` and `Schedule` resources, as pydantic models.

These models are the single source of the CRDs: `make crds` generates `crds/*.yaml` from
them (see `crdgen`), and a test fails when the committed YAML drifts. Field names are the
resources' camelCase; Python code uses snake_case through aliases.
"""

from __future__ import annotations

import re
from datetime import timedelta
from enum import StrEnum
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator
from pydantic.alias_generators import to_camel

from legato.api.common.v1 import MAX_DURATION_SECONDS

# A Kubernetes object name used as a reference (a TaskQueue's name): DNS-1123 label.
DNS_LABEL = r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$"
# Durations as people write them in YAML: 30s, 5m, 1h30m, 2d, 250ms.
DURATION = r"^([0-9]+(\.[0-9]+)?(ms|s|m|h|d))+$"
_DURATION_PART = re.compile(r"([0-9]+(?:\.[0-9]+)?)(ms|s|m|h|d)")
_UNIT_SECONDS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0}


def parse_duration(text: str) -> timedelta:
    """`1h30m` → 5400 s; ``ValueError`` for another shape or more than a century."""
    parts = _DURATION_PART.findall(text)
    if not parts or "".join(n + u for n, u in parts) != text:
        raise ValueError(f"not a duration: {text!r} (use e.g. 30s, 5m, 1h30m, 2d)")
    seconds = sum(float(n) * _UNIT_SECONDS[u] for n, u in parts)
    if seconds > MAX_DURATION_SECONDS:
        raise ValueError(f"{text!r} is longer than the longest duration allowed, 36500d")
    return timedelta(seconds=seconds)


def _bounded(text: str) -> str:
    parse_duration(text)
    return text


# A duration as people write it; the CRD checks the shape, this also the magnitude.
Duration = Annotated[str, Field(pattern=DURATION), AfterValidator(_bounded)]
# A ServiceAccount's name: DNS-1123 subdomain.
DNS_SUBDOMAIN = r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$"
MAX_SIGNALS = 100
MAX_RESULT_CHARS = 4096


class ResourceModel(BaseModel):
    """camelCase on the wire, snake_case in Python; unknown fields are refused."""

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="forbid")


class OnDelete(StrEnum):
    """What deleting a Workflow does to its run."""

    CANCEL = "Cancel"
    TERMINATE = "Terminate"
    ABANDON = "Abandon"


class PullPolicy(StrEnum):
    ALWAYS = "Always"
    IF_NOT_PRESENT = "IfNotPresent"
    NEVER = "Never"


class IdReusePolicy(StrEnum):
    ALLOW_DUPLICATE = "AllowDuplicate"
    ALLOW_DUPLICATE_FAILED_ONLY = "AllowDuplicateFailedOnly"
    REJECT_DUPLICATE = "RejectDuplicate"


class RetryPolicySpec(ResourceModel):
    """Temporal's retry policy; omitted fields take Temporal's defaults."""

    initial_interval: Duration | None = Field(default=None, description="First backoff, e.g. 1s.")
    backoff_coefficient: float | None = Field(default=None, ge=1.0, description="Growth of the backoff.")
    maximum_interval: Duration | None = Field(default=None, description="Longest backoff.")
    maximum_attempts: int | None = Field(default=None, ge=0, description="0 means unlimited.")
    non_retryable_error_types: list[str] | None = Field(default=None, max_length=50)


class SignalSpec(ResourceModel):
    """A signal to deliver once; append to `spec.signals` with `kubectl patch`."""

    id: str = Field(min_length=1, max_length=253, description="Unique within the Workflow; delivery is once per id.")
    name: str = Field(min_length=1, max_length=1000, description="The signal's name in the workflow.")
    args: list[Any] = Field(default_factory=list, max_length=20, description="JSON arguments.")


class WorkflowSpec(ResourceModel):
    """Intent: which workflow to run, where, with what input. Immutable after start but for signals."""

    workflow_type: str = Field(min_length=1, max_length=1000, description="The workflow's registered name.")
    task_queue: str = Field(
        min_length=1, max_length=63, pattern=DNS_LABEL, description="A TaskQueue in this namespace."
    )
    args: list[Any] = Field(default_factory=list, max_length=20, description="JSON arguments of the run.")
    workflow_id: str | None = Field(default=None, min_length=1, max_length=1000, description="Default: metadata.name.")
    execution_timeout: Duration | None = Field(default=None, description="Limit for the whole run.")
    retry_policy: RetryPolicySpec | None = None
    id_reuse_policy: IdReusePolicy = IdReusePolicy.ALLOW_DUPLICATE
    signals: list[SignalSpec] = Field(
        default_factory=list,
        max_length=MAX_SIGNALS,
        description="Signals to deliver, in order, once each; ids are unique.",
        # The API server itself refuses two signals with one id; it stores [] when omitted,
        # so a JSON patch can always append to /spec/signals/-.
        json_schema_extra={"x-kubernetes-list-type": "map", "x-kubernetes-list-map-keys": ["id"], "default": []},
    )
    on_delete: OnDelete = Field(default=OnDelete.CANCEL, description="Cancel, Terminate or Abandon the run on delete.")
    ttl_after_finished: Duration | None = Field(
        default=None,
        description="Delete this resource this long after its run finished, as a Job's ttlSecondsAfterFinished "
        "(the run's history stays until the namespace's retention). Default: the operator's "
        "--workflow-ttl-after-finished (none: kept).",
    )


class Phase(StrEnum):
    PENDING = "Pending"
    RUNNING = "Running"
    COMPLETED = "Completed"
    FAILED = "Failed"
    CANCELED = "Canceled"
    TERMINATED = "Terminated"
    TIMED_OUT = "TimedOut"
    CONTINUED_AS_NEW = "ContinuedAsNew"


class Condition(ResourceModel):
    """A Kubernetes-style condition."""

    type: str = Field(max_length=316)
    status: str = Field(pattern="^(True|False|Unknown)$")
    reason: str = Field(default="", max_length=1024)
    message: str = Field(default="", max_length=32768)
    last_transition_time: str | None = None
    observed_generation: int | None = None


class FailureSummary(ResourceModel):
    message: str = Field(max_length=MAX_RESULT_CHARS)
    type: str = Field(default="", max_length=1000)


class WorkflowStatus(ResourceModel):
    """A bounded summary of the run; the history itself lives in Postgres."""

    phase: Phase = Phase.PENDING
    workflow_id: str | None = None
    run_id: str | None = None
    start_time: str | None = None
    close_time: str | None = None
    history_length: int = 0
    pending_activities: int = 0
    pending_children: int = Field(default=0, description="Child workflows it started that still run.")
    result: str | None = Field(default=None, max_length=MAX_RESULT_CHARS + 32, description="JSON, truncated.")
    result_truncated: bool = False
    failure: FailureSummary | None = None
    message: str = Field(default="", max_length=1024, description="One line for `kubectl get`.")
    delivered_signals: list[str] = Field(default_factory=list, max_length=MAX_SIGNALS, description="Ids, in order.")
    undelivered_signals: list[str] = Field(
        default_factory=list, max_length=MAX_SIGNALS, description="Ids that could not be delivered (the run closed)."
    )
    conditions: list[Condition] = Field(default_factory=list, max_length=16)
    observed_generation: int | None = None


class ScalingMode(StrEnum):
    """Who sets the worker Deployment's replicas."""

    # The operator, from the queue's backlog (tasks waiting + tasks running).
    BACKLOG = "Backlog"
    # Someone else: an HPA or KEDA, through the TaskQueue's scale subresource or the Deployment's.
    EXTERNAL = "External"


class ScalingSpec(ResourceModel):
    """How the worker Deployment scales: by backlog (the operator) or externally (HPA, KEDA)."""

    model_config = ConfigDict(
        alias_generator=to_camel,
        populate_by_name=True,
        extra="forbid",
        json_schema_extra={
            "x-kubernetes-validations": [
                {"rule": "self.minReplicas <= self.maxReplicas", "message": "minReplicas must not exceed maxReplicas"}
            ]
        },
    )

    mode: ScalingMode = Field(default=ScalingMode.BACKLOG, description="Backlog (the operator scales) or External.")
    min_replicas: int = Field(
        default=0, ge=0, le=1000, description="Fewest workers; 0 lets an idle queue scale to zero."
    )
    max_replicas: int = Field(default=10, ge=0, le=1000, description="Most workers.")
    target_backlog_per_replica: int = Field(
        default=5, ge=1, le=100000, description="Tasks (waiting + running) one worker is expected to handle."
    )
    scale_down_delay: Duration = Field(
        default="5m", description="How long fewer workers must suffice before scaling down."
    )

    @model_validator(mode="after")
    def _bounds_in_order(self) -> ScalingSpec:
        if self.min_replicas > self.max_replicas:
            raise ValueError(f"minReplicas ({self.min_replicas}) must not exceed maxReplicas ({self.max_replicas})")
        return self


class EnvVar(ResourceModel):
    """A container environment variable: a value, or a reference (``valueFrom``) kept as Kubernetes has it."""

    name: str = Field(min_length=1, max_length=1024)
    value: str | None = None
    value_from: dict[str, Any] | None = None


class LocalObjectReference(ResourceModel):
    name: str = Field(min_length=1, max_length=253)


class ResourceRequirements(ResourceModel):
    """CPU, memory and other resources, as quantities (``500m``, ``1Gi``, ``2``)."""

    limits: dict[str, int | str] | None = None
    requests: dict[str, int | str] | None = None


# Kubernetes objects too large to restate here (probes, affinity, security contexts,
# volumes): the API server keeps them as given and validates them when it stores the
# Deployment; the operator copies them verbatim.
KubeObject = dict[str, Any]


class WorkerSpec(ResourceModel):
    """The worker pod: a subset of a Deployment's pod template and its one container."""

    image: str = Field(min_length=1, max_length=1024, description="The SDK worker image.")
    image_pull_policy: PullPolicy | None = None
    command: list[str] | None = Field(default=None, max_length=64, description="Default: the image's entrypoint.")
    args: list[str] | None = Field(default=None, max_length=256)
    env: list[EnvVar] = Field(
        default_factory=list, max_length=256, description="Besides the LEGATO_* variables the operator sets."
    )
    env_from: list[KubeObject] | None = Field(default=None, max_length=64)
    resources: ResourceRequirements | None = None
    volume_mounts: list[KubeObject] | None = Field(default=None, max_length=64)
    security_context: KubeObject | None = Field(default=None, description="The container's securityContext.")
    liveness_probe: KubeObject | None = None
    readiness_probe: KubeObject | None = None
    # Pod-level fields.
    labels: dict[str, str] | None = Field(default=None, description="Extra labels of the worker pods.")
    annotations: dict[str, str] | None = Field(default=None, description="Annotations of the worker pods.")
    service_account_name: str | None = Field(default=None, max_length=253, pattern=DNS_SUBDOMAIN)
    image_pull_secrets: list[LocalObjectReference] | None = Field(default=None, max_length=16)
    node_selector: dict[str, str] | None = None
    tolerations: list[KubeObject] | None = Field(default=None, max_length=64)
    affinity: KubeObject | None = None
    topology_spread_constraints: list[KubeObject] | None = Field(default=None, max_length=16)
    priority_class_name: str | None = Field(default=None, max_length=253)
    pod_security_context: KubeObject | None = Field(default=None, description="The pod's securityContext.")
    volumes: list[KubeObject] | None = Field(default=None, max_length=64)
    termination_grace_period_seconds: int | None = Field(
        default=None, ge=0, le=86400, description="Time a worker gets to finish its tasks on scale-down."
    )


class TaskQueueSpec(ResourceModel):
    """A task queue's workers: the pod to run and how many of them."""

    worker: WorkerSpec
    scaling: ScalingSpec = Field(default_factory=ScalingSpec)
    replicas: int | None = Field(
        default=None,
        ge=0,
        le=1000,
        description="Only with scaling.mode External: the replicas an HPA or KEDA sets through the scale "
        "subresource; the operator copies it to the Deployment. Unset, the Deployment's replicas are left alone.",
    )


class Backlog(ResourceModel):
    """Tasks of the queue, both kinds, as the engine counts them."""

    workflow_tasks: int = Field(default=0, description="Workflow tasks waiting for a poller.")
    activity_tasks: int = Field(default=0, description="Activity tasks waiting for a poller.")
    total: int = Field(default=0, description="workflowTasks + activityTasks.")
    running: int = Field(default=0, description="Tasks a worker holds now (started, not finished).")
    oldest_task_age: str = Field(default="0s", description="How long the oldest waiting task has waited.")


class TaskQueueStatus(ResourceModel):
    """A bounded summary: counts and the scaler's decision, never a list of tasks or pollers."""

    backlog: Backlog = Field(default_factory=Backlog)
    pollers: int = Field(default=0, description="Workers (distinct identities) that polled within the last minute.")
    replicas: int = Field(default=0, description="The Deployment's observed replicas (its status.replicas).")
    desired_replicas: int = Field(default=0, description="The Deployment's spec.replicas: what the scaler asked for.")
    selector: str = Field(default="", description="Label selector of the worker pods (for the scale subresource).")
    last_active_time: str | None = Field(default=None, description="Last time a task of the queue waited or ran.")
    conditions: list[Condition] = Field(default_factory=list, max_length=16)
    observed_generation: int | None = None


# --- Schedule ------------------------------------------------------------------------------

MAX_SCHEDULE_ITEMS = 100
MAX_RECENT_ACTIONS = 10
MAX_NEXT_ACTION_TIMES = 10


class OverlapPolicy(StrEnum):
    """What an action does while the schedule's last workflow still runs (Temporal's names)."""

    SKIP = "Skip"
    BUFFER_ONE = "BufferOne"
    BUFFER_ALL = "BufferAll"
    CANCEL_OTHER = "CancelOther"
    TERMINATE_OTHER = "TerminateOther"
    ALLOW_ALL = "AllowAll"


class ScheduleWorkflowSpec(ResourceModel):
    """The workflow each action starts; its id is ``workflowId`` followed by the action's time."""

    workflow_type: str = Field(min_length=1, max_length=1000, description="The workflow's registered name.")
    task_queue: str = Field(
        min_length=1, max_length=63, pattern=DNS_LABEL, description="A TaskQueue in this namespace."
    )
    args: list[Any] = Field(default_factory=list, max_length=20, description="JSON arguments of each run.")
    workflow_id: str | None = Field(
        default=None, min_length=1, max_length=1000, description="Base of each run's id. Default: metadata.name."
    )
    execution_timeout: Duration | None = Field(default=None, description="Limit for each whole run.")
    run_timeout: Duration | None = Field(default=None, description="Limit for each single run.")
    task_timeout: Duration | None = Field(default=None, description="Limit for each workflow task.")
    retry_policy: RetryPolicySpec | None = None


class ScheduleRangeSpec(ResourceModel):
    """``start`` to ``end`` (inclusive; 0 or less than start: start alone) every ``step`` (0: 1)."""

    start: int = Field(ge=0, le=10_000)
    end: int = Field(default=0, ge=0, le=10_000)
    step: int = Field(default=0, ge=0, le=10_000)


ScheduleRanges = Annotated[list[ScheduleRangeSpec], Field(max_length=MAX_SCHEDULE_ITEMS)]


class CalendarSpec(ResourceModel):
    """Temporal's structured calendar; a field left out takes Temporal's default (second,
    minute and hour 0, every day of month, month and day of week, every year)."""

    second: ScheduleRanges | None = None
    minute: ScheduleRanges | None = None
    hour: ScheduleRanges | None = None
    day_of_month: ScheduleRanges | None = None
    month: ScheduleRanges | None = None
    year: ScheduleRanges | None = None
    day_of_week: ScheduleRanges | None = Field(default=None, description="0 (Sunday) to 6.")
    comment: str = Field(default="", max_length=1000)


class IntervalSpec(ResourceModel):
    """Every ``every`` from the Unix epoch, shifted by ``offset``."""

    every: Duration = Field(description="e.g. 1h, 30m.")
    offset: Duration | None = Field(default=None, description="Less than every.")


class ScheduleTimesSpec(ResourceModel):
    """When the schedule acts: Temporal's ScheduleSpec."""

    calendars: list[CalendarSpec] = Field(default_factory=list, max_length=MAX_SCHEDULE_ITEMS)
    intervals: list[IntervalSpec] = Field(default_factory=list, max_length=MAX_SCHEDULE_ITEMS)
    cron_expressions: list[str] = Field(
        default_factory=list, max_length=MAX_SCHEDULE_ITEMS, description='Cron strings, e.g. "0 2 * * *".'
    )
    skip: list[CalendarSpec] = Field(
        default_factory=list, max_length=MAX_SCHEDULE_ITEMS, description="Times matching these do not act."
    )
    start_at: str | None = Field(default=None, description="RFC 3339; no action before.")
    end_at: str | None = Field(default=None, description="RFC 3339; no action after.")
    jitter: Duration | None = Field(default=None, description="Each action is delayed by up to this, at random.")
    time_zone: str = Field(default="", max_length=255, description="IANA name, e.g. Europe/Berlin. Default: UTC.")


class SchedulePolicySpec(ResourceModel):
    overlap: OverlapPolicy = Field(default=OverlapPolicy.SKIP, description="While the last run still runs.")
    catchup_window: Duration | None = Field(
        default=None, description="How far back missed actions are taken after an outage (default 1y)."
    )
    pause_on_failure: bool = Field(default=False, description="Pause when a run fails or times out.")


class ScheduleResourceSpec(ResourceModel):
    """A Schedule: a workflow template, when to start it and how, and whether it is paused."""

    workflow: ScheduleWorkflowSpec
    schedule: ScheduleTimesSpec = Field(default_factory=ScheduleTimesSpec)
    policy: SchedulePolicySpec = Field(default_factory=SchedulePolicySpec)
    paused: bool = Field(default=False, description="kubectl patch it to pause or unpause the schedule.")
    note: str = Field(default="", max_length=1000, description="Why it is paused (or anything); shown by describe.")


class ScheduleRun(ResourceModel):
    workflow_id: str
    run_id: str


class ScheduleActionStatus(ResourceModel):
    """One action taken: when it was due and when it ran, the run it started and how that is."""

    schedule_time: str
    actual_time: str
    workflow_id: str
    run_id: str
    status: str = Field(default="Running", description="Running, Completed, Failed, ... as the run's phase.")


class ScheduleStatus(ResourceModel):
    """What the schedule did and will do, bounded; its schedule lives in Postgres."""

    schedule_id: str | None = None
    summary: str = Field(default="", max_length=1024, description="The schedule in a few words, for `kubectl get`.")
    next_action_time: str | None = None
    next_action_times: list[str] = Field(default_factory=list, max_length=MAX_NEXT_ACTION_TIMES)
    last_action_time: str | None = None
    recent_actions: list[ScheduleActionStatus] = Field(default_factory=list, max_length=MAX_RECENT_ACTIONS)
    running_workflows: list[ScheduleRun] = Field(default_factory=list, max_length=100)
    action_count: int = 0
    last_result: str | None = Field(
        default=None,
        max_length=MAX_RESULT_CHARS + 32,
        description="The last completed action's result: JSON, truncated.",
    )
    last_result_truncated: bool = False
    paused: bool = False
    conditions: list[Condition] = Field(default_factory=list, max_length=16)
    observed_generation: int | None = None
