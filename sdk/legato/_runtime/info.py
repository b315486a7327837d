"""What a running workflow or activity knows about itself (``workflow.info()``, ``activity.info()``).

Field names are Temporal's, so ported code reads the same attributes.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from legato.common import RetryPolicy


@dataclass(frozen=True)
class WorkflowInfo:
    """Information about the running workflow (``temporalio.workflow.Info``).

    Attributes:
        attempt: The run's attempt, from 1 (workflow retries).
        namespace: The namespace the run lives in.
        workflow_id: The workflow id.
        run_id: The run id.
        workflow_type: The workflow type name.
        task_queue: The task queue the workflow's tasks go to.
        start_time: Time of the run's first workflow task.
        workflow_start_time: Time the run was started.
        execution_timeout: Limit on the whole execution, if any.
        run_timeout: Limit on this run, if any.
        task_timeout: Limit on each workflow task.
        retry_policy: The workflow's retry policy, if any.
    """

    attempt: int
    namespace: str
    workflow_id: str
    run_id: str
    workflow_type: str
    task_queue: str
    start_time: datetime
    workflow_start_time: datetime
    execution_timeout: timedelta | None
    run_timeout: timedelta | None
    task_timeout: timedelta
    retry_policy: RetryPolicy | None
    cron_schedule: str | None = None
    continued_run_id: str | None = None
    parent: None = None
    headers: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class ActivityInfo:
    """Information about the running activity attempt (``temporalio.activity.Info``).

    Attributes:
        activity_id: The activity's id within its workflow.
        activity_type: The activity type name.
        attempt: The attempt, from 1.
        heartbeat_details: Details the previous attempt last heartbeated.
        task_queue: The task queue the activity was polled from.
        workflow_id: The id of the workflow that scheduled it.
        workflow_run_id: The run id of that workflow.
        workflow_type: The type of that workflow.
        workflow_namespace: The namespace of that workflow.
    """

    activity_id: str
    activity_type: str
    attempt: int
    heartbeat_details: Sequence[Any]
    heartbeat_timeout: timedelta | None
    schedule_to_close_timeout: timedelta | None
    start_to_close_timeout: timedelta | None
    scheduled_time: datetime
    current_attempt_scheduled_time: datetime
    started_time: datetime
    task_queue: str
    task_token: str
    workflow_id: str
    workflow_namespace: str
    workflow_run_id: str
    workflow_type: str
    is_local: bool = False
