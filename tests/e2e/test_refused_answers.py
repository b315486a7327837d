"""An activity whose result the server cannot record fails once, for good: its side effects
never repeat because the answer was refused."""

from __future__ import annotations

from datetime import timedelta

import pytest

from legato import activity, workflow
from legato.client import Client
from legato.common import RetryPolicy
from legato.exceptions import ActivityError, ApplicationError, ServerError, WorkflowFailureError
from tests.support.server_process import running_worker

pytestmark = pytest.mark.e2e

# Room for a failure with its stack traces, not for the results produced below.
LIMIT = 8000
SERVER_ARGS = ("--max-payload-bytes", str(LIMIT))
runs: dict[str, int] = {}


@activity.defn
async def produce(size: int) -> str:
    runs[str(size)] = runs.get(str(size), 0) + 1
    return "x" * size


@workflow.defn
class Producer:
    @workflow.run
    async def run(self, size: int) -> str:
        try:
            return await workflow.execute_activity(
                produce,
                size,
                start_to_close_timeout=timedelta(seconds=2),
                retry_policy=RetryPolicy(initial_interval=timedelta(milliseconds=100)),
            )
        except ActivityError as e:
            raise ApplicationError(f"{type(e.cause).__name__}: {e.cause}", type="Refused") from e


@pytest.mark.parametrize(
    ("size", "cause"),
    [
        # Over the payload limit: the server reads the answer and fails the activity itself.
        (2 * LIMIT, ServerError.__name__),
        # Over what the server reads at all (4 x the limit + 1 MiB): the worker fails it.
        (2 * 1024 * 1024, ApplicationError.__name__),
    ],
)
async def test_a_result_too_large_to_record_fails_the_activity_once_and_it_never_runs_again(
    client: Client, size: int, cause: str
) -> None:
    async with running_worker(client, task_queue="big", workflows=[Producer], activities=[produce]):
        handle = await client.start_workflow(Producer.run, size, id=f"big-{size}", task_queue="big")
        with pytest.raises(WorkflowFailureError) as failure:
            await handle.result()
    assert isinstance(failure.value.cause, ApplicationError)
    assert failure.value.cause.message.startswith(cause)
    assert "size" in failure.value.cause.message
    assert runs[str(size)] == 1
