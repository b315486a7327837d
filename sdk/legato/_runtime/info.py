"""What a running workflow or activity knows about itself (``workflow.info()``, ``activity.info()``).

Field names, order and methods are Temporal's, so ported code reads the same attributes.
Where Legato has no such thing yet (search attributes, priorities, cron)
the field holds the value Temporal gives a run without it: None, empty, or the default.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from legato.common import Priority, RetryPolicy, SearchAttributes, TypedSearchAttributes


@dataclass(frozen=True)
class ParentInfo:
    """The parent of a child workflow, from its WorkflowExecutionStarted."""

    namespace: str
    run_id: str
    workflow_id: str


@dataclass(frozen=True)
class RootInfo:
    """The root of a tree of child workflows (None for a top-level run, as Temporal's)."""

    run_id: str
    workflow_id: str


@dataclass(frozen=True)
class WorkflowInfo:
    """Information about the running workflow (``temporalio.workflow.Info``).

    Attributes:
        attempt: The run's attempt, from 1 (workflow retries).
        continued_run_id: The run this one continues (continue-as-new or a retry), if any.
        cron_schedule: The cron schedule (None: no cron yet).
        execution_timeout: Limit on the whole execution, if any.
        first_execution_run_id: The first run of the chain (continue-as-new, retries).
        headers: Headers the run was started with (what client interceptors set).
        namespace: The namespace the run lives in.
        original_execution_run_id: The run this one was started as; this run.
        parent: The parent workflow (None unless this run is a child).
        root: The root of the tree of children (None unless this run is a child).
        priority: The run's priority (the default: no priorities yet).
        raw_memo: The memo (empty: no memos yet).
        retry_policy: The workflow's retry policy, if any.
        run_id: The run id.
        run_timeout: Limit on this run, if any.
        search_attributes: Search attributes, untyped (deprecated, as in temporalio).
        start_time: Time of the run's first workflow task.
        task_queue: The task queue the workflow's tasks go to.
        task_timeout: Limit on each workflow task.
        typed_search_attributes: The run's search attributes: the start's, with this run's upserts.
        workflow_id: The workflow id.
        workflow_start_time: Time the run was started.
        workflow_type: The workflow type name.
    """

    attempt: int
    continued_run_id: str | None
    cron_schedule: str | None
    execution_timeout: timedelta | None
    first_execution_run_id: str
    headers: Mapping[str, Any]
    namespace: str
    original_execution_run_id: str
    parent: ParentInfo | None
    root: RootInfo | None
    priority: Priority
    raw_memo: Mapping[str, Any]
    retry_policy: RetryPolicy | None
    run_id: str
    run_timeout: timedelta | None
    search_attributes: SearchAttributes
    start_time: datetime
    task_queue: str
    task_timeout: timedelta
    typed_search_attributes: TypedSearchAttributes
    workflow_id: str
    workflow_start_time: datetime
    workflow_type: str

    def get_current_build_id(self) -> str:
        """The worker's build id: empty, Legato has no worker versioning."""
        return ""

    def get_current_deployment_version(self) -> None:
        """The worker's deployment version: None, Legato has no worker deployments."""
        return None

    def get_current_history_length(self) -> int:
        """The run's history length at the start of this workflow task."""
        from legato._runtime.instance import current_instance

        return current_instance().history_length

    def get_current_history_size(self) -> int:
        """The history's size in bytes at the start of this workflow task (the server's count)."""
        from legato._runtime.instance import current_instance

        return current_instance().history_size

    def is_continue_as_new_suggested(self) -> bool:
        """Whether the server suggests continuing as new: the history has passed Temporal's
        thresholds (4,096 events or 4 MiB) as of this workflow task."""
        from legato._runtime.instance import current_instance

        return current_instance().continue_as_new_suggested

    def is_target_worker_deployment_version_changed(self) -> bool:
        """Whether the target deployment version changed: never, no worker deployments."""
        return False


@dataclass(frozen=True)
class PatchActivationInput:
    """What a worker's ``patch_activation_callback`` is asked about: the run, and the patch
    its code meets for the first time (temporalio's ``PatchActivationInput``)."""

    workflow_info: WorkflowInfo
    patch_id: str


@dataclass(frozen=True)
class ActivityInfo:
    """Information about the running activity attempt (``temporalio.activity.Info``).

    Attributes:
        activity_id: The activity's id within its workflow.
        activity_type: The activity type name.
        attempt: The attempt, from 1.
        current_attempt_scheduled_time: When this attempt was scheduled.
        heartbeat_details: Details the previous attempt last heartbeated.
        heartbeat_timeout: Longest time between heartbeats, if any.
        is_local: Whether it is a local activity (never: Legato has none yet).
        namespace: The namespace the activity runs in.
        schedule_to_close_timeout: Limit on the activity, retries included, if any.
        scheduled_time: When the activity was first scheduled.
        start_to_close_timeout: Limit on one attempt, if any.
        started_time: When this attempt started.
        task_queue: The task queue the activity was polled from.
        task_token: The token that names this attempt to the server (a string in Legato).
        workflow_id: The id of the workflow that scheduled it.
        workflow_namespace: The namespace of that workflow.
        workflow_run_id: The run id of that workflow.
        workflow_type: The type of that workflow.
        priority: The activity's priority (the default: no priorities yet).
        retry_policy: The activity's retry policy, when the worker was told it (None in Legato).
        activity_run_id: Run id of a standalone activity (None: Legato has none).
    """

    activity_id: str
    activity_type: str
    attempt: int
    current_attempt_scheduled_time: datetime
    heartbeat_details: Sequence[Any]
    heartbeat_timeout: timedelta | None
    is_local: bool
    namespace: str
    schedule_to_close_timeout: timedelta | None
    scheduled_time: datetime
    start_to_close_timeout: timedelta | None
    started_time: datetime
    task_queue: str
    task_token: str
    workflow_id: str | None
    workflow_namespace: str | None
    workflow_run_id: str | None
    workflow_type: str | None
    priority: Priority
    retry_policy: RetryPolicy | None
    activity_run_id: str | None = None

    @property
    def in_workflow(self) -> bool:
        """Whether a workflow scheduled this activity (always, in Legato)."""
        return self.workflow_id is not None
