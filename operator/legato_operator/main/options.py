"""The command line's options, one row each: flag, environment variable, type, default, help.

A row lists the commands that take it; where a command's default differs (``dev`` serves
on loopback), ``defaults`` says so. ``--auth`` has no default here: unset, the lifecycle
picks the mode from the others, and tells an unset mode from ``--auth none``. The environment variable,
when set, replaces the default, and a flag given on the command line wins over both.
"""

from __future__ import annotations

import argparse
import os
import re
import socket
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

from legato_operator import limits
from legato_operator.engine.rules import retention
from legato_operator.k8s.scope import INSTANCE_LABEL
from legato_operator.main import admin

RUN, DEV, MIGRATE = "run", "dev", "migrate"
SERVING = (RUN, DEV)
DEFAULT_PORT = 7233
AUTH_MODES = ("none", "kubernetes", "tokens")


def _absolute(path: str) -> Path:
    return Path(path).absolute()


def _period(text: str) -> timedelta:
    try:
        period = retention.parse_duration(text)
    except ValueError as e:
        raise argparse.ArgumentTypeError(str(e)) from None
    if period < retention.MINIMUM_PERIOD:
        raise argparse.ArgumentTypeError(f"{text!r} is under the minimum retention of {retention.MINIMUM_PERIOD}")
    return period


def _ttl(text: str) -> timedelta:
    try:
        return retention.parse_duration(text)
    except ValueError as e:
        raise argparse.ArgumentTypeError(str(e)) from None


def _names(text: str) -> tuple[str, ...]:
    return tuple(n.strip() for n in text.split(",") if n.strip())


# What Kubernetes accepts as a namespace name and as a label value (empty is a valid value).
_DNS_LABEL = re.compile(r"[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?")
_LABEL_VALUE = re.compile(r"([A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)?")


def _dns_label(text: str) -> str:
    if not _DNS_LABEL.fullmatch(text):
        raise argparse.ArgumentTypeError(f"{text!r} is not a DNS label (a-z, 0-9 and '-', at most 63 characters)")
    return text


def _dns_labels(text: str) -> tuple[str, ...]:
    return tuple(_dns_label(n) for n in _names(text))


def _label_value(text: str) -> str:
    if not _LABEL_VALUE.fullmatch(text):
        raise argparse.ArgumentTypeError(f"{text!r} is not a Kubernetes label value")
    return text


def _periods(text: str) -> dict[str, timedelta]:
    try:
        overrides = retention.parse_overrides(text)
    except ValueError as e:
        raise argparse.ArgumentTypeError(str(e)) from None
    for namespace, period in overrides.items():
        if period < retention.MINIMUM_PERIOD:
            raise argparse.ArgumentTypeError(
                f"{namespace}: {period} is under the minimum of {retention.MINIMUM_PERIOD}"
            )
    return overrides


@dataclass(frozen=True)
class Option:
    """One option of one or more commands."""

    flag: str
    commands: tuple[str, ...]
    help: str
    env: str | None = None
    type: Callable[[str], Any] = str
    default: Any = None
    # A command whose default differs from ``default``.
    defaults: Mapping[str, Any] = field(default_factory=dict)
    metavar: str | None = None
    choices: Sequence[str] | None = None
    # A switch: present or not; takes no value and no environment variable.
    switch: bool = False

    def add_to(self, parser: argparse.ArgumentParser, command: str) -> None:
        """Add this option to ``command``'s parser."""
        if self.switch:
            parser.add_argument(self.flag, action="store_true", help=self.help)
            return
        default = self.defaults.get(command, self.default)
        if self.env is not None:
            default = os.environ.get(self.env, default)
        parser.add_argument(
            self.flag,
            type=self.type,
            default=default,
            metavar=self.metavar,
            choices=self.choices,
            help=self.help
            + (f" [${self.env}]" if self.env else "")
            + ("" if default is None else f" (default: {default})"),
        )


OPTIONS: tuple[Option, ...] = (
    Option("--database-url", (RUN, MIGRATE), "the Postgres DSN", env="LEGATO_DATABASE_URL"),
    Option(
        "--host",
        SERVING,
        "address to listen on",
        # A server in a pod listens on every interface; on a laptop, on loopback only.
        default="0.0.0.0",
        defaults={DEV: "127.0.0.1"},
    ),
    Option("--port", SERVING, "port of the API and metrics", env="LEGATO_PORT", type=int, default=DEFAULT_PORT),
    Option(
        "--max-payload-bytes",
        SERVING,
        "largest payload a caller may send (arguments, results, signals), through the API or a Workflow resource",
        type=int,
        default=limits.DEFAULT_MAX_PAYLOAD_BYTES,
    ),
    Option(
        "--clock-offset",
        SERVING,
        "run the server's clock ahead by this much (tests)",
        type=float,
        default=0.0,
        metavar="SECONDS",
    ),
    Option(
        "--time-skipping",
        SERVING,
        "a test server: while nothing runs and nobody holds the clock, it jumps to the next timer "
        "(one replica only; the testing operations need it)",
        switch=True,
    ),
    Option(
        "--retention",
        SERVING,
        "how long closed runs are kept (with their history) before any replica deletes them, as 7d, 72h or 90m; "
        "at least 1h",
        env="LEGATO_RETENTION",
        type=_period,
        default="7d",
        metavar="DURATION",
    ),
    Option(
        "--namespace-retention",
        SERVING,
        "per-namespace retention overriding --retention, as team-a=30d,ci=2h",
        env="LEGATO_NAMESPACE_RETENTION",
        type=_periods,
        default="",
        metavar="NS=DURATION,...",
    ),
    Option(
        "--namespaces",
        SERVING,
        "namespaces to register at start, besides default (which always exists), as team-a,team-b; "
        "a call in a namespace not registered is refused as not found",
        env="LEGATO_NAMESPACES",
        type=_names,
        default="",
        metavar="NS,...",
    ),
    Option(
        "--auth",
        SERVING,
        "who may call the API: none (everyone: dev only), kubernetes (ServiceAccount tokens by TokenReview), "
        "tokens (only --tokens-file); unset: kubernetes for run, else tokens if --tokens-file is given, else "
        "none -- but only on a loopback --host: serving everyone on another address needs --auth none",
        env="LEGATO_AUTH",
        choices=AUTH_MODES,
    ),
    Option(
        "--tokens-file",
        SERVING,
        "YAML/JSON {tokens: [{name, token, namespaces}]} of static client tokens; with --auth kubernetes they "
        "are accepted besides ServiceAccount tokens",
        env="LEGATO_TOKENS_FILE",
        metavar="PATH",
    ),
    Option("--no-kubernetes", (RUN,), "serve without the Kubernetes operator", switch=True),
    Option("--kubeconfig", (RUN,), "unset: in-cluster, else ~/.kube/config", env="KUBECONFIG"),
    Option(
        "--lease-namespace",
        (RUN,),
        "namespace of the Lease that elects the replica running the reconcilers",
        env="LEGATO_OPERATOR_NAMESPACE",
        default="default",
    ),
    Option(
        "--lease-name",
        (RUN,),
        "name of that Lease; two releases in one namespace need two names",
        env="LEGATO_LEASE_NAME",
        type=_dns_label,
        default="legato-operator",
    ),
    Option(
        "--watch-namespaces",
        (RUN,),
        "reconcile only the Workflows, TaskQueues and Schedules of these Kubernetes namespaces, as "
        "team-a,team-b (unset: every namespace)",
        env="LEGATO_WATCH_NAMESPACES",
        type=_dns_labels,
        default="",
        metavar="NS,...",
    ),
    Option(
        "--instance",
        (RUN,),
        f"reconcile only the resources labelled {INSTANCE_LABEL}=<this> (unset: only those without the label), "
        "so that two operators watching one namespace never handle the same resource",
        env="LEGATO_INSTANCE",
        type=_label_value,
        default="",
    ),
    Option(
        "--advertise-address",
        (RUN,),
        "host:port workers are given as LEGATO_ADDRESS (unset: --host:--port)",
        env="LEGATO_ADVERTISE_ADDRESS",
    ),
    Option("--identity", (RUN,), "this replica's name", default=f"{socket.gethostname()}-{os.getpid()}"),
    Option(
        "--scale-interval",
        (RUN,),
        "how often the leader reads every TaskQueue's backlog and scales its workers",
        env="LEGATO_SCALE_INTERVAL",
        type=float,
        default=5.0,
        metavar="SECONDS",
    ),
    Option(
        "--status-interval",
        (RUN,),
        "write a running Workflow's status back at most this often (a close is written at once)",
        env="LEGATO_STATUS_INTERVAL",
        type=float,
        default=2.0,
        metavar="SECONDS",
    ),
    Option(
        "--stuck-after",
        (RUN,),
        "how long a Workflow's workflow task may wait on a task queue no worker polls before the Workflow "
        "shows Progressing=False (NoPollers or TaskQueueMissing)",
        env="LEGATO_STUCK_AFTER",
        type=float,
        default=60.0,
        metavar="SECONDS",
    ),
    Option(
        "--workflow-ttl-after-finished",
        (RUN,),
        "delete Workflow resources this long after their run finished, unless their spec.ttlAfterFinished "
        "says otherwise (as 1h or 7d; unset: keep them)",
        env="LEGATO_WORKFLOW_TTL_AFTER_FINISHED",
        type=_ttl,
        metavar="DURATION",
    ),
    Option(
        "--cancel-grace",
        (RUN,),
        "how long deleting a Workflow with onDelete: Cancel waits for its run to close before terminating it",
        env="LEGATO_CANCEL_GRACE",
        type=float,
        default=30.0,
        metavar="SECONDS",
    ),
    Option(
        "--data-dir",
        (DEV,),
        "folder of the embedded Postgres",
        type=_absolute,
        default=".legato-dev",
        metavar="DIR",
    ),
    Option("--then", (DEV,), "run this shell command with LEGATO_ADDRESS set, then exit", metavar="CMD"),
    Option("--keep-running", (DEV,), "keep serving after --then's command ends", switch=True),
)

COMMANDS = {
    RUN: "serve the API, fire timers and (unless --no-kubernetes) reconcile",
    MIGRATE: "apply the database migrations and exit",
    DEV: "embedded Postgres + server, for a laptop",
}


def parser() -> argparse.ArgumentParser:
    """The parser of ``legato-operator``, built from ``OPTIONS``."""
    top = argparse.ArgumentParser(prog="legato-operator", description="Legato's server and operator.")
    top.add_argument("--log-level", default=os.environ.get("LEGATO_LOG_LEVEL", "INFO"), help="[$LEGATO_LOG_LEVEL]")
    commands = top.add_subparsers(dest="command", required=True)
    for command, summary in COMMANDS.items():
        sub = commands.add_parser(command, help=summary)
        for option in OPTIONS:
            if command in option.commands:
                option.add_to(sub, command)
    admin.add_parsers(commands, os.environ.get("LEGATO_DATABASE_URL"))
    return top
