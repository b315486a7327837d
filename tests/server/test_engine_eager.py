"""Eager dispatch without a database: which tasks a completion hands back, and how."""

from __future__ import annotations

from legato.api.command import v1 as cmd
from legato_operator.engine.rules import activities, batch, commands, eager, keys, workflow_tasks
from legato_operator.store import rows
from tests.server.factories import NOW, activity_task, idle, started_run, types
from tests.support.payloads import payload

ACTIVITY_KEY = keys.task_key("default", "orders", rows.TaskKind.ACTIVITY)
WORKFLOW_KEY = keys.task_key("default", "orders", rows.TaskKind.WORKFLOW)


def schedule(activity_id: str, *, eager_execution: bool = True, **options: object) -> cmd.ScheduleActivityTask:
    return cmd.ScheduleActivityTask(
        activity_id=activity_id,
        activity_type="charge",
        start_to_close_timeout=5,
        request_eager_execution=eager_execution,
        **options,
    )


def completed_with(*command_list: cmd.Command) -> tuple[list[rows.Task], batch.Batch]:
    b = workflow_tasks.complete(commands.Context(started_run()), list(command_list), "worker-1", NOW)
    return eager.start_activities(b, command_list), b


def test_an_eager_activity_is_inserted_started_with_its_attempt_limits_and_wakes_no_poller() -> None:
    handed, b = completed_with(schedule("a1", schedule_to_start_timeout=60))
    [task] = handed
    [new] = b.new_tasks
    assert (new.state, new.started_at) == (rows.TaskState.STARTED, NOW)
    assert task.scheduled_event_id == new.scheduled_event_id
    kinds = sorted(t.kind for t in b.new_timers)
    # Started at once: no wait for a start to time out; the attempt's own limit runs.
    assert kinds == [rows.TimerKind.ACTIVITY_START_TO_CLOSE]
    assert ACTIVITY_KEY not in b.notify
    assert b.handed_over == [rows.TaskKind.ACTIVITY]
    assert activities.to_wire(task).activity_id == "a1"


def test_only_the_activities_asked_for_are_handed_back_and_the_others_still_wake_a_poller() -> None:
    handed, b = completed_with(schedule("a1"), schedule("a2", eager_execution=False))
    assert [t.info["activity_id"] for t in handed] == ["a1"]
    assert sorted(t.state for t in b.new_tasks if t.kind == rows.TaskKind.ACTIVITY) == ["ready", "started"]
    assert ACTIVITY_KEY in b.notify


def test_an_activity_on_another_task_queue_is_never_handed_back() -> None:
    handed, b = completed_with(schedule("a1", task_queue="elsewhere"))
    assert handed == []
    assert [t.state for t in b.new_tasks] == [rows.TaskState.READY]


def test_a_completion_that_closes_the_run_hands_back_nothing() -> None:
    handed, b = completed_with(schedule("a1"), cmd.CompleteWorkflowExecution(result=payload("done")))
    assert b.closed
    assert handed == []


def test_an_activity_result_hands_over_the_workflow_task_it_schedules() -> None:
    run = idle(started_run(), next_event_id=6)
    b = activities.completed(run, activity_task(run, 5), payload("ok"), "worker-1", NOW)
    assert eager.hand_over_workflow_task(b, "worker-1")
    assert types(b) == [
        "ActivityTaskStarted",
        "ActivityTaskCompleted",
        "WorkflowTaskScheduled",
        "WorkflowTaskStarted",
    ]
    [new] = b.new_tasks
    assert new.state == rows.TaskState.STARTED
    assert b.execution.wft_started_id == b.events[-1].event_id
    assert [t.kind for t in b.new_timers] == [rows.TimerKind.WORKFLOW_TASK_TIMEOUT]
    assert WORKFLOW_KEY not in b.notify
    assert b.handed_over == [rows.TaskKind.WORKFLOW]


def test_a_result_buffered_behind_a_running_workflow_task_hands_over_nothing() -> None:
    run = started_run()
    b = activities.completed(run, activity_task(run, 5), payload("ok"), "worker-1", NOW)
    assert not eager.hand_over_workflow_task(b, "worker-1")
    assert b.new_tasks == []
    assert b.handed_over == []
