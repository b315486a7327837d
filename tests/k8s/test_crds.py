"""The committed CRDs are exactly what the generator makes from the models."""

from __future__ import annotations

from pathlib import Path

import yaml

from legato_operator.k8s import crdgen, models, schedules

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


def test_schedule_crd_has_its_names_and_columns_a_person_can_act_on() -> None:
    crd = crdgen.all_crds()["schedules.legato.dev.yaml"]
    names = crd["spec"]["names"]
    assert (names["kind"], names["plural"], names["shortNames"], names["categories"]) == (
        "Schedule",
        "schedules",
        ["lsched"],
        ["legato"],
    )
    version = crd["spec"]["versions"][0]
    shown = [c["name"] for c in version["additionalPrinterColumns"] if not c.get("priority")]
    assert shown == ["Schedule", "Next", "Last", "Paused", "Age"]
    spec = version["schema"]["openAPIV3Schema"]["properties"]["spec"]
    assert spec["required"] == ["workflow"]
    assert set(spec["properties"]) == {"workflow", "schedule", "policy", "paused", "note"}
    overlap = spec["properties"]["policy"]["properties"]["overlap"]
    assert overlap["enum"] == ["Skip", "BufferOne", "BufferAll", "CancelOther", "TerminateOther", "AllowAll"]
    assert set(version["subresources"]) == {"status"}


def test_the_schedule_example_is_a_valid_schedule_spec() -> None:
    example = yaml.safe_load((CRDS.parent / "examples" / "orders" / "schedule.yaml").read_text())
    spec = models.ScheduleResourceSpec.model_validate(example["spec"])
    assert spec.schedule.cron_expressions == ["0 2 * * *"]
    assert schedules.summary(spec.schedule) == "0 2 * * * Europe/Berlin"


# The short names of the kinds a cluster with Legato is likely to run beside it: Argo
# Workflows' and the Temporal worker controller's.
NEIGHBOURS = {
    "argoproj.io": {"wf", "cwf", "cronwf", "wftmpl", "cwft", "clusterwftmpl", "wfeb", "wfts", "wftr", "wfat"},
    "temporal.io": {"twd", "twdeployment", "tworkerdeployment"},
}


def test_no_short_name_is_one_argo_or_the_temporal_worker_controller_uses() -> None:
    ours = {short for crd in crdgen.all_crds().values() for short in crd["spec"]["names"]["shortNames"]}
    assert ours == {"lwf", "ltq", "lsched"}
    for group, theirs in NEIGHBOURS.items():
        assert not ours & theirs, group
    assert all(crd["spec"]["names"]["categories"] == ["legato"] for crd in crdgen.all_crds().values())
