"""A payload codec end to end: what the server stores is only what the codec produced.

The client and the worker share a data converter whose codec XORs every payload (and
whose failure converter moves messages into encoded attributes); the run passes every
kind of payload there is (arguments, a signal, activity input and results, heartbeat
details, failure details with causes, the workflow's result and failure), and its history,
read back from the server as it is stored, holds no byte of plain text.
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import AsyncIterator, Sequence
from datetime import timedelta

import pytest

from legato import activity, workflow
from legato.api.common.v1 import Payload
from legato.api.history import v1 as hist
from legato.api.payloads import iter_payloads
from legato.client import Client, WorkflowHistory
from legato.common import RetryPolicy
from legato.converter import DataConverter, DefaultFailureConverter, PayloadCodec
from legato.exceptions import ActivityError, ApplicationError, WorkflowFailureError
from legato.worker import Replayer
from tests.support.deadline import eventually
from tests.support.server_process import ServerProcess, running_worker

pytestmark = pytest.mark.e2e

SECRET = "tea-4242"
KEY = 0x5A
FAST_RETRY = RetryPolicy(initial_interval=timedelta(milliseconds=100), maximum_attempts=3)


class XorCodec(PayloadCodec):
    """Encrypts (as far as a test needs) each payload into a ``binary/xor`` one."""

    async def encode(self, payloads: Sequence[Payload]) -> list[Payload]:
        return [
            Payload(metadata={"encoding": b"binary/xor"}, data=_xor(p.model_dump_json().encode())) for p in payloads
        ]

    async def decode(self, payloads: Sequence[Payload]) -> list[Payload]:
        return [Payload.model_validate_json(_xor(p.data)) for p in payloads]


def _xor(data: bytes) -> bytes:
    return bytes(b ^ KEY for b in data)


class EncodingFailureConverter(DefaultFailureConverter):
    def __init__(self) -> None:
        super().__init__(encode_common_attributes=True)


CONVERTER = dataclasses.replace(
    DataConverter.default, payload_codec=XorCodec(), failure_converter_class=EncodingFailureConverter
)


@dataclasses.dataclass
class Order:
    sku: str
    quantity: int


@activity.defn
async def pack(order: Order) -> str:
    if activity.info().attempt == 1:
        # Stop heartbeating after one: the heartbeat timeout fails this attempt, and the
        # next one starts from the details (through the codec both ways).
        activity.heartbeat(f"packing {order.sku}")
        await asyncio.sleep(3600)
    assert activity.info().heartbeat_details == [f"packing {order.sku}"]
    return f"packed {order.quantity} x {order.sku}"


@activity.defn
async def refuse(order: Order) -> str:
    raise ApplicationError(f"{order.sku} refused", {"sku": order.sku}, non_retryable=True)


@workflow.defn
class PackingWorkflow:
    def __init__(self) -> None:
        self.note: str | None = None

    @workflow.signal
    def add_note(self, note: str) -> None:
        self.note = note

    @workflow.run
    async def run(self, order: Order) -> dict[str, str]:
        packed = await workflow.execute_activity(
            pack,
            order,
            start_to_close_timeout=timedelta(seconds=30),
            heartbeat_timeout=timedelta(seconds=1),
            retry_policy=FAST_RETRY,
        )
        await workflow.wait_condition(lambda: self.note is not None)
        assert self.note is not None
        return {"packed": packed, "note": self.note}


@workflow.defn
class RefusingWorkflow:
    @workflow.run
    async def run(self, order: Order) -> str:
        return await workflow.execute_activity(refuse, order, start_to_close_timeout=timedelta(seconds=10))


@pytest.fixture
async def coded_client(server: ServerProcess) -> AsyncIterator[Client]:
    client = await Client.connect(server.address, data_converter=CONVERTER)
    yield client
    await client.close()


def assert_only_codec_output(history: WorkflowHistory) -> None:
    """Every payload in the stored history is the codec's, and no plain text is left."""
    found = [p for event in history.events for _, p in iter_payloads(event)]
    assert found, "the history holds no payloads at all"
    assert {p.metadata.get("encoding") for p in found} == {b"binary/xor"}
    stored = history.to_json()
    assert SECRET not in stored
    assert all(SECRET.encode() not in p.data for p in found)


async def test_a_run_through_a_codec_stores_only_what_the_codec_produced(coded_client: Client) -> None:
    async with running_worker(
        coded_client, task_queue="packing", workflows=[PackingWorkflow], activities=[pack], max_cached_workflows=0
    ):
        handle = await coded_client.start_workflow(
            PackingWorkflow.run, Order(SECRET, 3), id="packing-1", task_queue="packing"
        )

        async def waiting_for_the_signal() -> bool:
            types = [e.attributes.type async for e in handle.fetch_history_events()]
            return "ActivityTaskCompleted" in types

        await eventually(waiting_for_the_signal, within=20, what="the activity to complete after its retry")
        await handle.signal(PackingWorkflow.add_note, f"gift wrap {SECRET}")
        result = await asyncio.wait_for(handle.result(), 20)
    assert result == {"packed": f"packed 3 x {SECRET}", "note": f"gift wrap {SECRET}"}
    history = await handle.fetch_history()
    started = [e.attributes for e in history.events if isinstance(e.attributes, hist.ActivityTaskStarted)]
    assert started[-1].last_failure is not None, "the retried attempt records the first one's failure"
    assert_only_codec_output(history)
    replayed = await Replayer(workflows=[PackingWorkflow], data_converter=CONVERTER).replay_workflow(history)
    assert replayed.replay_failure is None


async def test_a_failure_through_a_codec_reaches_the_client_decoded(coded_client: Client) -> None:
    async with running_worker(coded_client, task_queue="refusing", workflows=[RefusingWorkflow], activities=[refuse]):
        handle = await coded_client.start_workflow(
            RefusingWorkflow.run, Order(SECRET, 1), id="refusing-1", task_queue="refusing"
        )
        with pytest.raises(WorkflowFailureError) as caught:
            await asyncio.wait_for(handle.result(), 20)
    activity_error = caught.value.cause
    assert isinstance(activity_error, ActivityError)
    cause = activity_error.cause
    assert isinstance(cause, ApplicationError)
    assert (cause.message, list(cause.details)) == (f"{SECRET} refused", [{"sku": SECRET}])
    history = await handle.fetch_history()
    failed = next(e.attributes for e in history.events if isinstance(e.attributes, hist.ActivityTaskFailed))
    assert failed.failure.message == "Encoded failure"
    assert_only_codec_output(history)


async def test_a_client_without_the_codec_cannot_read_the_result(server: ServerProcess, coded_client: Client) -> None:
    plain = await Client.connect(server.address)
    async with running_worker(coded_client, task_queue="packing", workflows=[PackingWorkflow], activities=[pack]):
        handle = await coded_client.start_workflow(
            PackingWorkflow.run, Order("cups", 1), id="packing-2", task_queue="packing"
        )
        await handle.signal(PackingWorkflow.add_note, "none")
        await asyncio.wait_for(handle.result(), 20)
    try:
        with pytest.raises(KeyError, match="Unknown payload encoding binary/xor"):
            await plain.get_workflow_handle("packing-2").result()
    finally:
        await plain.close()
