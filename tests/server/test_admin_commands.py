"""``legato-operator search-attributes`` and ``namespaces``, run as a person runs them: the
real command against a real database, with the API's rules and messages."""

from __future__ import annotations

import subprocess

import pytest

from legato_operator.store import db
from tests.support.server_process import SERVER_BIN


def run(*args: str, dsn: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(SERVER_BIN), *args, "--database-url", dsn], capture_output=True, text=True, timeout=60, check=False
    )


@pytest.fixture
async def dsn(pg_dsn: str) -> str:
    pool = await db.connect(pg_dsn, min_size=1, max_size=1)
    try:
        await db.migrate(pool)
    finally:
        await pool.close()
    return pg_dsn


def test_search_attributes_are_added_listed_and_removed(dsn: str) -> None:
    added = run("search-attributes", "add", "CustomerId=Keyword", "Amount=Int", dsn=dsn)
    assert added.returncode == 0, added.stderr
    assert added.stdout.splitlines() == ["Amount\tInt", "CustomerId\tKeyword"]
    removed = run("search-attributes", "remove", "Amount", dsn=dsn)
    assert removed.stdout.splitlines() == ["CustomerId\tKeyword"]
    assert run("search-attributes", "list", dsn=dsn).stdout.splitlines() == ["CustomerId\tKeyword"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("add", "Amount"), "write NAME=TYPE"),
        (("add", "Amount=Money"), "'Money' is not a search attribute type"),
        (("add", "WorkflowId=Keyword"), "Search attribute WorkflowId is reserved by system."),
        (("remove", "Nope"), "Search attribute Nope is not registered in namespace default"),
        (("list", "--namespace", "nowhere"), "Namespace nowhere is not found."),
    ],
)
def test_a_refused_change_exits_1_with_the_servers_message(dsn: str, args: tuple[str, ...], message: str) -> None:
    done = run("search-attributes", *args, dsn=dsn)
    assert done.returncode == 1
    assert message in done.stderr
    assert run("search-attributes", "list", dsn=dsn).stdout == ""


def test_namespaces_are_registered_described_and_listed(dsn: str) -> None:
    registered = run("namespaces", "register", "shop", "--retention", "3d", "--description", "the shop", dsn=dsn)
    assert registered.returncode == 0, registered.stderr
    assert registered.stdout.strip() == "shop\tretention 3d\tthe shop"
    assert run("namespaces", "register", "shop", dsn=dsn).returncode == 1
    assert run("namespaces", "describe", "shop", dsn=dsn).stdout.strip() == "shop\tretention 3d\tthe shop"
    names = [line.split("\t")[0] for line in run("namespaces", "list", dsn=dsn).stdout.splitlines()]
    assert names == ["default", "shop"]


def test_without_a_database_url_the_command_exits_2() -> None:
    done = subprocess.run(
        [str(SERVER_BIN), "namespaces", "list"], capture_output=True, text=True, timeout=60, check=False, env={}
    )
    assert done.returncode == 2
    assert "--database-url" in done.stderr
