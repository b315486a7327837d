"""Eager dispatch: a task handed to the worker in the answer to its completion, not to a poll.

Two hand-overs, each inside the completion's own batch, so they commit with it or not at all:

- A workflow task's commands schedule activities with ``request_eager_execution`` on the
  run's own task queue (Temporal's eager activity execution): their tasks are inserted
  started, with their attempt's limits armed, and the answer carries them.
- An activity's result schedules the run's next workflow task and the worker that ran it
  asked for it (it holds the run in its cache): that task is started for it at once.

Every invariant of a polled task holds: the run has one outstanding workflow task, the
task's timeouts are armed in the same transaction, and a worker that dies holding it is
found out by those timeouts, after which the task is retried as any other. A task handed
over wakes no poller: nothing is left for one to take.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

from legato.api.command import v1 as cmd
from legato_operator.engine.rules import activities, batch, keys, workflow_tasks
from legato_operator.store import rows


def start_activities(b: batch.Batch, commands: Sequence[cmd.Command]) -> list[rows.Task]:
    """Start, in ``b``, the activity tasks its commands asked to run eagerly; the started tasks."""
    if b.closed:
        return []
    wanted = {c.activity_id for c in commands if isinstance(c, cmd.ScheduleActivityTask) and c.request_eager_execution}
    started: list[rows.Task] = []
    for i, new in enumerate(b.new_tasks):
        if _is_eager(b, new, wanted):
            b.new_tasks[i] = dataclasses.replace(new, state=rows.TaskState.STARTED, started_at=b.now)
            started.append(_as_task(b.new_tasks[i]))
    for task in started:
        _arm_attempt(b, task)
        b.handed_over.append(rows.TaskKind.ACTIVITY)
    _quiet(b, rows.TaskKind.ACTIVITY, b.execution.task_queue)
    return started


def _is_eager(b: batch.Batch, new: rows.NewTask, wanted: set[str]) -> bool:
    # Only on the run's own queue: the completing worker polls that one, no other.
    return (
        new.kind == rows.TaskKind.ACTIVITY
        and new.state == rows.TaskState.READY
        and new.task_queue == b.execution.task_queue
        and new.info.get("activity_id") in wanted
    )


def _arm_attempt(b: batch.Batch, task: rows.Task) -> None:
    # Started at once: the wait for a start cannot time out; the attempt's own limits run.
    b.new_timers = [
        t
        for t in b.new_timers
        if not (t.kind == rows.TimerKind.ACTIVITY_SCHEDULE_TO_START and t.ref == task.scheduled_event_id)
    ]
    b.new_timers.extend(activities.attempt_timers(task, b.now))


def hand_over_workflow_task(b: batch.Batch, identity: str) -> bool:
    """Start, for ``identity``, the workflow task ``b`` has just scheduled; whether there was one."""
    index = ready_workflow_task(b)
    if index is None:
        return False
    start_workflow_task(b, index, identity)
    b.handed_over.append(rows.TaskKind.WORKFLOW)
    return True


def ready_workflow_task(b: batch.Batch) -> int | None:
    """Where in ``b.new_tasks`` the workflow task ``b`` has just made ready is, if it did."""
    ex = b.execution
    # Not when the run's task was scheduled earlier (someone may be polling for it), waits
    # for a later time, or is a transient attempt (written only when it completes).
    if b.closed or ex.wft_started_id != 0 or ex.wft_scheduled_id == batch.TRANSIENT:
        return None
    return next(
        (
            i
            for i, new in enumerate(b.new_tasks)
            if new.kind == rows.TaskKind.WORKFLOW
            and new.scheduled_event_id == ex.wft_scheduled_id
            and new.state == rows.TaskState.READY
            and new.visible_at <= b.now
        ),
        None,
    )


def start_workflow_task(b: batch.Batch, index: int, identity: str) -> None:
    """Start the ready workflow task at ``index`` for ``identity``, in ``b``: no poll claims it."""
    b.new_tasks[index] = dataclasses.replace(b.new_tasks[index], state=rows.TaskState.STARTED)
    workflow_tasks.start_at_once(b, identity)
    _quiet(b, rows.TaskKind.WORKFLOW, b.execution.task_queue)


def _quiet(b: batch.Batch, kind: rows.TaskKind, task_queue: str) -> None:
    """Wake no poller of the queue unless the batch still leaves a task there for one."""
    ready = any(t.kind == kind and t.task_queue == task_queue and t.state == rows.TaskState.READY for t in b.new_tasks)
    if not ready:
        b.notify.discard(keys.task_key(b.execution.namespace, task_queue, kind))


def _as_task(new: rows.NewTask) -> rows.Task:
    return rows.Task(
        id=0,
        namespace=new.namespace,
        task_queue=new.task_queue,
        kind=new.kind,
        run_id=new.run_id,
        scheduled_event_id=new.scheduled_event_id,
        attempt=new.attempt,
        state=new.state,
        visible_at=new.visible_at,
        scheduled_at=new.scheduled_at,
        started_at=new.started_at,
        info=new.info,
    )
