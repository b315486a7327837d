"""Builders of engine state for the pure tests: runs and tasks as the store would hold them."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime
from typing import Any

from legato.api.workflowservice import v1 as api
from legato_operator.engine.rules import batch, start, workflow_tasks
from legato_operator.store import rows

NOW = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)


def started_run(**request: Any) -> rows.Execution:
    """A new run whose first workflow task a worker holds (events 1..3)."""
    b = start.new_run(
        "default",
        api.StartWorkflowRequest(workflow_id="wf-1", workflow_type="Orders", task_queue="orders", **request),
        NOW,
    )
    return hold_workflow_task(b.execution)


def hold_workflow_task(execution: rows.Execution) -> rows.Execution:
    """The run after a poll took its scheduled workflow task."""
    task = workflow_task(execution)
    b = workflow_tasks.start(execution, task, "worker-1", NOW)
    assert b is not None
    return b.execution


def workflow_task(execution: rows.Execution) -> rows.Task:
    """The task row of the run's scheduled workflow task."""
    return rows.Task(
        id=1,
        namespace=execution.namespace,
        task_queue=execution.task_queue,
        kind=rows.TaskKind.WORKFLOW,
        run_id=execution.run_id,
        scheduled_event_id=execution.wft_scheduled_id,
        attempt=execution.wft_attempt,
        state=rows.TaskState.STARTED,
        visible_at=NOW,
        scheduled_at=NOW,
        started_at=NOW,
    )


def activity_task(
    execution: rows.Execution,
    scheduled_event_id: int,
    *,
    attempt: int = 1,
    state: rows.TaskState = rows.TaskState.STARTED,
    **info: Any,
) -> rows.Task:
    """An activity's task row, as the store would hold it."""
    defaults: dict[str, Any] = {
        "activity_id": "a1",
        "activity_type": "charge",
        "start_to_close_timeout": 5.0,
        "retry_policy": {"initial_interval": 1.0},
        "workflow_id": execution.workflow_id,
        "workflow_type": execution.workflow_type,
        "input": [],
    }
    return rows.Task(
        id=2,
        namespace=execution.namespace,
        task_queue=execution.task_queue,
        kind=rows.TaskKind.ACTIVITY,
        run_id=execution.run_id,
        scheduled_event_id=scheduled_event_id,
        attempt=attempt,
        state=state,
        visible_at=NOW,
        scheduled_at=NOW,
        started_at=NOW if state == rows.TaskState.STARTED else None,
        info={**defaults, **info},
    )


def idle(execution: rows.Execution, **changes: Any) -> rows.Execution:
    """The run with no workflow task outstanding."""
    return dataclasses.replace(execution, wft_scheduled_id=0, wft_started_id=0, **changes)


def types(b: batch.Batch) -> list[str]:
    """Event types the batch appends, in order."""
    return [e.attributes.type for e in b.events]
