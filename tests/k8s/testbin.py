"""Where `make testbin` put kube-apiserver, etcd, kubectl and helm; no tests here.

`scripts/testbin.sh` builds them into ``$HOME/.cache/legato-testbin/<k8s-version>/`` and
writes ``build/testbin.json`` in the clone naming them. :func:`find` reads that file (or
``$LEGATO_TESTBIN``: such a file or the folder holding the binaries) and returns ``None``
when the binaries are absent, so realapi tests can skip with a clear reason; CI sets
``LEGATO_REQUIRE_TESTBIN=1`` to turn that skip into an error.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
INFO_FILE = REPO_ROOT / "build" / "testbin.json"
CACHE = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "legato-testbin"
MISSING_REASON = "kube-apiserver/etcd not built: run `make testbin` (needs Go; see docs/development.md)"


@dataclass(frozen=True)
class TestBin:
    """Paths of the binaries a realapi test starts or runs."""

    __test__ = False  # not a test class, whatever pytest thinks of the name

    kube_apiserver: Path
    etcd: Path
    kubectl: Path
    helm: Path
    kubernetes_version: str = ""

    @classmethod
    def in_folder(cls, folder: Path, kubernetes_version: str = "") -> TestBin:
        """The binaries under their usual names in one folder."""
        return cls(
            folder / "kube-apiserver",
            folder / "etcd",
            folder / "kubectl",
            folder / "helm",
            kubernetes_version or folder.name,
        )

    def complete(self) -> bool:
        """Whether every binary exists and is executable."""
        paths = (self.kube_apiserver, self.etcd, self.kubectl, self.helm)
        return all(p.is_file() and os.access(p, os.X_OK) for p in paths)


def find() -> TestBin | None:
    """The test binaries, or None when `make testbin` has not built them on this machine.

    Raises:
        RuntimeError: they are missing and ``LEGATO_REQUIRE_TESTBIN=1`` (as in CI).
    """
    found = next((b for b in _candidates() if b.complete()), None)
    if found is None and os.environ.get("LEGATO_REQUIRE_TESTBIN") == "1":
        raise RuntimeError(f"LEGATO_REQUIRE_TESTBIN=1 but {MISSING_REASON}")
    return found


def _candidates() -> list[TestBin]:
    # An explicit choice first, then what `make testbin` recorded for this clone, then any
    # complete build in the cache (newest version first) for a clone that has not run it.
    found: list[TestBin] = []
    if env := os.environ.get("LEGATO_TESTBIN"):
        path = Path(env)
        found.append(_from_info(path) if path.is_file() else TestBin.in_folder(path))
    if INFO_FILE.is_file():
        found.append(_from_info(INFO_FILE))
    if CACHE.is_dir():
        folders = sorted((p for p in CACHE.iterdir() if p.name.startswith("v")), key=_version_key, reverse=True)
        found.extend(TestBin.in_folder(p) for p in folders)
    return found


def _from_info(path: Path) -> TestBin:
    info = json.loads(path.read_text())
    return TestBin(
        kube_apiserver=Path(info["kube_apiserver"]),
        etcd=Path(info["etcd"]),
        kubectl=Path(info["kubectl"]),
        helm=Path(info["helm"]),
        kubernetes_version=info.get("kubernetes_version", ""),
    )


def _version_key(folder: Path) -> tuple[int, ...]:
    try:
        return tuple(int(part) for part in folder.name.lstrip("v").split("."))
    except ValueError:
        return ()
