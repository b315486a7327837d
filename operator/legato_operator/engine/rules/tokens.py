"""Task tokens: opaque to workers, they name the task and the attempt that holds it.

A completion is accepted only while the run still has that task at that attempt, so a
token from a timed-out or already answered attempt is refused (``TaskNotFound``).
"""

from __future__ import annotations

import base64
import binascii
import json
import uuid
from dataclasses import dataclass

from legato_operator import errors


@dataclass(frozen=True)
class WorkflowTaskToken:
    """A started workflow task: its scheduled and started event ids in the run."""

    run_id: str
    scheduled_event_id: int
    started_event_id: int
    attempt: int


@dataclass(frozen=True)
class ActivityTaskToken:
    """One attempt of an activity, named by its ActivityTaskScheduled event id."""

    run_id: str
    scheduled_event_id: int
    attempt: int


def encode(token: WorkflowTaskToken | ActivityTaskToken) -> str:
    """The token as a URL-safe string."""
    if isinstance(token, WorkflowTaskToken):
        fields: list[object] = [
            "w",
            token.run_id,
            token.scheduled_event_id,
            token.started_event_id,
            token.attempt,
        ]
    else:
        fields = ["a", token.run_id, token.scheduled_event_id, token.attempt]
    return base64.urlsafe_b64encode(json.dumps(fields, separators=(",", ":")).encode()).decode().rstrip("=")


def _fields(text: str, kind: str, count: int) -> list[object]:
    try:
        fields: object = json.loads(base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)))
    except (binascii.Error, ValueError, UnicodeDecodeError):
        fields = None
    if not (isinstance(fields, list) and len(fields) == count and fields[0] == kind and _well_formed(fields)):
        raise errors.InvalidArgument("task_token", f"task_token is not a {_NAMES[kind]} task token")
    return list(fields[1:])


def _well_formed(fields: list[object]) -> bool:
    # The server only ever issues a canonical run id and event ids and attempts that fit
    # the database's integers; anything else is not a token of ours (bool is an int to Python).
    run_id, numbers = fields[1], fields[2:]
    canonical = isinstance(run_id, str) and _canonical_uuid(run_id) == run_id
    return canonical and all(type(n) is int and _MIN_INT <= n <= _MAX_INT for n in numbers)


def _canonical_uuid(text: str) -> str | None:
    try:
        return str(uuid.UUID(text))
    except ValueError:
        return None


_MIN_INT, _MAX_INT = -(2**31), 2**31 - 1


_NAMES = {"w": "workflow", "a": "activity"}


def decode_workflow(text: str) -> WorkflowTaskToken:
    """Parse a workflow task token; ``InvalidArgument`` naming ``task_token`` if it is not one."""
    run_id, scheduled, started, attempt = _fields(text, "w", 5)
    return WorkflowTaskToken(str(run_id), int(str(scheduled)), int(str(started)), int(str(attempt)))


def decode_activity(text: str) -> ActivityTaskToken:
    """Parse an activity task token; ``InvalidArgument`` naming ``task_token`` if it is not one."""
    run_id, scheduled, attempt = _fields(text, "a", 4)
    return ActivityTaskToken(str(run_id), int(str(scheduled)), int(str(attempt)))
