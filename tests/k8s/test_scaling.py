"""Pure tests of the scaler's decisions and the TaskQueue status: no cluster, no database."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from legato_operator.engine.services import task_queues
from legato_operator.k8s import models, scaling

T0 = datetime(2026, 1, 1, tzinfo=UTC)
SCALING = models.ScalingSpec(min_replicas=0, max_replicas=20, target_backlog_per_replica=5, scale_down_delay="5m")


def seen(
    at: float, *, waiting: int = 0, running: int = 0, current: int | None = 0, active: float | None = None
) -> scaling.Observation:
    last_active = None if active is None else T0 + timedelta(seconds=active)
    return scaling.Observation(
        now=T0 + timedelta(seconds=at), waiting=waiting, running=running, current=current, last_active=last_active
    )


class Scaler:
    """Feeds observations through `decide` with its memory, as the leader loop does."""

    def __init__(self, spec: models.ScalingSpec = SCALING, window: scaling.Window | None = None) -> None:
        self.spec, self.window = spec, window
        self.last_active: datetime | None = None
        self.replicas: int | None = None

    def tick(self, at: float, *, waiting: int = 0, running: int = 0, claimed: float | None = None) -> scaling.Decision:
        observation = seen(at, waiting=waiting, running=running, current=self.replicas, active=claimed)
        if self.last_active and (observation.last_active is None or observation.last_active < self.last_active):
            observation = scaling.Observation(
                observation.now, waiting, running, self.replicas, last_active=self.last_active
            )
        decision = scaling.decide(self.spec, observation, self.window)
        self.window, self.last_active, self.replicas = decision.window, decision.last_active, decision.replicas
        return decision


@pytest.mark.parametrize(
    ("backlog", "expected"),
    [(0, 0), (1, 1), (5, 1), (6, 2), (11, 3), (100, 20), (5000, 20)],
)
def test_recommendation_is_ceil_of_backlog_over_target_within_bounds(backlog: int, expected: int) -> None:
    assert scaling.recommended(SCALING, backlog) == expected


def test_min_replicas_hold_even_when_idle() -> None:
    spec = SCALING.model_copy(update={"min_replicas": 2})
    assert scaling.decide(spec, seen(0), None).replicas == 2


def test_running_tasks_count_so_busy_workers_are_not_scaled_away() -> None:
    decision = scaling.decide(SCALING, seen(0, waiting=0, running=12, current=3), None)
    assert decision.replicas == 3
    assert decision.reason is scaling.Reason.STEADY


def test_a_task_waiting_on_a_queue_at_zero_scales_up_at_once() -> None:
    decision = scaling.decide(SCALING, seen(0, waiting=1, current=0), None)
    assert (decision.replicas, decision.reason) == (1, scaling.Reason.BACKLOG_GROWING)


def test_scale_up_is_immediate_and_capped_at_max() -> None:
    scaler = Scaler()
    assert scaler.tick(0, waiting=12).replicas == 3
    decision = scaler.tick(5, waiting=500)
    assert (decision.replicas, decision.reason) == (20, scaling.Reason.BACKLOG_GROWING)
    assert scaler.tick(10, waiting=500).reason is scaling.Reason.AT_MAX_REPLICAS


def test_scale_down_waits_until_fewer_replicas_sufficed_for_the_delay() -> None:
    scaler = Scaler()
    scaler.tick(0, waiting=50)  # 10 replicas
    held = scaler.tick(60, running=10)  # 2 would do, but only for a minute
    assert (held.replicas, held.reason) == (10, scaling.Reason.SCALE_DOWN_DELAYED)
    assert scaler.tick(299, running=10).replicas == 10
    down = scaler.tick(301, running=10)
    assert (down.replicas, down.reason) == (2, scaling.Reason.BACKLOG_SHRINKING)


def test_scale_to_zero_only_after_idle_for_the_delay() -> None:
    scaler = Scaler()
    scaler.tick(0, waiting=3)
    assert scaler.tick(10).replicas == 1  # idle for 10 s of 5 m
    assert scaler.tick(299).replicas == 1
    zero = scaler.tick(301)
    assert (zero.replicas, zero.reason) == (0, scaling.Reason.SCALED_TO_ZERO)


def test_tasks_handed_out_between_samples_keep_the_queue_active() -> None:
    scaler = Scaler()
    scaler.tick(0, waiting=1)
    # The scaler never saw a task again, but Postgres says one was claimed at 200 s.
    assert scaler.tick(400, claimed=200).replicas == 1
    assert scaler.tick(501, claimed=200).replicas == 0


def test_a_new_leader_holds_the_replicas_it_finds_unless_the_queue_is_idle() -> None:
    recently_active = scaling.decide(SCALING, seen(0, running=1, current=6), None)
    assert recently_active.replicas == 6
    long_idle = scaling.decide(SCALING, seen(1000, current=6, active=0), None)
    assert (long_idle.replicas, long_idle.reason) == (0, scaling.Reason.SCALED_TO_ZERO)


def test_the_window_stays_small_however_often_the_scaler_ticks() -> None:
    scaler = Scaler()
    for second in range(0, 290):
        scaler.tick(second, waiting=50 - second // 10)
    assert scaler.window is not None
    assert len(scaler.window.samples) <= 30


def test_status_reports_load_replicas_and_conditions() -> None:
    load = task_queues.QueueLoad(
        "shop", "orders", workflow_tasks=7, activity_tasks=5, running=2, oldest_task_age=75.4, pollers=3
    )
    decision = scaling.decide(SCALING, seen(0, waiting=12, running=2, current=1), None)
    report = scaling.Report(
        load=load,
        deployment={"spec": {"replicas": 3}, "status": {"replicas": 1}},
        conditions=[scaling.scaling_condition(decision)],
        last_active=decision.last_active,
        generation=4,
        selector="a=b",
    )
    status = scaling.queue_status(report, [], T0)
    assert status.backlog == models.Backlog(
        workflow_tasks=7, activity_tasks=5, total=12, running=2, oldest_task_age="1m15s"
    )
    assert (status.pollers, status.desired_replicas, status.replicas) == (3, 3, 1)
    assert status.last_active_time == "2026-01-01T00:00:00Z"
    assert status.observed_generation == 4
    [condition] = status.conditions
    assert (condition.type, condition.status, condition.reason) == ("Scaling", "True", "BacklogGrowing")
    assert "backlog 14 (12 waiting, 2 running)" in condition.message


def test_a_conditions_transition_time_moves_only_when_its_status_does() -> None:
    load = task_queues.QueueLoad("shop", "orders")
    first = scaling.condition("Ready", "True", "DeploymentApplied", "ok")
    report = scaling.Report(load, None, [first], None, 1, "")
    before = scaling.queue_status(report, [], T0).conditions
    again = scaling.queue_status(report, before, T0 + timedelta(minutes=5)).conditions
    assert again[0].last_transition_time == before[0].last_transition_time


def test_external_mode_says_who_sets_replicas() -> None:
    spec = models.TaskQueueSpec.model_validate({"worker": {"image": "w:1"}, "scaling": {"mode": "External"}})
    assert scaling.external(spec).reason == "External"
    assert "HPA or KEDA" in scaling.external(spec).message
    scaled = spec.model_copy(update={"replicas": 4})
    assert "spec.replicas 4" in scaling.external(scaled).message


def test_a_deployment_whose_pods_are_refused_or_stuck_is_trouble_with_the_controllers_words() -> None:
    refused = {"type": "ReplicaFailure", "status": "True", "reason": "FailedCreate", "message": "forbidden: quota"}
    stuck = {"type": "Progressing", "status": "False", "reason": "ProgressDeadlineExceeded", "message": "timed out"}
    fine = {"type": "Progressing", "status": "True", "reason": "NewReplicaSetAvailable"}
    assert scaling.worker_trouble({"status": {"conditions": [fine, refused]}}) == (
        "WorkerPodsRefused",
        "the worker pods cannot be created: forbidden: quota",
    )
    reason, message = scaling.worker_trouble({"status": {"conditions": [stuck]}}) or ("", "")
    assert reason == "WorkerRolloutStuck"
    assert "ProgressDeadlineExceeded" in message
    assert scaling.worker_trouble({"status": {"conditions": [fine]}}) is None
    assert scaling.worker_trouble(None) is None
