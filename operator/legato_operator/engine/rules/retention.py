"""How long closed runs are kept: a server-wide retention period, overridable per namespace.

Temporal keeps a closed run for its namespace's retention period (7 days by default) and
then deletes it with its history; Legato does the same. Durations are written as Go's
(``7d`` is Legato's addition: ``168h`` says the same): ``72h``, ``30m``, ``1h30m``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta

DEFAULT_PERIOD = timedelta(days=7)
# Temporal refuses a namespace retention under a day; Legato allows an hour for short-lived
# test clusters, but no less, so a typo cannot delete what just closed.
MINIMUM_PERIOD = timedelta(hours=1)
_PART = re.compile(r"(\d+(?:\.\d+)?)(d|h|m|s)")
_UNITS = {"d": 86400.0, "h": 3600.0, "m": 60.0, "s": 1.0}


@dataclass(frozen=True)
class Retention:
    """The period after its close at which a run is deleted: ``namespaces`` override ``default``."""

    default: timedelta = DEFAULT_PERIOD
    namespaces: Mapping[str, timedelta] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for name, period in {"default": self.default, **self.namespaces}.items():
            if period < MINIMUM_PERIOD:
                raise ValueError(f"retention of {name!r} is {period}, under the minimum of {MINIMUM_PERIOD}")

    def period(self, namespace: str) -> timedelta:
        """How long ``namespace`` keeps its closed runs."""
        return self.namespaces.get(namespace, self.default)

    def shortest(self) -> timedelta:
        """The shortest period of any namespace: no run closed more recently than ``now`` minus
        it can be due."""
        return min([self.default, *self.namespaces.values()])

    def cutoff(self, namespace: str, now: datetime) -> datetime:
        """Runs of ``namespace`` closed before this are due for deletion."""
        return now - self.period(namespace)


def parse_duration(text: str) -> timedelta:
    """``7d``, ``72h``, ``1h30m``, ``90s`` (or plain seconds) as a timedelta."""
    text = text.strip()
    if re.fullmatch(r"\d+(\.\d+)?", text):
        return timedelta(seconds=float(text))
    parts = _PART.findall(text)
    if not parts or "".join(n + u for n, u in parts) != text:
        raise ValueError(f"{text!r} is not a duration (write it as 7d, 72h, 30m or 1h30m)")
    return timedelta(seconds=sum(float(n) * _UNITS[u] for n, u in parts))


def parse_overrides(text: str) -> dict[str, timedelta]:
    """``team-a=30d,ci=2h`` as {namespace: period}; empty text, none."""
    overrides: dict[str, timedelta] = {}
    for item in filter(None, (i.strip() for i in text.split(","))):
        namespace, sep, duration = item.partition("=")
        if not sep or not namespace.strip():
            raise ValueError(f"{item!r} is not NAMESPACE=DURATION")
        overrides[namespace.strip()] = parse_duration(duration)
    return overrides
