"""The server's one source of time.

Everything on the server asks a ``Clock`` for the time, never ``datetime.now()``, so a
test can start a server whose clock runs ahead (``--clock-offset 3601`` makes an
hour-long timer due) or advance one in-process, and a time-skipping server
(``--time-skipping``) can jump it to the next timer.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta


class Clock:
    """Wall-clock time in UTC, shifted by a fixed offset that tests may set or advance."""

    def __init__(self, offset_seconds: float = 0.0) -> None:
        self._offset = timedelta(seconds=offset_seconds)

    def now(self) -> datetime:
        """The current time, timezone-aware UTC, plus the offset."""
        return datetime.now(UTC) + self._offset

    def advance(self, seconds: float) -> None:
        """Move this clock ahead (tests only: a running timer loop sees it at its next wake)."""
        self._offset += timedelta(seconds=seconds)

    def advance_to(self, moment: datetime) -> None:
        """Move this clock ahead to ``moment`` (time skipping); never back: now only grows."""
        self._offset = max(self._offset, moment - datetime.now(UTC))

    @property
    def offset_seconds(self) -> float:
        """How far ahead of the machine's clock this one runs."""
        return self._offset.total_seconds()
