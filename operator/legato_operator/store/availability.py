"""Database outages, as one process sees them: logged once when they start and once when
they end, never once per failed call.

While Postgres is unreachable every API call, every round of the timer loop and every
reconnect of the LISTEN connection fails. Each reports the failure here (``failed``), and
each success that proves the database answers reports that (``recovered``). Only the
first failure of an outage logs (one warning, naming the error and who saw it) and only
the first success after it (one info line: how long it lasted, how many calls failed).
"""

from __future__ import annotations

import logging
import time

log = logging.getLogger(__name__)


class Outage:
    """Whether the database is unreachable, by the latest failure or success reported."""

    def __init__(self) -> None:
        self._since: float | None = None
        self._failures = 0
        # Outages seen since the process started (for tests and metrics).
        self.count = 0

    @property
    def down(self) -> bool:
        """True between a failure and the next success."""
        return self._since is not None

    def failed(self, error: BaseException, where: str) -> None:
        """``where`` could not reach the database; the first failure of an outage logs."""
        self._failures += 1
        if self._since is not None:
            return
        self._since = time.monotonic()
        self.count += 1
        log.warning(
            "Database unreachable (%s: %s, seen by %s); API calls answer 503 until it is back",
            type(error).__name__,
            describe(error),
            where,
        )

    def recovered(self, where: str) -> None:
        """``where`` reached the database; the first success after an outage logs."""
        if self._since is None:
            return
        lasted = time.monotonic() - self._since
        log.info(
            "Database reachable again (seen by %s) after %.1fs; %d attempts failed meanwhile",
            where,
            lasted,
            self._failures,
        )
        self._since = None
        self._failures = 0


def describe(error: BaseException) -> str:
    """The error's message, or a placeholder when it has none (a bare TimeoutError)."""
    return str(error) or "no message"
