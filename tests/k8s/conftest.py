"""Fixtures of the realapi tests: one etcd + kube-apiserver per session, a namespace per test.

The control plane comes from `make testbin` (see `testbin.py`); without it these tests
skip with the reason, except in CI where ``LEGATO_REQUIRE_TESTBIN=1`` makes that an error.
The CRDs in `crds/` are applied once, as a user would apply them.
"""

from __future__ import annotations

import contextlib
import itertools
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from legato.client import Client
from legato_operator.k8s import kube
from tests.k8s import harness, testbin
from tests.k8s.apiserver import APIServer
from tests.support.server_process import ServerProcess

CRDS = Path(__file__).resolve().parents[2] / "crds"
_namespace_numbers = itertools.count(1)


@pytest.fixture(scope="session")
def binaries() -> testbin.TestBin:
    """The binaries of `make testbin` (helm, kubectl, the control plane), else a skip."""
    found = testbin.find()
    if found is None:
        pytest.skip(testbin.MISSING_REASON)
    return found


@pytest.fixture(scope="session")
def apiserver(binaries: testbin.TestBin) -> Iterator[APIServer]:
    """The session's kube-apiserver, with Legato's CRDs established."""
    with APIServer(binaries) as server:
        server.kubectl("apply", "--server-side", "-f", str(CRDS))
        for crd in ("workflows.legato.dev", "taskqueues.legato.dev", "schedules.legato.dev"):
            server.kubectl("wait", "--for=condition=Established", "--timeout=60s", f"crd/{crd}")
        yield server


@pytest.fixture
def namespace(apiserver: APIServer) -> str:
    """A fresh namespace for this test (namespaces never finish deleting here: no controllers)."""
    name = f"t{next(_namespace_numbers)}"
    apiserver.kubectl("create", "namespace", name)
    return name


@pytest.fixture
def kube_client(apiserver: APIServer) -> Iterator[kube.Kube]:
    calls = kube.Kube(kube.load_api_client(str(apiserver.kubeconfig)))
    try:
        yield calls
    finally:
        calls.close()


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Every test that starts the control plane is a realapi test."""
    for item in items:
        if "apiserver" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.realapi)


@pytest.fixture
def operator_process(pg_dsn: str, apiserver: APIServer, tmp_path: Path) -> Iterator[ServerProcess]:
    """`legato-operator run` with the reconcilers, on this test's database and the API server."""
    proc = harness.start_operator(pg_dsn, apiserver, tmp_path)
    try:
        yield proc
    finally:
        proc.stop()


@pytest.fixture
async def client(operator_process: ServerProcess, namespace: str) -> AsyncIterator[Client]:
    """An SDK client of the operator's API, acting in the test's namespace."""
    c = await Client.connect(operator_process.address, namespace=namespace)
    yield c
    with contextlib.suppress(Exception):
        await c.close()
