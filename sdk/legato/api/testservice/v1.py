"""Requests and responses of the testing operations, as Temporal's ``testservice.v1``.

Only a server started with ``--time-skipping`` (``WorkflowEnvironment.start_time_skipping``)
serves them; any other answers 412 FailedPrecondition. Its clock is the server's own,
shared by every namespace.
"""

from __future__ import annotations

from datetime import datetime

from pydantic import AwareDatetime, Field

from legato.api.common.v1 import WireModel
from legato.api.workflowservice.v1 import LongPollRequest


class LockTimeSkippingRequest(WireModel):
    """Hold the clock to real time (locks nest: each lock needs its unlock)."""


class UnlockTimeSkippingRequest(WireModel):
    """Undo one lock; once none is held, time jumps to the next timer when nothing runs."""


class SleepUntilRequest(LongPollRequest):
    """Let time skip until the server's clock reaches ``timestamp``."""

    timestamp: AwareDatetime = Field(description="The server time to wait for (RFC 3339, with its offset).")


class SleepResponse(WireModel):
    """The server's time once the sleep ended."""

    time: datetime


class GetCurrentTimeRequest(WireModel):
    """Ask for the server's clock."""


class GetCurrentTimeResponse(WireModel):
    """The server's clock: real time plus every jump it made."""

    time: datetime
