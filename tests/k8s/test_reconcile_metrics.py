"""`context.reconciler`: each run of a reconcile handler counted by outcome and timed, and
the handler still the one kopf registers and names."""

from __future__ import annotations

from typing import Any

import kopf
import pytest

from legato_operator import metrics
from legato_operator.k8s import context, reconcilers


def count(kind: str, outcome: str) -> float:
    return metrics.REGISTRY.get_sample_value("legato_reconcile_total", {"kind": kind, "outcome": outcome}) or 0.0


def timed(kind: str) -> float:
    return metrics.REGISTRY.get_sample_value("legato_reconcile_duration_seconds_count", {"kind": kind}) or 0.0


@context.reconciler("Probe")
async def reconcile_probe(spec: dict[str, Any], **_: Any) -> str:
    if spec.get("fail"):
        raise kopf.TemporaryError("not yet", delay=1)
    return "done"


async def test_a_run_that_returns_counts_as_success_and_one_that_raises_as_error() -> None:
    before = (count("Probe", "success"), count("Probe", "error"), timed("Probe"))
    assert await reconcile_probe(spec={}) == "done"
    with pytest.raises(kopf.TemporaryError):
        await reconcile_probe(spec={"fail": True})
    after = (count("Probe", "success"), count("Probe", "error"), timed("Probe"))
    assert [a - b for a, b in zip(after, before, strict=True)] == [1, 1, 2]


def test_the_wrapped_handler_keeps_its_name_so_kopf_keeps_its_progress_annotations() -> None:
    assert reconcile_probe.__name__ == "reconcile_probe"
    assert reconcile_probe.__qualname__ == "reconcile_probe"


def test_every_create_update_resume_and_delete_handler_of_legatos_resources_is_measured() -> None:
    assert reconcilers.HANDLER_MODULES  # imported for their registrations
    # kopf has no public listing of a registry's handlers.
    handlers = context.registry._changing.get_all_handlers()
    assert {h.selector.any_name for h in handlers if h.selector} == {"workflows", "taskqueues", "schedules"}
    assert [h.id for h in handlers if not hasattr(h.fn, "__wrapped__")] == []
