"""What each operation asks of a caller whom Kubernetes RBAC judges: a verb on a Legato resource.

A person's token (what ``kubectl`` sends) is authorized per call with a
SubjectAccessReview of these attributes, in the call's namespace (`auth.Principal.reviewer`).
Reading a workflow is ``get`` (or ``list``) on ``workflows.legato.dev``; signalling,
cancelling and updating it are ``update``; terminating it is ``delete``; starting one is
``create``. Schedules are judged on ``schedules.legato.dev`` the same way. A few calls
name a subresource no CRD serves, so that RBAC can grant them apart:
``workflows/searchattributes`` (a namespace's custom search attributes) and
``taskqueues/tasks`` (what a worker does: poll, complete, heartbeat). Calls on the
namespaces themselves (register, update, list) are judged cluster-wide.
"""

from __future__ import annotations

from dataclasses import dataclass

from legato.api import operations as ops

GROUP = "legato.dev"


@dataclass(frozen=True)
class Access:
    """A verb on a resource of ``legato.dev`` (and a subresource), in the call's namespace or cluster-wide."""

    verb: str
    resource: str
    subresource: str = ""
    cluster_wide: bool = False

    def __str__(self) -> str:
        sub = f"/{self.subresource}" if self.subresource else ""
        return f"{self.verb} {self.resource}{sub}.{GROUP}"


def _workflows(verb: str) -> Access:
    return Access(verb, "workflows")


def _schedules(verb: str) -> Access:
    return Access(verb, "schedules")


WORKER = Access("update", "taskqueues", "tasks")
SEARCH_ATTRIBUTES = Access("update", "workflows", "searchattributes")

ACCESS: dict[str, Access] = {
    op.name: access
    for op, access in (
        (ops.START_WORKFLOW, _workflows("create")),
        (ops.SIGNAL_WITH_START_WORKFLOW, _workflows("create")),
        (ops.UPDATE_WITH_START_WORKFLOW, _workflows("create")),
        (ops.DESCRIBE_WORKFLOW, _workflows("get")),
        (ops.WORKFLOW_RESULT, _workflows("get")),
        (ops.WORKFLOW_HISTORY, _workflows("get")),
        (ops.QUERY_WORKFLOW, _workflows("get")),
        (ops.POLL_WORKFLOW_UPDATE, _workflows("get")),
        (ops.LIST_WORKFLOWS, _workflows("list")),
        (ops.COUNT_WORKFLOWS, _workflows("list")),
        (ops.SIGNAL_WORKFLOW, _workflows("update")),
        (ops.CANCEL_WORKFLOW, _workflows("update")),
        (ops.UPDATE_WORKFLOW, _workflows("update")),
        (ops.TERMINATE_WORKFLOW, _workflows("delete")),
        (ops.DELETE_WORKFLOW, _workflows("delete")),
        # An activity completed from outside its worker acts on its workflow.
        (ops.COMPLETE_ACTIVITY_BY_ID, _workflows("update")),
        (ops.FAIL_ACTIVITY_BY_ID, _workflows("update")),
        (ops.HEARTBEAT_ACTIVITY_BY_ID, _workflows("update")),
        (ops.REPORT_ACTIVITY_CANCELED_BY_ID, _workflows("update")),
        (ops.POLL_WORKFLOW_TASK, WORKER),
        (ops.COMPLETE_WORKFLOW_TASK, WORKER),
        (ops.FAIL_WORKFLOW_TASK, WORKER),
        (ops.POLL_ACTIVITY_TASK, WORKER),
        (ops.COMPLETE_ACTIVITY_TASK, WORKER),
        (ops.FAIL_ACTIVITY_TASK, WORKER),
        (ops.HEARTBEAT_ACTIVITY_TASK, WORKER),
        (ops.REPORT_ACTIVITY_TASK_CANCELED, WORKER),
        (ops.RESPOND_QUERY_TASK, WORKER),
        (ops.RESPOND_UPDATE_VALIDATION, WORKER),
        (ops.DESCRIBE_TASK_QUEUE, Access("get", "taskqueues")),
        (ops.TASK_QUEUE_BACKLOG, Access("get", "taskqueues")),
        # The test server's clock: whoever may change workflows may move it.
        (ops.LOCK_TIME_SKIPPING, _workflows("update")),
        (ops.UNLOCK_TIME_SKIPPING, _workflows("update")),
        (ops.SLEEP_UNTIL, _workflows("update")),
        (ops.GET_CURRENT_TIME, _workflows("get")),
        (ops.REGISTER_NAMESPACE, Access("create", "workflows", cluster_wide=True)),
        (ops.UPDATE_NAMESPACE, Access("update", "workflows", cluster_wide=True)),
        (ops.LIST_NAMESPACES, Access("list", "workflows", cluster_wide=True)),
        (ops.DESCRIBE_NAMESPACE, _workflows("get")),
        (ops.LIST_SEARCH_ATTRIBUTES, _workflows("get")),
        (ops.ADD_SEARCH_ATTRIBUTES, SEARCH_ATTRIBUTES),
        (ops.REMOVE_SEARCH_ATTRIBUTES, SEARCH_ATTRIBUTES),
        (ops.CREATE_SCHEDULE, _schedules("create")),
        (ops.DESCRIBE_SCHEDULE, _schedules("get")),
        (ops.LIST_SCHEDULES, _schedules("list")),
        (ops.UPDATE_SCHEDULE, _schedules("update")),
        (ops.PATCH_SCHEDULE, _schedules("patch")),
        (ops.DELETE_SCHEDULE, _schedules("delete")),
    )
}


def of(op: ops.Operation[ops.Req, ops.Resp]) -> Access:
    """What ``op`` asks of a caller judged by RBAC."""
    return ACCESS[op.name]
