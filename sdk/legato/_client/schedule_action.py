"""What a schedule does at each of its times: ``ScheduleActionStartWorkflow``, as temporalio's.

An action built by the user holds Python values; its arguments and memo go through the
client's data converter and codec when the schedule is sent, as a start's do. An action
read back from the server (``describe()``) holds them as the payloads the server keeps,
still encoded: they are decoded only if the user asks (``data_converter.decode``), and
sent back as they are when the schedule is updated, so a describe-then-update changes
nothing it was not told to. Search attributes go by the default converter, never the
codec, so the server can index them; headers are sent as given (Legato has no header
codec).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from legato import _calls
from legato._runtime import definitions
from legato.api.common.v1 import Payload
from legato.api.schedule import v1 as wire
from legato.common import Priority, RetryPolicy, SearchAttributes, SearchAttributeValues, TypedSearchAttributes
from legato.converter import _search_attributes as search_attribute_encoding
from legato.converter import decode_search_attributes, decode_typed_search_attributes

if TYPE_CHECKING:
    from legato.client import Client
    from legato.converter import DataConverter


class ScheduleAction(ABC):
    """What a schedule does; ``ScheduleActionStartWorkflow`` is the one kind there is."""

    @staticmethod
    def _from_api(raw: wire.ScheduleActionStartWorkflow) -> ScheduleAction:
        # The wire has only the start-workflow action, so it is not wrapped in a oneof.
        return ScheduleActionStartWorkflow._from_api(raw)

    @abstractmethod
    async def _to_api(self, client: Client) -> wire.ScheduleActionStartWorkflow: ...


@dataclass
class ScheduleActionStartWorkflow(ScheduleAction):
    """Start a workflow; its id is ``id`` with the time of the action appended by the server.

    Read from a description, ``args`` and ``memo`` hold the stored payloads (decode them
    with the description's ``data_converter``); ``static_summary`` and ``static_details``
    are always None there (Legato keeps no UI notes).
    """

    workflow: str
    args: Sequence[Any] | Sequence[Payload]
    id: str
    task_queue: str
    execution_timeout: timedelta | None
    run_timeout: timedelta | None
    task_timeout: timedelta | None
    retry_policy: RetryPolicy | None
    memo: Mapping[str, Any] | Mapping[str, Payload] | None
    typed_search_attributes: TypedSearchAttributes
    untyped_search_attributes: SearchAttributes
    """Deprecated: only there to keep untyped attributes a schedule already has through an
    update; never give it when creating."""
    static_summary: str | Payload | None
    static_details: str | Payload | None
    priority: Priority
    headers: Mapping[str, Payload] | None
    """Sent as they are (Legato does not pass headers through the codec)."""

    def __init__(
        self,
        workflow: str | Callable[..., Awaitable[Any]],
        arg: Any = _calls.UNSET,
        *,
        args: Sequence[Any] = [],  # Temporal's default; never mutated
        id: str | None = None,
        task_queue: str | None = None,
        execution_timeout: timedelta | None = None,
        run_timeout: timedelta | None = None,
        task_timeout: timedelta | None = None,
        retry_policy: RetryPolicy | None = None,
        memo: Mapping[str, Any] | None = None,
        typed_search_attributes: TypedSearchAttributes = TypedSearchAttributes.empty,
        untyped_search_attributes: Mapping[str, SearchAttributeValues] = {},  # Temporal's default; never mutated
        static_summary: str | None = None,
        static_details: str | None = None,
        headers: Mapping[str, Payload] | None = None,
        raw_info: wire.ScheduleActionStartWorkflow | None = None,
        priority: Priority = Priority.default,
    ) -> None:
        """Start ``workflow`` (its ``@workflow.run`` method or type name) with ``arg`` or
        ``args``; the other arguments are ``Client.start_workflow``'s.

        ``raw_info`` (the wire's action) makes the action a description's: every other
        argument but ``workflow`` is ignored then.

        ``static_summary`` and ``static_details`` are accepted and dropped (notes for UIs).

        Raises:
            ValueError: No ``id`` or ``task_queue``, both ``arg`` and ``args``, or a
                dynamic workflow's run method.
            TypeError: ``workflow`` is neither a name nor a run method.
        """
        super().__init__()
        if raw_info is not None:
            self._set_from_api(raw_info)
            return
        if not id:
            raise ValueError("ID required")
        if not task_queue:
            raise ValueError("Task queue required")
        self.workflow = _workflow_name(workflow)
        self.args = _calls.arg_or_args(arg, args)
        self.id = id
        self.task_queue = task_queue
        self.execution_timeout = execution_timeout
        self.run_timeout = run_timeout
        self.task_timeout = task_timeout
        self.retry_policy = retry_policy
        self.memo = memo
        self.typed_search_attributes = typed_search_attributes
        self.untyped_search_attributes = untyped_search_attributes
        self.static_summary = static_summary
        self.static_details = static_details
        self.headers = headers
        self.priority = priority

    def _set_from_api(self, raw: wire.ScheduleActionStartWorkflow) -> None:
        self.workflow = raw.workflow_type
        self.args = list(raw.args)
        self.id = raw.workflow_id
        self.task_queue = raw.task_queue
        self.execution_timeout = _duration(raw.execution_timeout)
        self.run_timeout = _duration(raw.run_timeout)
        self.task_timeout = _duration(raw.task_timeout)
        self.retry_policy = RetryPolicy.from_api(raw.retry_policy) if raw.retry_policy else None
        self.memo = dict(raw.memo) or None
        self.typed_search_attributes = decode_typed_search_attributes(raw.search_attributes)
        # The untyped ones are those without a type to be read by: what the typed lack.
        typed = {pair.key.name for pair in self.typed_search_attributes}
        untyped = decode_search_attributes(raw.search_attributes)
        self.untyped_search_attributes = {k: v for k, v in untyped.items() if k not in typed}
        self.static_summary = None
        self.static_details = None
        self.headers = dict(raw.header) or None
        self.priority = Priority.default

    @staticmethod
    def _from_api(raw: wire.ScheduleActionStartWorkflow) -> ScheduleActionStartWorkflow:
        return ScheduleActionStartWorkflow("<unset>", raw_info=raw)

    async def _to_api(self, client: Client) -> wire.ScheduleActionStartWorkflow:
        """The wire's action: arguments and memo encoded (those already payloads as they are).

        Raises:
            NotImplementedError: A priority other than the default.
        """
        # Imported here: outbound imports the schedule modules.
        from legato._client.outbound import not_supported

        if _non_default_priority(self.priority):
            raise not_supported("ScheduleActionStartWorkflow", "priority")
        converter = client.data_converter
        return wire.ScheduleActionStartWorkflow(
            workflow_type=self.workflow,
            workflow_id=self.id,
            task_queue=self.task_queue,
            args=[await encode_value(converter, a) for a in self.args],
            execution_timeout=_calls.seconds(self.execution_timeout) or None,
            run_timeout=_calls.seconds(self.run_timeout) or None,
            task_timeout=_calls.seconds(self.task_timeout) or None,
            retry_policy=self.retry_policy.to_api() if self.retry_policy else None,
            memo={k: await encode_value(converter, v) for k, v in (self.memo or {}).items()},
            search_attributes=self._search_attributes(),
            header=dict(self.headers or {}),
        )

    def _search_attributes(self) -> dict[str, Payload]:
        # The untyped ones a described action kept, then the typed ones over them.
        typed = {pair.key.name for pair in self.typed_search_attributes}
        untyped = {k: v for k, v in self.untyped_search_attributes.items() if k not in typed}
        payloads = search_attribute_encoding.payloads_of(untyped)
        payloads.update(search_attribute_encoding.payloads_of(self.typed_search_attributes))
        return payloads


def _workflow_name(workflow: str | Callable[..., Awaitable[Any]]) -> str:
    if callable(workflow):
        defn = definitions.WorkflowDefinition.must_from_run_fn(workflow)
        # A dynamic workflow runs whatever type it is asked to: a schedule must name one.
        if not defn.name:
            raise ValueError("Cannot schedule dynamic workflow explicitly")
        return defn.name
    if not isinstance(workflow, str):
        raise TypeError("Workflow must be a string or callable")
    return workflow


async def encode_value(converter: DataConverter, value: Any) -> Payload:
    # A payload is already encoded: one read from a description goes back as it came.
    if isinstance(value, Payload):
        return value
    return (await converter.encode([value]))[0]


def _duration(value: float | None) -> timedelta | None:
    return timedelta(seconds=value) if value else None


def _non_default_priority(priority: Priority | None) -> bool:
    fields = ("priority_key", "fairness_key", "fairness_weight")
    return priority is not None and any(getattr(priority, f, None) is not None for f in fields)
