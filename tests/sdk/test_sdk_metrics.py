"""The SDK's metrics follow their config: Temporal's prefix, tags, units and buckets."""

from __future__ import annotations

from prometheus_client import generate_latest

from legato._metrics import SdkMetrics


def _text(metrics: SdkMetrics) -> str:
    return generate_latest(metrics.registry).decode()


def test_durations_are_milliseconds_by_default_and_seconds_when_asked() -> None:
    ms, s = SdkMetrics(), SdkMetrics(durations_as_seconds=True)
    for metrics in (ms, s):
        metrics.observe("request_latency", 0.25, namespace="default", operation="x")
    assert 'temporal_request_latency_bucket{le="500.0",namespace="default",operation="x"} 1.0' in _text(ms)
    assert 'temporal_request_latency_bucket{le="0.1",namespace="default",operation="x"} 0.0' in _text(s)
    assert 'temporal_request_latency_bucket{le="0.5",namespace="default",operation="x"} 1.0' in _text(s)


def test_the_prefix_tags_and_unit_suffix_are_applied() -> None:
    metrics = SdkMetrics(prefix="myapp_", global_tags={"team": "orders"}, unit_suffix=True)
    metrics.count("workflow_completed", namespace="n", task_queue="q", workflow_type="W")
    metrics.observe(
        "activity_execution_latency", 1.0, namespace="n", task_queue="q", activity_type="a", workflow_type="W"
    )
    text = _text(metrics)
    assert 'myapp_workflow_completed_total{namespace="n",task_queue="q",team="orders",workflow_type="W"} 1.0' in text
    assert "myapp_activity_execution_latency_milliseconds_count" in text
