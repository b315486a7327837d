"""The SDK's process-wide runtime and its telemetry settings, as ``temporalio.runtime``.

Temporal's runtime owns a Rust core with its own logging and metrics. Legato's SDK is
Python only: it logs through Python's ``logging`` (configure that as usual). Its metrics
are Temporal's core SDK metrics, by name and label (``temporal_request``,
``temporal_workflow_completed``, ``temporal_activity_execution_latency``, ...; see
``legato._metrics``), counted by each runtime for its clients and their workers and
served over HTTP when ``TelemetryConfig(metrics=PrometheusConfig(bind_address=...))``.
OpenTelemetry and buffered metrics are not supported: a runtime given one says so.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, ClassVar

from legato import _metrics

__all__ = ["LoggingConfig", "PrometheusConfig", "Runtime", "TelemetryConfig", "TelemetryFilter"]

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class TelemetryFilter:
    """Log levels of Temporal's core and of everything else (kept, not applied: see the module)."""

    core_level: str
    """Level of the core's own logs."""
    other_level: str
    """Level of other crates' logs."""

    def formatted(self) -> str:
        """The filter in Temporal's ``RUST_LOG``-like form."""
        return f"{self.other_level},temporal_sdk_core={self.core_level},temporal_client={self.core_level}"


@dataclass(frozen=True)
class LoggingConfig:
    """Logging of the runtime (Temporal's fields; Legato logs through Python's ``logging``)."""

    filter: TelemetryFilter | str
    """The levels to log at."""
    forwarding: Any = None
    """Where core logs are forwarded: unused, there are none."""
    format: Any = None
    """The core logs' format: unused."""
    default: ClassVar[LoggingConfig]
    """Temporal's default: core at WARN, others at ERROR."""


LoggingConfig.default = LoggingConfig(filter=TelemetryFilter(core_level="WARN", other_level="ERROR"))


@dataclass(frozen=True)
class PrometheusConfig:
    """A Prometheus endpoint for the SDK's metrics (Temporal's fields).

    Counters always end in ``_total`` (prometheus_client's exposition), whatever
    ``counters_total_suffix`` says.
    """

    bind_address: str
    """``host:port`` to serve on."""
    counters_total_suffix: bool = False
    """Append ``_total`` to counters."""
    unit_suffix: bool = False
    """Append units to names."""
    durations_as_seconds: bool = False
    """Durations in seconds instead of milliseconds."""
    histogram_bucket_overrides: Mapping[str, Any] | None = None
    """Buckets per histogram."""


@dataclass(frozen=True)
class TelemetryConfig:
    """What the runtime logs and where its metrics go."""

    logging: LoggingConfig | None = LoggingConfig.default
    """Logging settings."""
    metrics: Any = None
    """A ``PrometheusConfig`` to serve the SDK's metrics on; Temporal's OpenTelemetry and
    buffer configs are refused."""
    global_tags: Mapping[str, str] = field(default_factory=dict)
    """Tags on every metric."""
    attach_service_name: bool = True
    """Tag metrics with the service name."""
    metric_prefix: str | None = None
    """Prefix of every metric name."""


class Runtime:
    """The SDK's runtime: one per process by default (``Runtime.default()``)."""

    _default: ClassVar[Runtime | None] = None
    _default_prevented: ClassVar[bool] = False

    def __init__(
        self,
        *,
        telemetry: TelemetryConfig,
        worker_heartbeat_interval: timedelta | None = timedelta(seconds=60),
        disable_environment_info: bool = False,
    ) -> None:
        """Make a runtime with these telemetry settings.

        Args:
            telemetry: Logging and metrics settings (see the module on what applies).
            worker_heartbeat_interval: Temporal's worker heartbeats to the server; unused.
            disable_environment_info: Temporal's environment info in heartbeats; unused.

        Raises:
            NotImplementedError: ``telemetry.metrics`` is not a ``PrometheusConfig``.
            OSError: The Prometheus address cannot be bound.
        """
        config = telemetry.metrics
        if config is not None and not isinstance(config, PrometheusConfig):
            raise NotImplementedError(f"Legato's SDK serves metrics to Prometheus only, not {type(config).__name__}")
        tags = {
            **({"service_name": "temporal-core-sdk"} if telemetry.attach_service_name else {}),
            **telemetry.global_tags,
        }
        self.metrics = _metrics.SdkMetrics(
            prefix=telemetry.metric_prefix,
            global_tags=tags,
            durations_as_seconds=config.durations_as_seconds if config else False,
            unit_suffix=config.unit_suffix if config else False,
        )
        if config is not None:
            self.metrics.serve(config.bind_address)
        self.telemetry = telemetry
        self.worker_heartbeat_interval = worker_heartbeat_interval
        self.disable_environment_info = disable_environment_info

    @classmethod
    def default(cls) -> Runtime:
        """The process's default runtime, made on first use unless ``prevent_default()`` was called.

        Raises:
            RuntimeError: ``prevent_default()`` was called and no default was set.
        """
        if Runtime._default is None:
            if Runtime._default_prevented:
                raise RuntimeError("Cannot create default Runtime after Runtime.prevent_default has been called")
            Runtime._default = cls(telemetry=TelemetryConfig())
        return Runtime._default

    @classmethod
    def prevent_default(cls) -> None:
        """Refuse to make a default runtime from now on (``default()`` raises until one is set).

        Raises:
            RuntimeError: A default runtime already exists.
        """
        if Runtime._default is not None:
            raise RuntimeError("Runtime default already set")
        Runtime._default_prevented = True

    @staticmethod
    def set_default(runtime: Runtime, *, error_if_already_set: bool = True) -> None:
        """Make ``runtime`` the default.

        Raises:
            RuntimeError: A default exists already and ``error_if_already_set``.
        """
        if Runtime._default is not None and error_if_already_set:
            raise RuntimeError("Runtime default already set")
        Runtime._default = runtime
