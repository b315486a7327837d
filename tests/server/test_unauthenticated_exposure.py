"""Serving without authentication: only on loopback, or when the operator says so (`--auth none`).

Real `legato-operator` processes: the refusal happens before anything else starts, and the
startup line says which authentication is in force, and on which address.
"""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Sequence
from pathlib import Path

import pytest

from tests.support.deadline import wait_until
from tests.support.server_process import SERVER_BIN, ServerProcess

# The environment without the settings that choose authentication.
UNSET = {k: v for k, v in os.environ.items() if k not in ("LEGATO_AUTH", "LEGATO_TOKENS_FILE")}


def refused(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(SERVER_BIN), *args], capture_output=True, text=True, timeout=60, env=UNSET)


def started_server(pg_dsn: str, tmp_path: Path, extra_args: Sequence[str]) -> ServerProcess:
    process = ServerProcess(pg_dsn, tmp_path / "server.log", extra_args=extra_args)
    process.start()
    return process


def startup_line(process: ServerProcess) -> str:
    def line() -> str | None:
        found = [text for text in process.log_path.read_text().splitlines() if "Legato server on" in text]
        return found[0] if found else None

    return wait_until(line, within=10, what="the startup line in the server's log")


def test_run_without_auth_settings_on_a_non_loopback_address_exits_2_saying_what_to_do() -> None:
    done = refused("run", "--no-kubernetes", "--database-url", "postgresql://unused", "--host", "0.0.0.0")
    assert done.returncode == 2
    assert "refusing to serve without authentication on 0.0.0.0" in done.stderr
    for remedy in ("--tokens-file", "--host", "--auth none"):
        assert remedy in done.stderr


def test_dev_without_auth_settings_on_a_non_loopback_address_exits_2_before_starting_postgres(
    tmp_path: Path,
) -> None:
    done = refused("dev", "--host", "0.0.0.0", "--data-dir", str(tmp_path / "dev"))
    assert done.returncode == 2
    assert "refusing to serve without authentication on 0.0.0.0" in done.stderr
    assert not (tmp_path / "dev").exists()


def test_run_with_auth_none_on_a_non_loopback_address_serves_and_says_so(
    pg_dsn: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("LEGATO_TOKENS_FILE", raising=False)
    process = started_server(pg_dsn, tmp_path, ["--host", "0.0.0.0", "--auth", "none"])
    try:
        line = startup_line(process)
    finally:
        process.stop()
    assert f"on 0.0.0.0:{process.port}" in line
    assert "authentication off (--auth none)" in line


def test_run_without_auth_settings_on_loopback_serves_and_says_authentication_is_off(
    pg_dsn: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("LEGATO_AUTH", raising=False)
    monkeypatch.delenv("LEGATO_TOKENS_FILE", raising=False)
    process = started_server(pg_dsn, tmp_path, [])
    try:
        line = startup_line(process)
    finally:
        process.stop()
    assert f"on 127.0.0.1:{process.port}" in line
    assert "authentication off (loopback only)" in line


def test_run_with_a_tokens_file_on_a_non_loopback_address_serves_and_names_the_file(
    pg_dsn: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("LEGATO_AUTH", raising=False)
    tokens = tmp_path / "tokens.json"
    tokens.write_text(json.dumps({"tokens": [{"name": "ci", "token": "t" * 32, "namespaces": ["shop"]}]}))
    process = started_server(pg_dsn, tmp_path, ["--host", "0.0.0.0", "--tokens-file", str(tokens)])
    try:
        line = startup_line(process)
    finally:
        process.stop()
    assert f"on 0.0.0.0:{process.port}; authentication: static tokens from {tokens}" in line
