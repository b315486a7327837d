"""``legato task-queue describe``: a queue's backlog and pollers, counted over every replica."""

from __future__ import annotations

import argparse
from collections.abc import Sequence

from legato._cli import errors, values
from legato._cli.command import Context, Group, add_command, add_group
from legato._cli.output import fields
from legato.api.workflowservice import v1 as api


def register(root: Group, parents: Sequence[argparse.ArgumentParser]) -> None:
    """Add ``task-queue`` and its command to the tree."""
    group = add_group(root, "task-queue", "See the load on task queues.")
    parser = add_command(group, "describe", "Show a task queue's backlog, pollers and oldest task.", describe, parents)
    parser.add_argument("--task-queue", "-t", required=True, help="task queue name")


async def describe(ctx: Context) -> int:
    """Print the queue's tasks waiting and running, its pollers and its oldest task's age."""
    request = api.DescribeTaskQueueRequest(task_queue=ctx.args.task_queue)
    load = await ctx.client.workflow_service.describe_task_queue(request)
    summary = {
        "Task Queue": ctx.args.task_queue,
        "Pollers": str(load.pollers),
        "Workflow Tasks Waiting": str(load.workflow_tasks),
        "Activity Tasks Waiting": str(load.activity_tasks),
        "Tasks Running": str(load.running),
        "Backlog": str(load.backlog),
        "Oldest Task Age": values.seconds_text(load.oldest_task_age) or "0s",
    }
    ctx.out.emit({"task_queue": ctx.args.task_queue, **values.jsonable(load)}, fields(summary))
    return errors.OK
