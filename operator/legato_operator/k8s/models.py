"""Spec and status of the `Workflow` and `TaskQueue` resources, as pydantic models.

These models are the single source of the CRDs: `make crds` generates `crds/*.yaml` from
them (see `crdgen`), and a test fails when the committed YAML drifts. Field names are the
resources' camelCase; Python code uses snake_case through aliases.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel

# A Kubernetes object name used as a reference (a TaskQueue's name): DNS-1123 label.
DNS_LABEL = r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$"
# Durations as people write them in YAML: 30s, 5m, 1h30m, 2d, 250ms.
DURATION = r"^([0-9]+(\.[0-9]+)?(ms|s|m|h|d))+$"
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


class IdReusePolicy(StrEnum):
    ALLOW_DUPLICATE = "AllowDuplicate"
    ALLOW_DUPLICATE_FAILED_ONLY = "AllowDuplicateFailedOnly"
    REJECT_DUPLICATE = "RejectDuplicate"


class RetryPolicySpec(ResourceModel):
    """Temporal's retry policy; omitted fields take Temporal's defaults."""

    initial_interval: str | None = Field(default=None, pattern=DURATION, description="First backoff, e.g. 1s.")
    backoff_coefficient: float | None = Field(default=None, ge=1.0, description="Growth of the backoff.")
    maximum_interval: str | None = Field(default=None, pattern=DURATION, description="Longest backoff.")
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
    execution_timeout: str | None = Field(default=None, pattern=DURATION, description="Limit for the whole run.")
    retry_policy: RetryPolicySpec | None = None
    id_reuse_policy: IdReusePolicy = IdReusePolicy.ALLOW_DUPLICATE
    signals: list[SignalSpec] = Field(default_factory=list, max_length=MAX_SIGNALS)
    on_delete: OnDelete = Field(default=OnDelete.CANCEL, description="Cancel, Terminate or Abandon the run on delete.")


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
    result: str | None = Field(default=None, max_length=MAX_RESULT_CHARS + 32, description="JSON, truncated.")
    result_truncated: bool = False
    failure: FailureSummary | None = None
    message: str = Field(default="", max_length=1024, description="One line for `kubectl get`.")
    delivered_signals: list[str] = Field(default_factory=list, max_length=MAX_SIGNALS)
    conditions: list[Condition] = Field(default_factory=list, max_length=16)
    observed_generation: int | None = None


class ScalingMode(StrEnum):
    BACKLOG = "Backlog"
    EXTERNAL = "External"


class ScalingSpec(ResourceModel):
    """How the worker Deployment scales: by backlog (the operator) or externally (HPA, KEDA)."""

    mode: ScalingMode = ScalingMode.BACKLOG
    min_replicas: int = Field(default=0, ge=0, le=1000)
    max_replicas: int = Field(default=10, ge=0, le=1000)
    target_backlog_per_replica: int = Field(default=5, ge=1, le=100000)
    scale_down_delay: str = Field(default="5m", pattern=DURATION)


class WorkerSpec(ResourceModel):
    """The worker container: image and the usual container fields, passed through."""

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="allow")

    image: str = Field(min_length=1, max_length=1024)
    replicas_hint: int | None = Field(default=None, ge=0, description="Unused; reserved.")


class TaskQueueSpec(ResourceModel):
    worker: WorkerSpec
    scaling: ScalingSpec = Field(default_factory=ScalingSpec)


class Backlog(ResourceModel):
    workflow_tasks: int = 0
    activity_tasks: int = 0
    oldest_task_age: str = "0s"


class TaskQueueStatus(ResourceModel):
    backlog: Backlog = Field(default_factory=Backlog)
    pollers: int = 0
    replicas: int = 0
    desired_replicas: int = 0
    last_active_time: str | None = None
    conditions: list[Condition] = Field(default_factory=list, max_length=16)
    observed_generation: int | None = None
