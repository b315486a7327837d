"""The scope of one operator's reconcilers, and the flags that set it (no services)."""

from __future__ import annotations

import pytest

from legato_operator.k8s import kube
from legato_operator.k8s.scope import INSTANCE_LABEL, Scope
from legato_operator.k8s.token_review import principal_of
from legato_operator.main import options


def test_an_operator_without_an_instance_watches_only_unlabelled_resources_everywhere() -> None:
    scope = Scope()
    assert scope.label_selector == f"!{INSTANCE_LABEL}"
    assert scope.kopf_arguments() == {"clusterwide": True}


def test_an_instance_and_namespaces_narrow_the_watches() -> None:
    scope = Scope(namespaces=("team-a", "team-a-ci"), instance="blue")
    assert scope.label_selector == f"{INSTANCE_LABEL}=blue"
    assert scope.kopf_arguments() == {"clusterwide": False, "namespaces": ["team-a", "team-a-ci"]}


def test_the_flags_set_the_scope_and_the_lease() -> None:
    args = options.parser().parse_args(
        ["run", "--watch-namespaces", "team-a, team-b", "--instance", "blue", "--lease-name", "legato-blue"]
    )
    assert args.watch_namespaces == ("team-a", "team-b")
    assert args.instance == "blue"
    assert args.lease_name == "legato-blue"


def test_by_default_every_namespace_and_the_first_lease() -> None:
    args = options.parser().parse_args(["run"])
    assert (args.watch_namespaces, args.instance, args.lease_name) == ((), "", "legato-operator")


@pytest.mark.parametrize(
    ("flag", "value"), [("--watch-namespaces", "Team_A"), ("--instance", "not a label"), ("--lease-name", "A.B")]
)
def test_a_bad_scope_flag_is_refused_naming_it(flag: str, value: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        options.parser().parse_args(["run", flag, value])
    assert exited.value.code == 2
    assert flag in capsys.readouterr().err


def test_a_worker_of_a_namespace_not_watched_may_act_nowhere() -> None:
    worker = kube.TokenIdentity("system:serviceaccount:shop:worker", ())
    assert principal_of(worker, frozenset({"shop"})).namespaces == frozenset({"shop"})
    assert principal_of(worker, frozenset({"team-b"})).namespaces == frozenset()
    assert principal_of(worker).namespaces == frozenset({"shop"})
