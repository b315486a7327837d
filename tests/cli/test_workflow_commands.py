"""``legato workflow ...`` against a real server and worker: what a person sees, and what
a program reads (``-o json``/``jsonl``)."""

from __future__ import annotations

import asyncio
import json
import re
import shutil
import sys
from pathlib import Path
from typing import Any

import pytest

from legato.client import Client, WorkflowHistory
from legato.worker import Replayer
from tests.cli.conftest import ADMIN_TOKEN, TASK_QUEUE, TEAM_A_TOKEN, Cli, Order
from tests.k8s import testbin
from tests.support.deadline import eventually

pytestmark = pytest.mark.e2e


def start_flags(workflow_id: str, *inputs: str, type: str = "Order") -> list[str]:
    flags = ["--type", type, "-t", TASK_QUEUE, "-w", workflow_id]
    for value in inputs:
        flags += ["-i", value]
    return flags


async def test_execute_prints_the_start_and_the_result(cli: Cli) -> None:
    ran = await cli("workflow", "execute", *start_flags("cli-execute", '"order-1"'))

    assert ran.code == 0, ran.err
    assert "Workflow ID  cli-execute" in ran.out
    assert "Task Queue   cli-orders" in ran.out
    assert 'Result  "charged order-1, approved by nobody"' in ran.out


async def test_show_prints_one_line_per_event_with_the_retry_visible(cli: Cli) -> None:
    await cli("workflow", "execute", *start_flags("cli-show", '"order-2"'))

    ran = await cli("workflow", "show", "-w", "cli-show")

    lines = ran.out.splitlines()
    assert lines[0].split() == ["ID", "TIME", "TYPE", "DETAILS"]
    assert "WorkflowExecutionStarted" in lines[1]
    assert 'Order on cli-orders, input ["order-2"]' in lines[1]
    started = next(line for line in lines if "ActivityTaskStarted" in line)
    assert "attempt 2, previous attempt failed: card declined (CardDeclined)" in started
    assert 'result "charged order-2, approved by nobody"' in lines[-1]


async def test_show_json_is_temporals_history_json_the_replayer_replays(cli: Cli) -> None:
    await cli("workflow", "execute", *start_flags("cli-show-json", '"order-3"'))

    ran = await cli("workflow", "show", "-w", "cli-show-json", "-o", "json")

    # Temporal's protobuf JSON, as `temporal workflow show --output json` prints it.
    events = json.loads(ran.out)["events"]
    assert events[0]["eventId"] == "1"
    assert events[0]["eventType"] == "EVENT_TYPE_WORKFLOW_EXECUTION_STARTED"
    assert events[0]["workflowExecutionStartedEventAttributes"]["taskQueue"] == {"name": TASK_QUEUE}
    history = WorkflowHistory.from_json("cli-show-json", ran.out)
    assert history.events[-1].attributes.type == "WorkflowExecutionCompleted"
    result = await Replayer(workflows=[Order]).replay_workflow(history)
    assert result.replay_failure is None


async def test_show_json_in_legatos_format_reads_as_the_same_history(cli: Cli) -> None:
    await cli("workflow", "execute", *start_flags("cli-show-legato", '"order-3"'))

    temporal = await cli("workflow", "show", "-w", "cli-show-legato", "-o", "json")
    legato = await cli("workflow", "show", "-w", "cli-show-legato", "-o", "json", "--history-format", "legato")

    assert json.loads(legato.out)["events"][0]["attributes"]["type"] == "WorkflowExecutionStarted"
    mine = WorkflowHistory.from_json("cli-show-legato", legato.out)
    assert WorkflowHistory.from_json("cli-show-legato", temporal.out).events == mine.events


async def test_show_follow_prints_new_events_until_the_run_closes(cli: Cli, admin_client: Client) -> None:
    await cli("workflow", "start", *start_flags("cli-follow", '"order-4"', "true"))
    following = asyncio.create_task(cli("workflow", "show", "-w", "cli-follow", "--follow", "-o", "jsonl"))
    handle = admin_client.get_workflow_handle("cli-follow")
    await eventually(lambda: _stage_is(handle, "awaiting approval"), within=10, what="the charge to complete")

    await handle.signal(Order.approve, "ada")
    ran = await asyncio.wait_for(following, timeout=20)

    events = [json.loads(line) for line in ran.out.splitlines()]
    types = [e["attributes"]["type"] for e in events]
    assert types[0] == "WorkflowExecutionStarted"
    assert "WorkflowExecutionSignaled" in types
    assert types[-1] == "WorkflowExecutionCompleted"
    assert [e["event_id"] for e in events] == list(range(1, len(events) + 1))


async def _stage_is(handle: Any, stage: str) -> bool:
    return bool(await handle.query(Order.current_stage) == stage)


async def test_signal_query_update_and_result_act_on_the_running_workflow(cli: Cli) -> None:
    await cli("workflow", "start", *start_flags("cli-actions", '"order-5"', "true"))

    await eventually(
        lambda: _answer(cli, "query", "--name", "current_stage"), within=10, what="the stage after charging"
    )
    updated = await cli("workflow", "update", "-w", "cli-actions", "--name", "rename_stage", "-i", '"reviewing"')
    queried = await cli("workflow", "query", "-w", "cli-actions", "--name", "current_stage", "-o", "json")
    signalled = await cli("workflow", "signal", "-w", "cli-actions", "--name", "approve", "-i", '"grace"')
    result = await cli("workflow", "result", "-w", "cli-actions")

    assert updated.out.strip() == '"awaiting approval"'
    assert queried.json() == {"result": "reviewing"}
    assert signalled.out.strip() == "Signal 'approve' sent to workflow 'cli-actions'."
    assert (result.code, result.out.strip()) == (0, '"charged order-5, approved by grace"')


async def _answer(cli: Cli, *argv: str) -> bool:
    ran = await cli("workflow", argv[0], "-w", "cli-actions", *argv[1:])
    return ran.out.strip() == '"awaiting approval"'


async def test_stack_shows_where_the_workflow_waits(cli: Cli) -> None:
    await cli("workflow", "start", *start_flags("cli-stack", '"order-6"', "true"))

    ran = await cli("workflow", "stack", "-w", "cli-stack")

    assert ran.code == 0, ran.err
    # asyncio's stack of each of the run's tasks, the workflow's main coroutine among them.
    assert ran.out.startswith("Stack for <")
    assert "execute_workflow" in ran.out
    await cli("workflow", "terminate", "-w", "cli-stack")


async def test_describe_shows_a_pending_activity_with_its_attempt_and_last_failure(cli: Cli) -> None:
    await cli("workflow", "start", *start_flags("cli-stuck", '"order-7"', type="StuckPayment"))

    async def backing_off() -> Any:
        ran = await cli("workflow", "describe", "-w", "cli-stuck", "-o", "json")
        pending = ran.json()["pending_activities"]  # type: ignore[index]
        return pending if pending and pending[0]["state"] == "BACKOFF" else None

    pending = await eventually(backing_off, within=10, what="the activity to wait for its retry")
    table = await cli("workflow", "describe", "-w", "cli-stuck")

    # Waiting for its second attempt, with the first one's failure.
    assert pending[0]["attempt"] == 2
    assert pending[0]["last_failure"]["message"] == "card declined for order-7"
    assert pending[0]["next_attempt_time"] is not None
    assert "Status          RUNNING" in table.out
    row = next(line for line in table.out.splitlines() if "always_declines" in line)
    assert row.split()[:4] == ["1", "always_declines", "BACKOFF", "2"]
    assert row.endswith("card declined for order-7 (CardDeclined)")
    await cli("workflow", "terminate", "-w", "cli-stuck")


async def test_terminate_makes_result_exit_1_with_the_reason(cli: Cli) -> None:
    await cli("workflow", "start", *start_flags("cli-terminate", '"order-8"', "true"))

    terminated = await cli("workflow", "terminate", "-w", "cli-terminate", "--reason", "wrong address")
    result = await cli("workflow", "result", "-w", "cli-terminate")

    assert terminated.out.strip() == "Workflow 'cli-terminate' terminated."
    assert result.code == 1
    assert result.err.strip() == "legato: error: workflow 'cli-terminate' was terminated: wrong address"


async def test_delete_removes_a_run_and_its_history_so_describe_is_not_found(cli: Cli) -> None:
    await cli("workflow", "start", *start_flags("cli-delete", '"order-9"', "true"))

    deleted = await cli("workflow", "delete", "-w", "cli-delete", "--reason", "test order")
    described = await cli("workflow", "describe", "-w", "cli-delete")

    assert deleted.code == 0
    assert deleted.out.strip() == "Workflow 'cli-delete' deleted."
    assert described.code == 3
    assert "cli-delete" in described.err


async def test_execute_of_a_failing_workflow_exits_1_with_its_failure(cli: Cli) -> None:
    ran = await cli("workflow", "execute", *start_flags("cli-out-of-stock", '"TEA-1KG"', type="OutOfStock"))

    assert ran.code == 1
    assert ran.err.strip() == "legato: error: workflow 'cli-out-of-stock' failed: no TEA-1KG left (OutOfStock)"


async def test_cancel_makes_result_exit_1_as_cancelled(cli: Cli) -> None:
    await cli("workflow", "start", *start_flags("cli-cancel", '"order-9"', "true"))

    await cli("workflow", "cancel", "-w", "cli-cancel")
    result = await cli("workflow", "result", "-w", "cli-cancel")

    assert (result.code, result.err.strip()) == (1, "legato: error: workflow 'cli-cancel' was cancelled")


async def test_list_and_count_take_the_visibility_query(cli: Cli) -> None:
    for n in (1, 2):
        await cli("workflow", "execute", *start_flags(f"cli-list-{n}", f'"list-{n}"'))
    query = "WorkflowId STARTS_WITH 'cli-list-'"

    listed = await cli("workflow", "list", "-q", query)
    as_jsonl = await cli("workflow", "list", "-q", query, "-o", "jsonl", "--limit", "1")
    counted = await cli("workflow", "count", "-q", f"{query} GROUP BY ExecutionStatus")

    rows = listed.out.splitlines()
    assert rows[0].split() == ["STATUS", "WORKFLOW", "ID", "TYPE", "START", "TIME"]
    assert sorted(row.split()[1] for row in rows[1:]) == ["cli-list-1", "cli-list-2"]
    assert [json.loads(line)["status"] for line in as_jsonl.out.splitlines()] == ["COMPLETED"]
    assert counted.out.splitlines() == ["Total: 2", "  Completed: 2"]


async def test_an_unknown_workflow_id_exits_3_naming_it(cli: Cli) -> None:
    ran = await cli("workflow", "describe", "-w", "no-such-order")

    assert ran.code == 3
    assert ran.err.strip() == "legato: error: Workflow 'no-such-order' not found in namespace 'default'"


async def test_a_bad_list_query_exits_1_with_the_servers_position(cli: Cli) -> None:
    ran = await cli("workflow", "list", "-q", "WorkflowType =")

    assert ran.code == 1
    assert "syntax error at position" in ran.err


async def test_a_refused_token_exits_4_naming_the_credentials(cli: Cli) -> None:
    ran = await cli("workflow", "list", token="not-a-token")

    assert ran.code == 4
    assert ran.err.startswith(f"legato: error: the server at {cli.address} (from --address) did not accept")
    assert "the token given with --api-key" in ran.err


async def test_no_token_exits_4_saying_where_to_give_one(cli: Cli) -> None:
    ran = await cli("workflow", "list", token=None)

    assert ran.code == 4
    assert ran.err.startswith(f"legato: error: the server at {cli.address} (from --address) needs a token")
    assert "give --api-key, $LEGATO_TOKEN or $LEGATO_TOKEN_FILE" in ran.err


async def test_a_token_of_another_namespace_exits_4_as_refused(cli: Cli) -> None:
    ran = await cli("workflow", "list", token=TEAM_A_TOKEN)

    assert ran.code == 4
    assert "refused the token given with --api-key" in ran.err


async def test_the_console_scripts_run_with_the_connection_from_the_environment(cli: Cli) -> None:
    await cli("workflow", "execute", *start_flags("cli-script", '"order-10"'))
    env = {"LEGATO_ADDRESS": cli.address, "LEGATO_TOKEN": ADMIN_TOKEN}
    bin_dir = Path(sys.executable).parent

    for script in ("legato", "kubectl-legato"):
        proc = await asyncio.create_subprocess_exec(
            str(bin_dir / script),
            *("workflow", "describe", "-w", "cli-script", "-o", "json"),
            env=env,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        out, err = await proc.communicate()
        assert proc.returncode == 0, err.decode()
        assert json.loads(out)["status"] == "COMPLETED"


def kubectl() -> str | None:
    found = testbin.find()
    return str(found.kubectl) if found else shutil.which("kubectl")


@pytest.mark.skipif(kubectl() is None, reason="needs kubectl (make testbin)")
async def test_kubectl_runs_the_command_line_as_its_legato_plugin(cli: Cli, tmp_path: Path) -> None:
    await cli("workflow", "execute", *start_flags("cli-kubectl", '"order-11"'))
    # kubectl finds kubectl-legato on the PATH; it needs no cluster to run a plugin.
    env = {"PATH": str(Path(sys.executable).parent), "HOME": str(tmp_path), "LEGATO_TOKEN": ADMIN_TOKEN}
    argv = ("legato", "workflow", "describe", "-w", "cli-kubectl", "--address", cli.address)

    proc = await asyncio.create_subprocess_exec(
        str(kubectl()), *argv, env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
    )
    out, err = await proc.communicate()

    assert proc.returncode == 0, err.decode()
    assert "Workflow ID     cli-kubectl" in out.decode()


async def test_describe_shows_the_latest_heartbeat_of_a_running_activity_decoded(cli: Cli) -> None:
    await cli("workflow", "start", *start_flags("cli-packing", '"order-8"', type="Packing"))

    async def heartbeated() -> Any:
        ran = await cli("workflow", "describe", "-w", "cli-packing", "-o", "json")
        pending = ran.json()["pending_activities"]  # type: ignore[index]
        return pending if pending and pending[0]["heartbeat_details"] else None

    pending = await eventually(heartbeated, within=10, what="the activity to heartbeat")
    table = await cli("workflow", "describe", "-w", "cli-packing")

    assert pending[0]["heartbeat_details"] == [{"order": "order-8", "packed": 2, "of": 3}]
    assert pending[0]["last_heartbeat_time"].endswith("Z")
    header = next(line for line in table.out.splitlines() if line.strip().startswith("ID "))
    row = next(line for line in table.out.splitlines() if " pack " in line)
    assert re.split(r"\s{2,}", header.strip())[4:] == [
        "NEXT ATTEMPT",
        "LAST HEARTBEAT",
        "HEARTBEAT DETAILS",
        "LAST FAILURE",
    ]
    assert row.split()[:4] == ["1", "pack", "STARTED", "1"]
    # No failure yet: the details end the row.
    assert row.endswith('[{"of": 3, "order": "order-8", "packed": 2}]')
    await cli("workflow", "terminate", "-w", "cli-packing")
