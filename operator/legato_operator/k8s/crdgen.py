"""Generates the CRDs in `crds/` from the pydantic models of spec and status.

`python -m legato_operator.k8s.crdgen crds/` (what `make crds` runs) writes one YAML file
per resource. The conversion makes pydantic's JSON Schema structural, as Kubernetes
requires: `$ref`s are inlined, `Optional[X]` becomes X with `nullable: true`, free-form
JSON gets `x-kubernetes-preserve-unknown-fields`, and keywords Kubernetes rejects
(`title`, `additionalProperties: false`, `const`) are dropped.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel

from legato_operator.k8s import models

GROUP = "legato.dev"
VERSION = "v1alpha1"
_DROPPED_KEYS = {"title", "const", "discriminator"}


def structural(schema: dict[str, Any], defs: dict[str, Any]) -> dict[str, Any]:
    """One pydantic JSON Schema node, made a structural OpenAPI v3 schema."""
    if "$ref" in schema:
        target = defs[schema["$ref"].rsplit("/", 1)[-1]]
        return structural({**target, **{k: v for k, v in schema.items() if k != "$ref"}}, defs)
    if "anyOf" in schema:
        return _any_of(schema, defs)
    out: dict[str, Any] = {}
    for key, value in schema.items():
        if key in _DROPPED_KEYS or key == "$defs":
            continue
        if key == "properties":
            out[key] = {name: structural(sub, defs) for name, sub in value.items()}
        elif key == "items":
            out[key] = structural(value, defs)
        elif key == "additionalProperties":
            if value is True:
                out["x-kubernetes-preserve-unknown-fields"] = True
            elif isinstance(value, dict):
                out[key] = structural(value, defs)
        else:
            out[key] = value
    if not out.get("type") and not {"properties", "enum", "x-kubernetes-int-or-string"} & out.keys():
        # Free-form JSON (arguments, results): Kubernetes keeps it as it is.
        out["x-kubernetes-preserve-unknown-fields"] = True
    return out


def _any_of(schema: dict[str, Any], defs: dict[str, Any]) -> dict[str, Any]:
    options = [o for o in schema["anyOf"] if o.get("type") != "null"]
    nullable = len(options) < len(schema["anyOf"])
    rest = {k: v for k, v in schema.items() if k != "anyOf"}
    # int | str: a Kubernetes quantity (``500m``, ``2``), which has its own marker.
    if {o.get("type") for o in options} == {"integer", "string"} and len(options) == 2:
        options = [{"x-kubernetes-int-or-string": True}]
    if len(options) != 1:
        raise ValueError(f"only Optional[X] unions can become a structural schema, got {schema['anyOf']}")
    out = structural({**options[0], **rest}, defs)
    if nullable:
        out["nullable"] = True
        out.pop("default", None) if out.get("default") is None else None
    return out


def schema_of(model: type[BaseModel]) -> dict[str, Any]:
    """The structural schema of one model."""
    raw = model.model_json_schema(by_alias=True, mode="validation")
    return structural(raw, raw.get("$defs", {}))


def printer_column(name: str, json_path: str, kind: str = "string", **extra: Any) -> dict[str, Any]:
    return {"name": name, "type": kind, "jsonPath": json_path, **extra}


def crd(
    kind: str,
    plural: str,
    short: str,
    spec: type[BaseModel],
    status: type[BaseModel],
    columns: list[dict[str, Any]],
    *,
    scale: bool = False,
) -> dict[str, Any]:
    """A complete CustomResourceDefinition for one kind."""
    subresources: dict[str, Any] = {"status": {}}
    if scale:
        # For an HPA or KEDA in scaling.mode External: they write spec.replicas, which the
        # operator copies to the worker Deployment; the selector lets an HPA count pods.
        subresources["scale"] = {
            "specReplicasPath": ".spec.replicas",
            "statusReplicasPath": ".status.replicas",
            "labelSelectorPath": ".status.selector",
        }
    root = {
        "type": "object",
        "required": ["spec"],
        "properties": {"spec": schema_of(spec), "status": schema_of(status)},
    }
    return {
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": {"name": f"{plural}.{GROUP}"},
        "spec": {
            "group": GROUP,
            "scope": "Namespaced",
            "names": {
                "kind": kind,
                "listKind": f"{kind}List",
                "plural": plural,
                "singular": kind.lower(),
                "shortNames": [short],
                "categories": ["legato"],
            },
            "versions": [
                {
                    "name": VERSION,
                    "served": True,
                    "storage": True,
                    "schema": {"openAPIV3Schema": root},
                    "subresources": subresources,
                    "additionalPrinterColumns": columns,
                }
            ],
        },
    }


def all_crds() -> dict[str, dict[str, Any]]:
    """File name → CRD, for every resource Legato defines."""
    age = printer_column("Age", ".metadata.creationTimestamp", "date")
    workflow = crd(
        "Workflow",
        "workflows",
        "lwf",
        models.WorkflowSpec,
        models.WorkflowStatus,
        [
            printer_column("Type", ".spec.workflowType"),
            printer_column("Queue", ".spec.taskQueue"),
            printer_column("Phase", ".status.phase"),
            age,
            printer_column("Message", ".status.message", priority=0),
        ],
    )
    task_queue = crd(
        "TaskQueue",
        "taskqueues",
        "ltq",
        models.TaskQueueSpec,
        models.TaskQueueStatus,
        [
            printer_column("Ready", '.status.conditions[?(@.type=="Ready")].status'),
            printer_column("Desired", ".status.desiredReplicas", "integer"),
            printer_column("Replicas", ".status.replicas", "integer"),
            printer_column("Backlog", ".status.backlog.total", "integer"),
            printer_column("Running", ".status.backlog.running", "integer", priority=1),
            printer_column("Pollers", ".status.pollers", "integer"),
            printer_column("Mode", ".spec.scaling.mode", priority=1),
            age,
        ],
        scale=True,
    )
    schedule = crd(
        "Schedule",
        "schedules",
        # Not `sched` or `sc` (storageclasses): short names are cluster-wide.
        "lsched",
        models.ScheduleResourceSpec,
        models.ScheduleStatus,
        [
            printer_column("Schedule", ".status.summary"),
            printer_column("Next", ".status.nextActionTime"),
            printer_column("Last", ".status.lastActionTime", "date"),
            printer_column("Paused", ".spec.paused", "boolean"),
            age,
            printer_column("Type", ".spec.workflow.workflowType", priority=1),
            printer_column("Actions", ".status.actionCount", "integer", priority=1),
        ],
    )
    return {
        "workflows.legato.dev.yaml": workflow,
        "taskqueues.legato.dev.yaml": task_queue,
        "schedules.legato.dev.yaml": schedule,
    }


def render(document: dict[str, Any]) -> str:
    header = "# Generated by `make crds` from legato_operator/k8s/models.py. Do not edit.\n"
    body: str = yaml.safe_dump(document, sort_keys=False, width=100)
    return header + body


def main(argv: list[str]) -> None:
    """Write every CRD into each folder named (default ``crds``); the chart keeps a copy."""
    for folder in argv or ["crds"]:
        out = Path(folder)
        out.mkdir(parents=True, exist_ok=True)
        for name, document in all_crds().items():
            (out / name).write_text(render(document))


if __name__ == "__main__":
    main(sys.argv[1:])
