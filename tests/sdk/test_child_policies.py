"""The child-workflow policies carry temporalio's values, so code comparing them ports unchanged."""

from __future__ import annotations

from legato.workflow import ChildWorkflowCancellationType, ParentClosePolicy


def test_parent_close_policy_has_temporals_proto_values_and_wire_names() -> None:
    assert [(p.name, p.value) for p in ParentClosePolicy] == [
        ("UNSPECIFIED", 0),
        ("TERMINATE", 1),
        ("ABANDON", 2),
        ("REQUEST_CANCEL", 3),
    ]
    assert ParentClosePolicy.UNSPECIFIED.wire_name == "TERMINATE"
    assert ParentClosePolicy.REQUEST_CANCEL.wire_name == "REQUEST_CANCEL"


def test_child_cancellation_type_has_temporalios_values() -> None:
    assert [(t.name, t.value) for t in ChildWorkflowCancellationType] == [
        ("ABANDON", 0),
        ("TRY_CANCEL", 1),
        ("WAIT_CANCELLATION_COMPLETED", 2),
        ("WAIT_CANCELLATION_REQUESTED", 3),
    ]
