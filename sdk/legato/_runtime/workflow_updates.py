"""``legato.workflow``'s update names: the decorator, handlers set at run time, the
running update's info, and whether every handler finished (temporalio's signatures)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Generic, ParamSpec, Protocol, TypeVar, overload

from .instance import current_instance
from .updates import HandlerUnfinishedPolicy, UpdateInfo, mark_update
from .updates import current_update_info as _current_update_info
from .updates import get_handler as _get_handler
from .updates import set_handler as _set_handler

P = ParamSpec("P")
R = TypeVar("R", covariant=True)


class UpdateMethodMultiParam(Protocol, Generic[P, R]):
    """A ``@workflow.update`` method: callable as itself, with ``.validator`` to decorate
    its validator (temporalio's ``UpdateMethodMultiParam``)."""

    def __call__(self, *args: P.args, **kwargs: P.kwargs) -> R:
        """Call the handler."""
        ...

    def validator(self, vfunc: Callable[P, None]) -> Callable[P, None]:
        """Mark ``vfunc`` as this update's validator."""
        ...


@overload
def update(fn: Callable[P, R]) -> UpdateMethodMultiParam[P, R]: ...


@overload
def update(
    *,
    name: str | None = None,
    dynamic: bool | None = False,
    unfinished_policy: HandlerUnfinishedPolicy = HandlerUnfinishedPolicy.WARN_AND_ABANDON,
    description: str | None = None,
) -> Callable[[Callable[P, R]], UpdateMethodMultiParam[P, R]]: ...


def update(
    fn: Callable[P, R] | None = None,
    *,
    name: str | None = None,
    dynamic: bool | None = False,
    unfinished_policy: HandlerUnfinishedPolicy = HandlerUnfinishedPolicy.WARN_AND_ABANDON,
    description: str | None = None,
) -> UpdateMethodMultiParam[P, R] | Callable[[Callable[P, R]], UpdateMethodMultiParam[P, R]]:
    """Mark a method (sync or async) as an update handler; the method name by default.

    The handler may change the run (activities, timers, waits) and its return value is
    the caller's result. ``@my_update.validator`` marks a sync method, taking the same
    arguments, that runs first, read-only: raising rejects the update, which then leaves
    nothing in history. ``dynamic=True`` takes every update no other handler does, as
    ``(self, name: str, args: Sequence[RawValue])``. With ``unfinished_policy``
    ``WARN_AND_ABANDON`` a run that closes while the handler runs warns
    (``UnfinishedUpdateHandlersWarning``); the caller gets "workflow execution already completed".
    """

    def decorate(f: Callable[P, R]) -> UpdateMethodMultiParam[P, R]:
        mark_update(f, name, dynamic=bool(dynamic), unfinished_policy=unfinished_policy, description=description)
        return f  # type: ignore[return-value]  # mark_update gave it .validator

    return decorate(fn) if fn is not None else decorate


def current_update_info() -> UpdateInfo | None:
    """The update whose handler (or validator) is running, in it and the tasks it started."""
    return _current_update_info()


def get_update_handler(name: str) -> Callable[..., Any] | None:
    """The handler of update ``name`` (decorated or set at run time); never the dynamic one."""
    return _get_handler(current_instance(), name)


def set_update_handler(
    name: str,
    handler: Callable[..., Any] | None,
    *,
    validator: Callable[..., Any] | None = None,
) -> None:
    """Handle update ``name`` with ``handler`` (None removes it), validated by ``validator``."""
    _set_handler(current_instance(), name, handler, validator, HandlerUnfinishedPolicy.WARN_AND_ABANDON)


def get_dynamic_update_handler() -> Callable[..., Any] | None:
    """The handler of updates no named handler takes, if any."""
    return _get_handler(current_instance(), None)


def set_dynamic_update_handler(
    handler: Callable[..., Any] | None,
    *,
    validator: Callable[..., Any] | None = None,
) -> None:
    """Handle every update no named handler takes, as ``handler(name, args: Sequence[RawValue])``."""
    _set_handler(current_instance(), None, handler, validator, HandlerUnfinishedPolicy.WARN_AND_ABANDON)


def all_handlers_finished() -> bool:
    """Whether no signal or update handler is running: wait on it before returning
    (``await workflow.wait_condition(workflow.all_handlers_finished)``)."""
    return not current_instance().handlers_running
