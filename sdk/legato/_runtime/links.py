"""The innermost links of a run's interceptor chains: where they reach the instance.

``RootInbound`` runs the workflow's code (its run method, its signal handlers);
``RootOutbound`` turns ``StartActivityInput`` into a ``ScheduleActivityTask`` command.
User interceptors (``legato.worker.Interceptor``) wrap them; the instance calls the
outermost inbound link and workflow code calls the outermost outbound one.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any, NoReturn

from legato import _calls
from legato._runtime import external_workflows, local_activities, queries, updates
from legato._runtime.activities import ActivityHandle
from legato._runtime.child_workflows import ChildWorkflowHandle
from legato._runtime.info import WorkflowInfo
from legato._runtime.interceptor import (
    ContinueAsNewInput,
    ExecuteWorkflowInput,
    HandleQueryInput,
    HandleSignalInput,
    HandleUpdateInput,
    SignalChildWorkflowInput,
    SignalExternalWorkflowInput,
    StartActivityInput,
    StartChildWorkflowInput,
    StartLocalActivityInput,
    WorkflowInboundInterceptor,
    WorkflowOutboundInterceptor,
    refuse_unsupported_activity_options,
)
from legato.api.command import v1 as cmd

if TYPE_CHECKING:
    from legato._runtime.instance import WorkflowInstance


class RootOutbound(WorkflowOutboundInterceptor):
    """The instance's side of the outbound chain."""

    def __init__(self, instance: WorkflowInstance) -> None:
        # No next link: this is the end of the chain.
        self._instance = instance

    def info(self) -> WorkflowInfo:
        """The run's information."""
        return self._instance.info()

    def start_activity(self, input: StartActivityInput) -> ActivityHandle[Any]:
        """Schedule the activity as a command; its id is the next sequence number by default."""
        refuse_unsupported_activity_options(input)
        instance = self._instance
        # Temporal's default id is the activity's sequence number in the run, so replay agrees.
        seq = instance.next_seq("activity")
        command = cmd.ScheduleActivityTask(
            activity_id=input.activity_id or str(seq),
            activity_type=input.activity,
            task_queue=input.task_queue or instance.info().task_queue,
            input=instance.converter.payload_converter.to_payloads(list(input.args)),
            schedule_to_close_timeout=_calls.seconds(input.schedule_to_close_timeout),
            schedule_to_start_timeout=_calls.seconds(input.schedule_to_start_timeout),
            start_to_close_timeout=_calls.seconds(input.start_to_close_timeout),
            heartbeat_timeout=_calls.seconds(input.heartbeat_timeout),
            retry_policy=input.retry_policy.to_api() if input.retry_policy else None,
            header=dict(input.headers),
            # The worker clears it when it has no free slot or no such activity.
            request_eager_execution=not input.disable_eager_execution,
        )
        return instance.start_activity(command, result_type=input.ret_type, cancellation_type=input.cancellation_type)

    def start_local_activity(self, input: StartLocalActivityInput) -> ActivityHandle[Any]:
        """Ask the worker to run the activity before it answers this workflow task."""
        instance = self._instance
        seq = instance.next_seq("activity")
        options = local_activities.LocalActivityOptions(
            activity_type=input.activity,
            activity_id=input.activity_id or str(seq),
            args=instance.converter.payload_converter.to_payloads(list(input.args)),
            headers=dict(input.headers),
            retry_policy=input.retry_policy or local_activities.DEFAULT_RETRY_POLICY,
            local_retry_threshold=_calls.seconds(input.local_retry_threshold)
            or local_activities.DEFAULT_LOCAL_RETRY_THRESHOLD,
            start_to_close_timeout=_calls.seconds(input.start_to_close_timeout),
            schedule_to_close_timeout=_calls.seconds(input.schedule_to_close_timeout),
            schedule_to_start_timeout=_calls.seconds(input.schedule_to_start_timeout),
            id_given=input.activity_id is not None,
            cancellation_type=input.cancellation_type,
        )
        return instance.start_local_activity(seq, options, result_type=input.ret_type)

    # --- children and other runs ---

    async def start_child_workflow(self, input: StartChildWorkflowInput) -> ChildWorkflowHandle[Any, Any]:
        """Send StartChildWorkflowExecution; the handle once history says the child started."""
        from legato._runtime import child_calls

        instance = self._instance
        command = child_calls.command(input, instance)
        return await instance.start_child(
            command, result_type=input.ret_type, cancellation_type=input.cancellation_type
        )

    async def signal_child_workflow(self, input: SignalChildWorkflowInput) -> None:
        """Signal the child by its workflow id, children only."""
        await external_workflows.send_signal(
            input.child_workflow_id, "", input.signal, input.args, dict(input.headers), child_only=True
        )

    async def signal_external_workflow(self, input: SignalExternalWorkflowInput) -> None:
        """Signal another run by its workflow id (and run id)."""
        await external_workflows.send_signal(
            input.workflow_id, input.workflow_run_id or "", input.signal, input.args, dict(input.headers)
        )

    # --- continue-as-new ---

    def continue_as_new(self, input: ContinueAsNewInput) -> NoReturn:
        """Raise ``ContinueAsNewError`` carrying the command; the run closes with it."""
        from legato._runtime import continue_as_new

        raise continue_as_new.error(self._instance, input)


class RootInbound(WorkflowInboundInterceptor):
    """The instance's side of the inbound chain: runs the workflow's own code."""

    def __init__(self, instance: WorkflowInstance) -> None:
        # No next link: this is the end of the chain.
        self._instance = instance

    def init(self, outbound: WorkflowOutboundInterceptor) -> None:
        """The outbound chain workflow code calls through from now on."""
        self._instance.outbound = outbound

    async def execute_workflow(self, input: ExecuteWorkflowInput) -> Any:
        """Call the run method on the workflow object."""
        return await input.run_fn(self._instance.workflow_object, *input.args)

    async def handle_signal(self, input: HandleSignalInput) -> None:
        """Call the signal's handler (sync or async): the class's or one set at run time."""
        outcome = self._instance.invoke_signal(input.signal, input.args)
        if asyncio.iscoroutine(outcome):
            await outcome

    async def handle_query(self, input: HandleQueryInput) -> Any:
        """Call the query's handler (the dynamic one gets the name and the raw values)."""
        return await queries.call_handler(self._instance, input)

    def handle_update_validator(self, input: HandleUpdateInput) -> None:
        """Call the update's validator, if it has one."""
        updates.call_validator(self._instance, input)

    async def handle_update_handler(self, input: HandleUpdateInput) -> Any:
        """Call the update's handler (the dynamic one gets the name and the raw values)."""
        return await updates.call_handler(self._instance, input)
