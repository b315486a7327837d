"""A run as listings show it (Temporal's ``WorkflowExecutionInfo``)."""

from __future__ import annotations

from datetime import datetime

from pydantic import Field

from legato.api.common.v1 import Payload, WireModel, WorkflowExecution, WorkflowExecutionStatus


class WorkflowExecutionInfo(WireModel):
    """One run of a list: its ids, type, queue, status and times, its memo and search attributes."""

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
    search_attributes: dict[str, Payload] = Field(default_factory=dict)
    # The run that started this one as a child (None at the top), and the top of its tree
    # (the run itself at the top, as Temporal shows it).
    parent_execution: WorkflowExecution | None = None
    root_execution: WorkflowExecution | None = None
