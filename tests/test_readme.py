"""The README's cluster quickstart is what scripts/e2e-kind.sh runs, command for command.

The script cannot run here (no Docker engine); where it runs, it proves the commands. This
test keeps the two from drifting, so that the README's commands are the proven ones.
"""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SECTION = "## Five minutes on a cluster"


def commands(text: str) -> list[str]:
    """Shell commands of ``text``, one per line, continuations joined, comments dropped."""
    joined = re.sub(r"\\\n\s*", " ", text)
    lines = (line.split(" #")[0].strip() for line in joined.splitlines())
    return [" ".join(line.split()) for line in lines if line and not line.startswith("#")]


def quickstart() -> list[str]:
    readme = (ROOT / "README.md").read_text()
    section = readme[readme.index(SECTION) :]
    block = re.search(r"```sh\n(.*?)```", section, re.DOTALL)
    assert block is not None, "the quickstart has no sh block"
    return commands(block.group(1))


def test_every_quickstart_command_is_run_by_the_kind_script_in_the_same_order() -> None:
    script = commands((ROOT / "scripts" / "e2e-kind.sh").read_text().replace('"$CLUSTER"', "legato"))
    shown = quickstart()
    assert len(shown) >= 10
    positions = []
    for command in shown:
        # The script may add flags (kind's --wait) after what the README shows.
        found = [i for i, line in enumerate(script) if line == command or line.startswith(command + " ")]
        assert found, f"the kind script does not run: {command}"
        positions.append(found[0])
    assert positions == sorted(positions)


def test_the_quickstart_applies_the_examples_it_builds_the_worker_of() -> None:
    shown = " ".join(quickstart())
    taskqueue = (ROOT / "examples" / "orders" / "taskqueue.yaml").read_text()
    image = re.search(r"image: (\S+)", taskqueue)
    assert image is not None
    assert f"docker build -t {image.group(1)} examples/orders" in shown
    assert "--target worker-base" in shown
