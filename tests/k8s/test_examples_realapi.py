"""Every example's YAML is accepted by a real API server with Legato's CRDs, and names what
its example's code defines: a workflow type of its WORKFLOWS, its TASK_QUEUE and module, so
the YAML and the code cannot drift apart."""

from __future__ import annotations

import dataclasses
import importlib
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
import yaml

from legato._runtime.definitions import WorkflowDefinition
from legato.converter import DataConverter
from tests.k8s.apiserver import APIServer

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
MANIFESTS = sorted(EXAMPLES.glob("*/*.yaml"))
# Each example folder that has a worker image has its YAML; a new one is listed by itself.
FOLDERS_WITH_YAML = {"orders", "subscription", "file_processing", "nightly_report"}


def manifest_id(path: Path) -> str:
    return str(path.relative_to(EXAMPLES))


def load(path: Path) -> dict[str, Any]:
    manifest: dict[str, Any] = yaml.safe_load(path.read_text())
    return manifest


def example(path: Path) -> ModuleType:
    """The workflows module of the example the manifest belongs to."""
    return importlib.import_module(f"examples.{path.parent.name}.workflows")


def workflow_spec(manifest: dict[str, Any]) -> dict[str, Any]:
    """What a Workflow or Schedule starts: its spec, or its spec's `workflow`."""
    spec: dict[str, Any] = manifest["spec"]
    return spec["workflow"] if manifest["kind"] == "Schedule" else spec


def test_every_example_with_a_worker_has_a_task_queue_and_something_to_run() -> None:
    kinds: dict[str, set[str]] = {}
    for path in MANIFESTS:
        kinds.setdefault(path.parent.name, set()).add(load(path)["kind"])
    assert set(kinds) == FOLDERS_WITH_YAML
    for folder, found in kinds.items():
        assert "TaskQueue" in found, folder
        assert found & {"Workflow", "Schedule"}, folder


@pytest.mark.parametrize("path", MANIFESTS, ids=manifest_id)
def test_the_example_manifest_is_accepted_by_the_api_server(apiserver: APIServer, namespace: str, path: Path) -> None:
    # A server-side dry run: the CRD's schema and CEL rules judge it, nothing is stored.
    result = apiserver.kubectl("apply", "--dry-run=server", "-n", namespace, "-f", str(path), check=False)
    assert result.returncode == 0, result.stderr
    assert "(server dry run)" in result.stdout


@pytest.mark.parametrize("path", MANIFESTS, ids=manifest_id)
def test_the_example_manifest_names_what_its_code_defines(path: Path) -> None:
    manifest = load(path)
    module = example(path)
    if manifest["kind"] == "TaskQueue":
        assert manifest["metadata"]["name"] == module.TASK_QUEUE
        # The image's entry point is the example's package, as its Dockerfile runs it.
        assert manifest["spec"]["worker"]["command"] == ["python", "-m", path.parent.name]
        return
    spec = workflow_spec(manifest)
    definitions = {d.name: d for d in map(WorkflowDefinition.must_from_class, module.WORKFLOWS)}
    assert spec["workflowType"] in definitions
    assert spec["taskQueue"] == module.TASK_QUEUE
    assert_args_fit(spec.get("args", []), definitions[spec["workflowType"]].arg_types)


def assert_args_fit(args: list[Any], types: list[Any]) -> None:
    """The args decode into the run method's parameters, as a worker decodes them, and name
    no field a dataclass parameter lacks (the converter would drop a misspelt one)."""
    assert len(args) == len(types)
    converter = DataConverter.default.payload_converter
    converter.from_payloads(converter.to_payloads(args), types)
    for arg, hint in zip(args, types, strict=True):
        if dataclasses.is_dataclass(hint):
            assert set(arg) <= {f.name for f in dataclasses.fields(hint)}
