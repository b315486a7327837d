"""Pure tests of the manifest builders and scaling decisions: no cluster needed."""

from __future__ import annotations

from datetime import timedelta

import pytest

from legato_operator.k8s import builders, models


def queue(**scaling: object) -> models.TaskQueueSpec:
    return models.TaskQueueSpec.model_validate(
        {
            "worker": {"image": "shop/orders-worker:1.0", "env": [{"name": "MODE", "value": "prod"}]},
            "scaling": scaling,
        }
    )


def test_worker_deployment_carries_server_namespace_queue_and_token() -> None:
    deployment = builders.worker_deployment(
        name="orders", namespace="shop", queue=queue(), address="legato.legato-system:7233", replicas=2
    )
    container = deployment["spec"]["template"]["spec"]["containers"][0]
    env = {e["name"]: e["value"] for e in container["env"]}
    assert env["LEGATO_ADDRESS"] == "legato.legato-system:7233"
    assert env["LEGATO_NAMESPACE"] == "shop"
    assert env["LEGATO_TASK_QUEUE"] == "orders"
    assert env["MODE"] == "prod"
    assert container["image"] == "shop/orders-worker:1.0"
    assert deployment["spec"]["replicas"] == 2
    volume = deployment["spec"]["template"]["spec"]["volumes"][0]
    assert volume["projected"]["sources"][0]["serviceAccountToken"]["audience"] == builders.TOKEN_AUDIENCE


def test_external_scaling_leaves_replicas_out_of_the_deployment() -> None:
    deployment = builders.worker_deployment(name="q", namespace="n", queue=queue(), address="a:1", replicas=None)
    assert "replicas" not in deployment["spec"]


@pytest.mark.parametrize(
    ("backlog", "current", "idle", "expected"),
    [
        (0, 0, 0, 0),  # idle queue at zero stays at zero
        (1, 0, 0, 1),  # one waiting task scales up from zero at once
        (11, 1, 0, 3),  # ceil(11 / 5)
        (500, 3, 0, 20),  # clamped to max
        (0, 3, 60, 3),  # idle for less than scaleDownDelay: hold
        (0, 3, 301, 0),  # idle past scaleDownDelay: down to min
    ],
)
def test_desired_replicas_follow_backlog_within_bounds(backlog: int, current: int, idle: int, expected: int) -> None:
    scaling = models.ScalingSpec(min_replicas=0, max_replicas=20, target_backlog_per_replica=5, scale_down_delay="5m")
    observed = builders.ScaleInput(
        backlog=backlog, pollers=current, current_replicas=current, idle_for=timedelta(seconds=idle)
    )
    assert builders.desired_replicas(scaling, observed) == expected


@pytest.mark.parametrize(
    ("text", "seconds"), [("30s", 30), ("5m", 300), ("1h30m", 5400), ("2d", 172800), ("250ms", 0.25)]
)
def test_durations_parse_as_people_write_them(text: str, seconds: float) -> None:
    assert builders.parse_duration(text).total_seconds() == seconds


def test_a_malformed_duration_is_refused_by_name() -> None:
    with pytest.raises(ValueError, match="not a duration: '5 minutes'"):
        builders.parse_duration("5 minutes")


def test_durations_format_in_the_largest_units() -> None:
    assert builders.format_duration(3725) == "1h2m5s"
    assert builders.format_duration(0) == "0s"
