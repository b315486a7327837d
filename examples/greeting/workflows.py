"""The greeting workflow: one activity, the smallest complete program."""

from __future__ import annotations

from datetime import timedelta

from legato import activity, workflow

TASK_QUEUE = "greetings"


@activity.defn
async def compose_greeting(name: str) -> str:
    return f"Hello, {name}!"


@workflow.defn
class GreetingWorkflow:
    @workflow.run
    async def run(self, name: str) -> str:
        return await workflow.execute_activity(compose_greeting, name, start_to_close_timeout=timedelta(seconds=10))


WORKFLOWS = [GreetingWorkflow]
ACTIVITIES = [compose_greeting]
