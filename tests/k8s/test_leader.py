"""Leader election: exactly one replica reconciles; the Lease decides which."""

from __future__ import annotations

import json
import urllib.request
from datetime import UTC, datetime, timedelta
from pathlib import Path

from prometheus_client.parser import text_string_to_metric_families

from legato_operator.k8s import leader
from tests.k8s import harness
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


def leader_gauge(replica: ServerProcess) -> float | None:
    """The replica's legato_leader, or None while it does not answer."""
    try:
        with urllib.request.urlopen(replica.url + "/metrics", timeout=5) as response:
            text = response.read().decode()
    except OSError:
        return None
    families = {family.name: family for family in text_string_to_metric_families(text)}
    return families["legato_leader"].samples[0].value


def test_only_the_replica_holding_the_lease_reports_legato_leader_1(
    apiserver: APIServer, operator_process: ServerProcess, pg_dsn: str, tmp_path: Path
) -> None:
    wait_until(lambda: holder(apiserver) == "replica-0", within=30, what="replica-0 leading", interval=0.2)
    other = harness.start_operator(pg_dsn, apiserver, tmp_path, identity="replica-1")
    try:
        wait_until(lambda: leader_gauge(other) == 0, within=30, what="replica-1 reporting 0", interval=0.2)
        assert leader_gauge(operator_process) == 1
        operator_process.stop()
        wait_until(lambda: leader_gauge(other) == 1, within=30, what="replica-1 taking over", interval=0.2)
    finally:
        other.stop()
