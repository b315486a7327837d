"""Child workflows' policies, with temporalio's names and values.

``ParentClosePolicy`` values are Temporal's proto values (the wire carries their names:
``TERMINATE``, ``ABANDON``, ``REQUEST_CANCEL``); ``ChildWorkflowCancellationType`` is
temporalio's own (it decides, in the parent, what cancelling a child's task waits for).
"""

from __future__ import annotations

from enum import IntEnum

__all__ = ["ChildWorkflowCancellationType", "ParentClosePolicy"]


class ParentClosePolicy(IntEnum):
    """What the server does to a running child when its parent closes."""

    UNSPECIFIED = 0
    TERMINATE = 1
    ABANDON = 2
    REQUEST_CANCEL = 3

    @property
    def wire_name(self) -> str:
        """The name the wire carries; UNSPECIFIED is the server's default, TERMINATE."""
        return "TERMINATE" if self is ParentClosePolicy.UNSPECIFIED else self.name


class ChildWorkflowCancellationType(IntEnum):
    """What cancelling a child's task in the parent waits for, as temporalio's."""

    ABANDON = 0
    TRY_CANCEL = 1
    WAIT_CANCELLATION_COMPLETED = 2
    WAIT_CANCELLATION_REQUESTED = 3
