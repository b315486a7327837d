"""The SDK's own metrics, under the names of Temporal's core SDK, for a runtime's Prometheus endpoint.

A ``Runtime`` made with ``TelemetryConfig(metrics=PrometheusConfig(bind_address=...))``
serves them; every runtime counts them (a counter costs about a microsecond), so a
runtime's ``metrics`` can be read in-process too. The names and labels are Temporal's
(``temporal_request``, ``temporal_workflow_completed``,
``temporal_activity_execution_latency``, ...), so the dashboards and alerts written for
Temporal's SDK metrics work; durations are milliseconds unless the config asks for seconds.
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Histogram, start_http_server

from legato.api.command import v1 as cmd
from legato.api.workflowservice import v1 as api

# Temporal's core SDK buckets for latencies, in milliseconds.
_MS_BUCKETS = (1, 10, 50, 100, 500, 1000, 5000, 10_000, 60_000)
_WORKFLOW = ("namespace", "task_queue", "workflow_type")
_ACTIVITY = ("namespace", "task_queue", "activity_type", "workflow_type")
_CLOSES = {
    "CompleteWorkflowExecution": "workflow_completed",
    "FailWorkflowExecution": "workflow_failed",
    "CancelWorkflowExecution": "workflow_canceled",
}


class SdkMetrics:
    """The counters and histograms of one runtime, in a registry of its own."""

    def __init__(
        self,
        *,
        prefix: str | None = None,
        global_tags: Mapping[str, str] | None = None,
        durations_as_seconds: bool = False,
        unit_suffix: bool = False,
    ) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self._prefix = "temporal_" if prefix is None else prefix
        self._tags = dict(global_tags or {})
        self._seconds = durations_as_seconds
        self._unit = ("_seconds" if durations_as_seconds else "_milliseconds") if unit_suffix else ""
        self._metrics: dict[str, Counter | Histogram] = {}
        for name, labels in (
            ("request", ("namespace", "operation")),
            ("request_failure", ("namespace", "operation", "status_code")),
            ("long_request", ("namespace", "operation")),
            ("long_request_failure", ("namespace", "operation", "status_code")),
            ("worker_start", ("namespace", "task_queue", "worker_type")),
            ("workflow_task_queue_poll_succeed", ("namespace", "task_queue")),
            ("workflow_task_queue_poll_empty", ("namespace", "task_queue")),
            ("workflow_task_execution_failed", (*_WORKFLOW, "failure_reason")),
            ("workflow_completed", _WORKFLOW),
            ("workflow_failed", _WORKFLOW),
            ("workflow_canceled", _WORKFLOW),
            ("activity_poll_no_task", ("namespace", "task_queue")),
            ("activity_execution_failed", _ACTIVITY),
        ):
            self._metrics[name] = Counter(
                self._prefix + name, _help(name), [*labels, *self._tags], registry=self.registry
            )
        for name, labels in (
            ("request_latency", ("namespace", "operation")),
            ("long_request_latency", ("namespace", "operation")),
            ("workflow_task_execution_latency", _WORKFLOW),
            ("activity_execution_latency", _ACTIVITY),
            ("activity_schedule_to_start_latency", _ACTIVITY),
            ("activity_succeed_endtoend_latency", _ACTIVITY),
        ):
            buckets = [b / 1000 for b in _MS_BUCKETS] if self._seconds else list(_MS_BUCKETS)
            self._metrics[name] = Histogram(
                self._prefix + name + self._unit,
                _help(name),
                [*labels, *self._tags],
                buckets=buckets,
                registry=self.registry,
            )

    def serve(self, bind_address: str) -> None:
        """Serve the registry on ``host:port`` (a daemon thread of prometheus_client's)."""
        host, _, port = bind_address.rpartition(":")
        start_http_server(int(port), addr=host or "0.0.0.0", registry=self.registry)

    def count(self, name: str, **labels: str) -> None:
        """Add one to counter ``name``."""
        metric = self._metrics[name]
        assert isinstance(metric, Counter)
        metric.labels(**labels, **self._tags).inc()

    def observe(self, name: str, seconds: float, **labels: str) -> None:
        """Record a duration in histogram ``name``, in its unit."""
        metric = self._metrics[name]
        assert isinstance(metric, Histogram)
        metric.labels(**labels, **self._tags).observe(seconds if self._seconds else seconds * 1000)

    @contextmanager
    def request(self, namespace: str, operation: str, *, long: bool) -> Iterator[None]:
        """Count one call to the server, its latency and, if it raises an RPC error, its failure."""
        kind = "long_request" if long else "request"
        started = time.monotonic()
        self.count(kind, namespace=namespace, operation=operation)
        try:
            yield
        except Exception as e:
            status = getattr(e, "status", None)
            code = getattr(status, "name", "UNKNOWN")
            self.count(f"{kind}_failure", namespace=namespace, operation=operation, status_code=code)
            raise
        finally:
            self.observe(f"{kind}_latency", time.monotonic() - started, namespace=namespace, operation=operation)

    def polled(self, namespace: str, task_queue: str, task: Any, *, workflow: bool) -> None:
        """Count one poll of a task worker, whether it brought a task or not."""
        if workflow:
            name = "workflow_task_queue_poll_succeed" if task is not None else "workflow_task_queue_poll_empty"
            self.count(name, namespace=namespace, task_queue=task_queue)
        elif task is None:
            self.count("activity_poll_no_task", namespace=namespace, task_queue=task_queue)

    def handled(self, namespace: str, task_queue: str, task: Any, answer: Any, seconds: float) -> None:
        """Record a task's handling: how long it took, and how it ended."""
        if isinstance(task, api.WorkflowTask):
            self._workflow_task(namespace, task_queue, task, answer, seconds)
        elif isinstance(task, api.ActivityTask):
            self._activity_task(namespace, task_queue, task, answer, seconds)

    def _workflow_task(
        self, namespace: str, task_queue: str, task: api.WorkflowTask, answer: Any, seconds: float
    ) -> None:
        labels = {"namespace": namespace, "task_queue": task_queue, "workflow_type": task.workflow_type}
        self.observe("workflow_task_execution_latency", seconds, **labels)
        if isinstance(answer, api.FailWorkflowTaskRequest):
            self.count("workflow_task_execution_failed", **labels, failure_reason=answer.cause)
            return
        for command in getattr(answer, "commands", ()):
            close = _CLOSES.get(command.type) if isinstance(command, _CLOSE_COMMANDS) else None
            if close is not None:
                self.count(close, **labels)

    def _activity_task(
        self, namespace: str, task_queue: str, task: api.ActivityTask, answer: Any, seconds: float
    ) -> None:
        labels = {
            "namespace": namespace,
            "task_queue": task_queue,
            "activity_type": task.activity_type,
            "workflow_type": task.workflow_type,
        }
        self.observe("activity_execution_latency", seconds, **labels)
        waited = (task.started_time - task.scheduled_time).total_seconds()
        self.observe("activity_schedule_to_start_latency", max(waited, 0.0), **labels)
        if isinstance(answer, api.FailActivityTaskRequest):
            self.count("activity_execution_failed", **labels)
        elif isinstance(answer, api.CompleteActivityTaskRequest):
            total = (datetime.now(UTC) - task.scheduled_time).total_seconds()
            self.observe("activity_succeed_endtoend_latency", max(total, 0.0), **labels)


_CLOSE_COMMANDS = (cmd.CompleteWorkflowExecution, cmd.FailWorkflowExecution, cmd.CancelWorkflowExecution)


def _help(name: str) -> str:
    return "Temporal SDK metric " + name.replace("_", " ")
