"""Leader election: exactly one replica reconciles; the Lease decides which."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from legato_operator.k8s import leader
from tests.k8s.apiserver import APIServer
from tests.support.deadline import wait_until
from tests.support.server_process import ServerProcess

NOW = datetime(2026, 1, 1, tzinfo=UTC)


def test_a_free_or_own_lease_may_be_taken() -> None:
    assert leader.may_take(leader.LeaseState(None, None, 15), "a", NOW)
    assert leader.may_take(leader.LeaseState("a", NOW, 15), "a", NOW)


def test_a_lease_held_by_another_is_taken_only_once_expired() -> None:
    held = leader.LeaseState("b", NOW, 15)
    assert not leader.may_take(held, "a", NOW + timedelta(seconds=14))
    assert leader.may_take(held, "a", NOW + timedelta(seconds=16))


def holder(apiserver: APIServer) -> str | None:
    result = apiserver.kubectl("get", "lease", "legato-operator", "-n", "legato-system", "-o", "json", check=False)
    if result.returncode != 0:
        return None
    spec = json.loads(result.stdout)["spec"]
    return spec.get("holderIdentity") or None


def test_operator_takes_the_lease_and_hands_it_over_on_clean_stop(
    apiserver: APIServer, operator_process: ServerProcess
) -> None:
    # Each check runs kubectl: a slower pace than the default leaves the CPU to the control plane.
    assert wait_until(lambda: holder(apiserver), within=30, what="a lease holder", interval=0.2) == "replica-0"
    operator_process.stop()
    wait_until(lambda: holder(apiserver) is None, within=15, what="the lease released", interval=0.2)
