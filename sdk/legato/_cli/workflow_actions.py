"""``legato workflow signal|query|update|stack|cancel|terminate|delete``: acting on a run.

Arguments are JSON (``--input``), answers are printed as JSON values; ``stack`` is the
``__stack_trace`` query every Legato (and Temporal) worker answers.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from typing import Any

from legato._cli import errors, values
from legato._cli.command import Context, Group, add_command
from legato._cli.flags import add_id_flags, add_input_flags
from legato.api.workflowservice import v1 as api
from legato.client import WorkflowHandle

STACK_TRACE_QUERY = "__stack_trace"


def register(group: Group, parents: Sequence[argparse.ArgumentParser]) -> None:
    """Add the commands that act on a run to ``workflow``."""
    for name, summary, handler in (
        ("signal", "Send a signal to a run.", signal),
        ("query", "Ask a run's query handler and print its answer.", query),
        ("update", "Send an update to a run and print its result.", update),
    ):
        parser = add_command(group, name, summary, handler, parents)
        add_id_flags(parser)
        parser.add_argument("--name", required=True, help=f"the {name}'s name")
        add_input_flags(parser)
        if name == "update":
            parser.add_argument("--update-id", help="update id; a repeat joins the first (default: a new one)")
    add_id_flags(add_command(group, "stack", "Print what each of a run's coroutines waits on.", stack, parents))
    for name, summary, handler in (
        ("cancel", "Ask a run to cancel (its code may clean up).", cancel),
        ("terminate", "End a run at once (no workflow code runs).", terminate),
        ("delete", "Delete a run and its history (a running one is terminated first).", delete),
    ):
        parser = add_command(group, name, summary, handler, parents)
        add_id_flags(parser)
        parser.add_argument("--reason", default="", help="why, recorded in the history (of a run still running)")


def _handle(ctx: Context) -> WorkflowHandle[Any, Any]:
    return ctx.client.get_workflow_handle(ctx.args.workflow_id, run_id=ctx.args.run_id)


def _done(ctx: Context, action: str, sentence: str) -> int:
    data = {"workflow_id": ctx.args.workflow_id, "run_id": ctx.args.run_id, "action": action}
    ctx.out.emit(data, [sentence])
    return errors.OK


async def signal(ctx: Context) -> int:
    """Deliver the signal."""
    await _handle(ctx).signal(ctx.args.name, args=values.inputs(ctx.args.input, ctx.args.input_file))
    return _done(ctx, "signal", f"Signal {ctx.args.name!r} sent to workflow {ctx.args.workflow_id!r}.")


async def query(ctx: Context) -> int:
    """Print the query's answer as JSON."""
    answer = await _handle(ctx).query(ctx.args.name, args=values.inputs(ctx.args.input, ctx.args.input_file))
    ctx.out.emit({"result": answer}, [values.compact(answer)])
    return errors.OK


async def update(ctx: Context) -> int:
    """Send the update, wait for its handler, print its result."""
    args = values.inputs(ctx.args.input, ctx.args.input_file)
    answer = await _handle(ctx).execute_update(ctx.args.name, args=args, id=ctx.args.update_id)
    ctx.out.emit({"result": answer}, [values.compact(answer)])
    return errors.OK


async def stack(ctx: Context) -> int:
    """Print the run's stack trace, as its worker sees it now."""
    trace = await _handle(ctx).query(STACK_TRACE_QUERY)
    ctx.out.emit({"stack_trace": trace}, str(trace).splitlines())
    return errors.OK


async def cancel(ctx: Context) -> int:
    """Request the run's cancellation."""
    await _handle(ctx).cancel(reason=ctx.args.reason)
    return _done(ctx, "cancel", f"Cancellation requested for workflow {ctx.args.workflow_id!r}.")


async def terminate(ctx: Context) -> int:
    """Terminate the run."""
    await _handle(ctx).terminate(reason=ctx.args.reason or None)
    return _done(ctx, "terminate", f"Workflow {ctx.args.workflow_id!r} terminated.")


async def delete(ctx: Context) -> int:
    """Delete the run (the latest without --run-id) with its history."""
    request = api.DeleteWorkflowRequest(
        workflow_id=ctx.args.workflow_id, run_id=ctx.args.run_id, reason=ctx.args.reason
    )
    await ctx.client.workflow_service.delete_workflow(request)
    return _done(ctx, "delete", f"Workflow {ctx.args.workflow_id!r} deleted.")
