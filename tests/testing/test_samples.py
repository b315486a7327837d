"""Temporal's sample tests run unchanged but for the import, against both environments,
as a project of their own (``tests/samples``: their conftest, their test files)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.e2e

SAMPLES = Path(__file__).parent.parent / "samples"


@pytest.mark.parametrize("environment", ["local", "time-skipping"])
def test_temporals_sample_tests_pass_against_the_environment(environment: str) -> None:
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q", f"--workflow-environment={environment}"],
        cwd=SAMPLES,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    assert "3 passed" in run.stdout, run.stdout
