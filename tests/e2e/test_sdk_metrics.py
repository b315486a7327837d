"""The SDK's own metrics, under Temporal's names, served on the runtime's Prometheus endpoint."""

from __future__ import annotations

from datetime import timedelta

import aiohttp
import pytest
from prometheus_client.parser import text_string_to_metric_families

from legato import activity, workflow
from legato.client import Client, WorkflowFailureError
from legato.exceptions import ApplicationError
from legato.runtime import PrometheusConfig, Runtime, TelemetryConfig
from legato_operator import postgres
from tests.support.server_process import ServerProcess, running_worker

pytestmark = pytest.mark.e2e


@activity.defn
async def add_one(n: int) -> int:
    return n + 1


@workflow.defn
class Counting:
    @workflow.run
    async def run(self, n: int) -> int:
        if n < 0:
            raise ApplicationError("negative", non_retryable=True)
        return await workflow.execute_activity(add_one, n, start_to_close_timeout=timedelta(seconds=10))


def _samples(text: str) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    return {
        (s.name, frozenset(s.labels.items())): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def _value(samples: dict[tuple[str, frozenset[tuple[str, str]]], float], name: str, **labels: str) -> float:
    """The sum of ``name`` over the samples whose labels include ``labels``."""
    wanted = set(labels.items())
    return sum(v for (n, have), v in samples.items() if n == name and wanted <= have)


async def test_a_prometheus_runtime_serves_temporals_sdk_metrics_for_requests_tasks_and_closes(
    server: ServerProcess,
) -> None:
    address = f"127.0.0.1:{postgres.free_port()}"
    runtime = Runtime(telemetry=TelemetryConfig(metrics=PrometheusConfig(bind_address=address)))
    client = await Client.connect(server.address, runtime=runtime)
    try:
        async with running_worker(client, task_queue="metrics", workflows=[Counting], activities=[add_one]):
            assert await client.execute_workflow(Counting.run, 1, id="ok", task_queue="metrics") == 2
            with pytest.raises(WorkflowFailureError):
                await client.execute_workflow(Counting.run, -1, id="bad", task_queue="metrics")
    finally:
        await client.close()
    async with aiohttp.ClientSession() as session, session.get(f"http://{address}/metrics") as response:
        samples = _samples(await response.text())
    workflow_labels = {"namespace": "default", "task_queue": "metrics", "workflow_type": "Counting"}
    assert _value(samples, "temporal_workflow_completed_total", **workflow_labels) == 1
    assert _value(samples, "temporal_workflow_failed_total", **workflow_labels) == 1
    assert _value(samples, "temporal_workflow_task_execution_latency_count", **workflow_labels) >= 2
    assert _value(samples, "temporal_workflow_task_queue_poll_succeed_total", task_queue="metrics") >= 2
    assert _value(samples, "temporal_activity_execution_latency_count", activity_type="add_one") == 1
    assert _value(samples, "temporal_activity_succeed_endtoend_latency_count", activity_type="add_one") == 1
    assert _value(samples, "temporal_request_total", operation="start_workflow") == 2
    assert _value(samples, "temporal_long_request_total", operation="poll_workflow_task") >= 2
    assert _value(samples, "temporal_worker_start_total", worker_type="WorkflowWorker") >= 1
    assert _value(samples, "temporal_request_total", service_name="temporal-core-sdk") >= 2


def test_a_runtime_refuses_a_metrics_config_it_cannot_serve_by_name() -> None:
    class OpenTelemetryConfig:
        pass

    with pytest.raises(NotImplementedError, match="OpenTelemetryConfig"):
        Runtime(telemetry=TelemetryConfig(metrics=OpenTelemetryConfig()))
