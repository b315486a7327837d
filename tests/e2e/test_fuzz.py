"""The server under generated input: no request may answer 5xx, and a refused one changes nothing.

Two generators, both bounded in examples and seconds and aimed only at 127.0.0.1:

* schemathesis reads the server's own ``/openapi.json`` and generates requests for every
  operation, valid and not (``test_no_generated_request_gets_a_server_error``);
* a hypothesis state machine plays a worker that misbehaves: it starts runs, polls,
  completes twice, fails after completing, heartbeats and answers with stale or forged
  tokens, in any order (``WorkerSequences``).

After each request the database's fingerprint — runs, their versions and next event ids,
events, tasks, timers — must be unchanged when the answer was a 4xx (checked whenever no
timer falls due meanwhile, the one way the server changes state by itself), and every
history must stay dense from event 1.
"""

from __future__ import annotations

import asyncio
import json
import urllib.error
import urllib.request
from collections.abc import Iterator
from typing import Any

import asyncpg
import hypothesis
import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, strategies
from hypothesis.stateful import Bundle, RuleBasedStateMachine, initialize, invariant, rule, run_state_machine_as_test
from schemathesis.core import NotSet
from schemathesis.core.result import Ok

from legato_operator.engine.rules import tokens
from tests.support.payloads import wire
from tests.support.server_process import ServerProcess

pytestmark = pytest.mark.e2e

NS = "/api/v1/namespaces/default"
# Generated requests per operation, and sequences of the state machine: enough to cover
# each operation's shapes, few enough for the suite (well under a minute in all).
EXAMPLES_PER_OPERATION = 100
SEQUENCES = 40
STEPS_PER_SEQUENCE = 40

SETTINGS = hypothesis.settings(
    deadline=None,
    database=None,
    derandomize=True,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=list(HealthCheck),
)


class Store:
    """The test database, read synchronously from a loop of its own."""

    def __init__(self, dsn: str) -> None:
        self._loop = asyncio.new_event_loop()
        self._conn: asyncpg.Connection[asyncpg.Record] = self._loop.run_until_complete(asyncpg.connect(dsn))

    def fingerprint(self) -> tuple[Any, ...]:
        """Everything a refused request must leave as it was."""
        row = self._loop.run_until_complete(
            self._conn.fetchrow(
                "SELECT (SELECT count(*) FROM executions), (SELECT coalesce(sum(version), 0) FROM executions),"
                " (SELECT coalesce(sum(next_event_id), 0) FROM executions), (SELECT count(*) FROM history_events),"
                " (SELECT count(*) FROM tasks), (SELECT count(*) FROM timers),"
                " (SELECT coalesce(sum(attempt), 0) FROM tasks)"
            )
        )
        assert row is not None
        return tuple(row)

    def quiet(self) -> bool:
        """No timer falls due for a while: nothing but the next request can change anything.

        The server's timer loop changes runs by itself (a short workflow-task timeout a
        generated start asked for, a retry's backoff ending); a request made while one is
        due cannot be told to have changed nothing.
        """
        due = self._loop.run_until_complete(
            self._conn.fetchval("SELECT count(*) FROM timers WHERE due_at < now() + interval '3 seconds'")
        )
        return int(due) == 0

    def gaps(self) -> list[str]:
        """Runs whose history is not dense from event 1 up to next_event_id - 1."""
        rows = self._loop.run_until_complete(
            self._conn.fetch(
                "SELECT e.workflow_id FROM executions e LEFT JOIN history_events h ON h.run_id = e.run_id"
                " GROUP BY e.run_id, e.workflow_id, e.next_event_id"
                " HAVING count(h.event_id) <> e.next_event_id - 1"
                " OR coalesce(max(h.event_id), 0) <> e.next_event_id - 1"
            )
        )
        return [r["workflow_id"] for r in rows]

    def close(self) -> None:
        self._loop.run_until_complete(self._conn.close())
        self._loop.close()


@pytest.fixture
def store(pg_dsn: str, server: ServerProcess) -> Iterator[Store]:
    s = Store(pg_dsn)
    try:
        yield s
    finally:
        s.close()


def call(url: str, method: str, path: str, body: Any = None) -> tuple[int, Any]:
    """One raw call; (status, the JSON answer or None)."""
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(url + path, data=data, method=method, headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            text = response.read()
            return response.status, json.loads(text) if text else None
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read() or b"null")


def checked(store: Store, url: str, method: str, path: str, body: Any = None) -> tuple[int, Any]:
    """``call``, asserting no 5xx and that a 4xx changed nothing stored."""
    quiet, before = store.quiet(), store.fingerprint()
    status, answer = call(url, method, path, body)
    assert status < 500, (method, path, body, status, answer)
    if 400 <= status < 500 and quiet:
        assert store.fingerprint() == before, (method, path, body, status, answer)
    return status, answer


def seed(url: str) -> None:
    """Runs for generated requests to find: one waiting, one with an activity scheduled."""
    for workflow_id in ("wf-1", "wf-2"):
        call(url, "POST", NS + "/workflows", {"workflow_id": workflow_id, "workflow_type": "T", "task_queue": "q"})
    _, task = call(url, "POST", NS + "/task-queues/q/workflow-tasks/poll", {"wait": 5})
    command = {"type": "ScheduleActivityTask", "activity_id": "a", "activity_type": "t", "start_to_close_timeout": 60}
    call(url, "POST", NS + "/workflow-tasks/complete", {"task_token": task["task_token"], "commands": [command]})


# 100 examples for each of some 40 operations: about four minutes alone, more on a busy machine.
@pytest.mark.timeout(900)
def test_no_generated_request_gets_a_server_error(server: ServerProcess, store: Store) -> None:
    seed(server.url)
    schema = schemathesis.openapi.from_url(f"{server.url}/openapi.json")
    for result in schema.get_all_operations():
        assert isinstance(result, Ok), result
        operation = result.ok()

        @hypothesis.settings(SETTINGS, max_examples=EXAMPLES_PER_OPERATION)
        @hypothesis.given(case=operation.as_strategy())
        def fuzz(case: Any) -> None:
            _aim(case)
            quiet, before = store.quiet(), store.fingerprint()
            response = case.call(base_url=server.url, timeout=30)
            assert response.status_code < 500 or _unanswered_query(case, response.status_code), (
                case.method,
                case.formatted_path,
                case.body,
                response.text[:500],
            )
            if 400 <= response.status_code < 500 and quiet:
                assert store.fingerprint() == before, (case.method, case.formatted_path, case.body, response.text)

        fuzz()
    assert store.gaps() == []


def _aim(case: Any) -> None:
    # Most requests then reach the seeded namespace rather than an empty one, and long
    # polls hold for at most a moment (a missing wait means the default, 30 s).
    case.path_parameters = {**(case.path_parameters or {}), "namespace": "default"}
    if case.path.endswith("/poll") and isinstance(case.body, NotSet):
        case.body = {}
    body = case.body
    # So does every call that takes a wait (a poll, an update held for its stage).
    if isinstance(body, dict) and ("wait" in body or case.path.endswith(("/poll", "/update"))):
        wait = body.get("wait", 0.2)
        if isinstance(wait, int | float) and not isinstance(wait, bool):
            body["wait"] = min(wait, 0.2)
    # An update-with-start holds for its update's stage (20 s by default) on the run it starts.
    update = body.get("update") if isinstance(body, dict) else None
    if isinstance(update, dict):
        wait = update.get("wait", 0.2)
        if isinstance(wait, int | float) and not isinstance(wait, bool):
            update["wait"] = min(wait, 0.2)
    if case.query and "wait" in case.query:
        case.query["wait"] = "0"
    # A query no worker answers waits its timeout (30 s by default), then answers 504.
    if isinstance(body, dict) and case.path.endswith("/query"):
        timeout = body.get("timeout", 0.2)
        if isinstance(timeout, int | float) and not isinstance(timeout, bool) and timeout > 0:
            body["timeout"] = min(timeout, 0.2)


def _unanswered_query(case: Any, status: int) -> bool:
    """No worker polls the seeded runs' queue, so a query of one of them times out: 504."""
    return status == 504 and case.path.endswith("/query")


# --- a worker that misbehaves ------------------------------------------------------------

# A well-formed token of no task.
STALE = tokens.encode(tokens.ActivityTaskToken("00000000-0000-0000-0000-000000000000", 5, 1))
commands = strategies.sampled_from(
    [
        [],
        [{"type": "StartTimer", "timer_id": "t", "start_to_fire_timeout": 3600}],
        [{"type": "CancelTimer", "timer_id": "t"}],
        [{"type": "ScheduleActivityTask", "activity_id": "a", "activity_type": "t", "start_to_close_timeout": 60}],
        [{"type": "ScheduleActivityTask", "activity_id": "a", "activity_type": "t"}],
        [{"type": "RequestCancelActivityTask", "scheduled_event_id": 5}],
        [{"type": "CompleteWorkflowExecution", "result": wire("done")}],
        [{"type": "FailWorkflowExecution", "failure": {"message": "no"}}],
        [{"type": "CompleteWorkflowExecution"}, {"type": "StartTimer", "timer_id": "u", "start_to_fire_timeout": 1}],
    ]
)


class WorkerSequences(RuleBasedStateMachine):
    """Start, poll, answer (twice, late, forged) in any order; the server must stay sound."""

    url = ""
    store: Store
    workflow_tokens = Bundle("workflow_tokens")
    activity_tokens = Bundle("activity_tokens")

    @initialize()
    def begin(self) -> None:
        self.started = 0

    def _call(self, method: str, path: str, body: Any = None) -> tuple[int, Any]:
        return checked(self.store, self.url, method, path, body)

    @rule(workflow_id=strategies.sampled_from(["s-1", "s-2", "s-3"]))
    def start(self, workflow_id: str) -> None:
        self._call("POST", NS + "/workflows", {"workflow_id": workflow_id, "workflow_type": "T", "task_queue": "q"})

    @rule()
    def start_one_with_an_activity(self) -> None:
        # A fresh run whose first task schedules an activity: work for the activity rules.
        self.started += 1
        start = {"workflow_id": f"n-{self.started}", "workflow_type": "T", "task_queue": "q"}
        self._call("POST", NS + "/workflows", start)
        status, task = self._call("POST", NS + "/task-queues/q/workflow-tasks/poll", {"wait": 0})
        if status == 200:
            schedule = {"type": "ScheduleActivityTask", "activity_id": "a", "activity_type": "t"}
            body = {"task_token": task["task_token"], "commands": [{**schedule, "start_to_close_timeout": 60}]}
            self._call("POST", NS + "/workflow-tasks/complete", body)

    @rule(target=workflow_tokens)
    def poll_workflow_task(self) -> str:
        status, task = self._call("POST", NS + "/task-queues/q/workflow-tasks/poll", {"wait": 0})
        return str(task["task_token"]) if status == 200 else STALE

    @rule(target=activity_tokens)
    def poll_activity_task(self) -> str:
        status, task = self._call("POST", NS + "/task-queues/q/activity-tasks/poll", {"wait": 0})
        return str(task["task_token"]) if status == 200 else STALE

    @rule(token=workflow_tokens, commands=commands)
    def complete_workflow_task(self, token: str, commands: list[dict[str, Any]]) -> None:
        self._call("POST", NS + "/workflow-tasks/complete", {"task_token": token, "commands": commands})

    @rule(token=workflow_tokens)
    def fail_workflow_task(self, token: str) -> None:
        self._call("POST", NS + "/workflow-tasks/fail", {"task_token": token, "failure": {"message": "bug"}})

    @rule(token=activity_tokens, result=strategies.one_of(strategies.none(), strategies.text(max_size=20)))
    def complete_activity_task(self, token: str, result: str | None) -> None:
        self._call(
            "POST",
            NS + "/activity-tasks/complete",
            {"task_token": token, "result": None if result is None else wire(result)},
        )

    @rule(token=activity_tokens, non_retryable=strategies.booleans())
    def fail_activity_task(self, token: str, non_retryable: bool) -> None:
        failure = {"message": "flaky", "non_retryable": non_retryable}
        self._call("POST", NS + "/activity-tasks/fail", {"task_token": token, "failure": failure})

    @rule(token=strategies.one_of(activity_tokens, strategies.just(STALE), strategies.text(max_size=30)))
    def heartbeat(self, token: str) -> None:
        self._call("POST", NS + "/activity-tasks/heartbeat", {"task_token": token, "details": [wire(1)]})

    @rule(
        workflow_id=strategies.sampled_from(["s-1", "s-2", "nope"]),
        action=strategies.sampled_from(["signal", "cancel", "terminate"]),
    )
    def from_outside(self, workflow_id: str, action: str) -> None:
        body = {"signal_name": "go"} if action == "signal" else {}
        self._call("POST", NS + f"/workflows/{workflow_id}/{action}", body)

    @invariant()
    def histories_are_dense(self) -> None:
        assert self.store.gaps() == []


def test_a_misbehaving_worker_never_gets_a_server_error_nor_corrupts_a_history(
    server: ServerProcess, store: Store
) -> None:
    WorkerSequences.url, WorkerSequences.store = server.url, store
    settings = hypothesis.settings(SETTINGS, max_examples=SEQUENCES, stateful_step_count=STEPS_PER_SEQUENCE)
    run_state_machine_as_test(WorkerSequences, settings=settings)
