"""Activities as a workflow sees them: scheduling commands, handles, and their resolution.

An activity is a future resolved by history (``ActivityTaskCompleted`` and kin) wrapped in
an ``ActivityHandle`` task. Cancelling the handle asks the server to cancel the activity,
following Temporal's cancellation types: TRY_CANCEL resolves at once, WAIT_CANCELLATION_COMPLETED
waits for the activity to acknowledge, ABANDON sends nothing.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from enum import IntEnum
from typing import Any, Generic, Protocol, TypeVar

from legato import exceptions
from legato.api.command import v1 as cmd
from legato.api.common.v1 import Payload
from legato.api.common.v1 import RetryState as WireRetryState
from legato.api.history import v1 as hist
from legato.converter import DataConverter

_T = TypeVar("_T")


class ActivityCancellationType(IntEnum):
    """What cancelling an activity's handle does (Temporal's names and values)."""

    TRY_CANCEL = 0
    WAIT_CANCELLATION_COMPLETED = 1
    ABANDON = 2


class ActivityHandle(asyncio.Task[_T], Generic[_T]):
    """A started activity: await it for the result, ``cancel()`` to cancel the activity."""


@dataclass(eq=False)
class ActivityState:
    """What the instance tracks about one scheduled activity."""

    command: cmd.ScheduleActivityTask
    result_type: Any
    cancellation_type: ActivityCancellationType
    future: asyncio.Future[Any]
    scheduled_event_id: int | None = None
    cancel_requested: bool = False

    @property
    def activity_id(self) -> str:
        """The activity's id."""
        return self.command.activity_id

    @property
    def activity_type(self) -> str:
        """The activity's type name."""
        return self.command.activity_type


class CommandSink(Protocol):
    """The part of the instance that activities need."""

    def add_command(self, command: cmd.Command) -> None:
        """Append a command to this activation's."""

    def remove_unsent(self, command: cmd.Command) -> bool:
        """Drop a command not yet sent; False when it was already sent."""


def _activity_error(
    state: ActivityState,
    message: str,
    *,
    started_event_id: int,
    retry_state: exceptions.RetryState | None,
    identity: str = "",
) -> exceptions.ActivityError:
    return exceptions.ActivityError(
        f"{message}: activity {state.activity_type!r} (id {state.activity_id!r})",
        scheduled_event_id=state.scheduled_event_id or 0,
        started_event_id=started_event_id,
        identity=identity,
        activity_type=state.activity_type,
        activity_id=state.activity_id,
        retry_state=retry_state,
    )


def cancelled_error(state: ActivityState, *details: Any, started_event_id: int = 0) -> exceptions.ActivityError:
    """The ActivityError (cause CancelledError) a cancelled activity resolves with."""
    err = _activity_error(
        state,
        "Activity cancelled",
        started_event_id=started_event_id,
        retry_state=exceptions.RetryState.CANCEL_REQUESTED,
    )
    err.__cause__ = exceptions.CancelledError("Activity cancelled", *details)
    return err


def request_cancel(state: ActivityState, sink: CommandSink) -> None:
    """Cancel an activity as its cancellation type says."""
    if state.future.done() or state.cancel_requested:
        return
    state.cancel_requested = True
    # Never sent: the server never hears of it, so it is simply cancelled here.
    if state.cancellation_type is ActivityCancellationType.ABANDON or sink.remove_unsent(state.command):
        state.future.set_exception(cancelled_error(state))
        return
    assert state.scheduled_event_id is not None, "a sent activity is matched before code runs again"
    sink.add_command(cmd.RequestCancelActivityTask(scheduled_event_id=state.scheduled_event_id))
    if state.cancellation_type is ActivityCancellationType.TRY_CANCEL:
        state.future.set_exception(cancelled_error(state))


async def run_handle(state: ActivityState, sink: CommandSink) -> Any:
    """The body of an activity's handle: wait for the result, turning a cancel into a request."""
    while True:
        try:
            # Shielded: cancelling the handle must not cancel the future history resolves.
            return await asyncio.shield(state.future)
        except asyncio.CancelledError:
            # The result came in the same activation as the cancel: the cancel wins, as Temporal's.
            if state.future.done():
                raise
            request_cancel(state, sink)


def resolve(state: ActivityState, event: hist.HistoryEvent, converter: DataConverter) -> None:
    """Resolve an activity's future from the event that closed it."""
    if state.future.done():
        # Already resolved by a TRY_CANCEL or ABANDON; the late outcome changes nothing.
        return
    a = event.attributes
    if isinstance(a, hist.ActivityTaskCompleted):
        _resolve_completed(state, a.result, converter)
        return
    state.future.set_exception(_failure_for(state, a, converter))


def _resolve_completed(state: ActivityState, result: Payload | None, converter: DataConverter) -> None:
    try:
        value = None if result is None else converter.payload_converter.from_payload(result, state.result_type)
    except Exception as e:
        state.future.set_exception(e)
    else:
        state.future.set_result(value)


def _failure_for(state: ActivityState, a: Any, converter: DataConverter) -> exceptions.ActivityError:
    if isinstance(a, hist.ActivityTaskCanceled):
        details = converter.payload_converter.from_payloads(a.details)
        return cancelled_error(state, *details, started_event_id=a.started_event_id)
    assert isinstance(a, hist.ActivityTaskFailed | hist.ActivityTaskTimedOut)
    message = "Activity task failed" if isinstance(a, hist.ActivityTaskFailed) else "Activity task timed out"
    err = _activity_error(
        state,
        message,
        started_event_id=a.started_event_id,
        retry_state=_retry_state(a.retry_state),
        identity=getattr(a, "identity", ""),
    )
    err.__cause__ = converter.failure_converter.from_failure(a.failure, converter.payload_converter)
    return err


def _retry_state(state: WireRetryState) -> exceptions.RetryState:
    return exceptions.RetryState[state.name]
