"""Child-workflow and external-workflow commands on a server that does not run them yet.

The wire carries Temporal's commands; until the server carries them out, a completion with
one is refused as a whole with Temporal's cause for that command, so nothing is lost silently.
"""

from __future__ import annotations

import pytest

from legato.api.command import v1 as cmd
from legato.api.history import v1 as wire
from legato_operator.engine.rules import commands, workflow_tasks
from tests.server.factories import NOW, started_run, types

NOT_YET: list[tuple[cmd.Command, str]] = [
    (
        cmd.StartChildWorkflowExecution(workflow_id="child-1", workflow_type="Child"),
        "BAD_START_CHILD_EXECUTION_ATTRIBUTES",
    ),
    (
        cmd.SignalExternalWorkflowExecution(workflow_id="other", signal_name="poke"),
        "BAD_SIGNAL_WORKFLOW_EXECUTION_ATTRIBUTES",
    ),
    (
        cmd.RequestCancelExternalWorkflowExecution(workflow_id="other"),
        "BAD_REQUEST_CANCEL_EXTERNAL_WORKFLOW_EXECUTION_ATTRIBUTES",
    ),
]


@pytest.mark.parametrize(("command", "cause"), NOT_YET)
def test_a_child_or_external_command_fails_the_workflow_task_with_temporals_cause(
    command: cmd.Command, cause: str
) -> None:
    b = workflow_tasks.complete(
        commands.Context(started_run()),
        [cmd.StartTimer(timer_id="t1", start_to_fire_timeout=5), command],
        "worker-1",
        NOW,
    )
    assert types(b) == ["WorkflowTaskFailed"]
    failed = b.events[0].attributes
    assert isinstance(failed, wire.WorkflowTaskFailed)
    assert failed.cause == cause
    assert failed.failure is not None
    assert command.type in failed.failure.message
    assert not any(t.kind.value == "user" for t in b.new_timers)
    assert not b.closed
