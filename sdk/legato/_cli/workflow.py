"""``legato workflow ...``: start, follow, list and describe runs (their flags as the Temporal CLI's).

Signals, queries, updates, cancel, terminate and delete are in ``workflow_actions``.
"""

from __future__ import annotations

import argparse
import uuid
from collections.abc import Sequence
from typing import Any

from legato._cli import errors, history, values, workflow_actions
from legato._cli.command import Context, Group, add_command, add_group
from legato._cli.flags import add_id_flags, add_input_flags
from legato._cli.output import fields, section, table
from legato.api.history.v1 import HistoryEvent
from legato.api.workflowservice import v1 as api
from legato.client import WorkflowExecution, WorkflowFailureError, WorkflowHandle, WorkflowHistory
from legato.common import WorkflowIDConflictPolicy, WorkflowIDReusePolicy


def register(root: Group, parents: Sequence[argparse.ArgumentParser]) -> None:
    """Add ``workflow`` and its commands to the tree."""
    group = add_group(root, "workflow", "Start, follow and change workflow runs.")
    _start_flags(add_command(group, "start", "Start a workflow and print its ids.", start, parents))
    _start_flags(add_command(group, "execute", "Start a workflow and wait for its result.", execute, parents))
    add_id_flags(add_command(group, "describe", "Show a run's status, times and pending work.", describe, parents))
    show_parser = add_command(group, "show", "Print a run's history, one line per event.", show, parents)
    add_id_flags(show_parser)
    show_parser.add_argument("--follow", "-f", action="store_true", help="print new events until the run closes")
    show_parser.add_argument(
        "--history-format",
        choices=history.HISTORY_FORMATS,
        default="temporal",
        help="the JSON of -o json: Temporal's (default), or Legato's own",
    )
    list_parser = add_command(group, "list", "List runs a visibility query matches.", list_runs, parents)
    list_parser.add_argument("--query", "-q", help="list filter, e.g. \"ExecutionStatus = 'Running'\"")
    list_parser.add_argument("--limit", type=int, help="list at most this many runs")
    count_parser = add_command(group, "count", "Count runs a visibility query matches.", count, parents)
    count_parser.add_argument("--query", "-q", help="list filter, optionally ending in GROUP BY ExecutionStatus")
    add_id_flags(add_command(group, "result", "Wait for a run to close and print its result.", result, parents))
    workflow_actions.register(group, parents)


def _start_flags(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--workflow-id", "-w", help="workflow id (default: a new UUID)")
    parser.add_argument("--type", required=True, help="workflow type name")
    parser.add_argument("--task-queue", "-t", required=True, help="task queue its workers poll")
    add_input_flags(parser)
    parser.add_argument("--execution-timeout", help="limit on the whole execution, as 1h or 30m")
    parser.add_argument("--run-timeout", help="limit on one run")
    parser.add_argument("--task-timeout", help="limit on each workflow task")
    parser.add_argument("--memo", action="append", help="KEY=JSON kept with the run (repeatable)")
    policies = [p.name for p in WorkflowIDConflictPolicy if p.name != "UNSPECIFIED"]
    parser.add_argument("--id-conflict-policy", choices=policies, help="when the id is running")
    reuse = [p.name for p in WorkflowIDReusePolicy]
    parser.add_argument("--id-reuse-policy", choices=reuse, help="when the id is closed")


def handle(ctx: Context) -> WorkflowHandle[Any, Any]:
    """The handle of ``--workflow-id`` and ``--run-id``."""
    return ctx.client.get_workflow_handle(ctx.args.workflow_id, run_id=ctx.args.run_id)


async def _start(ctx: Context) -> WorkflowHandle[Any, Any]:
    a = ctx.args
    options: dict[str, Any] = {
        "execution_timeout": values.duration(a.execution_timeout) if a.execution_timeout else None,
        "run_timeout": values.duration(a.run_timeout) if a.run_timeout else None,
        "task_timeout": values.duration(a.task_timeout) if a.task_timeout else None,
        "memo": values.key_values(a.memo, "--memo", as_json=True) or None,
    }
    if a.id_conflict_policy:
        options["id_conflict_policy"] = WorkflowIDConflictPolicy[a.id_conflict_policy]
    if a.id_reuse_policy:
        options["id_reuse_policy"] = WorkflowIDReusePolicy[a.id_reuse_policy]
    args = values.inputs(a.input, a.input_file)
    workflow_id = a.workflow_id or str(uuid.uuid4())
    return await ctx.client.start_workflow(a.type, args=args, id=workflow_id, task_queue=a.task_queue, **options)


def _started(ctx: Context, handle: WorkflowHandle[Any, Any]) -> dict[str, Any]:
    a = ctx.args
    return {
        "workflow_id": handle.id,
        "run_id": handle.result_run_id,
        "type": a.type,
        "namespace": ctx.client.namespace,
        "task_queue": a.task_queue,
    }


def _started_lines(started: dict[str, Any]) -> list[str]:
    return fields({name.replace("_", " ").title().replace("Id", "ID"): value for name, value in started.items()})


async def start(ctx: Context) -> int:
    """Start the run; print its ids."""
    started = _started(ctx, await _start(ctx))
    ctx.out.emit(started, _started_lines(started))
    return errors.OK


async def execute(ctx: Context) -> int:
    """Start the run and wait for its result; exit 1 when it did not complete."""
    handle = await _start(ctx)
    started = _started(ctx, handle)
    if ctx.out.is_table:
        ctx.out.emit(None, _started_lines(started))
    outcome = await _outcome(handle)
    answer = {**started, "status": "COMPLETED", "result": outcome}
    ctx.out.emit(answer, ["", *fields({"Status": "COMPLETED", "Result": values.compact(outcome)})])
    return errors.OK


async def result(ctx: Context) -> int:
    """Wait for the run to close; print its result (exit 1 when it did not complete)."""
    outcome = await _outcome(handle(ctx))
    answer = {"workflow_id": ctx.args.workflow_id, "status": "COMPLETED", "result": outcome}
    ctx.out.emit(answer, [values.compact(outcome)])
    return errors.OK


async def _outcome(run: WorkflowHandle[Any, Any]) -> Any:
    try:
        return await run.result()
    except WorkflowFailureError as e:
        raise errors.run_failure(run.id, e.cause) from e


async def describe(ctx: Context) -> int:
    """Print the run's summary, memo, search attributes and pending work."""
    raw = (await handle(ctx).describe()).raw_description
    ctx.out.emit(values.jsonable(raw), describe_lines(raw))
    return errors.OK


def describe_lines(raw: api.DescribeWorkflowResponse) -> list[str]:
    """The table of a description: summary, then a section per kind of detail."""
    summary = {
        "Workflow ID": raw.workflow_id,
        "Run ID": raw.run_id,
        "Type": raw.workflow_type,
        "Status": raw.status.value,
        "Task Queue": raw.task_queue,
        "Start Time": values.time_text(raw.start_time),
        "Execution Time": values.time_text(raw.execution_time),
        "Close Time": values.time_text(raw.close_time),
        "History Length": raw.history_length,
        "Attempt": raw.attempt if raw.attempt > 1 else None,
        "Parent": raw.parent_execution.workflow_id if raw.parent_execution else None,
        "Continued From": raw.continued_run_id,
        "Next Run": raw.new_execution_run_id,
        "Result": values.compact(values.payload_value(raw.result)) if raw.result else None,
        "Failure": history.failure_text(raw.failure) or None,
    }
    return [
        *fields(summary),
        *section("Memo", _payload_lines(raw.memo)),
        *section("Search Attributes", _payload_lines(raw.search_attributes)),
        *section("Pending Activities", _pending_activity_lines(raw.pending_activities)),
        *section("Pending Children", [f"{c.workflow_id} ({c.workflow_type_name})" for c in raw.pending_children]),
        *section("Pending Workflow Task", _workflow_task_lines(raw.pending_workflow_task)),
    ]


def _payload_lines(payloads: dict[str, Any]) -> list[str]:
    return fields({key: values.compact(values.payload_value(p)) for key, p in payloads.items()})


def _pending_activity_lines(pending: list[api.PendingActivity]) -> list[str]:
    # The heartbeat columns only when an activity has heartbeated: most never do.
    beats = any(p.last_heartbeat_time or p.heartbeat_details for p in pending)
    rows = [
        [
            p.activity_id,
            p.activity_type,
            p.state,
            str(p.attempt),
            values.time_text(p.next_attempt_time),
            *([values.time_text(p.last_heartbeat_time), _heartbeat_text(p)] if beats else []),
            history.failure_text(p.last_failure),
        ]
        for p in pending
    ]
    heartbeat = ["LAST HEARTBEAT", "HEARTBEAT DETAILS"] if beats else []
    headers = ["ID", "TYPE", "STATE", "ATTEMPT", "NEXT ATTEMPT", *heartbeat, "LAST FAILURE"]
    return table(rows, headers) if rows else []


def _heartbeat_text(activity: api.PendingActivity) -> str:
    # The details as the activity passed them to heartbeat(): a JSON list, one value each.
    details = activity.heartbeat_details
    return values.compact([values.payload_value(p) for p in details]) if details else ""


def _workflow_task_lines(task: api.PendingWorkflowTask | None) -> list[str]:
    if task is None:
        return []
    return fields(
        {
            "State": task.state,
            "Attempt": task.attempt,
            "Last Failure": f"{task.last_failure_cause}: {history.failure_text(task.last_failure)}"
            if task.last_failure_cause
            else None,
        }
    )


async def show(ctx: Context) -> int:
    """Print the run's history; with ``--follow``, new events until the run closes."""
    if ctx.args.follow:
        return await _follow(ctx)
    events = (await handle(ctx).fetch_history()).events
    if ctx.out.format == "json":
        ctx.out.write(_history_json(ctx, events))
        return errors.OK
    printer = history.EventPrinter(ctx.out)
    for event in events:
        printer.print(event)
    return errors.OK


async def _follow(ctx: Context) -> int:
    printer = history.EventPrinter(ctx.out)
    collected: list[HistoryEvent] = []
    async for event in handle(ctx).fetch_history_events(wait_new_event=True):
        # One JSON document cannot be streamed: -o json prints the whole history at the close.
        if ctx.out.format == "json":
            collected.append(event)
        else:
            printer.print(event)
    if ctx.out.format == "json":
        ctx.out.write(_history_json(ctx, collected))
    return errors.OK


def _history_json(ctx: Context, events: list[HistoryEvent]) -> str:
    run = WorkflowHistory(ctx.args.workflow_id, events)
    return run.to_json() if ctx.args.history_format == "legato" else run.to_temporal_json()


async def list_runs(ctx: Context) -> int:
    """Print the runs the query matches (running first, then the latest closed)."""
    runs = [run async for run in ctx.client.list_workflows(ctx.args.query, limit=ctx.args.limit)]
    rows = [[_status(r), r.id, r.workflow_type, values.time_text(r.start_time)] for r in runs]
    data = [values.jsonable(r.raw_info) for r in runs]
    ctx.out.emit(data, table(rows, ["STATUS", "WORKFLOW ID", "TYPE", "START TIME"]))
    return errors.OK


def _status(run: WorkflowExecution) -> str:
    return run.status.name if run.status else ""


async def count(ctx: Context) -> int:
    """Print how many runs the query matches (and per status, with GROUP BY)."""
    counted = await ctx.client.count_workflows(ctx.args.query)
    groups = [{"values": list(g.group_values), "count": g.count} for g in counted.groups]
    lines = [f"Total: {counted.count}"]
    lines += [f"  {', '.join(str(v) for v in g.group_values)}: {g.count}" for g in counted.groups]
    ctx.out.emit({"count": counted.count, "groups": groups}, lines)
    return errors.OK
