"""Client settings from a ``temporal.toml`` file and the environment, as ``temporalio.envconfig``.

::

    profile = ClientConfigProfile.load()          # TEMPORAL_PROFILE, else "default"
    client = await Client.connect(**profile.to_client_connect_config())

The file, the profile and the variables are found as Temporal's SDKs find them
(``legato._envconfig`` says how); ``LEGATO_*`` twins of the variables win over
``TEMPORAL_*`` ones. A profile's ``codec`` table (a remote codec server for the CLI) is
accepted and unused.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypedDict, cast

from legato import _envconfig
from legato._envconfig import ConfigError
from legato.service import TLSConfig

__all__ = [
    "ClientConfig",
    "ClientConfigProfile",
    "ClientConfigProfileDict",
    "ClientConfigTLS",
    "ClientConfigTLSDict",
    "ClientConnectConfig",
    "ConfigError",
    "DataSource",
]

DataSource = Path | str | bytes
"""Where configuration comes from: a file's path, or its contents as text or bytes."""


class ClientConfigTLSDict(TypedDict, total=False):
    """A profile's TLS settings as a dictionary (``to_dict``/``from_dict``)."""

    disabled: bool | None
    server_name: str
    server_ca_cert: Mapping[str, str]
    client_cert: Mapping[str, str]
    client_key: Mapping[str, str]


class ClientConfigProfileDict(TypedDict, total=False):
    """A profile as a dictionary (``to_dict``/``from_dict``)."""

    address: str
    namespace: str
    api_key: str
    tls: ClientConfigTLSDict
    grpc_meta: Mapping[str, str]


class ClientConnectConfig(TypedDict, total=False):
    """The arguments of ``Client.connect`` that a profile sets."""

    target_host: str
    namespace: str
    api_key: str
    tls: bool | TLSConfig
    rpc_metadata: Mapping[str, str]


def _source_dict(source: DataSource | None) -> dict[str, str]:
    if source is None:
        return {}
    if isinstance(source, Path):
        return {"path": str(source)}
    return {"data": source.decode() if isinstance(source, bytes) else source}


def _from_source_dict(d: Mapping[str, str] | None) -> DataSource | None:
    if not d:
        return None
    if d.get("path"):
        return Path(d["path"])
    return d["data"].encode() if d.get("data") else None


@dataclass(frozen=True)
class ClientConfigTLS:
    """A profile's TLS settings."""

    disabled: bool | None = None
    """True turns TLS off, False on; None when the profile does not say."""
    server_name: str | None = None
    """The server name to verify (SNI)."""
    server_root_ca_cert: DataSource | None = None
    """The root CA the server's certificate must chain to."""
    client_cert: DataSource | None = None
    """The client certificate, for mutual TLS."""
    client_private_key: DataSource | None = None
    """The client's private key, for mutual TLS."""

    def to_dict(self) -> ClientConfigTLSDict:
        """The settings as a dictionary, as they are written in a file."""
        d: dict[str, Any] = {}
        if self.disabled is not None:
            d["disabled"] = self.disabled
        if self.server_name is not None:
            d["server_name"] = self.server_name
        sources = {
            "server_ca_cert": self.server_root_ca_cert,
            "client_cert": self.client_cert,
            "client_key": self.client_private_key,
        }
        d.update({k: _source_dict(v) for k, v in sources.items() if v is not None})
        return cast(ClientConfigTLSDict, d)

    def to_connect_tls_config(self) -> bool | TLSConfig:
        """``Client.connect``'s ``tls``: False when disabled, else a ``TLSConfig``."""
        if self.disabled is True:
            return False
        return TLSConfig(
            domain=self.server_name,
            server_root_ca_cert=_envconfig.read_source(self.server_root_ca_cert),
            client_cert=_envconfig.read_source(self.client_cert),
            client_private_key=_envconfig.read_source(self.client_private_key),
        )

    @classmethod
    def from_dict(cls, d: ClientConfigTLSDict | None) -> ClientConfigTLS | None:
        """The settings of a dictionary; None for none."""
        if not d:
            return None
        return cls(
            disabled=d.get("disabled"),
            server_name=d.get("server_name"),
            server_root_ca_cert=_from_source_dict(d.get("server_ca_cert")),
            client_cert=_from_source_dict(d.get("client_cert")),
            client_private_key=_from_source_dict(d.get("client_key")),
        )


@dataclass(frozen=True)
class ClientConfigProfile:
    """One profile: where to connect and how."""

    address: str | None = None
    """The server's ``host:port``."""
    namespace: str | None = None
    """The namespace."""
    api_key: str | None = None
    """The API key (turns TLS on unless the profile turns it off)."""
    tls: ClientConfigTLS | None = None
    """TLS settings."""
    grpc_meta: Mapping[str, str] = field(default_factory=dict)
    """Headers sent with every call (``rpc_metadata``)."""

    @classmethod
    def from_dict(cls, d: ClientConfigProfileDict) -> ClientConfigProfile:
        """The profile of a dictionary."""
        return cls(
            address=d.get("address"),
            namespace=d.get("namespace"),
            api_key=d.get("api_key"),
            tls=ClientConfigTLS.from_dict(d.get("tls")),
            grpc_meta=dict(d.get("grpc_meta") or {}),
        )

    def to_dict(self) -> ClientConfigProfileDict:
        """The profile as a dictionary, as it is written in a file."""
        d: dict[str, Any] = {k: v for k, v in (("address", self.address), ("namespace", self.namespace)) if v}
        if self.api_key is not None:
            d["api_key"] = self.api_key
        if self.tls is not None and (tls := self.tls.to_dict()):
            d["tls"] = tls
        if self.grpc_meta:
            d["grpc_meta"] = dict(self.grpc_meta)
        return cast(ClientConfigProfileDict, d)

    def to_client_connect_config(self) -> ClientConnectConfig:
        """The arguments for ``Client.connect(**...)``; only what the profile sets."""
        config: dict[str, Any] = {}
        if self.address:
            config["target_host"] = self.address
        if self.namespace is not None:
            config["namespace"] = self.namespace
        if self.api_key is not None:
            # An API key means TLS unless the profile says otherwise, as in Temporal.
            config["api_key"] = self.api_key
            config["tls"] = True
        if self.tls is not None:
            config["tls"] = self.tls.to_connect_tls_config()
        if self.grpc_meta:
            config["rpc_metadata"] = dict(self.grpc_meta)
        return cast(ClientConnectConfig, config)

    @staticmethod
    def load(
        profile: str | None = None,
        *,
        config_source: DataSource | None = None,
        disable_file: bool = False,
        disable_env: bool = False,
        config_file_strict: bool = False,
        override_env_vars: Mapping[str, str] | None = None,
    ) -> ClientConfigProfile:
        """One profile from the file, with the environment's settings over it.

        Args:
            profile: The profile's name; ``$TEMPORAL_PROFILE``, else ``default``, when None.
            config_source: The file (a path) or its contents, instead of the usual file.
            disable_file: Read no file (unless ``config_source`` is given).
            disable_env: Apply no environment variables (the file is still found by them).
            config_file_strict: Refuse keys Temporal does not define.
            override_env_vars: The environment to read instead of the process's.

        Raises:
            ConfigError: The file is not valid, or the named profile is not in it.
        """
        env = os.environ if override_env_vars is None else override_env_vars
        name = profile or _envconfig.env_value(env, "PROFILE")
        document = _envconfig.read_file(config_source, env, disable_file=disable_file)
        tables = _envconfig.profiles(document, strict=config_file_strict)
        if name and name not in tables:
            raise ConfigError(f"Profile {name!r} not found")
        table = tables.get(name or "default", {})
        if not disable_env:
            table = _envconfig.apply_env(table, env)
        return ClientConfigProfile.from_dict(_profile_dict(table))


def _profile_dict(table: Mapping[str, Any]) -> ClientConfigProfileDict:
    """A TOML profile table (``server_ca_cert_path = ...``) as a profile dictionary."""
    d: dict[str, Any] = {k: table[k] for k in ("address", "namespace", "api_key", "grpc_meta") if k in table}
    tls = table.get("tls")
    if isinstance(tls, Mapping) and tls:
        tls_dict: dict[str, Any] = {k: tls[k] for k in ("disabled", "server_name") if k in tls}
        for key in ("server_ca_cert", "client_cert", "client_key"):
            source = _envconfig.source_of(tls, key)
            if source is not None:
                tls_dict[key] = _source_dict(source)
        d["tls"] = tls_dict
    return cast(ClientConfigProfileDict, d)


@dataclass
class ClientConfig:
    """Every profile of a file (without environment overrides)."""

    profiles: Mapping[str, ClientConfigProfile]
    """The profiles by name."""

    def to_dict(self) -> Mapping[str, ClientConfigProfileDict]:
        """The profiles as dictionaries."""
        return {name: p.to_dict() for name, p in self.profiles.items()}

    @classmethod
    def from_dict(cls, d: Mapping[str, Mapping[str, Any]]) -> ClientConfig:
        """The profiles of a dictionary of profile dictionaries."""
        return cls(
            profiles={name: ClientConfigProfile.from_dict(cast(ClientConfigProfileDict, p)) for name, p in d.items()}
        )

    @staticmethod
    def load(
        *,
        config_source: DataSource | None = None,
        config_file_strict: bool = False,
        override_env_vars: Mapping[str, str] | None = None,
    ) -> ClientConfig:
        """Every profile of the file (``config_source``, else ``$TEMPORAL_CONFIG_FILE``, else the default).

        Raises:
            ConfigError: The file is not valid.
        """
        env = os.environ if override_env_vars is None else override_env_vars
        document = _envconfig.read_file(config_source, env, disable_file=False)
        tables = _envconfig.profiles(document, strict=config_file_strict)
        return ClientConfig(
            profiles={name: ClientConfigProfile.from_dict(_profile_dict(t)) for name, t in tables.items()}
        )

    @staticmethod
    def load_client_connect_config(
        profile: str | None = None,
        *,
        config_file: str | None = None,
        disable_file: bool = False,
        disable_env: bool = False,
        config_file_strict: bool = False,
        override_env_vars: Mapping[str, str] | None = None,
    ) -> ClientConnectConfig:
        """``ClientConfigProfile.load(...).to_client_connect_config()``, with a file path.

        Raises:
            ConfigError: The file is not valid, or the named profile is not in it.
        """
        source = Path(config_file) if config_file and not disable_file else None
        return ClientConfigProfile.load(
            profile,
            config_source=source,
            disable_file=disable_file,
            disable_env=disable_env,
            config_file_strict=config_file_strict,
            override_env_vars=override_env_vars,
        ).to_client_connect_config()
