"""The committed CRDs are exactly what the generator makes from the models."""

from __future__ import annotations

from pathlib import Path

from legato_operator.k8s import crdgen

CRDS = Path(__file__).resolve().parents[2] / "crds"


def test_committed_crds_match_the_models() -> None:
    for name, document in crdgen.all_crds().items():
        committed = (CRDS / name).read_text()
        assert committed == crdgen.render(document), f"crds/{name} is stale: run `make crds`"


def test_workflow_schema_is_structural_with_nullable_optionals() -> None:
    crd = crdgen.all_crds()["workflows.legato.dev.yaml"]
    schema = crd["spec"]["versions"][0]["schema"]["openAPIV3Schema"]
    spec = schema["properties"]["spec"]
    assert set(spec["required"]) == {"workflowType", "taskQueue"}
    assert spec["properties"]["workflowId"]["nullable"] is True
    assert spec["properties"]["onDelete"]["enum"] == ["Cancel", "Terminate", "Abandon"]
    assert spec["properties"]["args"]["items"]["x-kubernetes-preserve-unknown-fields"] is True
    text = crdgen.render(crd)
    assert "$ref" not in text
    assert "anyOf" not in text
    assert "title" not in text
