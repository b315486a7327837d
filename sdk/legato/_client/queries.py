"""Queries from a client: the errors ``WorkflowHandle.query`` raises, and the call itself.

The server holds the call until a worker of the run's task queue answers (or the query's
timeout passes: ``rpc_timeout``, else the server's 30 s, as Temporal's frontend answers a
query no worker took). The answer is the handler's value, its failure, or a rejection by
the reject condition, which the server decides on the run's status without a worker.
"""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING, Any

from legato import _service
from legato._client.interceptor import QueryWorkflowInput
from legato.api.workflowservice import v1 as api
from legato.common import QueryRejectCondition
from legato.exceptions import LegatoError

if TYPE_CHECKING:
    from legato.client import Client, WorkflowExecutionStatus

# The HTTP call outlives the server's own timeout, so the server's answer comes first.
_HTTP_MARGIN = 15.0


class WorkflowQueryFailedError(LegatoError):
    """The query's handler failed, or the run has no handler for its name."""

    def __init__(self, message: str) -> None:
        """Initialize with the failure's message."""
        super().__init__(message)
        self._message = message

    @property
    def message(self) -> str:
        """The failure's message (for an unknown name, it lists the known ones)."""
        return self._message


class WorkflowQueryRejectedError(LegatoError):
    """The reject condition held: the server refused the query without asking a worker."""

    def __init__(self, status: WorkflowExecutionStatus | None) -> None:
        """Initialize with the run's status."""
        super().__init__(f"Query rejected, status: {status}")
        self._status = status

    @property
    def status(self) -> WorkflowExecutionStatus | None:
        """The status of the run when it was queried."""
        return self._status


async def query_workflow(client: Client, input: QueryWorkflowInput) -> Any:
    """Ask the server and return the decoded answer; raise the query errors."""
    from legato.client import WorkflowExecutionStatus

    condition = input.reject_condition or client.config().get("default_workflow_query_reject_condition")
    timeout = _timeout(input.rpc_timeout)
    request = api.QueryWorkflowRequest(
        workflow_id=input.id,
        run_id=input.run_id,
        query_type=input.query,
        args=await client.data_converter.encode(list(input.args)),
        reject_condition=_condition(condition),
        timeout=timeout,
        identity=client.identity,
        header=dict(input.headers),
    )
    options = _service.CallOptions(metadata=input.rpc_metadata, timeout=timedelta(seconds=timeout + _HTTP_MARGIN))
    response = await client.service_client.query_workflow(request, options)
    if response.rejected is not None:
        raise WorkflowQueryRejectedError(WorkflowExecutionStatus.from_api(response.rejected))
    if response.failure is not None:
        # Through the codec and failure converter: an encrypted message is readable again.
        error = await client.data_converter.decode_failure(response.failure)
        raise WorkflowQueryFailedError(getattr(error, "message", None) or str(error))
    if response.result is None:
        return None
    return (await client.data_converter.decode([response.result], [input.ret_type]))[0]


def _timeout(rpc_timeout: timedelta | None) -> float:
    if rpc_timeout is None:
        return api.DEFAULT_QUERY_TIMEOUT
    return min(max(rpc_timeout.total_seconds(), 0.001), api.MAX_QUERY_TIMEOUT)


def _condition(condition: Any) -> api.QueryRejectCondition:
    if condition is None:
        return api.QueryRejectCondition.NONE
    return QueryRejectCondition(condition).to_api()
