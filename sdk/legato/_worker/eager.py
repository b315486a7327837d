"""Eager dispatch, the worker's half: tasks that come back in the answer to a completion.

- A workflow task's completion asks for the activities it schedules on the worker's own
  queue to come back started (``request_eager_execution``), for as many as the activity
  worker has free slots, at most ``max_eager_activity_reservations_per_workflow_task``.
- An activity's completion asks for its run's next workflow task when the workflow worker
  holds that run in its cache and has a free slot (``request_workflow_task``).

Each slot is reserved before the request is sent and freed if no task came for it, so a
handed-over task always has room to run. A task handed over is run as a polled one is;
if the worker dies holding it, the server's timeouts retry it elsewhere.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from legato.api.command import v1 as cmd
from legato.api.workflowservice import v1 as api

from .polling import Poller


class EagerActivities:
    """Reserves activity slots for a workflow task's completion and runs what comes back."""

    def __init__(self, poller: Poller[Any], task_queue: str, runs: Callable[[str], bool], limit: int) -> None:
        self._poller = poller
        self._task_queue = task_queue
        # Whether the activity worker has this activity type.
        self._runs = runs
        self._limit = limit
        # Set when the worker shuts down: no new activity is taken on then.
        self.stopped = False

    def reserve(self, commands: Sequence[cmd.Command]) -> tuple[list[cmd.Command], int]:
        """The commands with ``request_eager_execution`` kept on as many as slots were
        reserved for (and off on the rest), and the number reserved."""
        kept: list[cmd.Command] = []
        reserved = 0
        for command in commands:
            if isinstance(command, cmd.ScheduleActivityTask) and command.request_eager_execution:
                eager = self._can_run(command, reserved) and self._poller.try_reserve()
                reserved += eager
                command = command.model_copy(update={"request_eager_execution": eager})
            kept.append(command)
        return kept, reserved

    def _can_run(self, command: cmd.ScheduleActivityTask, reserved: int) -> bool:
        if self.stopped or reserved >= self._limit:
            return False
        return command.task_queue in ("", self._task_queue) and self._runs(command.activity_type)

    def deliver(self, tasks: Sequence[api.ActivityTask], reserved: int) -> None:
        """Run the tasks the answer brought in the slots reserved; free the others."""
        for task in tasks[:reserved]:
            self._poller.run_reserved(task)
        for _ in range(reserved - len(tasks[:reserved])):
            self._poller.release()


def without_eager(commands: Sequence[cmd.Command]) -> list[cmd.Command]:
    """The commands asking for no eager activity (a completion that reserved no slot)."""
    return [
        c.model_copy(update={"request_eager_execution": False})
        if isinstance(c, cmd.ScheduleActivityTask) and c.request_eager_execution
        else c
        for c in commands
    ]


class EagerWorkflowTasks:
    """Reserves a workflow-task slot for an activity's completion when the run is cached."""

    def __init__(self, poller: Poller[Any], holds: Callable[[str], bool]) -> None:
        self._poller = poller
        # Whether the workflow worker holds this run in its cache.
        self._holds = holds
        # Set when the worker shuts down: its workflow tasks in flight are being waited for.
        self.stopped = False

    def reserve(self, run_id: str) -> bool:
        """Whether a slot was reserved for the run's next workflow task."""
        return not self.stopped and self._holds(run_id) and self._poller.try_reserve()

    def deliver(self, task: api.WorkflowTask | None) -> None:
        """Run the task the answer brought in the reserved slot, or free it."""
        if task is None:
            self._poller.release()
        else:
            self._poller.run_reserved(task)

    def release(self) -> None:
        """Free the reserved slot (the answer did not arrive)."""
        self._poller.release()
