"""The connection to the server, as ``temporalio.service``: how calls are retried, and the
error a failed call raises.

``Client.connect(..., retry_config=RetryConfig(...))`` sets how the client's calls are
retried when the server is down, restarting or cannot reach its database; see
``legato._retry`` for which errors are retried and when.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from legato.exceptions import RPCError, RPCStatusCode

__all__ = ["HttpConnectProxyConfig", "KeepAliveConfig", "RPCError", "RPCStatusCode", "RetryConfig", "TLSConfig"]


@dataclass
class TLSConfig:
    """TLS for the connection to the server (Temporal's fields).

    Legato's API is HTTPS when TLS is on: ``server_root_ca_cert`` (PEM) replaces the
    system's CAs and ``client_cert``/``client_private_key`` (PEM) authenticate the
    client. ``domain`` and ``verification_server_name`` (a name to check the server's
    certificate against other than the host's) are not supported yet: a client given
    either refuses to connect rather than check a different name than asked.
    """

    server_root_ca_cert: bytes | None = None
    """Root CA the server's certificate must chain to; the system's CAs when None."""
    domain: str | None = None
    """The server name to verify instead of the target's host (not supported yet)."""
    client_cert: bytes | None = None
    """Client certificate (PEM), for mutual TLS."""
    client_private_key: bytes | None = None
    """Client private key (PEM), for mutual TLS."""
    verification_server_name: str | None = None
    """Another name to verify the server's certificate against (not supported yet)."""


@dataclass(frozen=True)
class KeepAliveConfig:
    """gRPC keep-alive settings (Temporal's fields); accepted and unused over Legato's HTTP API."""

    interval_millis: int = 30000
    """Interval between keep-alive pings."""
    timeout_millis: int = 15000
    """Time a ping may take."""
    default: ClassVar[KeepAliveConfig]
    """The default keep-alive settings."""


KeepAliveConfig.default = KeepAliveConfig()


@dataclass(frozen=True)
class HttpConnectProxyConfig:
    """An HTTP CONNECT proxy to reach the server through (Temporal's fields; not supported yet)."""

    target_host: str
    """The proxy's ``host:port``."""
    basic_auth: tuple[str, str] | None = None
    """User and password for the proxy."""


@dataclass
class RetryConfig:
    """Retry configuration for server calls (Temporal's fields and defaults).

    A call that fails with a transient error (the server unreachable or restarting, 503,
    a timeout of a call that is safe to repeat) is tried again after a backoff that starts
    at ``initial_interval_millis``, grows by ``multiplier`` up to ``max_interval_millis``
    and is jittered by ``randomization_factor``, until the call has been tried
    ``max_retries`` times or ``max_elapsed_time_millis`` have passed since its first try.
    As in Temporal's core SDK, 0 ``max_retries`` and None ``max_elapsed_time_millis``
    mean no limit.
    """

    initial_interval_millis: int = 100
    """Initial backoff interval."""
    randomization_factor: float = 0.2
    """Randomization jitter to add."""
    multiplier: float = 1.5
    """Backoff multiplier."""
    max_interval_millis: int = 5000
    """Maximum backoff interval."""
    max_elapsed_time_millis: int | None = 10000
    """Maximum total time."""
    max_retries: int = 10
    """Maximum number of retries."""
