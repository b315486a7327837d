"""Options shared by workflows, activities and the client, as ``temporalio.common``.

``RetryPolicy`` is the user-facing dataclass (timedeltas); ``legato.api.common.v1.RetryPolicy``
is its wire form (seconds). The id policies keep Temporal's names; the members the server
does not support yet are refused when a workflow is started with them. The typed search
attributes (``SearchAttributeKey``, ``TypedSearchAttributes``, ...) live in
``legato._search_attributes`` and are re-exported here, where temporalio has them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from enum import IntEnum
from typing import ClassVar

from legato._search_attributes import (
    SearchAttributeIndexedValueType,
    SearchAttributeKey,
    SearchAttributePair,
    SearchAttributes,
    SearchAttributeUpdate,
    SearchAttributeValue,
    SearchAttributeValues,
    SearchAttributeValueType,
    TypedSearchAttributes,
)
from legato.api.common import v1 as api_common
from legato.api.common.v1 import Payload
from legato.api.workflowservice import v1 as api_service

__all__ = [
    "HeaderCodecBehavior",
    "Priority",
    "QueryRejectCondition",
    "RawValue",
    "RetryPolicy",
    "SearchAttributeIndexedValueType",
    "SearchAttributeKey",
    "SearchAttributePair",
    "SearchAttributeUpdate",
    "SearchAttributeValue",
    "SearchAttributeValueType",
    "SearchAttributeValues",
    "SearchAttributes",
    "TypedSearchAttributes",
    "VersioningBehavior",
    "WorkflowIDConflictPolicy",
    "WorkflowIDReusePolicy",
]


@dataclass(init=False)
class RetryPolicy:
    """How failed activities (or workflows) are retried; Temporal's defaults.

    Attributes:
        initial_interval: Backoff before the first retry.
        backoff_coefficient: Multiplier of the backoff for each further retry.
        maximum_interval: Cap on the backoff; 100 x initial_interval when None.
        maximum_attempts: Attempts in all, the first included; 0 means unlimited.
        non_retryable_error_types: ApplicationError types that are never retried.
    """

    # Defaults here too (the __init__ below sets them), so the fields read as Temporal's.
    initial_interval: timedelta = timedelta(seconds=1)
    backoff_coefficient: float = 2.0
    maximum_interval: timedelta | None = None
    maximum_attempts: int = 0
    non_retryable_error_types: Sequence[str] | None = None

    def __init__(
        self,
        initial_interval: timedelta = timedelta(seconds=1),
        backoff_coefficient: float = 2.0,
        maximum_interval: timedelta | None = None,
        maximum_attempts: int = 0,
        non_retryable_error_types: Sequence[str] | None = None,
        *,
        max_attempts: int | None = None,
    ) -> None:
        """Initialize; ``max_attempts`` is accepted as an alias of ``maximum_attempts``.

        Raises:
            TypeError: Both ``max_attempts`` and a non-default ``maximum_attempts`` given.
        """
        # People write max_attempts (other SDKs' spelling); taking it beats a TypeError.
        if max_attempts is not None:
            if maximum_attempts not in (0, max_attempts):
                raise TypeError("RetryPolicy got both max_attempts and maximum_attempts")
            maximum_attempts = max_attempts
        self.initial_interval = initial_interval
        self.backoff_coefficient = backoff_coefficient
        self.maximum_interval = maximum_interval
        self.maximum_attempts = maximum_attempts
        self.non_retryable_error_types = non_retryable_error_types

    def to_api(self) -> api_common.RetryPolicy:
        """The wire form of this policy.

        Raises:
            ValueError: A field is out of range (named in the message).
        """
        self._validate()
        return api_common.RetryPolicy(
            initial_interval=self.initial_interval.total_seconds(),
            backoff_coefficient=self.backoff_coefficient,
            maximum_interval=self.maximum_interval.total_seconds() if self.maximum_interval else None,
            maximum_attempts=self.maximum_attempts,
            non_retryable_error_types=list(self.non_retryable_error_types or []),
        )

    @staticmethod
    def from_api(policy: api_common.RetryPolicy) -> RetryPolicy:
        """The user-facing form of a wire retry policy."""
        return RetryPolicy(
            initial_interval=timedelta(seconds=policy.initial_interval),
            backoff_coefficient=policy.backoff_coefficient,
            maximum_interval=(timedelta(seconds=policy.maximum_interval) if policy.maximum_interval else None),
            maximum_attempts=policy.maximum_attempts,
            non_retryable_error_types=list(policy.non_retryable_error_types) or None,
        )

    def _validate(self) -> None:
        if self.initial_interval <= timedelta(0):
            raise ValueError("RetryPolicy.initial_interval must be positive")
        if self.backoff_coefficient < 1.0:
            raise ValueError("RetryPolicy.backoff_coefficient must be at least 1.0")
        if self.maximum_interval is not None and self.maximum_interval < self.initial_interval:
            raise ValueError("RetryPolicy.maximum_interval must not be less than initial_interval")
        if self.maximum_attempts < 0:
            raise ValueError("RetryPolicy.maximum_attempts must not be negative")


class WorkflowIDReusePolicy(IntEnum):
    """Whether a closed workflow id may be started again (Temporal's names and values)."""

    ALLOW_DUPLICATE = 1
    ALLOW_DUPLICATE_FAILED_ONLY = 2
    REJECT_DUPLICATE = 3
    TERMINATE_IF_RUNNING = 4

    def to_api(self) -> api_service.IdReusePolicy:
        """The wire form."""
        return api_service.IdReusePolicy[self.name]


class WorkflowIDConflictPolicy(IntEnum):
    """What starting an id that is already running does (Temporal's names and values)."""

    UNSPECIFIED = 0
    FAIL = 1
    USE_EXISTING = 2
    TERMINATE_EXISTING = 3

    def to_api(self) -> api_service.IdConflictPolicy:
        """The wire form; UNSPECIFIED is the server's default (FAIL, or USE_EXISTING for a
        signal-with-start)."""
        return api_service.IdConflictPolicy[self.name]


@dataclass(frozen=True)
class Priority:
    """Task priority and fairness (Temporal's fields). Legato has no priorities yet: a
    workflow or activity started with a non-default one is refused by name."""

    priority_key: int | None = None
    """Lower runs first; None is the server's default."""
    fairness_key: str | None = None
    """Tasks of one key share the queue fairly with those of others."""
    fairness_weight: float | None = None
    """The key's share."""
    default: ClassVar[Priority]
    """No priority: the server's default order."""


Priority.default = Priority()


@dataclass(frozen=True)
class RawValue:
    """A value not yet converted: what dynamic workflows and signal handlers receive.

    Convert it with ``workflow.payload_converter().from_payload(raw.payload, type_hint)``.
    """

    payload: Payload


class QueryRejectCondition(IntEnum):
    """When the server rejects a query instead of asking a worker (Temporal's values)."""

    NONE = 1
    """Never: a closed run is queried too."""
    NOT_OPEN = 2
    """When the run is closed."""
    NOT_COMPLETED_CLEANLY = 3
    """When the run closed other than completed (failed, cancelled, terminated, timed out)."""

    def to_api(self) -> api_service.QueryRejectCondition:
        """The wire's value."""
        return api_service.QueryRejectCondition[self.name]


class HeaderCodecBehavior(IntEnum):
    """Whether headers go through the payload codec (Temporal's values; Legato has NO_CODEC only)."""

    NO_CODEC = 1
    CODEC = 2
    WORKFLOW_ONLY_CODEC = 3


class VersioningBehavior(IntEnum):
    """How a workflow moves between worker versions (Temporal's values; Legato has no worker versioning)."""

    UNSPECIFIED = 0
    PINNED = 1
    AUTO_UPGRADE = 2
