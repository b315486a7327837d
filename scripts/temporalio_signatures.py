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
    table = {"temporalio": metadata.version("temporalio"), "entries": entries}
    lines = [f"  {json.dumps(k)}: {json.dumps(v, sort_keys=True)}" for k, v in sorted(entries.items())]
    out.write_text('{\n "temporalio": %s,\n "entries": {\n%s\n }\n}\n' % (json.dumps(table["temporalio"]), ",\n".join(lines)))
    print(f"{len(entries)} entries of temporalio {table['temporalio']} written to {out}")


if __name__ == "__main__":
    main()
