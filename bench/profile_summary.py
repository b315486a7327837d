"""The top of a py-spy profile in raw (collapsed-stack) form: where the samples fall.

Each line of the raw format is ``frame;frame;...;leaf count``. Self time counts the leaf
frame only; total time counts each function once per stack it appears in.
"""

from __future__ import annotations

import collections
import re

TOP = 25
# py-spy's frame: "function (path/to/file.py:line)"; the line is dropped so that one
# function's samples add up.
_FRAME = re.compile(r"^(?P<function>.*?) \((?P<file>[^:()]*)(?::\d+)?\)$")


def summary(raw: str, top: int = TOP) -> str:
    """A table of the functions with the most self and total samples."""
    own: collections.Counter[str] = collections.Counter()
    total: collections.Counter[str] = collections.Counter()
    samples = 0
    for line in raw.splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack or not count.isdigit():
            continue
        frames = [_name(f) for f in stack.split(";")]
        samples += int(count)
        own[frames[-1]] += int(count)
        for name in set(frames):
            total[name] += int(count)
    if not samples:
        return "profile: no samples"
    lines = [f"profile: {samples} samples of the server; self % | total % | function"]
    for name, n in own.most_common(top):
        lines.append(f"  {100 * n / samples:5.1f} | {100 * total[name] / samples:5.1f} | {name}")
    lines.append("  by total:")
    for name, n in total.most_common(top):
        lines.append(f"  {100 * own[name] / samples:5.1f} | {100 * n / samples:5.1f} | {name}")
    return "\n".join(lines)


def _name(frame: str) -> str:
    match = _FRAME.match(frame.strip())
    if match is None:
        return frame.strip()
    path = match["file"]
    # The package-relative part of the path is enough to tell functions apart.
    for marker in ("site-packages/", "legato_operator/", "lib/python3"):
        if marker in path:
            path = path.split(marker, 1)[1]
            break
    return f"{match['function']} ({path})"
