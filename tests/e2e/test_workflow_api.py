"""The workflow API against a real server: patching across worker versions, memo, dynamic
workflows with buffered signals, and asyncio's timeouts as durable timers."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import timedelta
from typing import Any

import pytest

from legato import activity, workflow
from legato.client import Client, WorkflowHandle
from legato.common import RawValue
from legato.exceptions import NondeterminismError
from legato.worker import Replayer
from tests.e2e.test_codec import CONVERTER
from tests.support.deadline import eventually
from tests.support.server_process import ServerProcess, running_worker

pytestmark = pytest.mark.e2e

TIMEOUT = timedelta(seconds=10)


@activity.defn
async def old_step() -> str:
    return "old"


@activity.defn
async def new_step() -> str:
    return "new"


class _Waits:
    """Runs its step, then waits for ``finish``: a run can change workers in between."""

    def __init__(self) -> None:
        self.finished = False

    @workflow.signal
    def finish(self) -> None:
        self.finished = True

    async def done(self, step: str) -> str:
        await workflow.wait_condition(lambda: self.finished)
        return step


@workflow.defn(name="Migrating")
class V0(_Waits):
    @workflow.run
    async def run(self) -> str:
        return await self.done(await workflow.execute_activity(old_step, start_to_close_timeout=TIMEOUT))


@workflow.defn(name="Migrating")
class V1(_Waits):
    @workflow.run
    async def run(self) -> str:
        step = new_step if workflow.patched("new-step") else old_step
        return await self.done(await workflow.execute_activity(step, start_to_close_timeout=TIMEOUT))


@workflow.defn(name="Migrating")
class V2(_Waits):
    @workflow.run
    async def run(self) -> str:
        workflow.deprecate_patch("new-step")
        return await self.done(await workflow.execute_activity(new_step, start_to_close_timeout=TIMEOUT))


@workflow.defn(name="Migrating")
class V3(_Waits):
    @workflow.run
    async def run(self) -> str:
        return await self.done(await workflow.execute_activity(new_step, start_to_close_timeout=TIMEOUT))


async def waiting_for_finish(handle: WorkflowHandle[Any, Any]) -> None:
    async def waits() -> bool:
        types = [e.attributes.type async for e in handle.fetch_history_events()]
        return "ActivityTaskCompleted" in types and types[-1] == "WorkflowTaskCompleted"

    await eventually(waits, within=20, what=f"{handle.id} to wait for its finish signal")


async def start_on(client: Client, version: type, workflow_id: str) -> WorkflowHandle[Any, Any]:
    """Start a run and take it, on a worker of ``version``, to where it waits."""
    async with running_worker(client, task_queue="migrating", workflows=[version], activities=[old_step, new_step]):
        handle = await client.start_workflow("Migrating", id=workflow_id, task_queue="migrating")
        await waiting_for_finish(handle)
    return handle


async def finish_on(client: Client, version: type, handle: WorkflowHandle[Any, Any]) -> Any:
    """Finish a run on a new worker of ``version``, which replays its history first."""
    async with running_worker(client, task_queue="migrating", workflows=[version], activities=[old_step, new_step]):
        await handle.signal("finish")
        return await handle.result()


async def test_a_patch_goes_in_deprecated_and_out_while_runs_cross_every_version(client: Client) -> None:
    # Step 1: a run from before the patch takes the old path; a new run takes the new one.
    assert await finish_on(client, V1, await start_on(client, V0, "before-patch")) == "old"
    patched = await start_on(client, V1, "patched")
    assert await finish_on(client, V2, patched) == "new"
    # Step 2 and 3: deprecated, then gone, each replaying the runs of the step before.
    assert await finish_on(client, V3, await start_on(client, V2, "deprecated")) == "new"
    history = await patched.fetch_history()
    markers = [e.attributes for e in history.events if e.attributes.type == "MarkerRecorded"]
    assert [m.marker_name for m in markers] == ["core_patch"]
    # A run recorded in step 1 cannot finish on step 3's code: its marker is not deprecated.
    with pytest.raises(NondeterminismError, match="not deprecated"):
        await Replayer(workflows=[V3]).replay_workflow(history)


@workflow.defn
class Remembers:
    def __init__(self) -> None:
        self.go = False

    @workflow.run
    async def run(self) -> dict[str, Any]:
        await workflow.wait_condition(lambda: self.go)
        workflow.upsert_memo({"step": 2, "customer": None})
        await workflow.wait_condition(lambda: not self.go)
        return dict(workflow.memo())

    @workflow.signal
    def toggle(self) -> None:
        self.go = not self.go


async def test_memo_given_at_start_is_described_and_changed_by_the_workflow(client: Client) -> None:
    handle = await client.start_workflow(
        Remembers.run, id="memo-1", task_queue="memo", memo={"customer": "ana", "tier": "gold"}
    )
    described = await handle.describe()
    assert await described.memo() == {"customer": "ana", "tier": "gold"}
    assert await described.memo_value("tier", type_hint=str) == "gold"
    async with running_worker(client, task_queue="memo", workflows=[Remembers]):
        await handle.signal(Remembers.toggle)

        async def upserted() -> Any:
            memo = await (await handle.describe()).memo()
            return memo if "step" in memo else None

        assert await eventually(upserted, within=20, what="the upserted memo") == {"tier": "gold", "step": 2}
        await handle.signal(Remembers.toggle)
        assert await handle.result() == {"tier": "gold", "step": 2}
    with pytest.raises(KeyError):
        await (await handle.describe()).memo_value("customer")


@workflow.defn(dynamic=True)
class Anything:
    def __init__(self) -> None:
        self.seen: list[str] = []

    @workflow.run
    async def run(self, args: Sequence[RawValue]) -> list[str]:
        # Signals sent before this handler existed were kept for it, in order.
        workflow.set_signal_handler("note", self.seen.append)
        await workflow.wait_condition(lambda: len(self.seen) == 3)
        convert = workflow.payload_converter()
        return [workflow.info().workflow_type, *[str(convert.from_payload(a.payload)) for a in args], *self.seen]


async def test_a_dynamic_workflow_gets_signals_sent_before_its_handler_was_set(client: Client) -> None:
    handle = await client.start_workflow("Invoice", args=["a", 1], id="dynamic-1", task_queue="dynamic")
    for note in ("first", "second"):
        await handle.signal("note", note)
    async with running_worker(client, task_queue="dynamic", workflows=[Anything]):
        await handle.signal("note", "third")
        assert await handle.result() == ["Invoice", "a", "1", "first", "second", "third"]


@workflow.defn
class Deadlines:
    @workflow.run
    async def run(self) -> list[str]:
        outcomes = []
        for how in ("wait_for", "timeout", "wait_condition"):
            never: asyncio.Future[None] = asyncio.get_running_loop().create_future()
            try:
                if how == "wait_for":
                    await asyncio.wait_for(never, 0.3)
                elif how == "timeout":
                    async with asyncio.timeout(0.3):
                        await never
                else:
                    await workflow.wait_condition(lambda: False, timeout=timedelta(seconds=0.3))
            except TimeoutError:
                outcomes.append(f"{how} timed out")
        return outcomes


async def test_asyncio_timeouts_and_wait_condition_time_out_on_server_timers(client: Client) -> None:
    async with running_worker(client, task_queue="deadlines", workflows=[Deadlines]):
        handle = await client.start_workflow(Deadlines.run, id="deadlines-1", task_queue="deadlines")
        assert await handle.result() == ["wait_for timed out", "timeout timed out", "wait_condition timed out"]
    types = [e.attributes.type for e in (await handle.fetch_history()).events]
    assert types.count("TimerFired") == 3


@workflow.defn
class ReadsMemo:
    @workflow.run
    async def run(self) -> str:
        workflow.upsert_memo({"seen": True})
        return str(workflow.memo_value("customer", type_hint=str))


async def test_a_memo_passes_through_the_codec_and_the_server_keeps_only_its_output(server: ServerProcess) -> None:
    coded = await Client.connect(server.address, data_converter=CONVERTER)
    async with running_worker(coded, task_queue="coded-memo", workflows=[ReadsMemo]):
        handle = await coded.start_workflow(
            ReadsMemo.run, id="memo-2", task_queue="coded-memo", memo={"customer": "ana"}
        )
        assert await handle.result() == "ana"
    described = await handle.describe()
    assert {p.metadata["encoding"] for p in described.raw_info.memo.values()} == {b"binary/xor"}
    assert await described.memo() == {"customer": "ana", "seen": True}
    await coded.close()
