"""``WorkflowEnvironment``, as temporalio's: a server to test workflows against.

``start_local`` runs a Legato server and its own Postgres in this process (see
``legato._testing.server``); ``start_time_skipping`` does too, with a server whose clock
jumps to the next timer whenever nothing else can happen; ``from_client`` uses a server
that is already running. Every environment's client makes a failed ``assert`` in
workflow code fail the workflow (an ``ApplicationError`` of type ``AssertionError``)
rather than retry its task forever, as temporalio's does.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Iterator, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from legato import client as client_module
from legato import exceptions, worker
from legato._client.outbound import not_supported
from legato._testing import server as embedded
from legato.api.operatorservice import v1 as operator
from legato.api.testservice import v1 as testing
from legato.common import SearchAttributeKey
from legato.converter import DataConverter
from legato.service import RetryConfig

logger = logging.getLogger(__name__)

# Seconds each wait of ``sleep`` may hold its call; it asks again until the time is reached.
_SLEEP_WAIT = 30.0


class WorkflowEnvironment:
    """A server to test workflows against, with the client to it in ``client``.

    Use ``start_local``, ``start_time_skipping`` or ``from_client``; as an async context
    manager, it shuts down when the block ends.
    """

    @classmethod
    def from_client(cls, client: client_module.Client) -> WorkflowEnvironment:
        """An environment on the server ``client`` talks to; it never skips time, and
        ``shutdown`` leaves that server running."""
        return cls(_with_interceptors(client, _AssertionErrorInterceptor()))

    @classmethod
    async def start_local(
        cls,
        *,
        namespace: str = "default",
        data_converter: DataConverter = DataConverter.default,
        interceptors: Sequence[client_module.Interceptor] = [],  # Temporal's default; never mutated
        plugins: Sequence[Any] = [],  # Temporal's default; never mutated
        default_workflow_query_reject_condition: Any = None,
        retry_config: RetryConfig | None = None,
        rpc_metadata: Mapping[str, str | bytes] = {},  # Temporal's default; never mutated
        identity: str | None = None,
        tls: bool | client_module.TLSConfig = False,
        ip: str = "127.0.0.1",
        port: int | None = None,
        download_dest_dir: str | None = None,
        ui: bool = False,
        runtime: Any = None,
        search_attributes: Sequence[SearchAttributeKey[Any]] = [],  # Temporal's default; never mutated
        dev_server_existing_path: str | None = None,
        dev_server_database_filename: str | None = None,
        dev_server_log_format: str = "pretty",
        dev_server_log_level: str | None = "warn",
        dev_server_download_version: str = "default",
        dev_server_extra_args: Sequence[str] = [],  # Temporal's default; never mutated
        dev_server_download_ttl: timedelta | None = None,
        dev_server_startup_timeout: timedelta | None = None,
        ui_port: int | None = None,
    ) -> WorkflowEnvironment:
        """A Legato server with its own Postgres, in this process, started in about a second.

        Args:
            namespace: The namespace of the environment's client.
            data_converter: As ``Client.connect``'s.
            interceptors: As ``Client.connect``'s.
            plugins: As ``Client.connect``'s.
            default_workflow_query_reject_condition: As ``Client.connect``'s.
            retry_config: As ``Client.connect``'s.
            rpc_metadata: As ``Client.connect``'s.
            identity: As ``Client.connect``'s.
            tls: Not supported: the server listens on plain HTTP; true raises NotImplementedError.
            ip: The address the server listens on.
            port: Its port; a free one when None.
            download_dest_dir: Ignored: nothing is downloaded.
            ui: Ignored: Legato has no web UI yet.
            runtime: As ``Client.connect``'s.
            search_attributes: Search attribute keys registered in the namespace at start.
            dev_server_existing_path: Ignored: the server is this process's.
            dev_server_database_filename: Ignored: each environment has a fresh Postgres,
                removed at shutdown.
            dev_server_log_format: Ignored: the server logs through ``logging``.
            dev_server_log_level: Ignored: the server logs through ``logging``.
            dev_server_download_version: Ignored: nothing is downloaded.
            dev_server_extra_args: Ignored: they are Temporal CLI flags.
            dev_server_download_ttl: Ignored: nothing is downloaded.
            dev_server_startup_timeout: Ignored: a start that fails raises within a minute.
            ui_port: Ignored: Legato has no web UI yet.
        """
        if tls:
            raise not_supported("WorkflowEnvironment.start_local", "tls")
        server = await embedded.start(time_skipping=False, ip=ip, port=port, namespaces=[namespace])
        connect = dict(
            namespace=namespace,
            data_converter=data_converter,
            interceptors=interceptors,
            plugins=plugins,
            default_workflow_query_reject_condition=default_workflow_query_reject_condition,
            retry_config=retry_config,
            rpc_metadata=rpc_metadata,
            identity=identity,
            runtime=runtime,
        )
        client = await _connect_or_stop(server, connect)
        if search_attributes:
            # As the dev server's --search-attribute flags: registered before the first call.
            types = {key.name: operator.SearchAttributeType(key._metadata_type) for key in search_attributes}
            request = operator.AddSearchAttributesRequest(search_attributes=types)
            await client.operator_service.add_search_attributes(request)
        return _LocalEnvironment(_with_interceptors(client, _AssertionErrorInterceptor()), server)

    @classmethod
    async def start_time_skipping(
        cls,
        *,
        data_converter: DataConverter = DataConverter.default,
        interceptors: Sequence[client_module.Interceptor] = [],  # Temporal's default; never mutated
        plugins: Sequence[Any] = [],  # Temporal's default; never mutated
        default_workflow_query_reject_condition: Any = None,
        retry_config: RetryConfig | None = None,
        rpc_metadata: Mapping[str, str | bytes] = {},  # Temporal's default; never mutated
        identity: str | None = None,
        port: int | None = None,
        download_dest_dir: str | None = None,
        runtime: Any = None,
        test_server_existing_path: str | None = None,
        test_server_download_version: str = "default",
        test_server_extra_args: Sequence[str] = [],  # Temporal's default; never mutated
        test_server_download_ttl: timedelta | None = None,
        test_server_startup_timeout: timedelta | None = None,
    ) -> WorkflowEnvironment:
        """A server in this process whose clock skips ahead to the next timer whenever no
        task is ready or running, while the environment's client awaits a result
        (``handle.result()``, ``execute_workflow``) or ``sleep``.

        Unlike Temporal's test server it is the full Legato server: every feature works.

        Args:
            data_converter: As ``Client.connect``'s.
            interceptors: As ``Client.connect``'s.
            plugins: As ``Client.connect``'s.
            default_workflow_query_reject_condition: As ``Client.connect``'s.
            retry_config: As ``Client.connect``'s.
            rpc_metadata: As ``Client.connect``'s.
            identity: As ``Client.connect``'s.
            port: The server's port; a free one when None.
            download_dest_dir: Ignored: nothing is downloaded.
            runtime: As ``Client.connect``'s.
            test_server_existing_path: Ignored: the server is this process's.
            test_server_download_version: Ignored: nothing is downloaded.
            test_server_extra_args: Ignored: they are Temporal test server flags.
            test_server_download_ttl: Ignored: nothing is downloaded.
            test_server_startup_timeout: Ignored: a start that fails raises within a minute.
        """
        server = await embedded.start(time_skipping=True, port=port)
        connect = dict(
            data_converter=data_converter,
            interceptors=interceptors,
            plugins=plugins,
            default_workflow_query_reject_condition=default_workflow_query_reject_condition,
            retry_config=retry_config,
            rpc_metadata=rpc_metadata,
            identity=identity,
            runtime=runtime,
        )
        client = await _connect_or_stop(server, connect)
        return _TimeSkippingEnvironment(client, server)

    def __init__(self, client: client_module.Client) -> None:
        """An environment of ``client``; use one of the class methods instead."""
        self._client = client

    async def __aenter__(self) -> WorkflowEnvironment:
        return self

    async def __aexit__(self, *args: object) -> None:
        await self.shutdown()

    @property
    def client(self) -> client_module.Client:
        """The client to this environment's server."""
        return self._client

    async def connect_client(self, **kwargs: Any) -> client_module.Client:
        """Another client to this environment's server, with this one's namespace,
        credentials and metadata unless ``kwargs`` (``Client.connect``'s) say otherwise."""
        service = self._client.service_client
        options: dict[str, Any] = {
            "namespace": self._client.namespace,
            "api_key": self._client.api_key,
            "rpc_metadata": self._client.rpc_metadata,
            **kwargs,
        }
        return await client_module.Client.connect(service.transport.base_url, **options)

    async def shutdown(self) -> None:
        """Shut the environment down; the server of ``from_client`` keeps running."""

    async def sleep(self, duration: timedelta | float) -> None:
        """Sleep ``duration``: real time here, the server's time in a time-skipping one."""
        await asyncio.sleep(_seconds(duration))

    async def get_current_time(self, handle: client_module.WorkflowHandle[Any, Any] | None = None) -> datetime:
        """The current time of this environment: the machine's, unless it skips time."""
        return datetime.now(UTC)

    @property
    def supports_time_skipping_v1(self) -> bool:
        """Whether this environment's one clock skips time (``start_time_skipping``)."""
        return False

    @property
    def supports_time_skipping_v2(self) -> bool:
        """Temporal's experimental per-workflow clocks: never, in Legato."""
        return False

    @property
    def supports_time_skipping(self) -> bool:
        """Whether this environment skips time."""
        return self.supports_time_skipping_v1 or self.supports_time_skipping_v2

    @contextlib.contextmanager
    def auto_time_skipping_disabled(self) -> Iterator[None]:
        """Within the block, awaiting a result does not let time skip (a no-op here)."""
        yield None


class _LocalEnvironment(WorkflowEnvironment):
    """An environment that owns its in-process server."""

    def __init__(self, client: client_module.Client, server: embedded.EmbeddedServer) -> None:
        super().__init__(client)
        self._server: embedded.EmbeddedServer | None = server

    async def shutdown(self) -> None:
        """Close the client's connections, then stop the server and remove its Postgres."""
        server, self._server = self._server, None
        if server is None:
            return
        try:
            await self._client.service_client.close()
        finally:
            await embedded.stop(server)


class _TimeSkippingEnvironment(_LocalEnvironment):
    """An in-process server whose clock skips; results awaited through ``client`` unlock it."""

    def __init__(self, client: client_module.Client, server: embedded.EmbeddedServer) -> None:
        self._auto_time_skipping = True
        wrapped = _with_interceptors(client, _AssertionErrorInterceptor(), _TimeSkippingInterceptor(self))
        super().__init__(wrapped, server)

    async def sleep(self, duration: timedelta | float) -> None:
        """Let the server's time pass by ``duration``, skipping whenever nothing runs."""
        seconds = _seconds(duration)
        if seconds <= 0:
            return
        until = await self.get_current_time() + timedelta(seconds=seconds)
        request = testing.SleepUntilRequest(timestamp=until, wait=_SLEEP_WAIT)
        while await self._client.service_client.sleep_until(request) is None:
            pass

    async def get_current_time(self, handle: client_module.WorkflowHandle[Any, Any] | None = None) -> datetime:
        """The server's clock: real time plus every jump it made."""
        answer = await self._client.service_client.get_current_time(testing.GetCurrentTimeRequest())
        return answer.time

    @property
    def supports_time_skipping_v1(self) -> bool:
        return True

    @contextlib.contextmanager
    def auto_time_skipping_disabled(self) -> Iterator[None]:
        """Within the block, awaiting a result does not unlock the clock."""
        already = not self._auto_time_skipping
        self._auto_time_skipping = False
        try:
            yield None
        finally:
            if not already:
                self._auto_time_skipping = True

    @contextlib.asynccontextmanager
    async def time_skipping_unlocked(self) -> AsyncIterator[None]:
        """Unlock the clock for the block (unless auto skipping is disabled), and lock it after."""
        if not self._auto_time_skipping:
            yield None
            return
        service = self._client.service_client
        await service.unlock_time_skipping(testing.UnlockTimeSkippingRequest())
        try:
            yield None
        finally:
            try:
                await service.lock_time_skipping(testing.LockTimeSkippingRequest())
            except Exception:
                logger.exception("Could not lock time skipping again after awaiting a result")


class _AssertionErrorInterceptor(client_module.Interceptor, worker.Interceptor):
    """A failed ``assert`` in workflow code fails the workflow instead of its task."""

    def workflow_interceptor_class(
        self, input: worker.WorkflowInterceptorClassInput
    ) -> type[worker.WorkflowInboundInterceptor] | None:
        return _AssertionErrorWorkflowInboundInterceptor


class _AssertionErrorWorkflowInboundInterceptor(worker.WorkflowInboundInterceptor):
    async def execute_workflow(self, input: worker.ExecuteWorkflowInput) -> Any:
        with _assertions_fail_the_workflow():
            return await super().execute_workflow(input)

    async def handle_signal(self, input: worker.HandleSignalInput) -> None:
        with _assertions_fail_the_workflow():
            await super().handle_signal(input)


@contextlib.contextmanager
def _assertions_fail_the_workflow() -> Iterator[None]:
    try:
        yield None
    except AssertionError as err:
        failure = exceptions.ApplicationError(str(err), type="AssertionError", non_retryable=True)
        failure.__traceback__ = err.__traceback__
        raise failure from None


class _TimeSkippingInterceptor(client_module.Interceptor):
    def __init__(self, env: _TimeSkippingEnvironment) -> None:
        self._env = env

    def intercept_client(self, next: client_module.OutboundInterceptor) -> client_module.OutboundInterceptor:
        return _TimeSkippingOutbound(next, self._env)


class _TimeSkippingOutbound(client_module.OutboundInterceptor):
    """Hands out handles whose ``result()`` unlocks the clock while it waits."""

    def __init__(self, next: client_module.OutboundInterceptor, env: _TimeSkippingEnvironment) -> None:
        super().__init__(next)
        self._env = env

    async def start_workflow(self, input: client_module.StartWorkflowInput) -> client_module.WorkflowHandle[Any, Any]:
        handle = await super().start_workflow(input)
        handle.__class__ = _TimeSkippingWorkflowHandle
        assert isinstance(handle, _TimeSkippingWorkflowHandle)
        handle.env = self._env
        return handle


class _TimeSkippingWorkflowHandle(client_module.WorkflowHandle[Any, Any]):
    env: _TimeSkippingEnvironment

    async def result(
        self,
        *,
        follow_runs: bool = True,
        rpc_metadata: Mapping[str, str | bytes] = {},  # Temporal's default; never mutated
        rpc_timeout: timedelta | None = None,
    ) -> Any:
        async with self.env.time_skipping_unlocked():
            return await super().result(follow_runs=follow_runs, rpc_metadata=rpc_metadata, rpc_timeout=rpc_timeout)


def _with_interceptors(client: client_module.Client, *interceptors: client_module.Interceptor) -> client_module.Client:
    config = client.config()
    config["interceptors"] = [*config["interceptors"], *interceptors]
    return client_module.Client(**config)


async def _connect_or_stop(server: embedded.EmbeddedServer, options: dict[str, Any]) -> client_module.Client:
    try:
        return await client_module.Client.connect(server.address, **options)
    except BaseException:
        await embedded.stop(server)
        raise


def _seconds(duration: timedelta | float) -> float:
    return duration.total_seconds() if isinstance(duration, timedelta) else float(duration)
