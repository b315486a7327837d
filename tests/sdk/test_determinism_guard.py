"""The determinism guard: nondeterministic calls from workflow code fail the workflow task.

Pure tests: each history holds one started workflow task, which the Replayer runs live.
"""

from __future__ import annotations

import re
import time
from typing import Any

import pytest

from legato import workflow
from legato.client import WorkflowHistory
from legato.worker import Replayer, UnsandboxedWorkflowRunner
from legato.worker.workflow_sandbox import (
    RestrictedWorkflowAccessError,
    SandboxedWorkflowRunner,
    SandboxRestrictions,
)
from tests.sdk import guarded_workflows as wf
from tests.sdk.histories import HistoryBuilder

WORKFLOWS = [
    wf.CallsWorkflow,
    wf.CatchesTheGuardWorkflow,
    wf.CollectsGarbageWorkflow,
    wf.EscapesWorkflow,
    wf.UnsandboxedWorkflow,
]


def first_task(workflow_type: str, *args: Any) -> WorkflowHistory:
    h = HistoryBuilder(workflow_type, *args)
    h.workflow_task()
    return WorkflowHistory("guarded", h.events)


async def replay(history: WorkflowHistory, **options: Any) -> None:
    await Replayer(workflows=WORKFLOWS, **options).replay_workflow(history)


@pytest.mark.parametrize("label", sorted(wf.CALLS))
async def test_guarded_call_fails_the_task_naming_the_call_and_the_replacement(label: str) -> None:
    name = label.split(" (")[0]
    replacement = wf.CALLS[label][1]
    with pytest.raises(RestrictedWorkflowAccessError) as caught:
        await replay(first_task("CallsWorkflow", label))
    assert caught.value.qualified_name == name
    assert str(caught.value).startswith(f"Cannot access {name} from inside a workflow")
    assert replacement in str(caught.value)


async def test_guard_error_is_a_nondeterminism_error_as_in_temporal() -> None:
    with pytest.raises(workflow.NondeterminismError):
        await replay(first_task("CallsWorkflow", "time.time"))


async def test_caught_guard_error_still_fails_the_task() -> None:
    with pytest.raises(RestrictedWorkflowAccessError, match=re.escape("time.time")):
        await replay(first_task("CatchesTheGuardWorkflow"))


async def test_escapes_logging_and_workflow_replacements_pass_the_guard() -> None:
    await replay(first_task("EscapesWorkflow"))


@pytest.mark.parametrize("label", ["datetime.datetime.now", "random.randint", "uuid.uuid4", "open"])
async def test_unsandboxed_runner_allows_every_call(label: str) -> None:
    await replay(first_task("CallsWorkflow", label), workflow_runner=UnsandboxedWorkflowRunner())


async def test_garbage_collector_callback_is_not_the_workflows_call() -> None:
    await replay(first_task("CollectsGarbageWorkflow"))


async def test_workflow_declared_unsandboxed_is_not_guarded() -> None:
    await replay(first_task("UnsandboxedWorkflow"))


async def test_module_passed_through_by_the_restrictions_may_read_the_clock() -> None:
    restrictions = SandboxRestrictions.default.with_passthrough_modules("tests.sdk.unpassed_clock")
    runner = SandboxedWorkflowRunner(restrictions=restrictions)
    await replay(first_task("CallsWorkflow", "time.time (via a module not passed through)"), workflow_runner=runner)


async def test_member_made_unrestricted_is_allowed_and_the_others_are_not() -> None:
    members = SandboxRestrictions.default.invalid_module_members.with_child_unrestricted("time", "time")
    restrictions = SandboxRestrictions(
        passthrough_modules=SandboxRestrictions.default.passthrough_modules,
        invalid_modules=SandboxRestrictions.default.invalid_modules,
        invalid_module_members=members,
    )
    runner = SandboxedWorkflowRunner(restrictions=restrictions)
    await replay(first_task("CallsWorkflow", "time.time"), workflow_runner=runner)
    with pytest.raises(RestrictedWorkflowAccessError, match=re.escape("time.monotonic")):
        await replay(first_task("CallsWorkflow", "time.monotonic"), workflow_runner=runner)


def test_calls_outside_an_activation_are_not_guarded() -> None:
    assert time.time() > 0
    assert not workflow.unsafe.in_sandbox()
