"""scripts/e2e-kind.sh where it cannot run: no Docker engine means a skip with the reason."""

from __future__ import annotations

import subprocess
from pathlib import Path

SCRIPT = Path(__file__).resolve().parents[1] / "scripts" / "e2e-kind.sh"


def test_without_docker_the_kind_run_is_skipped_with_a_message_not_failed(tmp_path: Path) -> None:
    # A PATH with the shell's tools only: no docker, kind, kubectl or helm on it.
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for tool in ("bash", "dirname", "env"):
        found = subprocess.run(["bash", "-c", f"command -v {tool}"], capture_output=True, text=True, check=True)
        (bin_dir / tool).symlink_to(found.stdout.strip())
    ran = subprocess.run(
        ["bash", str(SCRIPT)], capture_output=True, text=True, timeout=30, env={"PATH": str(bin_dir)}, check=False
    )
    assert ran.returncode == 0, ran.stderr
    assert "e2e-kind: skipped: no Docker engine here" in ran.stdout
