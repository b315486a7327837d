"""A no-op metric meter: what ``activity.metric_meter()`` returns until Legato's SDK has metrics.

It has the shape of temporalio's ``MetricMeter`` (``create_counter``, ``create_histogram``,
``create_gauge`` and their ``_float``/``_timedelta`` kin, ``with_additional_attributes``),
so code that records metrics runs unchanged and records nothing.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


class NoopMetric:
    """A counter, histogram or gauge that drops what it is given."""

    def __init__(self, name: str, description: str | None = None, unit: str | None = None) -> None:
        self.name = name
        self.description = description
        self.unit = unit

    def add(self, value: Any, additional_attributes: Mapping[str, Any] | None = None) -> None:
        """Drop a counter increment."""

    def record(self, value: Any, additional_attributes: Mapping[str, Any] | None = None) -> None:
        """Drop a histogram value."""

    def set(self, value: Any, additional_attributes: Mapping[str, Any] | None = None) -> None:
        """Drop a gauge value."""

    def with_additional_attributes(self, additional_attributes: Mapping[str, Any]) -> NoopMetric:
        """The same metric (attributes are dropped too)."""
        return self


class NoopMetricMeter:
    """Creates metrics that record nothing."""

    def _metric(self, name: str, description: str | None = None, unit: str | None = None) -> NoopMetric:
        return NoopMetric(name, description, unit)

    create_counter = _metric
    create_histogram = _metric
    create_histogram_float = _metric
    create_histogram_timedelta = _metric
    create_gauge = _metric
    create_gauge_float = _metric

    def with_additional_attributes(self, additional_attributes: Mapping[str, Any]) -> NoopMetricMeter:
        """The same meter (attributes are dropped too)."""
        return self


NOOP = NoopMetricMeter()
