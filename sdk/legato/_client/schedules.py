"""Schedules from the client: ``ScheduleHandle``, ``ScheduleAsyncIterator`` and the calls
the last link of the chain makes for each schedule input.

As in Temporal, trigger, backfill, pause and unpause are all one operation, a patch of
the schedule; an update replaces the schedule's spec, action, policy and state with what
the user's callback makes of a fresh description. Unlike temporalio's, the update sends
the description's conflict token, so a change made by someone else in between fails the
update (``RPCError``) instead of being overwritten.
"""

from __future__ import annotations

import inspect
import uuid
from collections.abc import Awaitable, Callable, Mapping, Sequence
from datetime import timedelta
from typing import TYPE_CHECKING, Protocol

from legato import _service
from legato._client.interceptor import (
    BackfillScheduleInput,
    CreateScheduleInput,
    DeleteScheduleInput,
    DescribeScheduleInput,
    ListSchedulesInput,
    PauseScheduleInput,
    TriggerScheduleInput,
    UnpauseScheduleInput,
    UpdateScheduleInput,
)
from legato._client.schedule_action import encode_value
from legato._client.schedule_descriptions import (
    ScheduleDescription,
    ScheduleListDescription,
    ScheduleUpdate,
    ScheduleUpdateInput,
)
from legato._client.schedule_types import ScheduleBackfill, ScheduleOverlapPolicy, ScheduleState, overlap_to_api
from legato.api.schedule import v1 as wire
from legato.converter import _search_attributes as search_attribute_encoding
from legato.exceptions import LegatoError, RPCError, RPCStatusCode

if TYPE_CHECKING:
    from legato.client import Client


class ScheduleAlreadyRunningError(LegatoError):
    """``Client.create_schedule`` of an id a schedule already has."""

    def __init__(self) -> None:
        """Temporal's error, with Temporal's message."""
        super().__init__("Schedule already running")


class ScheduleHandle:
    """A schedule, for describing, updating, pausing, triggering, backfilling and deleting it.

    Attributes:
        id: The schedule id.
    """

    def __init__(self, client: Client, id: str) -> None:
        """Use ``Client.create_schedule`` or ``Client.get_schedule_handle``."""
        self._client = client
        self.id = id

    async def backfill(
        self,
        *backfill: ScheduleBackfill,
        rpc_metadata: Mapping[str, str | bytes] = {},  # Temporal's default; never mutated
        rpc_timeout: timedelta | None = None,
    ) -> None:
        """Take the actions of each period now, as if it were passing.

        Raises:
            ValueError: No period given.
        """
        if not backfill:
            raise ValueError("At least one backfill required")
        await self._client._impl.backfill_schedule(BackfillScheduleInput(self.id, backfill, rpc_metadata, rpc_timeout))

    async def delete(
        self,
        *,
        rpc_metadata: Mapping[str, str | bytes] = {},  # Temporal's default; never mutated
        rpc_timeout: timedelta | None = None,
    ) -> None:
        """Delete the schedule (the workflows it started go on)."""
        await self._client._impl.delete_schedule(DeleteScheduleInput(self.id, rpc_metadata, rpc_timeout))

    async def describe(
        self,
        *,
        rpc_metadata: Mapping[str, str | bytes] = {},  # Temporal's default; never mutated
        rpc_timeout: timedelta | None = None,
    ) -> ScheduleDescription:
        """The schedule, what it did and what it will do."""
        return await self._client._impl.describe_schedule(DescribeScheduleInput(self.id, rpc_metadata, rpc_timeout))

    async def pause(
        self,
        *,
        note: str | None = None,
        rpc_metadata: Mapping[str, str | bytes] = {},  # Temporal's default; never mutated
        rpc_timeout: timedelta | None = None,
    ) -> None:
        """Pause the schedule, with ``note`` (temporalio's "Paused via Python SDK" when None)."""
        await self._client._impl.pause_schedule(PauseScheduleInput(self.id, note, rpc_metadata, rpc_timeout))

    async def trigger(
        self,
        *,
        overlap: ScheduleOverlapPolicy | None = None,
        rpc_metadata: Mapping[str, str | bytes] = {},  # Temporal's default; never mutated
        rpc_timeout: timedelta | None = None,
    ) -> None:
        """Take the action now, by ``overlap`` (the schedule's policy when None)."""
        await self._client._impl.trigger_schedule(TriggerScheduleInput(self.id, overlap, rpc_metadata, rpc_timeout))

    async def unpause(
        self,
        *,
        note: str | None = None,
        rpc_metadata: Mapping[str, str | bytes] = {},  # Temporal's default; never mutated
        rpc_timeout: timedelta | None = None,
    ) -> None:
        """Unpause the schedule, with ``note`` (temporalio's "Unpaused via Python SDK" when None)."""
        await self._client._impl.unpause_schedule(UnpauseScheduleInput(self.id, note, rpc_metadata, rpc_timeout))

    async def update(
        self,
        updater: Callable[[ScheduleUpdateInput], ScheduleUpdate | Awaitable[ScheduleUpdate | None] | None],
        *,
        rpc_metadata: Mapping[str, str | bytes] = {},  # Temporal's default; never mutated
        rpc_timeout: timedelta | None = None,
    ) -> None:
        """Replace the schedule by what ``updater`` (sync or async) makes of its description;
        nothing is sent when it returns None or raises.

        Raises:
            RPCError: The schedule changed between the describe and the update (its
                conflict token no longer matches), or the server refused the update.
        """
        await self._client._impl.update_schedule(UpdateScheduleInput(self.id, updater, rpc_metadata, rpc_timeout))


class ScheduleAsyncIterator:
    """The schedules a list filter matches, fetched a page at a time."""

    def __init__(self, client: Client, input: ListSchedulesInput) -> None:
        """Page through the schedules ``input`` asks for; use ``Client.list_schedules``."""
        self._client = client
        self._input = input
        self._next_page_token = input.next_page_token
        self._current_page: Sequence[ScheduleListDescription] | None = None
        self._current_page_index = 0

    @property
    def current_page_index(self) -> int:
        """Index of the next schedule of the current page."""
        return self._current_page_index

    @property
    def current_page(self) -> Sequence[ScheduleListDescription] | None:
        """The page fetched last; None before the first fetch."""
        return self._current_page

    @property
    def next_page_token(self) -> bytes | None:
        """The token of the next page; None when the last page was fetched."""
        return self._next_page_token

    async def fetch_next_page(self, *, page_size: int | None = None) -> None:
        """Fetch the next page into ``current_page`` (of ``page_size``, or the input's)."""
        input = self._input
        request = wire.ListSchedulesRequest(
            page_size=min(page_size or input.page_size, wire.MAX_LIST_PAGE_SIZE),
            next_page_token=self._next_page_token.decode() if self._next_page_token else None,
            query=input.query or "",
        )
        page = await self._client.service_client.list_schedules(request, _options(input))
        converter = self._client.data_converter
        self._current_page = [ScheduleListDescription._from_api(e, converter) for e in page.schedules]
        self._current_page_index = 0
        self._next_page_token = page.next_page_token.encode() if page.next_page_token else None

    def __aiter__(self) -> ScheduleAsyncIterator:
        return self

    async def __anext__(self) -> ScheduleListDescription:
        while True:
            page = self._current_page
            if page is not None and self._current_page_index < len(page):
                self._current_page_index += 1
                return page[self._current_page_index - 1]
            if page is not None and self._next_page_token is None:
                raise StopAsyncIteration
            await self.fetch_next_page()


class _CallInput(Protocol):
    """What every schedule input has for its call."""

    rpc_metadata: Mapping[str, str | bytes]
    rpc_timeout: timedelta | None


def _options(input: _CallInput) -> _service.CallOptions:
    return _service.CallOptions(metadata=input.rpc_metadata, timeout=input.rpc_timeout)


def _check_limited_actions(state: ScheduleState) -> None:
    # The server counts remaining actions down only with limited_actions: one without the
    # other would be a limit that never applies, or a schedule that never acts.
    if state.limited_actions and not state.remaining_actions:
        raise ValueError("Must set limited actions to false if there are no remaining actions set")
    if not state.limited_actions and state.remaining_actions:
        raise ValueError("Must set limited actions to true if there are remaining actions set")


def _initial_patch(input: CreateScheduleInput) -> wire.SchedulePatch | None:
    if not input.trigger_immediately and not input.backfill:
        return None
    # The immediate action goes by the schedule's own overlap policy, as temporalio sends it.
    trigger = wire.TriggerImmediately(overlap_policy=input.schedule.policy.overlap._to_api())
    return wire.SchedulePatch(
        trigger_immediately=trigger if input.trigger_immediately else None,
        backfill_request=[b._to_api() for b in input.backfill],
    )


async def create_schedule(client: Client, input: CreateScheduleInput) -> ScheduleHandle:
    """Create the schedule; a taken id raises ``ScheduleAlreadyRunningError``.

    Raises:
        ValueError: ``limited_actions`` and ``remaining_actions`` disagree.
    """
    _check_limited_actions(input.schedule.state)
    converter = client.data_converter
    request = wire.CreateScheduleRequest(
        schedule_id=input.id,
        schedule=await input.schedule._to_api(client),
        initial_patch=_initial_patch(input),
        identity=client.identity,
        request_id=str(uuid.uuid4()),
        memo={k: await encode_value(converter, v) for k, v in (input.memo or {}).items()},
        search_attributes=search_attribute_encoding.payloads_of(input.search_attributes),
    )
    try:
        await client.service_client.create_schedule(request, _options(input))
    except RPCError as e:
        if e.status is RPCStatusCode.ALREADY_EXISTS:
            raise ScheduleAlreadyRunningError() from e
        raise
    return ScheduleHandle(client, input.id)


async def describe_schedule(client: Client, input: DescribeScheduleInput) -> ScheduleDescription:
    """The schedule's description (its payloads left encoded)."""
    request = wire.DescribeScheduleRequest(schedule_id=input.id)
    raw = await client.service_client.describe_schedule(request, _options(input))
    return ScheduleDescription._from_api(input.id, raw, client.data_converter)


async def update_schedule(client: Client, input: UpdateScheduleInput) -> None:
    """Describe, ask the updater, and replace the schedule if nothing changed it meanwhile."""
    description = await describe_schedule(
        client, DescribeScheduleInput(input.id, input.rpc_metadata, input.rpc_timeout)
    )
    update = input.updater(ScheduleUpdateInput(description=description))
    if inspect.isawaitable(update):
        update = await update
    # The updater decided there is nothing to change.
    if update is None:
        return
    attributes = update.search_attributes
    request = wire.UpdateScheduleRequest(
        schedule_id=input.id,
        schedule=await update.schedule._to_api(client),
        conflict_token=description.raw_description.conflict_token,
        identity=client.identity,
        request_id=str(uuid.uuid4()),
        # None leaves them as they are; an empty collection removes them all.
        search_attributes=None if attributes is None else search_attribute_encoding.payloads_of(attributes),
    )
    await client.service_client.update_schedule(request, _options(input))


async def delete_schedule(client: Client, input: DeleteScheduleInput) -> None:
    """Delete the schedule."""
    request = wire.DeleteScheduleRequest(schedule_id=input.id, identity=client.identity)
    await client.service_client.delete_schedule(request, _options(input))


async def patch_schedule(
    client: Client,
    input: BackfillScheduleInput | PauseScheduleInput | TriggerScheduleInput | UnpauseScheduleInput,
) -> None:
    """Trigger, backfill, pause or unpause the schedule: one patch, as Temporal's PatchSchedule."""
    request = wire.PatchScheduleRequest(schedule_id=input.id, patch=_patch(input), identity=client.identity)
    await client.service_client.patch_schedule(request, _options(input))


def _patch(
    input: BackfillScheduleInput | PauseScheduleInput | TriggerScheduleInput | UnpauseScheduleInput,
) -> wire.SchedulePatch:
    # A pause or unpause needs a non-empty note: it is how the patch says which it is.
    if isinstance(input, PauseScheduleInput):
        return wire.SchedulePatch(pause=input.note or "Paused via Python SDK")
    if isinstance(input, UnpauseScheduleInput):
        return wire.SchedulePatch(unpause=input.note or "Unpaused via Python SDK")
    if isinstance(input, TriggerScheduleInput):
        return wire.SchedulePatch(
            trigger_immediately=wire.TriggerImmediately(overlap_policy=overlap_to_api(input.overlap))
        )
    return wire.SchedulePatch(backfill_request=[b._to_api() for b in input.backfills])
