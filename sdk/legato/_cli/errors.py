"""What went wrong, as one line a person can act on, and the exit code that says so.

::

    CliError                 a failure the command itself recognized (code and message)
    ├── UsageError           bad input: a flag's JSON, a duration, a missing choice (exit 2)
    └── KubeconfigError      the kubeconfig gives no token to send (``kubeconfig``; exit 2,
                             or 4 when its exec plugin failed)

Everything else a command raises is explained here (``explain``): an ``RPCError`` by its
status (not found, unreachable, refused credentials), a run that did not complete by its
failure chain. The exit codes are documented in ``docs/cli.md``.
"""

from __future__ import annotations

import os

from legato.client import WorkflowFailureError, WorkflowQueryFailedError, WorkflowUpdateFailedError
from legato.envconfig import ConfigError
from legato.exceptions import CancelledError, LegatoError, RPCError, RPCStatusCode, TerminatedError, TimeoutError

OK = 0
FAILED = 1
USAGE = 2
NOT_FOUND = 3
UNREACHABLE = 4

# What the connection's credentials are called when there are none.
NO_CREDENTIALS = "no credentials"
# What to do when a server asks for a token and none was sent.
TOKEN_HINT = "give --api-key, $LEGATO_TOKEN or $LEGATO_TOKEN_FILE, or --kube"


class CliError(Exception):
    """A failure with the message to print and the exit code to return."""

    def __init__(self, message: str, code: int = FAILED) -> None:
        super().__init__(message)
        self.message = message
        self.code = code


class UsageError(CliError):
    """The command line asked for something that cannot be sent (exit 2)."""

    def __init__(self, message: str) -> None:
        super().__init__(message, USAGE)


def explain(error: BaseException, *, address: str, credentials: str, token_hint: str = TOKEN_HINT) -> CliError:
    """``error`` as a message and exit code; ``address`` and ``credentials`` say what was used,
    ``token_hint`` what to do when a server asks for a token and none was sent."""
    if isinstance(error, CliError):
        return error
    if isinstance(error, RPCError):
        return _rpc(error, address, credentials, token_hint)
    if isinstance(error, ConfigError):
        return UsageError(str(error))
    if isinstance(error, WorkflowFailureError):
        return CliError(f"the workflow did not complete: {failure_chain(error.cause)}")
    if isinstance(error, WorkflowUpdateFailedError):
        return CliError(f"the update failed: {failure_chain(error.cause)}")
    if isinstance(error, WorkflowQueryFailedError):
        return CliError(f"the query failed: {error.message}")
    if isinstance(error, LegatoError):
        return CliError(str(error))
    raise error


def _rpc(error: RPCError, address: str, credentials: str, token_hint: str) -> CliError:
    status = error.status
    # The server could not be reached at all (no HTTP status): say where we looked.
    if status is RPCStatusCode.UNAVAILABLE and not error.http_status:
        return CliError(f"cannot reach the Legato server at {address}: {_reason(error)}", UNREACHABLE)
    if status is RPCStatusCode.UNAUTHENTICATED and credentials == NO_CREDENTIALS:
        return CliError(f"the server at {address} needs a token ({token_hint}): {error.message}", UNREACHABLE)
    if status is RPCStatusCode.UNAUTHENTICATED:
        return CliError(f"the server at {address} did not accept {credentials}: {error.message}", UNREACHABLE)
    if status is RPCStatusCode.PERMISSION_DENIED:
        return CliError(f"the server at {address} refused {credentials}: {error.message}", UNREACHABLE)
    if status is RPCStatusCode.NOT_FOUND:
        return CliError(error.message, NOT_FOUND)
    return CliError(error.message)


def _reason(error: BaseException) -> str:
    """Why a connection failed, as the OS says it ("Connection refused")."""
    cause: BaseException | None = error
    while cause is not None:
        if isinstance(cause, OSError):
            return os.strerror(cause.errno) if cause.errno and cause.errno > 0 else str(cause.strerror or cause)
        cause = cause.__cause__
    # The transport's message repeats the address; keep only what went wrong after it.
    return str(error).split(": ", 1)[-1]


def run_failure(workflow_id: str, cause: BaseException) -> CliError:
    """Why the run of ``workflow_id`` did not complete, by how it closed (exit 1)."""
    message = getattr(cause, "message", "") or str(cause)
    if isinstance(cause, TerminatedError):
        reason = "" if message == "Workflow terminated" else f": {message}"
        return CliError(f"workflow {workflow_id!r} was terminated{reason}")
    if isinstance(cause, CancelledError):
        return CliError(f"workflow {workflow_id!r} was cancelled")
    if isinstance(cause, TimeoutError):
        return CliError(f"workflow {workflow_id!r} timed out")
    return CliError(f"workflow {workflow_id!r} failed: {failure_chain(cause)}")


def failure_chain(error: BaseException | None) -> str:
    """The messages of ``error`` and its causes, outermost first, with each error's type."""
    parts: list[str] = []
    while error is not None:
        message = getattr(error, "message", None) or str(error)
        kind = getattr(error, "type", None)
        parts.append(f"{message} ({kind if isinstance(kind, str) and kind else type(error).__name__})")
        error = error.__cause__
    return ": ".join(parts)
