"""Telling a database outage from a failing query, and logging an outage once."""

from __future__ import annotations

import logging

import asyncpg
import pytest

from legato_operator.store import availability, db


@pytest.mark.parametrize(
    "error",
    [
        ConnectionRefusedError(111, "Connect call failed"),
        ConnectionResetError(104, "Connection reset by peer"),
        TimeoutError(),
        OSError(113, "No route to host"),
        asyncpg.ConnectionDoesNotExistError("connection was closed in the middle of operation"),
        asyncpg.CannotConnectNowError("the database system is starting up"),
        asyncpg.AdminShutdownError("terminating connection due to administrator command"),
        asyncpg.InterfaceError("cannot perform operation: connection is closed"),
        asyncpg.InterfaceError("pool is closing"),
    ],
)
def test_lost_or_refused_connections_are_outages(error: BaseException) -> None:
    assert db.is_unavailable(error)


@pytest.mark.parametrize(
    "error",
    [
        asyncpg.UndefinedTableError("relation does not exist"),
        asyncpg.UniqueViolationError("duplicate key"),
        asyncpg.InterfaceError("cannot perform operation: another operation is in progress"),
        ValueError("bad"),
        KeyError("x"),
    ],
)
def test_failing_queries_and_bugs_are_not_outages(error: BaseException) -> None:
    assert not db.is_unavailable(error)


def test_an_outage_logs_one_warning_when_it_starts_and_one_line_when_it_ends(
    caplog: pytest.LogCaptureFixture,
) -> None:
    outage = availability.Outage()
    with caplog.at_level(logging.INFO, logger=availability.__name__):
        outage.recovered("a call")
        for i in range(50):
            outage.failed(ConnectionRefusedError(111, "Connect call failed"), f"call {i}")
        was_down = outage.down
        outage.recovered("the timer loop")
        outage.recovered("the LISTEN connection")
    assert [(r.levelname, r.getMessage().split(" (")[0]) for r in caplog.records] == [
        ("WARNING", "Database unreachable"),
        ("INFO", "Database reachable again"),
    ]
    assert "seen by call 0" in caplog.records[0].getMessage()
    assert "50 attempts failed" in caplog.records[1].getMessage()
    assert was_down
    assert not outage.down
    assert outage.count == 1
