"""Legato's public names and signatures are temporalio's, so ported code keeps working.

The table ``temporalio_signatures.json`` is temporalio 1.35's surface, written by
``scripts/temporalio_signatures.py``; this test reads Legato's live objects the same way
(``tests.support.signatures``) and compares. A name temporalio has and Legato lacks, or a
signature that differs (parameter names, kinds, order, defaults; enum values; fields),
fails, unless the allow-list below says why it differs. An allow-list entry that no
longer matches a difference fails too, so the list only shrinks.

Entries are ``fnmatch`` patterns over the table's keys (``module:Name`` or
``module:Class.member``), or ``key(param)`` for one parameter of one signature.
"""

from __future__ import annotations

import fnmatch
import json
from pathlib import Path
from typing import Any

import pytest

from tests.support import signatures

TABLE = json.loads((Path(__file__).parent / "temporalio_signatures.json").read_text())["entries"]

# --- owned by other parts of the work in progress; each part removes its own entries ---
IN_PROGRESS: dict[str, str] = {
    # Payloads, converters and codecs (DataConverter with codec fields, Payload, pydantic).
    "converter:*": "payload converters and codecs: being made Temporal's",
    "contrib.pydantic:*": "pydantic data converter: being added with the converters",
    "client:DataConverter*": "re-export of converter.DataConverter: being made Temporal's",
}

# --- features of later issues: queries, updates, children, continue-as-new, patching, ... ---
LATER: dict[str, str] = {
    "client:Client.*activity*": "standalone activities started by a client: not planned yet",
    "client:*Activities*": "standalone activities: not planned yet",
    "client:*.*_activities": "standalone activities: not planned yet",
    "client:Client.*_nexus_operations": "Nexus: not planned",
    "client:*Activity*": "standalone activities (started by a client): not planned yet",
    "client:AsyncActivityHandle.with_context": "serialization contexts: not planned",
    "client:OutboundInterceptor.*activity*": "standalone activities' hooks: not planned yet",
    "client:PendingActivityState": "a standalone activity's run state: not planned yet",
    "*exus*": "Nexus: not planned",
    "*uildId*": "worker versioning: not planned",
    "*uild_id*": "worker versioning: not planned",
    "*ersioning*": "worker versioning: not planned",
    "*eployment*": "worker deployments: not planned",
    "*askReachability*": "worker versioning: not planned",
    "*task_reachability*": "worker versioning: not planned",
    "*lugin*": "plugins: not planned",
    "common:Metric*": "SDK metrics API: not planned",
    "*metric_meter*": "SDK metrics API: not planned",
    "worker:*Slot*": "slot tuners: not planned",
    "worker:*Tuner*": "slot tuners: not planned",
    "worker:SharedStateManager": "multi-process activity executors: not planned",
    "worker:SharedHeartbeatSender": "multi-process activity executors: not planned",
    "worker:WorkerConfig": "Worker.config(): with plugins, not planned",
    "worker:Worker.config": "Worker.config(): with plugins, not planned",
    "worker:Interceptor.intercept_nexus_operation": "Nexus: not planned",
    "*CloudOperationsClient": "Temporal Cloud: not applicable",
    "service:CloudService": "Temporal Cloud: not applicable",
    "service:*Service": "raw gRPC services: Legato speaks HTTP (client.workflow_service is its typed client)",
    "*ServiceClient": "the gRPC service client: Legato's is legato._service.ServiceClient",
    "client:Client.test_service": "the time-skipping test service: legato.testing does it in-process",
    "*ConnectConfig": "gRPC connection config: Client.connect takes the same arguments",
    "*DnsLoadBalancingConfig": "gRPC DNS balancing: not applicable to HTTP",
    "*GrpcCompression": "gRPC compression: not applicable to HTTP",
    "*PayloadLimitsConfig": "payload size warnings: the server enforces its own limits",
    "*erializationContext*": "serialization contexts: with the converters",
    "*StorageDriver*": "external payload storage: not planned",
    "client:ClientConnectConfig": "envconfig's TypedDict re-export: see envconfig",
    "client:Callback": "Nexus completion callbacks: not planned",
    "client:OutboundInterceptor.start_nexus_operation": "Nexus: not planned",
    "exceptions:ActivityAlreadyStartedError": "standalone activities: not planned yet",
    "exceptions:InvalidVersioningOverrideError": "worker versioning: not planned",
    "common:ActivityID*Policy": "standalone activities: not planned yet",
    "common:*VersioningOverride": "worker versioning: not planned",
    "common:WorkerDeploymentVersion": "worker deployments: not planned",
    "common:RetryPolicy.*_proto": "protobuf conversions: Legato's are to_api/from_api",
    "workflow:EventGroup": "event groups (UI): accepted as event_groups= and dropped",
    "workflow:create_event_group": "event groups (UI): not planned",
    "workflow:*_details": "workflow details (UI): not planned",
    "workflow:VersioningIntent": "worker versioning: not planned",
    "workflow:extern_functions": "sandbox extern functions: not applicable",
    "workflow:signal_with_start_workflow": "temporalio's is a Nexus operation of the system endpoint: no Nexus",
    "worker:WorkflowOutboundInterceptor.start_signal_with_start_workflow": "a Nexus operation in temporalio: no Nexus",
    "workflow:NexusClient": "Nexus: not planned",
    "workflow:LoggerAdapter.log": "LoggerAdapter.log override: logging works through the standard one",
}

# Typing helpers in temporalio's __all__: aliases and TypeVars for its overloads, not API.
TYPING_HELPERS: dict[str, str] = {
    f"*:{name}": "a typing helper of temporalio's overloads"
    for name in (
        "AnyType",
        "CallableAsync*",
        "CallableSync*",
        "LocalReturnType",
        "Method*Param",
        "MethodSync*",
        "MethodAsync*",
        "MultiParamSpec",
        "ParamType",
        "ProtocolReturnType",
        "SelfType",
    )
}

# --- Legato's own, documented differences (docs/programming-guide.md, "Porting from Temporal") ---
DIFFERENCES: dict[str, str] = {
    "client:Client.connect(target_host)": "defaults to $LEGATO_ADDRESS, else localhost:7233 (worker pods get it set)",
    "client:Client.connect(namespace)": "defaults to $LEGATO_NAMESPACE, else 'default'",
    "client:Client.connect(grpc_compression)": "None: gRPC compression does not apply to HTTP",
    "client:Client.connect(payload_limits)": "None: the server enforces its own payload limits",
    "worker:Worker(task_queue)": "defaults to $LEGATO_TASK_QUEUE (set by the operator on worker pods)",
    "workflow:ExternalWorkflowHandle": "made by get_external_workflow_handle(_for); temporalio's is abstract",
    "worker:Replayer*": "no workflow_replay_iterator, config(), interceptors or plugins; namespace 'default'",
    "worker:ReplayerConfig": "no Replayer.config()",
    "worker:*WorkflowRunner.*": "runners choose the guard's policy; they create no instances of their own",
    "worker:WorkflowInstance*": "the guard runs workflows in Legato's own loop: no pluggable instance classes",
    "worker:Worker(unsandboxed_workflow_runner)": "the same class, where temporalio's default is its private module's",
    "client:WorkflowHistory*": "no run_id or to_json_dict (histories are keyed by workflow id)",
    "workflow:unsafe.*": "no import-notification policies and no read-only mode in the guard",
    "workflow:SandboxImportNotificationPolicy": "the guard does not re-import modules, so has no import notifications",
    "workflow:LoggerAdapter.unsafe_disable_sandbox": "workflow.logger needs no sandbox escape under the guard",
    "common:RetryPolicy(max_attempts)": "an alias of maximum_attempts, the spelling of other SDKs",
    "runtime:*Metric*": "metrics are Prometheus only (PrometheusConfig); no buffered or OpenTelemetry metrics",
    "runtime:OpenTelemetry*": "no OpenTelemetry export",
    "runtime:LogForwardingConfig": "no log forwarding: the SDK logs through Python's logging",
    "runtime:LoggingFormat": "no core-log formats: the SDK logs through Python's logging",
    "testing:TimeSkipp*": "no per-workflow (V2) time skipping: one skipping clock (start_time_skipping)",
    "testing:WorkflowEnvironment.start_time_skipping_v2": "no per-workflow (V2) time skipping",
    "testing:WorkflowEnvironment.fast_forward": "no per-workflow (V2) time skipping: env.sleep() skips",
    "testing:WorkflowEnvironment.get_time_skipping_info": "no per-workflow (V2) time skipping",
    "testing:WorkflowEnvironment.with_time_skipping_disabled": "no per-workflow (V2) time skipping",
    "testing:WorkflowEnvironment.*_nexus_endpoint": "no Nexus",
}

ALLOWED = {**IN_PROGRESS, **LATER, **TYPING_HELPERS, **DIFFERENCES}


def _allowed_params(key: str) -> set[str]:
    return {p[len(key) + 1 : -1] for p in ALLOWED if p.startswith(key + "(") and p.endswith(")")}


def _allowed(key: str) -> bool:
    """Whether ``key``, or the class it is a member of, is allow-listed."""
    module, _, path = key.partition(":")
    parts = path.split(".")
    keys = [f"{module}:{'.'.join(parts[: i + 1])}" for i in range(len(parts))]
    return any("(" not in p and fnmatch.fnmatchcase(k, p) for p in ALLOWED for k in keys)


def _without_allowed_params(key: str, expected: dict[str, Any], actual: dict[str, Any]) -> dict[str, Any]:
    """``actual`` with the allow-listed parameters taken as temporalio has them."""
    allowed = _allowed_params(key)
    if not allowed or actual.get("params") is None:
        return actual
    theirs = {p[0]: p for p in expected.get("params") or []}
    # An allowed parameter of Legato's own is left out; an allowed one of theirs taken as theirs.
    params = [
        theirs.get(p[0], p) if p[0] in allowed else p for p in actual["params"] if p[0] in theirs or p[0] not in allowed
    ]
    return {**actual, "params": params}


def _differences() -> dict[str, str]:
    """Every key where Legato differs from temporalio, with how."""
    found: dict[str, str] = {}
    for key, expected in TABLE.items():
        actual = signatures.resolve("legato", key)
        if actual is None:
            found[key] = "missing"
            continue
        problem = signatures.mismatch(expected, _without_allowed_params(key, expected, actual))
        if problem is not None:
            found[key] = problem
    return found


@pytest.fixture(scope="module")
def differences() -> dict[str, str]:
    return _differences()


def test_every_temporalio_name_is_in_legato_or_allow_listed(differences: dict[str, str]) -> None:
    missing = sorted(k for k, how in differences.items() if how == "missing" and not _allowed(k))
    assert missing == [], "temporalio has these and Legato does not (add them, or allow-list them with a reason)"


def test_legato_signatures_match_temporalio_or_are_allow_listed(differences: dict[str, str]) -> None:
    wrong = {k: how for k, how in sorted(differences.items()) if how != "missing" and not _allowed(k)}
    assert wrong == {}, "these differ from temporalio (match them, or allow-list them with a reason)"


def test_every_allow_list_entry_still_names_a_difference(differences: dict[str, str]) -> None:
    def raw_param_differs(entry: str) -> bool:
        key, param = entry[:-1].split("(", 1)
        actual = signatures.resolve("legato", key)
        theirs = {p[0]: p for p in TABLE[key].get("params") or []}
        ours = {p[0]: p for p in (actual or {}).get("params") or []}
        return theirs.get(param) != ours.get(param)

    stale = [
        entry
        for entry in ALLOWED
        if not (raw_param_differs(entry) if "(" in entry else any(fnmatch.fnmatchcase(k, entry) for k in differences))
    ]
    assert stale == [], "these allow-list entries no longer name a difference: remove them"


def test_table_covers_the_modules_legato_mirrors() -> None:
    modules = {key.split(":")[0] for key in TABLE}
    assert modules == set(signatures.MODULES)
