"""A poller's slots: polls wait for one, an eager task takes one only when free."""

from __future__ import annotations

import asyncio

from legato._worker.polling import Slots


async def test_a_slot_is_taken_without_waiting_only_while_one_is_free() -> None:
    slots = Slots(1)
    assert slots.try_acquire()
    assert not slots.try_acquire()
    slots.release()
    assert slots.try_acquire()


async def test_a_release_lets_a_waiting_poll_take_the_slot() -> None:
    slots = Slots(1)
    assert slots.try_acquire()
    waiting = asyncio.create_task(slots.acquire())
    await asyncio.sleep(0)
    assert not waiting.done()
    slots.release()
    await asyncio.wait_for(waiting, 5)
    # The poll holds it now: nothing is left for an eager task.
    assert not slots.try_acquire()


async def test_a_cancelled_waiter_leaves_the_released_slot_to_the_next() -> None:
    slots = Slots(1)
    assert slots.try_acquire()
    gone = asyncio.create_task(slots.acquire())
    stays = asyncio.create_task(slots.acquire())
    await asyncio.sleep(0)
    slots.release()
    gone.cancel()
    await asyncio.wait_for(stays, 5)
    assert gone.cancelled()
