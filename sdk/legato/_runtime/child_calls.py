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
from legato._runtime.instance import WorkflowInstance, current_instance
from legato._runtime.interceptor import StartChildWorkflowInput
from legato.api.command import v1 as cmd
from legato.common import Priority, RetryPolicy, WorkflowIDReusePolicy
from legato.converter import _search_attributes as search_attribute_encoding


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
) -> ChildWorkflowHandle[Any, Any]:
    """Start a child workflow and return its handle once the server started it.

    Raises:
        WorkflowAlreadyStartedError: The id is already running.
        NotImplementedError: A cron schedule, search attributes or versioning given.
    """
    name, hinted = definitions.workflow_name_and_result_type(workflow)
    instance = current_instance()
    input = StartChildWorkflowInput(
        workflow=name,
        args=_calls.arg_or_args(arg, args),
        id=id or str(uuid.UUID(int=instance.random().getrandbits(128), version=4)),
        task_queue=task_queue,
        cancellation_type=cancellation_type,
        parent_close_policy=parent_close_policy,
        execution_timeout=execution_timeout,
        run_timeout=run_timeout,
        task_timeout=task_timeout,
        id_reuse_policy=id_reuse_policy,
        retry_policy=retry_policy,
        cron_schedule=cron_schedule,
        memo=memo,
        search_attributes=search_attributes,
        headers={},
        versioning_intent=versioning_intent,
        static_summary=static_summary,
        static_details=static_details,
        versioning_override=versioning_override,
        event_groups=event_groups,
        priority=priority,
        arg_types=None,
        ret_type=result_type or hinted,
    )
    return await instance.outbound.start_child_workflow(input)


def command(input: StartChildWorkflowInput, instance: WorkflowInstance) -> cmd.StartChildWorkflowExecution:
    """The StartChildWorkflowExecution an outbound chain's input stands for.

    Raises:
        NotImplementedError: Versioning or a priority given.
    """
    _refuse_unsupported(input.versioning_intent, input.versioning_override, input.priority)
    pc = instance.converter.payload_converter
    return cmd.StartChildWorkflowExecution(
        workflow_id=input.id,
        workflow_type=input.workflow,
        task_queue=input.task_queue or instance.info().task_queue,
        input=pc.to_payloads(list(input.args)),
        workflow_execution_timeout=_calls.seconds(input.execution_timeout),
        workflow_run_timeout=_calls.seconds(input.run_timeout),
        workflow_task_timeout=_calls.seconds(input.task_timeout),
        parent_close_policy=input.parent_close_policy.wire_name,
        workflow_id_reuse_policy=input.id_reuse_policy.name,
        retry_policy=input.retry_policy.to_api() if input.retry_policy else None,
        memo={k: pc.to_payload(v) for k, v in (input.memo or {}).items()},
        search_attributes=search_attribute_encoding.payloads_of(input.search_attributes),
        cron_schedule=input.cron_schedule,
        header=dict(input.headers),
    )


async def execute_child_workflow(
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
) -> Any:
    """Start a child workflow and wait for its result (``start_child_workflow``'s options)."""
    handle = await start_child_workflow(
        workflow,
        arg,
        args=args,
        id=id,
        task_queue=task_queue,
        result_type=result_type,
        cancellation_type=cancellation_type,
        parent_close_policy=parent_close_policy,
        execution_timeout=execution_timeout,
        run_timeout=run_timeout,
        task_timeout=task_timeout,
        id_reuse_policy=id_reuse_policy,
        retry_policy=retry_policy,
        cron_schedule=cron_schedule,
        memo=memo,
        search_attributes=search_attributes,
        versioning_intent=versioning_intent,
        static_summary=static_summary,
        static_details=static_details,
        event_groups=event_groups,
        priority=priority,
        versioning_override=versioning_override,
    )
    return await handle


def _refuse_unsupported(intent: Any, override: Any, priority: Priority) -> None:
    if intent is not None or override is not None:
        raise NotImplementedError("worker versioning is not supported")
    if priority != Priority.default:
        raise NotImplementedError("priorities are not supported yet")


__all__ = ["execute_child_workflow", "start_child_workflow"]
