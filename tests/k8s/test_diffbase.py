"""What kopf keeps of a resource to notice changes: digests only, small however large the spec."""

from __future__ import annotations

import copy
import json
from typing import Any, cast

import kopf

from legato_operator.k8s import diffbase

PREFIX = "legato.dev"
KEY = f"{PREFIX}/last-handled-configuration"
MiB = 1024 * 1024


def workflow(**spec: Any) -> dict[str, Any]:
    return {
        "apiVersion": "legato.dev/v1alpha1",
        "kind": "Workflow",
        "metadata": {"name": "order-123", "namespace": "shop", "uid": "u-1", "generation": 1},
        "spec": {"workflowType": "OrderWorkflow", "taskQueue": "orders", "signals": [], **spec},
        "status": {"phase": "Running"},
    }


def body(raw: dict[str, Any]) -> kopf.Body:
    return kopf.Body(cast(kopf.RawBody, raw))


def essence(raw: dict[str, Any]) -> Any:
    return diffbase.DigestDiffBaseStorage(prefix=PREFIX).build(body=body(raw))


def stored(raw: dict[str, Any]) -> str:
    """The annotation kopf writes after handling ``raw``."""
    storage = diffbase.DigestDiffBaseStorage(prefix=PREFIX)
    patch = kopf.Patch()
    storage.store(body=body(raw), patch=patch, essence=storage.build(body=body(raw)))
    annotation: str = patch["metadata"]["annotations"][KEY]
    return annotation


def test_the_stored_copy_holds_no_args_and_stays_small_however_large_the_spec() -> None:
    big = ["x" * MiB]
    signals = [{"id": str(i), "name": "add", "args": ["y" * 10_000]} for i in range(100)]
    annotation = stored(workflow(args=big, signals=signals, onDelete="Terminate"))
    assert len(annotation) < 1024
    assert "xxxx" not in annotation
    assert "yyyy" not in annotation
    assert set(json.loads(annotation)["spec"]) == {"workflowType", "taskQueue", "args", "signals", "onDelete"}


def test_what_kopf_reads_back_equals_what_it_builds_so_an_unchanged_resource_is_no_change() -> None:
    raw = workflow(args=[{"sku": "a", "quantity": 2}])
    storage = diffbase.DigestDiffBaseStorage(prefix=PREFIX)
    handled = copy.deepcopy(raw)
    handled["metadata"]["annotations"] = {KEY: stored(raw)}
    assert storage.fetch(body=body(handled)) == storage.build(body=body(handled))


def test_a_change_to_args_or_an_appended_signal_is_a_change() -> None:
    before = essence(workflow(args=["a"]))
    assert essence(workflow(args=["b"])) != before
    assert essence(workflow(args=["a"], signals=[{"id": "1", "name": "approve", "args": []}])) != before
    assert essence(workflow(args=["a"], signals=[{"id": "1", "name": "approve", "args": ["x"]}])) != essence(
        workflow(args=["a"], signals=[{"id": "1", "name": "approve", "args": ["y"]}])
    )


def test_equal_values_in_another_key_order_are_no_change() -> None:
    assert essence(workflow(args=[{"a": 1, "b": 2}])) == essence(workflow(args=[{"b": 2, "a": 1}]))


def test_labels_and_annotations_count_but_kopfs_and_kubectls_own_records_do_not() -> None:
    plain = workflow()
    annotated = workflow()
    annotated["metadata"]["annotations"] = {"team": "payments"}
    labelled = workflow()
    labelled["metadata"]["labels"] = {"tier": "gold"}
    assert len({json.dumps(essence(r), sort_keys=True) for r in (plain, annotated, labelled)}) == 3
    bookkeeping = workflow()
    bookkeeping["metadata"]["annotations"] = {
        f"{PREFIX}/reconcile_workflow": '{"retries": 3}',
        f"{PREFIX}/kopf-managed": "yes",
        "kubectl.kubernetes.io/last-applied-configuration": json.dumps(workflow(args=["x" * 1000])),
    }
    assert essence(bookkeeping) == essence(plain)
