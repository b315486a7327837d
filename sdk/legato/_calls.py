"""What the public modules share to turn a call's Python arguments into wire values.

``client`` and ``workflow`` both take Temporal's ``arg`` / ``args=`` pair and
``timedelta`` options; the rules for them are written here once.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from typing import Any

# The default of ``arg``: "no single argument given" (None is a valid argument).
UNSET: Any = object()


def arg_or_args(arg: Any, args: Sequence[Any]) -> list[Any]:
    """The call's arguments: ``[arg]``, or ``args``.

    Raises:
        ValueError: Both were given.
    """
    if arg is not UNSET and args:
        raise ValueError("Cannot have arg and args")
    return [arg] if arg is not UNSET else list(args)


def seconds(value: timedelta | None) -> float | None:
    """A duration option as the wire's seconds."""
    return value.total_seconds() if value is not None else None
