"""``workflow.start_child_workflow`` and ``execute_child_workflow``, as temporalio's."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from datetime import timedelta
from typing import Any

from legato import _calls
from legato._runtime import definitions
from legato._runtime.child_workflows import ChildWorkflowHandle
from legato._runtime.children import ChildWorkflowCancellationType, ParentClosePolicy
from legato._runtime.instance import current_instance
from legato.api.command import v1 as cmd
from legato.common import Priority, RetryPolicy, WorkflowIDReusePolicy


async def start_child_workflow(
    workflow: Any,
    arg: Any = _calls.UNSET,
    *,
    args: Sequence[Any] = [],  # temporalio's default; never mutated
    id: str | None = None,
    task_queue: str | None = None,
    result_type: type | None = None,
    cancellation_type: ChildWorkflowCancellationType = ChildWorkflowCancellationType.WAIT_CANCELLATION_COMPLETED,
    parent_close_policy: ParentClosePolicy = ParentClosePolicy.TERMINATE,
    execution_timeout: timedelta | None = None,
    run_timeout: timedelta | None = None,
    task_timeout: timedelta | None = None,
    id_reuse_policy: WorkflowIDReusePolicy = WorkflowIDReusePolicy.ALLOW_DUPLICATE,
    retry_policy: RetryPolicy | None = None,
    cron_schedule: str = "",
    memo: Mapping[str, Any] | None = None,
    search_attributes: Any = None,
    versioning_intent: Any = None,
    static_summary: str | None = None,
    static_details: str | None = None,
    event_groups: Any = None,
    priority: Priority = Priority.default,
    versioning_override: Any = None,
) -> ChildWorkflowHandle[Any]:
    """Start a child workflow and return its handle once the server started it.

    Raises:
        WorkflowAlreadyStartedError: The id is already running.
        NotImplementedError: A cron schedule, search attributes or versioning given.
    """
    _refuse_unsupported(cron_schedule, search_attributes, versioning_intent, versioning_override, priority)
    name, hinted = definitions.workflow_name_and_result_type(workflow)
    instance = current_instance()
    pc = instance.converter.payload_converter
    command = cmd.StartChildWorkflowExecution(
        workflow_id=id or str(uuid.UUID(int=instance.random().getrandbits(128), version=4)),
        workflow_type=name,
        task_queue=task_queue or instance.info().task_queue,
        input=pc.to_payloads(_calls.arg_or_args(arg, args)),
        workflow_execution_timeout=_calls.seconds(execution_timeout),
        workflow_run_timeout=_calls.seconds(run_timeout),
        workflow_task_timeout=_calls.seconds(task_timeout),
        parent_close_policy=parent_close_policy.wire_name,
        workflow_id_reuse_policy=id_reuse_policy.name,
        retry_policy=retry_policy.to_api() if retry_policy else None,
        memo={k: pc.to_payload(v) for k, v in (memo or {}).items()},
    )
    return await instance.start_child(command, result_type=result_type or hinted, cancellation_type=cancellation_type)


async def execute_child_workflow(workflow: Any, arg: Any = _calls.UNSET, **options: Any) -> Any:
    """Start a child workflow and wait for its result (``start_child_workflow``'s options)."""
    handle = await start_child_workflow(workflow, arg, **options)
    return await handle


def _refuse_unsupported(cron: str, search_attributes: Any, intent: Any, override: Any, priority: Priority) -> None:
    if cron:
        raise NotImplementedError("cron_schedule is not supported for child workflows")
    if search_attributes:
        raise NotImplementedError("search_attributes are not supported for child workflows")
    if intent is not None or override is not None:
        raise NotImplementedError("worker versioning is not supported")
    if priority != Priority.default:
        raise NotImplementedError("priorities are not supported yet")


__all__ = ["execute_child_workflow", "start_child_workflow"]
