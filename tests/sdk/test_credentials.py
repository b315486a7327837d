"""Where the SDK's bearer token comes from: api_key, LEGATO_TOKEN_FILE, LEGATO_API_KEY.

The rotation test runs against a real server (tokens-file authentication, real database);
the others look at the headers the transport would send.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from legato import _transport
from legato.client import Client
from legato.exceptions import RPCError, RPCStatusCode
from legato_operator.api import auth
from legato_operator.main import process as server

NEW_TOKEN = "rotated-token-0123456789"


def transport(monkeypatch: pytest.MonkeyPatch, api_key: str | None = None, **env: str) -> _transport.Transport:
    for name in (_transport.TOKEN_FILE_ENV, _transport.API_KEY_ENV):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return _transport.Transport("localhost:7233", namespace="shop", api_key=api_key)


def test_no_credentials_send_no_authorization(monkeypatch: pytest.MonkeyPatch) -> None:
    assert transport(monkeypatch).headers() == {}


def test_an_explicit_api_key_wins_over_the_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    (tmp_path / "token").write_text("from-file")
    t = transport(monkeypatch, "explicit", LEGATO_TOKEN_FILE=str(tmp_path / "token"), LEGATO_API_KEY="from-env")
    assert t.headers() == {"Authorization": "Bearer explicit"}


def test_the_token_file_wins_over_legato_api_key(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    (tmp_path / "token").write_text("from-file\n")
    t = transport(monkeypatch, LEGATO_TOKEN_FILE=str(tmp_path / "token"), LEGATO_API_KEY="from-env")
    assert t.headers() == {"Authorization": "Bearer from-file"}


def test_legato_api_key_serves_clients_outside_the_cluster(monkeypatch: pytest.MonkeyPatch) -> None:
    assert transport(monkeypatch, LEGATO_API_KEY="from-env").headers() == {"Authorization": "Bearer from-env"}


def test_an_unchanged_token_file_is_not_read_again(tmp_path: Path) -> None:
    path = tmp_path / "token"
    path.write_text("first")
    tokens = _transport.TokenFile(str(path))
    assert tokens.token() == "first"
    # Same size, same inode, same mtime: the cached token stands (one stat per call, no read).
    before = path.stat()
    path.write_text("other")
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))
    assert tokens.token() == "first"


def test_a_missing_token_file_is_unauthenticated_naming_the_file(tmp_path: Path) -> None:
    tokens = _transport.TokenFile(str(tmp_path / "absent"))
    with pytest.raises(RPCError) as missing:
        tokens.token()
    assert missing.value.status == RPCStatusCode.UNAUTHENTICATED
    assert str(tmp_path / "absent") in missing.value.message
    assert "LEGATO_TOKEN_FILE" in missing.value.message


def test_a_token_file_gone_for_a_moment_keeps_the_last_token(tmp_path: Path) -> None:
    path = tmp_path / "token"
    path.write_text("first")
    tokens = _transport.TokenFile(str(path))
    assert tokens.token() == "first"
    path.unlink()
    assert tokens.token() == "first"


@pytest.fixture
async def server_url(pg_dsn: str) -> AsyncIterator[str]:
    """A real server that accepts only `NEW_TOKEN`, in namespace shop."""
    entry = auth.TokenEntry(name="worker", token=NEW_TOKEN, namespaces=["shop"])
    options = server.Options(
        database_url=pg_dsn, port=0, authenticator=auth.StaticTokens([entry]), namespaces=("shop",)
    )
    async with server.serve(options) as serving:
        yield f"http://{serving.address}"


async def test_a_rotated_token_file_is_used_on_the_next_call(
    server_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "token"
    path.write_text("expired-token-0123456789")
    monkeypatch.delenv(_transport.API_KEY_ENV, raising=False)
    monkeypatch.setenv(_transport.TOKEN_FILE_ENV, str(path))
    async with await Client.connect(server_url, namespace="shop") as client:
        with pytest.raises(RPCError) as refused:
            await client.start_workflow("OrderWorkflow", id="order-1", task_queue="orders")
        assert refused.value.status == RPCStatusCode.UNAUTHENTICATED
        # kubelet swaps in a new file (atomic rename); the same client picks it up.
        (tmp_path / "next").write_text(NEW_TOKEN)
        (tmp_path / "next").replace(path)
        handle = await client.start_workflow("OrderWorkflow", id="order-1", task_queue="orders")
        assert (await handle.describe()).id == "order-1"
