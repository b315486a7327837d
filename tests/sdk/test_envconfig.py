"""Client settings load from temporal.toml profiles and TEMPORAL_* variables as Temporal's do.

The expected values were checked against temporalio 1.35's envconfig on the same inputs.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from legato.envconfig import ClientConfig, ClientConfigProfile, ClientConfigTLS, ConfigError
from legato.service import TLSConfig

TOML = b"""
[profile.default]
address = "file:7233"
namespace = "from-file"
[profile.default.grpc_meta]
my-header = "v1"

[profile.prod]
address = "prod:7233"
api_key = "secret"
[profile.prod.tls]
server_ca_cert_data = "CA"
"""


def test_environment_overrides_the_file_and_adds_headers() -> None:
    env = {"TEMPORAL_ADDRESS": "env:1", "TEMPORAL_GRPC_META_SOME_KEY": "x"}
    profile = ClientConfigProfile.load(config_source=TOML, override_env_vars=env)
    assert (profile.address, profile.namespace) == ("env:1", "from-file")
    assert profile.grpc_meta == {"my-header": "v1", "some-key": "x"}


def test_profile_is_chosen_by_temporal_profile_from_temporal_config_file(tmp_path: Path) -> None:
    path = tmp_path / "temporal.toml"
    path.write_bytes(TOML)
    env = {"TEMPORAL_CONFIG_FILE": str(path), "TEMPORAL_PROFILE": "prod"}
    config = ClientConfigProfile.load(override_env_vars=env).to_client_connect_config()
    assert config == {
        "target_host": "prod:7233",
        "api_key": "secret",
        "tls": TLSConfig(server_root_ca_cert=b"CA"),
    }


def test_an_api_key_turns_tls_on_unless_tls_is_turned_off() -> None:
    on = ClientConfigProfile(api_key="k").to_client_connect_config()
    off = ClientConfigProfile.load(
        config_source=TOML, override_env_vars={"TEMPORAL_API_KEY": "k", "TEMPORAL_TLS": "false"}
    )
    assert on["tls"] is True
    assert off.to_client_connect_config()["tls"] is False


def test_legato_variables_win_over_their_temporal_twins() -> None:
    env = {"TEMPORAL_NAMESPACE": "temporal", "LEGATO_NAMESPACE": "legato"}
    assert ClientConfigProfile.load(config_source=TOML, override_env_vars=env).namespace == "legato"


def test_a_named_profile_that_is_missing_is_an_error_but_a_missing_default_is_not() -> None:
    with pytest.raises(ConfigError, match="Profile 'nope' not found"):
        ClientConfigProfile.load("nope", config_source=TOML, override_env_vars={})
    empty = ClientConfigProfile.load(config_source=b'[profile.other]\naddress = "x"\n', override_env_vars={})
    assert empty.to_client_connect_config() == {}


def test_strict_loading_names_the_unknown_key() -> None:
    with pytest.raises(ConfigError, match="bogus"):
        ClientConfigProfile.load(config_source=b"[profile.default]\nbogus = 1\n", config_file_strict=True)


def test_disable_env_ignores_overrides_but_still_finds_the_file(tmp_path: Path) -> None:
    path = tmp_path / "temporal.toml"
    path.write_bytes(TOML)
    env = {"TEMPORAL_CONFIG_FILE": str(path), "TEMPORAL_ADDRESS": "ignored:1"}
    assert ClientConfigProfile.load(disable_env=True, override_env_vars=env).address == "file:7233"


def test_certificate_paths_are_read_when_connecting(tmp_path: Path) -> None:
    ca = tmp_path / "ca.pem"
    ca.write_bytes(b"PEM")
    env = {"TEMPORAL_TLS_SERVER_CA_CERT_PATH": str(ca)}
    profile = ClientConfigProfile.load(config_source=TOML, override_env_vars=env)
    assert profile.tls == ClientConfigTLS(server_root_ca_cert=ca)
    assert profile.tls.to_connect_tls_config() == TLSConfig(server_root_ca_cert=b"PEM")


def test_all_profiles_round_trip_through_dicts() -> None:
    config = ClientConfig.load(config_source=TOML)
    assert ClientConfig.from_dict(config.to_dict()) == config
    assert config.to_dict()["prod"] == {
        "address": "prod:7233",
        "api_key": "secret",
        "tls": {"server_ca_cert": {"data": "CA"}},
    }
