"""Reading ``temporal.toml`` profiles and ``TEMPORAL_*`` variables, as Temporal's SDKs do.

Precedence, highest first: environment variables, then the profile in the TOML file. The
file is ``config_source`` when given, else ``$TEMPORAL_CONFIG_FILE``, else the user's
config directory's ``temporalio/temporal.toml`` (a missing default file is no error).
The profile is the one asked for, else ``$TEMPORAL_PROFILE``, else ``default``; asking for
one the file does not have is an error, a missing ``default`` is not.

Legato's own variables (``LEGATO_ADDRESS``, ``LEGATO_NAMESPACE``, ``LEGATO_API_KEY``,
``LEGATO_CONFIG_FILE``, ``LEGATO_PROFILE``), which the operator sets on worker pods, are
read too and win over their ``TEMPORAL_*`` twins.
"""

from __future__ import annotations

import os
import sys
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

# Keys a profile and its tls table may have (strict loading refuses others).
PROFILE_KEYS = frozenset({"address", "namespace", "api_key", "tls", "codec", "grpc_meta"})
TLS_KEYS = frozenset(
    {"disabled", "server_name"}
    | {f"{name}_{form}" for name in ("server_ca_cert", "client_cert", "client_key") for form in ("path", "data")}
)
_SIMPLE_ENV = {"address": "ADDRESS", "namespace": "NAMESPACE", "api_key": "API_KEY"}
_TLS_ENV = {"server_ca_cert": "SERVER_CA_CERT", "client_cert": "CLIENT_CERT", "client_key": "CLIENT_KEY"}
_GRPC_META_PREFIX = "TEMPORAL_GRPC_META_"


class ConfigError(ValueError):
    """The configuration file or a profile is not valid (names the file, profile or key)."""


def env_value(env: Mapping[str, str], name: str) -> str | None:
    """``LEGATO_<name>``, else ``TEMPORAL_<name>``; None when neither is set."""
    return env.get(f"LEGATO_{name}") or env.get(f"TEMPORAL_{name}")


def default_config_file(env: Mapping[str, str]) -> Path:
    """Where Temporal's SDKs look for ``temporal.toml`` on this OS."""
    if sys.platform == "darwin":
        base = Path.home() / "Library" / "Application Support"
    elif os.name == "nt":
        base = Path(env.get("APPDATA", Path.home()))
    else:
        base = Path(env.get("XDG_CONFIG_HOME") or Path.home() / ".config")
    return base / "temporalio" / "temporal.toml"


def read_file(source: Path | str | bytes | None, env: Mapping[str, str], *, disable_file: bool) -> dict[str, Any]:
    """The parsed TOML of ``source`` (a path, or the text or bytes of a file), or of the default file."""
    if source is None and disable_file:
        return {}
    if isinstance(source, bytes):
        return _parse(source.decode(), "config_source")
    if isinstance(source, str):
        return _parse(source, "config_source")
    path = source or _file_from_env(env)
    if path is None:
        path = default_config_file(env)
        if not path.exists():
            return {}
    try:
        return _parse(Path(path).read_text(), str(path))
    except OSError as e:
        raise ConfigError(f"Cannot read the client config file {path}: {e.strerror or e}") from e


def _file_from_env(env: Mapping[str, str]) -> Path | None:
    value = env_value(env, "CONFIG_FILE")
    return Path(value) if value else None


def _parse(text: str, where: str) -> dict[str, Any]:
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise ConfigError(f"The client config {where} is not valid TOML: {e}") from e


def profiles(document: Mapping[str, Any], *, strict: bool) -> dict[str, dict[str, Any]]:
    """Each ``[profile.<name>]`` table of a parsed file, checked when ``strict``."""
    tables = document.get("profile", {})
    if strict:
        for name, table in tables.items():
            _check_keys(table, PROFILE_KEYS, f"profile {name!r}")
            _check_keys(table.get("tls", {}), TLS_KEYS, f"profile {name!r} tls")
    return {name: dict(table) for name, table in tables.items()}


def _check_keys(table: Mapping[str, Any], allowed: frozenset[str], where: str) -> None:
    unknown = sorted(set(table) - allowed)
    if unknown:
        raise ConfigError(f"Unknown key(s) {unknown} in {where}; expected some of {sorted(allowed)}")


def apply_env(profile: dict[str, Any], env: Mapping[str, str]) -> dict[str, Any]:
    """``profile`` with the environment's settings over it."""
    result = dict(profile)
    for key, name in _SIMPLE_ENV.items():
        value = env_value(env, name)
        if value:
            result[key] = value
    tls = _tls_from_env(dict(result.get("tls") or {}), env)
    if tls:
        result["tls"] = tls
    meta = {
        k[len(_GRPC_META_PREFIX) :].lower().replace("_", "-"): v
        for k, v in env.items()
        if k.startswith(_GRPC_META_PREFIX)
    }
    if meta:
        result["grpc_meta"] = {**result.get("grpc_meta", {}), **meta}
    return result


def _tls_from_env(tls: dict[str, Any], env: Mapping[str, str]) -> dict[str, Any]:
    enabled = env.get("TEMPORAL_TLS")
    if enabled:
        tls["disabled"] = enabled.strip().lower() not in ("true", "1")
    if env.get("TEMPORAL_TLS_SERVER_NAME"):
        tls["server_name"] = env["TEMPORAL_TLS_SERVER_NAME"]
    for key, name in _TLS_ENV.items():
        for form in ("path", "data"):
            value = env.get(f"TEMPORAL_TLS_{name}_{form.upper()}")
            if value:
                tls = {k: v for k, v in tls.items() if not k.startswith(f"{key}_")} | {f"{key}_{form}": value}
    return tls


def source_of(tls: Mapping[str, Any], key: str) -> Path | bytes | None:
    """A certificate's source in a tls table: a ``Path`` for ``<key>_path``, bytes for ``<key>_data``."""
    if tls.get(f"{key}_path"):
        return Path(tls[f"{key}_path"])
    if tls.get(f"{key}_data"):
        return str(tls[f"{key}_data"]).encode()
    return None


def read_source(source: Path | str | bytes | None) -> bytes | None:
    """The bytes of a certificate source (a file's content for a ``Path``)."""
    if source is None:
        return None
    if isinstance(source, Path):
        return source.read_bytes()
    return source.encode() if isinstance(source, str) else source
