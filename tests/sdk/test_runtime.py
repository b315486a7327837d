"""legato.runtime: one default runtime per process, set or prevented as in temporalio."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from legato.runtime import LoggingConfig, Runtime, TelemetryConfig


@pytest.fixture(autouse=True)
def fresh_default() -> Iterator[None]:
    saved = (Runtime._default, Runtime._default_prevented)
    Runtime._default, Runtime._default_prevented = None, False
    yield
    Runtime._default, Runtime._default_prevented = saved


def test_default_is_made_once_with_temporals_default_telemetry() -> None:
    assert Runtime.default() is Runtime.default()
    assert Runtime.default().telemetry == TelemetryConfig(logging=LoggingConfig.default)


def test_set_default_refuses_to_replace_a_default_unless_told() -> None:
    Runtime.default()
    other = Runtime(telemetry=TelemetryConfig())
    with pytest.raises(RuntimeError, match="already set"):
        Runtime.set_default(other)
    Runtime.set_default(other, error_if_already_set=False)
    assert Runtime.default() is other


def test_prevent_default_makes_default_raise_until_one_is_set() -> None:
    Runtime.prevent_default()
    with pytest.raises(RuntimeError, match="prevent_default"):
        Runtime.default()
    mine = Runtime(telemetry=TelemetryConfig())
    Runtime.set_default(mine)
    assert Runtime.default() is mine
