"""``--kube``: the command line sends the kubeconfig user's bearer token, found as client-go
finds it. Kubeconfigs are written to ``tmp_path``; no kube-apiserver is needed (the last
test runs against the package's server, which checks tokens)."""

from __future__ import annotations

import asyncio
import json
import shutil
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest

from legato._cli import connection, errors, kubeconfig, kubectl_main, main
from legato._cli.app import build_parser
from tests.cli.conftest import ADMIN_TOKEN
from tests.support.server_process import ServerProcess

# No kubectl on this PATH: the kubeconfig is read as JSON by the command line itself.
NO_KUBECTL = {"PATH": ""}
needs_kubectl = pytest.mark.skipif(shutil.which("kubectl") is None, reason="needs kubectl")

EXEC_PLUGIN = """
import json, os, sys
info = json.loads(os.environ["KUBERNETES_EXEC_INFO"])
with open(sys.argv[1], "w") as seen:
    json.dump(info, seen)
token = "exec-" + os.environ["TEAM"]
print(json.dumps({"apiVersion": info["apiVersion"], "kind": "ExecCredential", "status": {"token": token}}))
"""

FAILING_PLUGIN = """
import sys
print("the SSO session expired; run: sso login", file=sys.stderr)
sys.exit(3)
"""


def write_kubeconfig(path: Path, users: dict[str, dict[str, Any]], current: str) -> Path:
    """A kubeconfig (JSON) with one context per user, named as the user; ``current`` selected."""
    config = {
        "apiVersion": "v1",
        "kind": "Config",
        "current-context": current,
        "clusters": [{"name": "dev", "cluster": {"server": "https://127.0.0.1:6443"}}],
        "contexts": [{"name": name, "context": {"cluster": "dev", "user": name}} for name in users],
        "users": [{"name": name, "user": user} for name, user in users.items()],
    }
    path.write_text(json.dumps(config))
    return path


def settings(argv: list[str], env: dict[str, str], *, kubectl_plugin: bool = False) -> connection.Settings:
    args = build_parser().parse_args(["workflow", "list", *argv])
    return connection.resolve(args, env, kubectl_plugin=kubectl_plugin)


@pytest.fixture
def users(tmp_path: Path) -> dict[str, dict[str, Any]]:
    """A user of each kind; ``tokenFile`` relative to the kubeconfig's directory."""
    (tmp_path / "token").write_text("file-token-0123456789\n")
    plugin = tmp_path / "plugin.py"
    plugin.write_text(EXEC_PLUGIN)
    exec_spec = {
        "apiVersion": "client.authentication.k8s.io/v1",
        "command": sys.executable,
        "args": [str(plugin), str(tmp_path / "exec-info.json")],
        "env": [{"name": "TEAM", "value": "team-a"}],
        "interactiveMode": "IfAvailable",
    }
    return {
        "static": {"token": "static-token-0123456789"},
        "from-file": {"tokenFile": "token"},
        "plugin": {"exec": exec_spec},
        "admin-cert": {"client-certificate-data": "LS0tLS1CRUdJTg==", "client-key-data": "LS0tLS1CRUdJTg=="},
    }


@pytest.fixture
def config(tmp_path: Path, users: dict[str, dict[str, Any]]) -> Path:
    return write_kubeconfig(tmp_path / "kubeconfig.json", users, current="static")


def test_kube_sends_the_static_token_of_the_current_users_entry(config: Path) -> None:
    resolved = settings(["--kube", "--kubeconfig", str(config)], NO_KUBECTL)

    assert resolved.api_key == "static-token-0123456789"
    assert resolved.credentials == "the token of kubeconfig user 'static' (context 'static', from its token)"


def test_a_token_file_is_read_relative_to_the_kubeconfig(config: Path) -> None:
    resolved = settings(["--kube", "--context", "from-file"], {**NO_KUBECTL, "KUBECONFIG": str(config)})

    assert resolved.api_key == "file-token-0123456789"
    assert resolved.credentials.endswith(f"from its tokenFile {config.parent / 'token'})")


def test_an_exec_plugin_is_run_with_its_env_and_the_exec_info_and_its_token_sent(config: Path) -> None:
    resolved = settings(["--kube", "--kubeconfig", str(config), "--context", "plugin"], NO_KUBECTL)

    assert resolved.api_key == "exec-team-a"
    assert resolved.credentials.endswith(f"from its exec plugin {sys.executable})")
    # What client-go tells a plugin it runs without a terminal.
    assert json.loads((config.parent / "exec-info.json").read_text()) == {
        "apiVersion": "client.authentication.k8s.io/v1",
        "kind": "ExecCredential",
        "spec": {"interactive": False},
    }


def test_a_client_certificate_user_is_a_usage_error_naming_the_user(
    config: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(kubeconfig.KubeconfigError) as refused:
        settings(["--kube", "--kubeconfig", str(config), "--context", "admin-cert"], NO_KUBECTL)
    code = main(["workflow", "list", "--kube", "--kubeconfig", str(config), "--context", "admin-cert"])

    assert refused.value.message.startswith(
        "kubeconfig user 'admin-cert' (context 'admin-cert') authenticates with a client certificate,"
        " which cannot be sent to Legato"
    )
    assert code == 2
    assert capsys.readouterr().err.startswith("legato: error: kubeconfig user 'admin-cert' (context 'admin-cert')")


def test_a_failing_exec_plugin_exits_4_with_what_it_said(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    plugin = tmp_path / "expired.py"
    plugin.write_text(FAILING_PLUGIN)
    spec = {"apiVersion": "client.authentication.k8s.io/v1beta1", "command": sys.executable, "args": [str(plugin)]}
    config = write_kubeconfig(tmp_path / "kubeconfig.json", {"sso": {"exec": spec}}, current="sso")

    code = main(["workflow", "list", "--kube", "--kubeconfig", str(config)])

    assert code == 4
    assert capsys.readouterr().err.strip() == (
        f"legato: error: the exec plugin '{sys.executable}' of kubeconfig user 'sso' failed (exit 3):"
        " the SSO session expired; run: sso login"
    )


def test_a_flag_or_environment_token_wins_over_the_kubeconfig_which_wins_over_the_profile(
    config: Path, tmp_path: Path
) -> None:
    profile = tmp_path / "temporal.toml"
    profile.write_text('[profile.default]\napi_key = "profile-key"\n')
    env = {**NO_KUBECTL, "KUBECONFIG": str(config), "LEGATO_CONFIG_FILE": str(profile)}

    flag = settings(["--kube", "--api-key", "flag-token"], env)
    variable = settings(["--kube"], {**env, "LEGATO_TOKEN": "env-token"})
    kube = settings([], {**env, "LEGATO_KUBE": "1"})
    without = settings([], env)

    assert (flag.api_key, variable.api_key, kube.api_key) == ("flag-token", "env-token", "static-token-0123456789")
    # Not asked for: the kubeconfig is not read.
    assert (without.api_key, without.credentials) == ("profile-key", "the api_key of profile 'default'")


def test_kubectl_legato_defaults_to_the_kubeconfig_and_goes_without_when_it_gives_none(
    config: Path, tmp_path: Path
) -> None:
    env = {**NO_KUBECTL, "KUBECONFIG": str(config), "XDG_CONFIG_HOME": str(tmp_path)}

    default = settings([], env, kubectl_plugin=True)
    turned_off = settings([], {**env, "LEGATO_KUBE": "0"}, kubectl_plugin=True)
    certificate = settings(["--context", "admin-cert"], env, kubectl_plugin=True)
    no_kubeconfig = settings([], {**env, "KUBECONFIG": str(tmp_path / "absent")}, kubectl_plugin=True)

    assert default.api_key == "static-token-0123456789"
    assert (turned_off.api_key, turned_off.credentials) == (None, "no credentials")
    # A server without auth takes the call; one that asks for a token is told why there was none.
    assert (certificate.api_key, certificate.credentials) == (None, "no credentials")
    assert "the kubeconfig gave none: kubeconfig user 'admin-cert'" in certificate.token_hint
    assert (no_kubeconfig.api_key, no_kubeconfig.token_hint) == (None, errors.TOKEN_HINT)


def test_a_yaml_kubeconfig_without_kubectl_is_an_error_saying_kubectl_is_needed(tmp_path: Path) -> None:
    config = tmp_path / "config"
    config.write_text("apiVersion: v1\nkind: Config\ncurrent-context: dev\n")

    with pytest.raises(kubeconfig.KubeconfigError) as refused:
        settings(["--kube", "--kubeconfig", str(config)], NO_KUBECTL)

    assert refused.value.message.startswith(
        f"the kubeconfig {config} is not JSON, and kubectl is needed to read a YAML kubeconfig"
    )


@needs_kubectl
def test_a_yaml_kubeconfig_is_read_through_kubectl_with_the_context_asked_for(tmp_path: Path) -> None:
    (tmp_path / "token").write_text("yaml-file-token\n")
    config = tmp_path / "config"
    config.write_text(
        textwrap.dedent(
            """\
            apiVersion: v1
            kind: Config
            current-context: admin
            clusters:
            - name: dev
              cluster: {server: "https://127.0.0.1:6443"}
            contexts:
            - {name: admin, context: {cluster: dev, user: admin}}
            - {name: ci, context: {cluster: dev, user: ci}}
            users:
            - {name: admin, user: {client-certificate-data: LS0tLS1CRUdJTg==}}
            - {name: ci, user: {tokenFile: token}}
            """
        )
    )

    resolved = settings(["--kube", "--kubeconfig", str(config), "--context", "ci"], {})
    with pytest.raises(kubeconfig.KubeconfigError) as unknown:
        settings(["--kube", "--kubeconfig", str(config), "--context", "prod"], {})

    assert (resolved.api_key, resolved.credentials) == (
        "yaml-file-token",
        f"the token of kubeconfig user 'ci' (context 'ci', from its tokenFile {tmp_path / 'token'})",
    )
    assert unknown.value.message == "kubectl cannot read the kubeconfig: cannot locate context prod"


@pytest.mark.e2e
async def test_kubectl_legato_is_let_in_with_the_kubeconfig_users_token(
    cli_server: ServerProcess, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    config = write_kubeconfig(tmp_path / "kubeconfig.json", {"admin": {"token": ADMIN_TOKEN}}, current="admin")
    for variable in ("LEGATO_TOKEN", "LEGATO_TOKEN_FILE", "LEGATO_API_KEY", "TEMPORAL_API_KEY", "LEGATO_KUBE"):
        monkeypatch.delenv(variable, raising=False)
    monkeypatch.setenv("KUBECONFIG", str(config))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    flags = ["--address", cli_server.address]

    plugin = await asyncio.to_thread(kubectl_main, ["operator", "namespace", "list", *flags])
    plugin_out = capsys.readouterr().out
    kube = await asyncio.to_thread(main, ["workflow", "count", "--kube", *flags])
    kube_out = capsys.readouterr().out
    # Plain `legato` reads no kubeconfig unless asked.
    plain = await asyncio.to_thread(main, ["workflow", "count", *flags])

    assert (plugin, kube) == (0, 0)
    assert "team-a" in plugin_out
    assert kube_out.startswith("Total: ")
    assert plain == 4
    assert "needs a token" in capsys.readouterr().err
