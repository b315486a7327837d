"""The server's one error tree; the API turns each into an HTTP status and an ErrorBody.

::

    OperatorError
    ├── NotFound            no such workflow, run or namespace               404
    ├── AlreadyExists       the namespace or search attribute is registered  409
    ├── AlreadyStarted      the workflow id is running (or may not be reused) 409
    ├── Conflict            a concurrent change won                          409
    │   └── StaleVersion    the execution's version moved under us (retried)
    ├── InvalidArgument     an input the models accept but the server cannot  400
    ├── PermissionDenied    the caller may not make this call                 403
    ├── PayloadTooLarge     a payload past the configured limit               413
    ├── FailedPrecondition  the server is not in the state the call needs     412
    ├── TaskNotFound        a task token whose attempt no longer holds the task 410
    ├── QueryTimeout        no worker answered a query in time                 504
    └── Unavailable         the database (or the authorizer) is unreachable   503

Errors carry structured attributes, and messages that name the object; ``code`` is the
``error`` of the ErrorBody (Temporal's name where it has one).
"""

from __future__ import annotations


class OperatorError(Exception):
    """Base of every error the server raises on purpose."""

    code = "OperatorError"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class NotFound(OperatorError):
    """A workflow or run that does not exist (in this namespace)."""

    code = "NotFound"

    def __init__(self, message: str, *, workflow_id: str | None = None, run_id: str | None = None) -> None:
        super().__init__(message)
        self.workflow_id = workflow_id
        self.run_id = run_id


class AlreadyExists(OperatorError):
    """A namespace or a search attribute registered already (another search attribute type)."""

    code = "AlreadyExists"


class AlreadyStarted(OperatorError):
    """Temporal's WorkflowExecutionAlreadyStarted: the id's run is given in ``run_id``."""

    code = "WorkflowAlreadyStarted"

    def __init__(self, *, workflow_id: str, run_id: str, message: str | None = None) -> None:
        super().__init__(message or f"Workflow '{workflow_id}' is already started (run {run_id})")
        self.workflow_id = workflow_id
        self.run_id = run_id


class Conflict(OperatorError):
    """A concurrent change made this one impossible; retrying may succeed."""

    code = "Conflict"


class StaleVersion(Conflict):
    """The execution row changed between our read and our conditional update."""

    code = "Conflict"

    def __init__(self, run_id: str, expected_version: int) -> None:
        super().__init__(f"Run {run_id} changed concurrently (expected version {expected_version})")
        self.run_id = run_id
        self.expected_version = expected_version


class InvalidArgument(OperatorError):
    """An input that parses but that the server refuses; ``field`` names it."""

    code = "InvalidArgument"

    def __init__(self, field: str | None, message: str) -> None:
        super().__init__(message)
        self.field = field


class PermissionDenied(OperatorError):
    """The caller is authenticated but may not make this call (a namespace's token
    registering namespaces, say)."""

    code = "PermissionDenied"


class PayloadTooLarge(OperatorError):
    """A payload larger than the configured limit (Temporal's default: 2 MiB)."""

    code = "PayloadTooLarge"

    def __init__(self, field: str, size: int, limit: int) -> None:
        super().__init__(f"Payload '{field}' is {size} bytes, over the limit of {limit} bytes")
        self.field = field
        self.size = size
        self.limit = limit


class FailedPrecondition(OperatorError):
    """The call needs the server in another state (a testing call on a server without
    ``--time-skipping``, say); the message says what to change."""

    code = "FailedPrecondition"


class TaskNotFound(OperatorError):
    """The task token's attempt no longer holds the task: it timed out, was retried or answered."""

    code = "TaskNotFound"


class QueryTimeout(OperatorError):
    """No worker answered a query within its timeout (none polls the run's queue, or all are busy)."""

    code = "DeadlineExceeded"

    def __init__(self, workflow_id: str, run_id: str, task_queue: str, timeout: float) -> None:
        super().__init__(
            f"Query to workflow '{workflow_id}' was not answered within {timeout:g}s: "
            f"no worker of task queue '{task_queue}' took it"
        )
        self.workflow_id = workflow_id
        self.run_id = run_id


class Unavailable(OperatorError):
    """The database, or the Kubernetes API that judges a caller, cannot be reached now
    (stopped, restarting, unreachable): nothing was done that the caller can see, and the
    same call may succeed shortly."""

    code = "Unavailable"
    # Seconds the caller is told to wait (Retry-After); the SDK backs off on its own.
    retry_after = 1
