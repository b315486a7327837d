"""The chart as the tests render it: `helm` from `make testbin`, and what it writes."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import yaml

from tests.k8s import testbin

CHART = Path(__file__).resolve().parents[2] / "charts" / "legato"
RELEASE, RELEASE_NAMESPACE = "legato", "legato-system"


def helm(binaries: testbin.TestBin, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(binaries.helm), *args], capture_output=True, text=True, check=check, timeout=180)


def render(binaries: testbin.TestBin, *sets: str, namespace: str = RELEASE_NAMESPACE) -> list[dict[str, Any]]:
    """The objects of `helm template` (CRDs included) with ``sets`` as ``--set`` values."""
    flags = [f for s in sets for f in ("--set", s)]
    out = helm(binaries, "template", RELEASE, str(CHART), "-n", namespace, "--include-crds", *flags).stdout
    return [doc for doc in yaml.safe_load_all(out) if doc]


def find(objects: list[dict[str, Any]], kind: str, name: str | None = None) -> dict[str, Any]:
    """The one rendered object of ``kind`` (and ``name``)."""
    matches = [o for o in objects if o["kind"] == kind and (name is None or o["metadata"]["name"] == name)]
    assert len(matches) == 1, f"{len(matches)} {kind} {name or ''} rendered"
    return matches[0]
