"""Child workflows' policies, with temporalio's names and values.

``ParentClosePolicy`` values are Temporal's proto values (the wire carries their names:
``TERMINATE``, ``ABANDON``, ``REQUEST_CANCEL``); ``ChildWorkflowCancellationType`` is
temporalio's own (it decides, in the parent, what cancelling a child's task waits for).
"""

from __future__ import annotations

from enum import IntEnum

from legato._runtime.info import ParentInfo, RootInfo
from legato.api.history import v1 as hist

__all__ = ["ChildWorkflowCancellationType", "ParentClosePolicy", "parent_info", "root_info"]


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


def parent_info(started: hist.WorkflowExecutionStarted) -> ParentInfo | None:
    """``workflow.info().parent``: the run and namespace that started this child, if any."""
    parent = started.parent_workflow_execution
    if parent is None:
        return None
    return ParentInfo(
        namespace=started.parent_workflow_namespace or "", run_id=parent.run_id, workflow_id=parent.workflow_id
    )


def root_info(started: hist.WorkflowExecutionStarted) -> RootInfo | None:
    """``workflow.info().root``: the top of the tree of children; None for a top-level run, as Temporal's."""
    root = started.root_workflow_execution
    return RootInfo(run_id=root.run_id, workflow_id=root.workflow_id) if root is not None else None
