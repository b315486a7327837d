"""The hub's memory of empty queues: a poll waits at once only while nothing was woken."""

from __future__ import annotations

from legato_operator.engine.rules import keys
from legato_operator.engine.services.wakeup import Hub
from legato_operator.store import rows

QUEUE = keys.task_key("default", "q", rows.TaskKind.ACTIVITY)
OTHER = keys.task_key("default", "other", rows.TaskKind.ACTIVITY)


def test_a_queue_seen_empty_is_known_empty_until_its_key_is_woken() -> None:
    hub = Hub()
    assert not hub.known_empty(QUEUE)
    hub.seen_empty(QUEUE, hub.mark(QUEUE))
    assert hub.known_empty(QUEUE)
    hub.wake(OTHER)
    assert hub.known_empty(QUEUE)
    # No waiter is there to take this wake: the memory must still move on.
    hub.wake(QUEUE)
    assert not hub.known_empty(QUEUE)


def test_a_wake_between_the_mark_and_the_look_keeps_the_queue_unknown() -> None:
    hub = Hub()
    mark = hub.mark(QUEUE)
    hub.wake(QUEUE)  # a task committed while the claim looked
    hub.seen_empty(QUEUE, mark)
    assert not hub.known_empty(QUEUE)


def test_waking_everything_forgets_every_empty_queue() -> None:
    hub = Hub()
    hub.seen_empty(QUEUE, hub.mark(QUEUE))
    hub.wake_all()
    assert not hub.known_empty(QUEUE)
