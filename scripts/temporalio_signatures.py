"""Write the pinned table of temporalio's public signatures that Legato is compared with.

Dev-only: run it with a Python that has temporalio (and pydantic) installed, from the
repository root, after upgrading the temporalio version Legato mirrors:

    python scripts/temporalio_signatures.py [tests/sdk/temporalio_signatures.json]

The test ``tests/sdk/test_temporalio_signatures.py`` reads the table; it never needs
temporalio itself.
"""

from __future__ import annotations

import json
import sys
from importlib import metadata
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.support import signatures  # noqa: E402  # the path above makes it importable


def main() -> None:
    """Describe temporalio's mirrored modules and write the table."""
    out = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "tests" / "sdk" / "temporalio_signatures.json"
    entries: dict[str, signatures.Entry] = {}
    for module in signatures.MODULES:
        entries.update(signatures.describe_module("temporalio", module))
    version = metadata.version("temporalio")
    # One entry a line, so that a temporalio upgrade reads as a diff of the names that changed.
    lines = ",\n".join(f"  {json.dumps(k)}: {json.dumps(v, sort_keys=True)}" for k, v in sorted(entries.items()))
    out.write_text(f'{{\n "temporalio": {json.dumps(version)},\n "entries": {{\n{lines}\n }}\n}}\n')
    print(f"{len(entries)} entries of temporalio {version} written to {out}")


if __name__ == "__main__":
    main()
