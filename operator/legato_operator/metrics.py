"""The server's Prometheus instruments, in one registry that ``/metrics`` exposes.

Names are ``legato_<thing>_<unit>``; labels are bounded (namespace, task queue, type,
outcome, status, kind, operation) and never a workflow or run id. The registry also holds
prometheus_client's process, platform and garbage-collector collectors, so the
operator's own memory, CPU and file descriptors (``process_*``, ``python_*``) are scraped
with the rest.
"""

from __future__ import annotations

from prometheus_client import (
    CollectorRegistry,
    Counter,
    Gauge,
    GCCollector,
    Histogram,
    PlatformCollector,
    ProcessCollector,
)

REGISTRY = CollectorRegistry(auto_describe=True)
ProcessCollector(registry=REGISTRY)
PlatformCollector(registry=REGISTRY)
GCCollector(registry=REGISTRY)

WORKFLOWS_STARTED = Counter(
    "legato_workflows_started_total",
    "Runs started.",
    ["namespace", "workflow_type"],
    registry=REGISTRY,
)
WORKFLOWS_CLOSED = Counter(
    "legato_workflows_closed_total",
    "Runs closed, by final status.",
    ["namespace", "workflow_type", "status"],
    registry=REGISTRY,
)
RUNS_DELETED = Counter(
    "legato_retention_deleted_runs_total",
    "Closed runs deleted, with their history, past their namespace's retention period.",
    ["namespace"],
    registry=REGISTRY,
)
ACTIVITY_ATTEMPTS = Counter(
    "legato_activity_attempts_total",
    "Activity attempts that ended, by outcome (completed, failed, retried, timed_out, canceled).",
    ["namespace", "activity_type", "outcome"],
    registry=REGISTRY,
)
TASK_SCHEDULE_TO_START = Histogram(
    "legato_task_schedule_to_start_seconds",
    "Time a task waited between becoming ready and a poller taking it.",
    ["kind"],
    buckets=(0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60),
    registry=REGISTRY,
)
TASKS_HANDED_OVER = Counter(
    "legato_tasks_handed_over_total",
    "Tasks started for a worker in the answer to its completion instead of a poll (eager dispatch), by kind.",
    ["kind"],
    registry=REGISTRY,
)
TASKS_MATCHED = Counter(
    "legato_tasks_matched_total",
    "Tasks started for a poll already waiting in this process by the transaction that made them "
    "ready, instead of by a claim of the poll's own, by kind.",
    ["kind"],
    registry=REGISTRY,
)
STORE_TRANSACTION = Histogram(
    "legato_store_transaction_seconds",
    "Duration of one store transaction, by operation.",
    ["operation"],
    buckets=(0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5),
    registry=REGISTRY,
)
TASK_BACKLOG = Gauge(
    "legato_task_backlog",
    "Tasks ready and waiting for a poller (refreshed on scrape).",
    ["namespace", "task_queue", "kind"],
    registry=REGISTRY,
)
TIMERS_DUE = Gauge(
    "legato_timers_due",
    "Timers whose due time has passed and that no replica has fired yet (refreshed on scrape).",
    registry=REGISTRY,
)
TASKS_RUNNING = Gauge(
    "legato_tasks_running",
    "Tasks a worker holds now (started, not finished); with legato_task_backlog, what the operator scales on "
    "(refreshed on scrape).",
    ["namespace", "task_queue", "kind"],
    registry=REGISTRY,
)
TASK_QUEUE_POLLERS = Gauge(
    "legato_task_queue_pollers",
    "Workers (distinct identities) that polled the task queue within the last minute, on any replica "
    "(refreshed on scrape).",
    ["namespace", "task_queue"],
    registry=REGISTRY,
)
PROCESSING_FAILURES = Counter(
    "legato_processing_failures_total",
    "Tasks and timers set aside because processing them failed unexpectedly (a bug, or data the server "
    "cannot handle); each is retried later with a growing backoff while the rest of its queue goes on.",
    ["item", "kind"],
    registry=REGISTRY,
)
WORKFLOW_TASK_FAILURES = Counter(
    "legato_workflow_task_failures_total",
    "Workflow-task attempts that failed or timed out, by workflow type and Temporal's cause "
    "(WORKFLOW_WORKER_UNHANDLED_FAILURE, NON_DETERMINISTIC_ERROR, BAD_*_ATTRIBUTES, TIMED_OUT, ...); "
    "a run whose attempts keep failing stays open and adds to this.",
    ["namespace", "workflow_type", "cause"],
    registry=REGISTRY,
)

# --- the operator's own health ------------------------------------------------------------

# Long polls wait up to a minute for work, so the buckets reach past 60 s.
HTTP_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20, 30, 60, 90)
HTTP_REQUESTS = Counter(
    "legato_http_requests_total",
    "HTTP requests answered, by operation (the API operation's name, or healthz, readyz, metrics, "
    "openapi, ui, unmatched) and status code; refused calls (401, 403) and empty long polls (204) included.",
    ["operation", "status"],
    registry=REGISTRY,
)
HTTP_REQUEST_DURATION = Histogram(
    "legato_http_request_duration_seconds",
    "Time from receiving an HTTP request to its answer, by operation; long polls wait for work, "
    "so their durations show the wait, not the server's effort.",
    ["operation"],
    buckets=HTTP_BUCKETS,
    registry=REGISTRY,
)
RECONCILES = Counter(
    "legato_reconcile_total",
    "Runs of the create, update, resume and delete handlers of Legato's resources, by kind "
    "(Workflow, TaskQueue, Schedule) and outcome (success, error; an error is retried by kopf).",
    ["kind", "outcome"],
    registry=REGISTRY,
)
RECONCILE_DURATION = Histogram(
    "legato_reconcile_duration_seconds",
    "Duration of one run of a reconcile handler, by kind (Workflow, TaskQueue, Schedule).",
    ["kind"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60),
    registry=REGISTRY,
)
LEADER = Gauge(
    "legato_leader",
    "1 while this replica holds the reconcilers' Lease (and runs kopf and the leader loops), else 0.",
    registry=REGISTRY,
)
STORE_AVAILABLE = Gauge(
    "legato_store_available",
    "0 while this replica cannot reach the database (between a failed call and the next that succeeds), else 1.",
    registry=REGISTRY,
)
