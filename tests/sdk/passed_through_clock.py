"""A helper that reads the clock, imported under workflow.unsafe.imports_passed_through()."""

from __future__ import annotations

import time


def now() -> float:
    return time.time()
