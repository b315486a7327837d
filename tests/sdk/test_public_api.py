"""Each public module's names are pinned: a change to them is a change to the ported API."""

from __future__ import annotations

import importlib
from pathlib import Path

import pytest

PUBLIC = {
    "legato.workflow": [
        "ActivityCancellationType",
        "ActivityHandle",
        "ChildWorkflowCancellationType",
        "ChildWorkflowHandle",
        "ContinueAsNewError",
        "ContinueAsNewVersioningBehavior",
        "DynamicWorkflowConfig",
        "ExternalWorkflowHandle",
        "HandlerUnfinishedPolicy",
        "Info",
        "LoggerAdapter",
        "NondeterminismError",
        "ParentClosePolicy",
        "ParentInfo",
        "ReadOnlyContextError",
        "RootInfo",
        "as_completed",
        "continue_as_new",
        "defn",
        "deprecate_patch",
        "dynamic_config",
        "execute_activity",
        "execute_activity_method",
        "execute_child_workflow",
        "get_dynamic_query_handler",
        "get_dynamic_signal_handler",
        "get_external_workflow_handle",
        "get_external_workflow_handle_for",
        "get_query_handler",
        "get_signal_handler",
        "in_workflow",
        "info",
        "init",
        "logger",
        "memo",
        "memo_value",
        "now",
        "patched",
        "payload_converter",
        "query",
        "random",
        "run",
        "set_dynamic_query_handler",
        "set_dynamic_signal_handler",
        "set_query_handler",
        "set_signal_handler",
        "signal",
        "sleep",
        "start_activity",
        "start_activity_method",
        "start_child_workflow",
        "time",
        "time_ns",
        "unsafe",
        "upsert_memo",
        "uuid4",
        "wait",
        "wait_condition",
    ],
    "legato.activity": [
        "ActivityCancellationDetails",
        "Info",
        "LoggerAdapter",
        "cancellation_details",
        "client",
        "defn",
        "heartbeat",
        "in_activity",
        "info",
        "is_cancelled",
        "is_worker_shutdown",
        "logger",
        "metric_meter",
        "payload_converter",
        "raise_complete_async",
        "shield_thread_cancel_exception",
        "wait_for_cancelled",
        "wait_for_cancelled_sync",
        "wait_for_worker_shutdown",
        "wait_for_worker_shutdown_sync",
    ],
    "legato.client": [
        "ActivityCancellationDetails",
        "AsyncActivityCancelledError",
        "AsyncActivityHandle",
        "AsyncActivityIDReference",
        "CancelWorkflowInput",
        "CompleteAsyncActivityInput",
        "FailAsyncActivityInput",
        "HeartbeatAsyncActivityInput",
        "ReportCancellationAsyncActivityInput",
        "Client",
        "ClientConfig",
        "DescribeWorkflowInput",
        "FetchWorkflowHistoryEventsInput",
        "HeaderCodecBehavior",
        "HttpConnectProxyConfig",
        "Interceptor",
        "KeepAliveConfig",
        "OutboundInterceptor",
        "QueryWorkflowInput",
        "RPCError",
        "RPCStatusCode",
        "RetryConfig",
        "SignalWorkflowInput",
        "StartWorkflowInput",
        "TLSConfig",
        "TerminateWorkflowInput",
        "WorkflowAlreadyStartedError",
        "WorkflowContinuedAsNewError",
        "WorkflowExecution",
        "WorkflowExecutionDescription",
        "WorkflowExecutionStatus",
        "WorkflowFailureError",
        "WorkflowHandle",
        "WorkflowHistory",
        "WorkflowHistoryEventAsyncIterator",
        "WorkflowHistoryEventFilterType",
        "WorkflowQueryFailedError",
        "WorkflowQueryRejectedError",
    ],
    "legato.worker": [
        "ActivityInboundInterceptor",
        "ActivityOutboundInterceptor",
        "ContinueAsNewInput",
        "ExecuteActivityInput",
        "ExecuteWorkflowInput",
        "HandleQueryInput",
        "HandleSignalInput",
        "Interceptor",
        "PollerBehavior",
        "PollerBehaviorAutoscaling",
        "PollerBehaviorSimpleMaximum",
        "Replayer",
        "StartActivityInput",
        "UnsandboxedWorkflowRunner",
        "Worker",
        "WorkflowInboundInterceptor",
        "WorkflowInterceptorClassInput",
        "WorkflowOutboundInterceptor",
        "WorkflowReplayResult",
        "WorkflowReplayResults",
        "WorkflowRunner",
    ],
    "legato.common": [
        "HeaderCodecBehavior",
        "Priority",
        "QueryRejectCondition",
        "RawValue",
        "RetryPolicy",
        "VersioningBehavior",
        "WorkflowIDConflictPolicy",
        "WorkflowIDReusePolicy",
    ],
    "legato.worker.workflow_sandbox": [
        "RestrictedWorkflowAccessError",
        "SandboxMatcher",
        "SandboxRestrictions",
        "SandboxedWorkflowRunner",
        "UnsandboxedWorkflowRunner",
        "WorkflowRunner",
    ],
    "legato.exceptions": [
        "ActivityError",
        "ApplicationError",
        "ApplicationErrorCategory",
        "CancelledError",
        "ChildWorkflowError",
        "FailureError",
        "LegatoError",
        "NondeterminismError",
        "RPCError",
        "RPCStatusCode",
        "RetryState",
        "ServerError",
        "TemporalError",
        "TerminatedError",
        "TimeoutError",
        "TimeoutType",
        "WorkflowAlreadyStartedError",
        "WorkflowFailureError",
        "is_cancelled_exception",
    ],
    "legato.converter": [
        "AdvancedJSONEncoder",
        "BinaryNullPayloadConverter",
        "BinaryPlainPayloadConverter",
        "CompositePayloadConverter",
        "DataConverter",
        "DefaultFailureConverter",
        "DefaultPayloadConverter",
        "EncodingPayloadConverter",
        "FailureConverter",
        "JSONPlainPayloadConverter",
        "JSONTypeConverter",
        "PayloadCodec",
        "PayloadConverter",
        "default",
        "value_to_type",
    ],
    "legato.contrib.pydantic": [
        "PydanticJSONPlainPayloadConverter",
        "PydanticPayloadConverter",
        "pydantic_data_converter",
    ],
    "legato.testing": ["ActivityEnvironment", "WorkflowEnvironment"],
    "legato.envconfig": [
        "ClientConfig",
        "ClientConfigProfile",
        "ClientConfigProfileDict",
        "ClientConfigTLS",
        "ClientConfigTLSDict",
        "ClientConnectConfig",
        "ConfigError",
        "DataSource",
    ],
    "legato.runtime": ["LoggingConfig", "PrometheusConfig", "Runtime", "TelemetryConfig", "TelemetryFilter"],
    "legato.service": [
        "HttpConnectProxyConfig",
        "KeepAliveConfig",
        "RPCError",
        "RPCStatusCode",
        "RetryConfig",
        "TLSConfig",
    ],
}


@pytest.mark.parametrize("module_name", sorted(PUBLIC))
def test_public_module_exports_exactly_its_pinned_names(module_name: str) -> None:
    module = importlib.import_module(module_name)
    assert sorted(module.__all__) == sorted(PUBLIC[module_name])
    for name in module.__all__:
        assert hasattr(module, name), f"{module_name}.{name} is in __all__ but missing"


def test_nondeterminism_error_is_the_same_class_in_workflow_and_exceptions() -> None:
    from legato import exceptions, workflow

    assert workflow.NondeterminismError is exceptions.NondeterminismError
    assert exceptions.TemporalError is exceptions.LegatoError


def test_service_reexports_the_rpc_error_of_exceptions() -> None:
    from legato import exceptions, service

    assert service.RPCError is exceptions.RPCError
    assert service.RPCStatusCode is exceptions.RPCStatusCode


def test_sdk_never_imports_the_server_or_its_dependencies() -> None:
    package = Path(importlib.import_module("legato.workflow").__file__ or "").parent
    for source in package.rglob("*.py"):
        text = source.read_text(encoding="utf-8")
        for forbidden in ("asyncpg", "kopf", "kubernetes", "legato_operator"):
            assert f"import {forbidden}" not in text, (source, forbidden)
            assert f"from {forbidden}" not in text, (source, forbidden)
