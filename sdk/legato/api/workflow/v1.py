"""A run as listings show it (Temporal's ``WorkflowExecutionInfo``)."""

from __future__ import annotations

from datetime import datetime

from pydantic import Field

from legato.api.common.v1 import Payload, WireModel, WorkflowExecutionStatus


class WorkflowExecutionInfo(WireModel):
    """One run of a list: its ids, type, queue, status and times, and its memo."""

    workflow_id: str
    run_id: str
    workflow_type: str
    task_queue: str
    status: WorkflowExecutionStatus
    start_time: datetime
    # The start plus the first workflow task's backoff (start_delay, a retry's interval).
    execution_time: datetime
    close_time: datetime | None = None
    history_length: int
    history_size_bytes: int = 0
    first_execution_run_id: str | None = None
    memo: dict[str, Payload] = Field(default_factory=dict)
