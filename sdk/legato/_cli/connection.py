"""Where the command line connects, and as whom: flags, then environment, then a profile.

The precedence is the Temporal CLI's: a flag wins over an environment variable, which
wins over the profile (``legato.envconfig``: the ``temporal.toml`` file, profile
``$LEGATO_PROFILE`` or ``default``), which wins over the default (``localhost:7233``,
namespace ``default``). Credentials are a bearer token: ``--api-key``, else
``$LEGATO_TOKEN``, else the file ``$LEGATO_TOKEN_FILE`` names, else ``$LEGATO_API_KEY``,
else the kubeconfig user's token when ``--kube`` (or ``$LEGATO_KUBE=1``) asks for it, else
the profile's ``api_key``. As ``kubectl legato`` the kubeconfig's token is the last
resort even without ``--kube``, as a kubectl plugin user expects; there a kubeconfig that
gives none (a client certificate) leaves the command without credentials, and only a
server that asks for a token hears why.

Each setting remembers where it came from, so an error can say which address was tried
and which credentials the server refused.
"""

from __future__ import annotations

import argparse
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from legato import _envconfig
from legato._cli import errors, kubeconfig
from legato._cli.errors import UsageError
from legato.client import Client
from legato.envconfig import ClientConfigProfile
from legato.service import RetryConfig, TLSConfig

DEFAULT_ADDRESS = "localhost:7233"
DEFAULT_NAMESPACE = "default"

# A person waits for the answer: a server that is down is reported within a few seconds,
# instead of after the SDK's ten seconds of retries.
RETRY = RetryConfig(initial_interval_millis=200, max_interval_millis=1000, max_elapsed_time_millis=3000, max_retries=4)


@dataclass(frozen=True)
class Settings:
    """What to connect to and with, and where each came from."""

    address: str
    namespace: str
    api_key: str | None = None
    tls: bool | TLSConfig = False
    rpc_metadata: Mapping[str, str] = field(default_factory=dict)
    address_source: str = "the default"
    credentials: str = errors.NO_CREDENTIALS
    # What to do about a server that asks for a token when none was sent.
    token_hint: str = errors.TOKEN_HINT

    @property
    def shown_address(self) -> str:
        """The address and where it came from, for messages."""
        return f"{self.address} (from {self.address_source})"


def add_flags(parser: argparse.ArgumentParser) -> None:
    """The connection flags every command takes."""
    group = parser.add_argument_group("connection")
    group.add_argument("--address", help="server host:port or URL [$LEGATO_ADDRESS] (default: localhost:7233)")
    group.add_argument("--namespace", "-n", help="namespace to act in [$LEGATO_NAMESPACE] (default: default)")
    group.add_argument("--api-key", help="bearer token [$LEGATO_TOKEN, $LEGATO_TOKEN_FILE, $LEGATO_API_KEY]")
    group.add_argument(
        "--kube", action="store_true", default=None, help="send the kubeconfig user's token [$LEGATO_KUBE]"
    )
    group.add_argument("--kubeconfig", help="kubeconfig file for --kube [$KUBECONFIG] (default: ~/.kube/config)")
    group.add_argument("--context", help="kubeconfig context for --kube (default: its current-context)")
    group.add_argument("--tls", action="store_true", default=None, help="use https for a bare host:port")
    group.add_argument("--tls-ca-path", help="PEM file of the CA the server's certificate must chain to")
    group.add_argument("--profile", help="profile of the config file [$LEGATO_PROFILE] (default: default)")
    group.add_argument("--config-file", help="client config file (TOML) [$LEGATO_CONFIG_FILE]")


def resolve(args: argparse.Namespace, env: Mapping[str, str], *, kubectl_plugin: bool = False) -> Settings:
    """The settings of ``args`` over ``env`` over the profile over the defaults.

    ``kubectl_plugin``: run as ``kubectl legato``, where the kubeconfig's token is the
    default credentials.

    Raises:
        ConfigError: The config file is not valid, or the named profile is not in it.
        KubeconfigError: ``--kube`` was asked for, and the kubeconfig gives no token.
    """
    source = Path(args.config_file) if args.config_file else None
    # Loaded alone, to tell what the profile itself set (messages name it; its api_key
    # means TLS), and under the environment, for the TEMPORAL_* settings envconfig reads.
    profile = ClientConfigProfile.load(args.profile, config_source=source, disable_env=True, override_env_vars=env)
    merged = ClientConfigProfile.load(args.profile, config_source=source, override_env_vars=env)
    name = args.profile or _envconfig.env_value(env, "PROFILE") or "default"
    address, address_source = _address(args, env, profile, name)
    api_key, credentials = _credentials(args, env, profile, name)
    hint = errors.TOKEN_HINT
    if api_key is None and credentials == errors.NO_CREDENTIALS and _kube(args, env, kubectl_plugin):
        api_key, credentials, hint = _kube_default(args, env)
    return Settings(
        address=address,
        namespace=args.namespace or merged.namespace or DEFAULT_NAMESPACE,
        api_key=api_key,
        tls=_tls(args, profile, merged),
        rpc_metadata=dict(merged.grpc_meta),
        address_source=address_source,
        credentials=credentials,
        token_hint=hint,
    )


def _address(
    args: argparse.Namespace, env: Mapping[str, str], profile: ClientConfigProfile, name: str
) -> tuple[str, str]:
    if args.address:
        return args.address, "--address"
    for variable in ("LEGATO_ADDRESS", "TEMPORAL_ADDRESS"):
        if env.get(variable):
            return env[variable], f"${variable}"
    if profile.address:
        return profile.address, f"profile {name!r}"
    return DEFAULT_ADDRESS, "the default"


def _credentials(
    args: argparse.Namespace, env: Mapping[str, str], profile: ClientConfigProfile, name: str
) -> tuple[str | None, str]:
    if args.api_key:
        return args.api_key, "the token given with --api-key"
    if env.get("LEGATO_TOKEN"):
        return env["LEGATO_TOKEN"], "the token in $LEGATO_TOKEN"
    # The SDK reads the file itself (and again when it changes); only name it here.
    if env.get("LEGATO_TOKEN_FILE"):
        return None, f"the token in the file {env['LEGATO_TOKEN_FILE']} ($LEGATO_TOKEN_FILE)"
    for variable in ("LEGATO_API_KEY", "TEMPORAL_API_KEY"):
        if env.get(variable):
            return env[variable], f"the token in ${variable}"
    # Asked for explicitly: a kubeconfig without a token is an error.
    if _kube_asked(args, env):
        found = kubeconfig.bearer_token(args.kubeconfig, args.context, env)
        return found.token, found.described
    if profile.api_key:
        return profile.api_key, f"the api_key of profile {name!r}"
    return None, errors.NO_CREDENTIALS


def _kube_asked(args: argparse.Namespace, env: Mapping[str, str]) -> bool:
    return bool(args.kube) or _flag_value(env.get("LEGATO_KUBE", "")) is True


def _kube(args: argparse.Namespace, env: Mapping[str, str], kubectl_plugin: bool) -> bool:
    """Whether ``kubectl legato`` falls back on the kubeconfig (``$LEGATO_KUBE=0`` turns it off)."""
    return kubectl_plugin and _flag_value(env.get("LEGATO_KUBE", "")) is not False


def _flag_value(text: str) -> bool | None:
    value = text.strip().lower()
    if value in ("1", "true", "yes", "on"):
        return True
    if value in ("0", "false", "no", "off"):
        return False
    return None


def _kube_default(args: argparse.Namespace, env: Mapping[str, str]) -> tuple[str | None, str, str]:
    """The kubeconfig's token as ``kubectl legato``'s default: its absence is no error."""
    # No kubeconfig at all (a laptop talking to a dev server): nothing to say.
    if not kubeconfig.exists(args.kubeconfig, env):
        return None, errors.NO_CREDENTIALS, errors.TOKEN_HINT
    try:
        found = kubeconfig.bearer_token(args.kubeconfig, args.context, env)
    # A server without auth needs no token; one that asks for it is told why there is none.
    except kubeconfig.KubeconfigError as e:
        return None, errors.NO_CREDENTIALS, f"{errors.TOKEN_HINT}; the kubeconfig gave none: {e.message}"
    return found.token, found.described, errors.TOKEN_HINT


def _tls(args: argparse.Namespace, profile: ClientConfigProfile, merged: ClientConfigProfile) -> bool | TLSConfig:
    if args.tls_ca_path:
        try:
            return TLSConfig(server_root_ca_cert=Path(args.tls_ca_path).read_bytes())
        except OSError as e:
            raise UsageError(f"cannot read --tls-ca-path {args.tls_ca_path}: {e.strerror or e}") from None
    if args.tls:
        return True
    # The profile's tls table (or $TEMPORAL_TLS...); else an api_key in the file means TLS,
    # as Temporal reads profiles. A token from the environment does not: in-cluster
    # addresses are often plain http.
    if merged.tls is not None:
        return merged.tls.to_connect_tls_config()
    return bool(profile.api_key)


async def connect(settings: Settings) -> Client:
    """A client for ``settings`` (nothing is sent until the first call)."""
    return await Client.connect(
        settings.address,
        namespace=settings.namespace,
        api_key=settings.api_key,
        tls=settings.tls,
        rpc_metadata=settings.rpc_metadata,
        retry_config=RETRY,
    )
