"""HTTP transport to the Legato server, shared by the client and the worker.

Moves text: ``legato._service`` encodes the requests of ``legato.api.operations`` and
decodes the answers; here ``204`` is an empty long poll (returned as None), and 4xx/5xx
bodies are ``ErrorBody``, raised as ``RPCError`` with a gRPC-style status as Temporal's
client does (``TaskNotFoundError`` for a task token that no longer holds its task). A
server that cannot be reached is ``UNAVAILABLE``, one that does not answer in time
``DEADLINE_EXCEEDED``; ``legato._retry`` decides which of them to try again.

Two aiohttp sessions: short calls share one pool of at most 100 connections, and long
polls have their own, unlimited, so that a hundred polls held open by the server cannot
keep a call waiting for a connection until its timeout runs out.

Credentials: an explicit ``api_key``; else the token in the file ``LEGATO_TOKEN_FILE``
names (the operator mounts a projected ServiceAccount token there on worker pods, and
kubelet rotates it, so it is re-read whenever the file changes); else ``LEGATO_API_KEY``.
Each is sent as ``Authorization: Bearer <token>``.
"""

from __future__ import annotations

import asyncio
import io
import logging
import os
import ssl
from collections.abc import Mapping
from pathlib import Path
from urllib.parse import quote

import aiohttp
import pydantic

from legato.api.workflowservice.v1 import ErrorBody
from legato.exceptions import RPCError, RPCStatusCode

logger = logging.getLogger(__name__)

_STATUS_BY_HTTP = {
    400: RPCStatusCode.INVALID_ARGUMENT,
    401: RPCStatusCode.UNAUTHENTICATED,
    403: RPCStatusCode.PERMISSION_DENIED,
    404: RPCStatusCode.NOT_FOUND,
    409: RPCStatusCode.ALREADY_EXISTS,
    410: RPCStatusCode.NOT_FOUND,
    412: RPCStatusCode.FAILED_PRECONDITION,
    413: RPCStatusCode.INVALID_ARGUMENT,
    422: RPCStatusCode.INVALID_ARGUMENT,
    429: RPCStatusCode.RESOURCE_EXHAUSTED,
    501: RPCStatusCode.UNIMPLEMENTED,
    # A proxy in front (an ingress) could not reach the server: it is restarting.
    502: RPCStatusCode.UNAVAILABLE,
    503: RPCStatusCode.UNAVAILABLE,
    504: RPCStatusCode.DEADLINE_EXCEEDED,
}


def base_url(target: str, *, tls: bool) -> str:
    """``localhost:7233`` → ``http://localhost:7233``; a full URL is kept."""
    if target.startswith(("http://", "https://")):
        return target.rstrip("/")
    return f"{'https' if tls else 'http'}://{target}"


# Connections of the short calls' pool (aiohttp's default); long polls are not counted.
SHORT_CALL_CONNECTIONS = 100


async def _close_at_loop_exit(session: aiohttp.ClientSession) -> None:
    """Close ``session`` when this task is cancelled.

    Temporal's client has no close(), so ported code never calls ours; asyncio.run()
    cancels every task still pending when the program ends, which closes the session
    here instead of leaving aiohttp to warn about it.
    """
    try:
        await asyncio.Event().wait()
    except asyncio.CancelledError:
        await session.close()
        raise
    # A loop closed with this task still pending closes the coroutine (GeneratorExit):
    # nothing may be awaited then, so the session is left to be collected.


TOKEN_FILE_ENV = "LEGATO_TOKEN_FILE"
API_KEY_ENV = "LEGATO_API_KEY"


class TokenFile:
    """A bearer token kept in a file, re-read when the file changes.

    kubelet rotates a projected ServiceAccount token by swapping the file, so reading it
    once at start would fail an hour later; reading it on every call would cost a read
    per poll. A ``stat`` per call is cheap and notices the swap (new inode or mtime).
    """

    def __init__(self, path: str) -> None:
        self.path = path
        self._stamp: tuple[int, int, int] | None = None
        self._token: str | None = None

    def token(self) -> str:
        """The file's current token.

        Raises:
            RPCError: UNAUTHENTICATED when the file cannot be read and no earlier read succeeded.
        """
        try:
            st = os.stat(self.path)
            stamp = (st.st_mtime_ns, st.st_ino, st.st_size)
            if stamp != self._stamp or self._token is None:
                self._token = Path(self.path).read_text().strip()
                self._stamp = stamp
        except OSError as e:
            if self._token is None:
                raise RPCError(
                    f"Cannot read the token file {self.path} ({TOKEN_FILE_ENV}): {e.strerror or e}",
                    RPCStatusCode.UNAUTHENTICATED,
                    b"",
                ) from e
            # Mid-rotation or briefly unmounted: the last token is still good for a while.
            logger.warning("Cannot re-read the token file %s (%s); using the previous token", self.path, e)
        return self._token


def credentials(api_key: str | None, environ: Mapping[str, str] | None = None) -> str | TokenFile | None:
    """The caller's bearer token: ``api_key``, else ``$LEGATO_TOKEN_FILE``, else ``$LEGATO_API_KEY``."""
    env = os.environ if environ is None else environ
    if api_key:
        return api_key
    if env.get(TOKEN_FILE_ENV):
        return TokenFile(env[TOKEN_FILE_ENV])
    return env.get(API_KEY_ENV) or None


class _Session:
    """One aiohttp session, opened on first use (a session must be made inside the running
    loop) and closed with the loop if nobody closes it first.

    A session belongs to its loop, but a Temporal client may be used from several in turn
    (a test framework's session-wide client in per-test loops): a call from another loop
    gets a session of its own, and the old one closes with its loop.
    """

    def __init__(self, connections: int, ssl_context: ssl.SSLContext | None = None) -> None:
        self._connections = connections
        self._ssl = ssl_context
        self._session: aiohttp.ClientSession | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._closer: asyncio.Task[None] | None = None

    def get(self) -> aiohttp.ClientSession:
        loop = asyncio.get_running_loop()
        if self._session is None or self._session.closed or self._loop is not loop:
            connector = aiohttp.TCPConnector(limit=self._connections, ssl=self._ssl if self._ssl else True)
            self._session = aiohttp.ClientSession(connector=connector)
            self._loop = loop
            self._closer = loop.create_task(_close_at_loop_exit(self._session))
        return self._session

    async def close(self) -> None:
        # Another loop's session closes with that loop: it cannot be awaited from this one.
        if self._loop is not asyncio.get_running_loop():
            self._session, self._closer, self._loop = None, None, None
            return
        if self._closer is not None:
            self._closer.cancel()
            self._closer = None
        if self._session is not None:
            await self._session.close()
            self._session = None


class Transport:
    """HTTP to one server and namespace: a session for short calls, one for long polls."""

    def __init__(
        self,
        target: str,
        *,
        namespace: str,
        api_key: str | None = None,
        tls: bool | ssl.SSLContext = False,
    ) -> None:
        context = tls if isinstance(tls, ssl.SSLContext) else None
        self.base_url = base_url(target, tls=bool(tls))
        self.namespace = namespace
        self._credentials = credentials(api_key)
        self._short = _Session(SHORT_CALL_CONNECTIONS, context)
        # 0: no limit. Each held poll needs a connection of its own for as long as it waits.
        self._long = _Session(0, context)

    def set_api_key(self, api_key: str | None) -> None:
        """Send ``api_key`` from the next call on (``Client.api_key = ...``)."""
        self._credentials = credentials(api_key)

    @property
    def api_key(self) -> str | None:
        """The explicit or environment API key; None for a token file or no credentials."""
        return self._credentials if isinstance(self._credentials, str) else None

    async def close(self) -> None:
        """Close the sessions; a later call opens new ones."""
        await self._short.close()
        await self._long.close()

    def url(self, path: str, **path_args: str) -> str:
        """The URL of an API path with its placeholders filled in (quoted)."""
        quoted = {k: quote(v, safe="") for k, v in path_args.items()}
        return self.base_url + path.format(namespace=quote(self.namespace, safe=""), **quoted)

    def headers(self) -> dict[str, str]:
        """The headers of the next call: ``Authorization`` when there are credentials."""
        if self._credentials is None:
            return {}
        token = self._credentials if isinstance(self._credentials, str) else self._credentials.token()
        return {"Authorization": f"Bearer {token}"}

    async def request(
        self,
        method: str,
        path: str,
        *,
        path_args: Mapping[str, str],
        params: Mapping[str, str],
        body: str | None,
        http_timeout: float,
        long_poll: bool = False,
        extra_headers: Mapping[str, str] | None = None,
    ) -> str | None:
        """Make one call; returns the answer's text, or None for 204.

        Raises:
            TaskNotFoundError: The task token no longer holds its task (HTTP 410).
            RPCError: The server could not be reached, timed out, or answered 4xx/5xx.
        """
        url = self.url(path, **path_args)
        # The caller's rpc_metadata first, so it can never replace the credentials.
        headers = {**(extra_headers or {}), **self.headers()}
        data = None
        if body is not None:
            headers["Content-Type"] = "application/json"
            # A stream, not bytes: aiohttp warns that a raw body past 1 MiB blocks the loop.
            data = io.BytesIO(body.encode())
        session = (self._long if long_poll else self._short).get()
        try:
            async with session.request(
                method,
                url,
                data=data,
                params=params,
                headers=headers,
                timeout=aiohttp.ClientTimeout(total=http_timeout),
            ) as response:
                text = await response.text()
                status = response.status
        # First: aiohttp's socket timeouts are ClientErrors too, but the call may have been done.
        except TimeoutError as e:
            raise RPCError(
                f"{method} {url} timed out after {http_timeout}s", RPCStatusCode.DEADLINE_EXCEEDED, b""
            ) from e
        except aiohttp.ClientError as e:
            raise RPCError(
                f"Cannot reach the Legato server at {self.base_url}: {e}", RPCStatusCode.UNAVAILABLE, b""
            ) from e
        if status == 204:
            return None
        if status >= 400:
            raise _error(status, text, f"{method} {path}")
        return text


class TaskNotFoundError(RPCError):
    """A worker's answer to a task its attempt no longer holds (it timed out, was retried,
    was already answered, or the run closed): the server recorded nothing, and there is
    nothing to retry."""


def _error(status: int, text: str, what: str) -> RPCError:
    code = _STATUS_BY_HTTP.get(status, _fallback_status(status))
    try:
        body = ErrorBody.model_validate_json(text)
    except pydantic.ValidationError:
        error = RPCError(f"{what} failed with HTTP {status}: {text[:500]}", code, b"")
        error.http_status = status
        return error
    kind = TaskNotFoundError if body.error == "TaskNotFound" else RPCError
    error = kind(body.message, code, b"")
    # What the server said, beyond Temporal's three attributes: retry and error mapping read it.
    error.http_status = status
    error.error = body.error
    error.field = body.field
    error.workflow_id = body.workflow_id
    error.run_id = body.run_id
    return error


def _fallback_status(status: int) -> RPCStatusCode:
    return RPCStatusCode.INTERNAL if status >= 500 else RPCStatusCode.UNKNOWN
