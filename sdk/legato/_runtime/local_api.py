"""``workflow.start_local_activity`` and its forms (temporalio's names and parameters).

A local activity runs in the worker that runs the workflow, before that worker answers the
workflow task; see ``legato._runtime.local_activities`` for how it is recorded.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import timedelta
from typing import Any, TypedDict

from legato import _calls
from legato.common import RetryPolicy

from . import definitions
from .activities import ActivityCancellationType, ActivityHandle
from .instance import current_instance
from .interceptor import StartLocalActivityInput


class LocalActivityConfig(TypedDict, total=False):
    """The options of ``start_local_activity`` and ``execute_local_activity`` as a dict."""

    schedule_to_close_timeout: timedelta | None
    schedule_to_start_timeout: timedelta | None
    start_to_close_timeout: timedelta | None
    retry_policy: RetryPolicy | None
    local_retry_threshold: timedelta | None
    cancellation_type: ActivityCancellationType
    activity_id: str | None
    summary: str | None
    event_groups: Any


def start_local_activity(
    activity: Callable[..., Any] | str,
    arg: Any = _calls.UNSET,
    *,
    args: Sequence[Any] = [],  # Temporal's default; never mutated
    result_type: type | None = None,
    schedule_to_close_timeout: timedelta | None = None,
    schedule_to_start_timeout: timedelta | None = None,
    start_to_close_timeout: timedelta | None = None,
    retry_policy: RetryPolicy | None = None,
    local_retry_threshold: timedelta | None = None,
    cancellation_type: ActivityCancellationType = ActivityCancellationType.TRY_CANCEL,
    activity_id: str | None = None,
    summary: str | None = None,
    event_groups: Any = None,
) -> ActivityHandle[Any]:
    """Run an activity in this worker and return its handle.

    Args:
        activity: An ``@activity.defn`` function (or callable class, or method), or a type name.
        arg: The single argument (or use ``args``).
        args: The arguments.
        result_type: Type the result is decoded into; the function's return hint by default.
        schedule_to_close_timeout: Limit on the activity, retries included.
        schedule_to_start_timeout: Accepted; a local activity starts at once.
        start_to_close_timeout: Limit on one attempt.
        retry_policy: How the worker retries; temporalio's default policy when None.
        local_retry_threshold: Backoffs longer than this (default 1 minute) wait on a
            durable timer instead of in the worker.
        cancellation_type: What cancelling the handle waits for: TRY_CANCEL and ABANDON
            resolve at once, WAIT_CANCELLATION_COMPLETED once the cancelled attempt ended.
        activity_id: The activity's id; the next sequence number by default.
        summary: Accepted and dropped (a note for UIs).
        event_groups: Accepted and dropped (a grouping for UIs).

    Raises:
        ValueError: Neither start_to_close_timeout nor schedule_to_close_timeout is set.
    """
    if start_to_close_timeout is None and schedule_to_close_timeout is None:
        raise ValueError("Activity must have start_to_close_timeout or schedule_to_close_timeout")
    name, hinted = definitions.activity_name_and_result_type(activity)
    input = StartLocalActivityInput(
        activity=name,
        args=_calls.arg_or_args(arg, args),
        activity_id=activity_id,
        schedule_to_close_timeout=schedule_to_close_timeout,
        schedule_to_start_timeout=schedule_to_start_timeout,
        start_to_close_timeout=start_to_close_timeout,
        retry_policy=retry_policy,
        local_retry_threshold=local_retry_threshold,
        cancellation_type=cancellation_type,
        headers={},
        summary=summary,
        arg_types=None,
        ret_type=result_type or hinted,
    )
    return current_instance().outbound.start_local_activity(input)


async def execute_local_activity(
    activity: Callable[..., Any] | str,
    arg: Any = _calls.UNSET,
    *,
    args: Sequence[Any] = [],  # Temporal's default; never mutated
    result_type: type | None = None,
    schedule_to_close_timeout: timedelta | None = None,
    schedule_to_start_timeout: timedelta | None = None,
    start_to_close_timeout: timedelta | None = None,
    retry_policy: RetryPolicy | None = None,
    local_retry_threshold: timedelta | None = None,
    cancellation_type: ActivityCancellationType = ActivityCancellationType.TRY_CANCEL,
    activity_id: str | None = None,
    summary: str | None = None,
    event_groups: Any = None,
) -> Any:
    """Run a local activity and return its result; the arguments are ``start_local_activity``'s.

    Raises:
        ApplicationError: The activity failed for good (as temporalio raises it: not wrapped).
        ActivityError: The activity timed out (cause ``TimeoutError``).
    """
    return await start_local_activity(
        activity,
        arg,
        args=args,
        result_type=result_type,
        schedule_to_close_timeout=schedule_to_close_timeout,
        schedule_to_start_timeout=schedule_to_start_timeout,
        start_to_close_timeout=start_to_close_timeout,
        retry_policy=retry_policy,
        local_retry_threshold=local_retry_threshold,
        cancellation_type=cancellation_type,
        activity_id=activity_id,
        summary=summary,
        event_groups=event_groups,
    )


def start_local_activity_method(
    activity: Callable[..., Any],
    arg: Any = _calls.UNSET,
    *,
    args: Sequence[Any] = [],  # Temporal's default; never mutated
    schedule_to_close_timeout: timedelta | None = None,
    schedule_to_start_timeout: timedelta | None = None,
    start_to_close_timeout: timedelta | None = None,
    retry_policy: RetryPolicy | None = None,
    local_retry_threshold: timedelta | None = None,
    cancellation_type: ActivityCancellationType = ActivityCancellationType.TRY_CANCEL,
    activity_id: str | None = None,
    summary: str | None = None,
    event_groups: Any = None,
) -> ActivityHandle[Any]:
    """``start_local_activity`` for an activity defined as a method (or a callable class)."""
    return start_local_activity(
        activity,
        arg,
        args=args,
        schedule_to_close_timeout=schedule_to_close_timeout,
        schedule_to_start_timeout=schedule_to_start_timeout,
        start_to_close_timeout=start_to_close_timeout,
        retry_policy=retry_policy,
        local_retry_threshold=local_retry_threshold,
        cancellation_type=cancellation_type,
        activity_id=activity_id,
        summary=summary,
        event_groups=event_groups,
    )


async def execute_local_activity_method(
    activity: Callable[..., Any],
    arg: Any = _calls.UNSET,
    *,
    args: Sequence[Any] = [],  # Temporal's default; never mutated
    schedule_to_close_timeout: timedelta | None = None,
    schedule_to_start_timeout: timedelta | None = None,
    start_to_close_timeout: timedelta | None = None,
    retry_policy: RetryPolicy | None = None,
    local_retry_threshold: timedelta | None = None,
    cancellation_type: ActivityCancellationType = ActivityCancellationType.TRY_CANCEL,
    activity_id: str | None = None,
    summary: str | None = None,
    event_groups: Any = None,
) -> Any:
    """``execute_local_activity`` for an activity defined as a method (or a callable class)."""
    return await start_local_activity(
        activity,
        arg,
        args=args,
        schedule_to_close_timeout=schedule_to_close_timeout,
        schedule_to_start_timeout=schedule_to_start_timeout,
        start_to_close_timeout=start_to_close_timeout,
        retry_policy=retry_policy,
        local_retry_threshold=local_retry_threshold,
        cancellation_type=cancellation_type,
        activity_id=activity_id,
        summary=summary,
        event_groups=event_groups,
    )


# A callable class's activity is its __call__: the same calls as a method's.
start_local_activity_class = start_local_activity_method
execute_local_activity_class = execute_local_activity_method
