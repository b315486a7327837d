"""Pure tests of the manifest builders and scaling decisions: no cluster needed."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from legato_operator.k8s import builders, models
from legato_operator.k8s.scope import INSTANCE_LABEL


def queue(**scaling: object) -> models.TaskQueueSpec:
    return models.TaskQueueSpec.model_validate(
        {
            "worker": {"image": "shop/orders-worker:1.0", "env": [{"name": "MODE", "value": "prod"}]},
            "scaling": scaling,
        }
    )


def deployment(spec: models.TaskQueueSpec, replicas: int | None = 2) -> dict[str, Any]:
    return builders.worker_deployment(
        name="orders", namespace="shop", uid="u-1", queue=spec, address="legato.legato-system:7233", replicas=replicas
    )


def test_worker_deployment_carries_server_namespace_queue_and_token() -> None:
    built = deployment(queue())
    container = built["spec"]["template"]["spec"]["containers"][0]
    env = {e["name"]: e["value"] for e in container["env"]}
    assert env["LEGATO_ADDRESS"] == "legato.legato-system:7233"
    assert env["LEGATO_NAMESPACE"] == "shop"
    assert env["LEGATO_TASK_QUEUE"] == "orders"
    assert env["LEGATO_TOKEN_FILE"] == builders.TOKEN_PATH
    assert env["MODE"] == "prod"
    assert container["image"] == "shop/orders-worker:1.0"
    assert built["spec"]["replicas"] == 2
    volume = built["spec"]["template"]["spec"]["volumes"][0]
    assert volume["projected"]["sources"][0]["serviceAccountToken"]["audience"] == builders.TOKEN_AUDIENCE
    assert {"name": "legato-token", "mountPath": "/var/run/secrets/legato", "readOnly": True} in container[
        "volumeMounts"
    ]


def test_worker_deployment_is_owned_by_its_task_queue_and_selects_its_pods() -> None:
    built = deployment(queue())
    assert built["metadata"]["name"] == "orders-worker"
    [owner] = built["metadata"]["ownerReferences"]
    assert (owner["kind"], owner["name"], owner["uid"], owner["controller"]) == ("TaskQueue", "orders", "u-1", True)
    selector = built["spec"]["selector"]["matchLabels"]
    assert selector == {"legato.dev/task-queue": "orders", "app.kubernetes.io/component": "worker"}
    assert selector.items() <= built["spec"]["template"]["metadata"]["labels"].items()


def test_worker_fields_land_on_the_container_and_the_pod() -> None:
    spec = models.TaskQueueSpec.model_validate(
        {
            "worker": {
                "image": "w:1",
                "imagePullPolicy": "IfNotPresent",
                "args": ["--fast"],
                "resources": {"requests": {"cpu": "250m", "memory": "256Mi"}, "limits": {"cpu": 1}},
                "serviceAccountName": "payments",
                "nodeSelector": {"pool": "workers"},
                "tolerations": [{"key": "spot", "operator": "Exists"}],
                "podSecurityContext": {"runAsNonRoot": True},
                "labels": {"team": "shop", "legato.dev/task-queue": "spoofed"},
                "volumes": [{"name": "cache", "emptyDir": {}}],
                "volumeMounts": [{"name": "cache", "mountPath": "/cache"}],
            }
        }
    )
    pod = deployment(spec)["spec"]["template"]
    container = pod["spec"]["containers"][0]
    assert container["imagePullPolicy"] == "IfNotPresent"
    assert container["args"] == ["--fast"]
    assert container["resources"] == {"requests": {"cpu": "250m", "memory": "256Mi"}, "limits": {"cpu": 1}}
    assert pod["spec"]["serviceAccountName"] == "payments"
    assert pod["spec"]["nodeSelector"] == {"pool": "workers"}
    assert pod["spec"]["tolerations"] == [{"key": "spot", "operator": "Exists"}]
    assert pod["spec"]["securityContext"] == {"runAsNonRoot": True, "seccompProfile": {"type": "RuntimeDefault"}}
    assert [v["name"] for v in pod["spec"]["volumes"]] == ["cache", "legato-token"]
    assert [m["name"] for m in container["volumeMounts"]] == ["cache", "legato-token"]
    # The selector's labels are the operator's; the user's others are kept.
    assert pod["metadata"]["labels"]["legato.dev/task-queue"] == "orders"
    assert pod["metadata"]["labels"]["team"] == "shop"


def test_a_worker_pod_is_restricted_by_default_and_the_user_overrides_field_by_field() -> None:
    plain = deployment(models.TaskQueueSpec.model_validate({"worker": {"image": "w:1"}}))["spec"]["template"]["spec"]
    assert plain["securityContext"] == {"runAsNonRoot": True, "seccompProfile": {"type": "RuntimeDefault"}}
    assert plain["containers"][0]["securityContext"] == {
        "allowPrivilegeEscalation": False,
        "capabilities": {"drop": ["ALL"]},
    }
    worker = {
        "image": "w:1",
        "podSecurityContext": {"runAsUser": 1000},
        "securityContext": {"capabilities": {"add": ["NET_BIND_SERVICE"], "drop": ["ALL"]}},
    }
    given = deployment(models.TaskQueueSpec.model_validate({"worker": worker}))["spec"]["template"]["spec"]
    assert given["securityContext"] == {
        "runAsNonRoot": True,
        "seccompProfile": {"type": "RuntimeDefault"},
        "runAsUser": 1000,
    }
    assert given["containers"][0]["securityContext"] == {
        "allowPrivilegeEscalation": False,
        "capabilities": {"add": ["NET_BIND_SERVICE"], "drop": ["ALL"]},
    }


def test_a_queue_naming_no_service_account_runs_as_its_own_which_it_owns() -> None:
    pod = deployment(models.TaskQueueSpec.model_validate({"worker": {"image": "w:1"}}))["spec"]["template"]["spec"]
    assert pod["serviceAccountName"] == "orders-worker"
    account = builders.worker_service_account(name="orders", namespace="shop", uid="u-1")
    assert (account["kind"], account["metadata"]["name"], account["metadata"]["namespace"]) == (
        "ServiceAccount",
        "orders-worker",
        "shop",
    )
    assert account["metadata"]["ownerReferences"][0]["uid"] == "u-1"
    assert account["automountServiceAccountToken"] is False


def test_the_operators_legato_variables_win_over_the_users() -> None:
    spec = models.TaskQueueSpec.model_validate(
        {"worker": {"image": "w:1", "env": [{"name": "LEGATO_NAMESPACE", "value": "other"}]}}
    )
    env = deployment(spec)["spec"]["template"]["spec"]["containers"][0]["env"]
    assert [e["value"] for e in env if e["name"] == "LEGATO_NAMESPACE"] == ["shop"]


def test_an_unknown_worker_field_is_refused_by_name() -> None:
    with pytest.raises(ValidationError, match=r"worker\.replicasHint"):
        models.TaskQueueSpec.model_validate({"worker": {"image": "w:1", "replicasHint": 2}})


def test_min_replicas_above_max_is_refused() -> None:
    with pytest.raises(ValidationError, match="must not exceed maxReplicas"):
        models.ScalingSpec(min_replicas=3, max_replicas=2)


def test_external_scaling_leaves_replicas_out_of_the_deployment() -> None:
    assert "replicas" not in deployment(queue(), replicas=None)["spec"]


@pytest.mark.parametrize(
    ("text", "seconds"), [("30s", 30), ("5m", 300), ("1h30m", 5400), ("2d", 172800), ("250ms", 0.25)]
)
def test_durations_parse_as_people_write_them(text: str, seconds: float) -> None:
    assert models.parse_duration(text).total_seconds() == seconds


def test_a_malformed_duration_is_refused_by_name() -> None:
    with pytest.raises(ValueError, match="not a duration: '5 minutes'"):
        models.parse_duration("5 minutes")


def test_durations_format_in_the_largest_units() -> None:
    assert builders.format_duration(3725) == "1h2m5s"
    assert builders.format_duration(0) == "0s"


def test_an_instance_labels_the_deployment_and_account_but_not_the_pods_or_selector() -> None:
    built = builders.worker_deployment(
        name="orders", namespace="shop", uid="u-1", queue=queue(), address="a:1", replicas=1, instance="blue"
    )
    account = builders.worker_service_account(name="orders", namespace="shop", uid="u-1", instance="blue")
    assert built["metadata"]["labels"][INSTANCE_LABEL] == "blue"
    assert account["metadata"]["labels"][INSTANCE_LABEL] == "blue"
    # A pod template change would roll the workers: the label stays on the objects.
    assert INSTANCE_LABEL not in built["spec"]["template"]["metadata"]["labels"]
    assert INSTANCE_LABEL not in built["spec"]["selector"]["matchLabels"]
    assert INSTANCE_LABEL not in deployment(queue())["metadata"]["labels"]
