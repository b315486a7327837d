"""`legato-operator dev` as people run it: a real process, from wherever the clone is.

As root, the embedded Postgres runs as another user, which cannot reach a folder of mode
700 (root's home, a `mktemp -d` folder): these tests start `dev` from one.
"""

from __future__ import annotations

import json
import os
import pwd
import shlex
import shutil
import stat
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.support.server_process import SERVER_BIN

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(
        os.geteuid() != 0,
        reason="needs root: only as root does the embedded Postgres run as another user, the one that "
        "cannot reach a folder of mode 700",
    ),
]

# What `--then` runs, against the dev server: start a workflow, or describe the one started
# before; prints the answer on a line of its own.
CLIENT = """
import json, os, sys, urllib.request
workflows = f"http://{os.environ['LEGATO_ADDRESS']}/api/v1/namespaces/default/workflows"
if sys.argv[1] == "start":
    body = json.dumps({"workflow_id": "kept", "workflow_type": "Kept", "task_queue": "q"}).encode()
    request = urllib.request.Request(workflows, data=body, headers={"Content-Type": "application/json"})
else:
    request = urllib.request.Request(workflows + "/kept")
with urllib.request.urlopen(request, timeout=10) as response:
    print("ANSWER", response.read().decode(), flush=True)
"""


@pytest.fixture
def private_folder(tmp_path: Path) -> Iterator[Path]:
    """A folder of mode 700, like root's home; removes the cluster a test leaves elsewhere."""
    folder = tmp_path / "clone"
    folder.mkdir()
    folder.chmod(0o700)
    (folder / "client.py").write_text(CLIENT)
    try:
        yield folder
    finally:
        link = folder / ".legato-dev" / "postgres"
        if link.is_symlink():
            shutil.rmtree(link.resolve(), ignore_errors=True)


def dev_then(folder: Path, step: str) -> dict[str, Any]:
    """Run `legato-operator dev --then` in ``folder``, with its default data dir; the client's answer."""
    then = f"{shlex.quote(sys.executable)} client.py {step}"
    done = subprocess.run(
        [str(SERVER_BIN), "dev", "--port", "0", "--then", then],
        cwd=folder,
        env={k: v for k, v in os.environ.items() if k not in ("LEGATO_AUTH", "LEGATO_TOKENS_FILE")},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, f"dev exited with {done.returncode}:\n{done.stdout}\n{done.stderr}"
    answers = [line.removeprefix("ANSWER ") for line in done.stdout.splitlines() if line.startswith("ANSWER ")]
    assert len(answers) == 1, done.stdout
    answer: dict[str, Any] = json.loads(answers[0])
    return answer


def test_dev_as_root_starts_in_a_private_folder_and_keeps_its_data_across_restarts(private_folder: Path) -> None:
    started = dev_then(private_folder, "start")
    described = dev_then(private_folder, "describe")
    assert started["started"]
    assert described["run_id"] == started["run_id"]
    # The folder stays private: nothing on the way was opened up for the Postgres user.
    assert stat.S_IMODE(private_folder.stat().st_mode) == 0o700
    cluster = (private_folder / ".legato-dev" / "postgres").resolve()
    assert pwd.getpwuid(cluster.stat().st_uid).pw_name in ("postgres", "nobody")
    assert stat.S_IMODE(cluster.stat().st_mode) == 0o700
