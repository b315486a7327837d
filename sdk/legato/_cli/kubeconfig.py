"""The bearer token of a kubeconfig's user, found as client-go finds it (``--kube``).

A server that authorizes Kubernetes users (SubjectAccessReview) takes the same bearer
token the API server does, so the command line can act as the person ``kubectl`` acts as.
The kubeconfig is ``--kubeconfig``, else ``$KUBECONFIG`` (a list of files, merged as
kubectl merges them), else ``~/.kube/config``; the context is ``--context``, else its
``current-context``.

Kubeconfig files are YAML, and the SDK has no YAML parser: kubectl reads them
(``kubectl config view --raw --minify -o json``), which also merges and picks the context
exactly as kubectl would. Without kubectl on the ``PATH``, a kubeconfig written as JSON
(valid kubeconfig too) is read directly.

The user's token, in client-go's order: ``token``, else the file ``tokenFile`` names, else
what its ``exec`` plugin prints (an ``ExecCredential``). A client certificate cannot be
sent to Legato (it speaks HTTP with a bearer token, and may sit behind a proxy that ends
TLS), so a user with only a certificate is an error that names it.
"""

from __future__ import annotations

import base64
import json
import os
import shutil
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from legato._cli import errors

# An exec plugin may fetch a token over the network (a cloud's IAM); it is not interactive.
EXEC_TIMEOUT_SECONDS = 60.0
_CERTIFICATE_FIELDS = ("client-certificate-data", "client-certificate", "client-key-data", "client-key")


class KubeconfigError(errors.CliError):
    """The kubeconfig gives no token Legato can send; the message names the file, context or user.

    Exit 2, as for any setting that cannot be used; 4 when the user's exec plugin failed or
    did not answer (a login that expired, a cloud that cannot be reached).
    """

    def __init__(self, message: str, code: int = errors.USAGE) -> None:
        super().__init__(message, code)


@dataclass(frozen=True)
class KubeToken:
    """A bearer token and the kubeconfig entries it came from."""

    token: str
    user: str
    context: str
    # How the user entry gives it: "token", "tokenFile /path", "exec plugin aws-iam-authenticator".
    how: str

    @property
    def described(self) -> str:
        """The token as messages name it."""
        return f"the token of kubeconfig user {self.user!r} (context {self.context!r}, from its {self.how})"


@dataclass(frozen=True)
class _Selected:
    """The context the kubeconfig selects: its name, its user and cluster entries."""

    context: str
    user_name: str
    user: dict[str, Any]
    cluster: dict[str, Any]
    # Relative paths in the kubeconfig are relative to the directory of its file.
    base: Path


def paths(kubeconfig: str | None, env: Mapping[str, str]) -> list[Path]:
    """The kubeconfig files, in kubectl's order: the flag, else ``$KUBECONFIG``, else ``~/.kube/config``."""
    if kubeconfig:
        return [Path(kubeconfig).expanduser()]
    if env.get("KUBECONFIG"):
        return [Path(p).expanduser() for p in env["KUBECONFIG"].split(os.pathsep) if p]
    home = env.get("HOME")
    return [(Path(home) if home else Path.home()) / ".kube" / "config"]


def exists(kubeconfig: str | None, env: Mapping[str, str]) -> bool:
    """Whether any of the kubeconfig files is there."""
    return any(p.is_file() for p in paths(kubeconfig, env))


def bearer_token(kubeconfig: str | None, context: str | None, env: Mapping[str, str]) -> KubeToken:
    """The bearer token of the user of ``context`` (default: the current context).

    Raises:
        KubeconfigError: The kubeconfig cannot be read, has no such context, or its user
            has no token (a client certificate only, or an exec plugin that failed).
    """
    selected = _select(kubeconfig, context, env)
    user = selected.user
    if user.get("token"):
        return KubeToken(str(user["token"]), selected.user_name, selected.context, "token")
    if user.get("tokenFile"):
        path = _resolved(str(user["tokenFile"]), selected.base)
        token = _read_token(path, selected.user_name)
        return KubeToken(token, selected.user_name, selected.context, f"tokenFile {path}")
    if user.get("exec"):
        spec = user["exec"]
        token = _exec_token(spec, selected, env)
        return KubeToken(token, selected.user_name, selected.context, f"exec plugin {spec.get('command')}")
    raise KubeconfigError(_no_token(selected))


def _no_token(selected: _Selected) -> str:
    user, name = selected.user, selected.user_name
    # A certificate is how kind, minikube and many clusters' admins authenticate.
    if any(user.get(f) for f in _CERTIFICATE_FIELDS):
        return (
            f"kubeconfig user {name!r} (context {selected.context!r}) authenticates with a client certificate,"
            " which cannot be sent to Legato: use a user with a token, tokenFile or exec plugin"
            " (--context), or give --api-key"
        )
    if user.get("auth-provider"):
        provider = user["auth-provider"].get("name", "")
        return f"kubeconfig user {name!r} uses the auth-provider {provider!r}, which Legato does not run: use exec"
    if user.get("username"):
        return f"kubeconfig user {name!r} has a username and password, which Legato does not take"
    return f"kubeconfig user {name!r} (context {selected.context!r}) has no token, tokenFile or exec plugin"


# --- reading the kubeconfig ---


def _select(kubeconfig: str | None, context: str | None, env: Mapping[str, str]) -> _Selected:
    files = paths(kubeconfig, env)
    present = [p for p in files if p.is_file()]
    if not present:
        shown = ", ".join(str(p) for p in files)
        raise KubeconfigError(f"no kubeconfig at {shown} (give --kubeconfig or $KUBECONFIG)")
    kubectl = shutil.which("kubectl", path=env.get("PATH", os.environ.get("PATH", os.defpath)))
    config = _view(kubectl, kubeconfig, context, env) if kubectl else _merged_json(present)
    return _pick(config, context, present[0].parent)


def _view(kubectl: str, kubeconfig: str | None, context: str | None, env: Mapping[str, str]) -> dict[str, Any]:
    """The kubeconfig as kubectl reads it, cut down to the one context."""
    argv = [kubectl, "config", "view", "--raw", "--minify", "-o", "json"]
    # Without the flag kubectl reads $KUBECONFIG itself, merging its list as it does.
    argv += ["--kubeconfig", str(Path(kubeconfig).expanduser())] if kubeconfig else []
    argv += ["--context", context] if context else []
    try:
        done = subprocess.run(argv, env=dict(env), capture_output=True, text=True, timeout=30, check=False)
    except (OSError, subprocess.TimeoutExpired) as e:
        raise KubeconfigError(f"cannot run {kubectl} to read the kubeconfig: {e}") from None
    if done.returncode != 0:
        reason = _last_line(done.stderr).removeprefix("error: ")
        raise KubeconfigError(f"kubectl cannot read the kubeconfig: {reason}")
    parsed = json.loads(done.stdout)
    if not isinstance(parsed, dict):
        raise KubeconfigError("kubectl config view did not print a kubeconfig")
    return parsed


def _merged_json(files: list[Path]) -> dict[str, Any]:
    """Kubeconfig files written as JSON, merged as kubectl does: the first to set a name wins."""
    merged: dict[str, Any] = {"current-context": "", "contexts": [], "users": [], "clusters": []}
    for path in files:
        config = _json_file(path)
        merged["current-context"] = merged["current-context"] or config.get("current-context") or ""
        for key in ("contexts", "users", "clusters"):
            known = {entry.get("name") for entry in merged[key]}
            merged[key] += [e for e in config.get(key) or [] if isinstance(e, dict) and e.get("name") not in known]
    return merged


def _json_file(path: Path) -> dict[str, Any]:
    try:
        parsed = json.loads(path.read_text())
    except OSError as e:
        raise KubeconfigError(f"cannot read the kubeconfig {path}: {e.strerror or e}") from None
    # YAML, most likely: only kubectl reads that for us.
    except json.JSONDecodeError:
        raise KubeconfigError(
            f"the kubeconfig {path} is not JSON, and kubectl is needed to read a YAML kubeconfig:"
            " put kubectl on the PATH (or write the kubeconfig as JSON: kubectl config view --raw -o json)"
        ) from None
    if not isinstance(parsed, dict):
        raise KubeconfigError(f"the kubeconfig {path} is not a kubeconfig (a JSON object)")
    return parsed


def _pick(config: dict[str, Any], context: str | None, base: Path) -> _Selected:
    name = context or config.get("current-context") or ""
    if not name:
        raise KubeconfigError("the kubeconfig has no current-context (give --context)")
    entry = _named(config, "contexts", name)
    if entry is None:
        raise KubeconfigError(f"the kubeconfig has no context {name!r}")
    body = entry.get("context") or {}
    user_name = str(body.get("user") or "")
    user = _named(config, "users", user_name)
    if user is None:
        raise KubeconfigError(f"context {name!r} names the user {user_name!r}, which the kubeconfig lacks")
    cluster = _named(config, "clusters", str(body.get("cluster") or "")) or {}
    return _Selected(name, user_name, user.get("user") or {}, cluster.get("cluster") or {}, base)


def _named(config: dict[str, Any], key: str, name: str) -> dict[str, Any] | None:
    return next((e for e in config.get(key) or [] if isinstance(e, dict) and e.get("name") == name), None)


def _resolved(path: str, base: Path) -> Path:
    given = Path(path).expanduser()
    return given if given.is_absolute() else base / given


def _read_token(path: Path, user: str) -> str:
    try:
        token = path.read_text().strip()
    except OSError as e:
        raise KubeconfigError(
            f"cannot read the tokenFile {path} of kubeconfig user {user!r}: {e.strerror or e}"
        ) from None
    if not token:
        raise KubeconfigError(f"the tokenFile {path} of kubeconfig user {user!r} is empty")
    return token


def _last_line(text: str) -> str:
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    return lines[-1] if lines else "no message"


# --- exec plugins ---


def _exec_token(spec: dict[str, Any], selected: _Selected, env: Mapping[str, str]) -> str:
    """Run the user's exec plugin as client-go does, not interactively; the token it prints."""
    user = selected.user_name
    api_version, command = str(spec.get("apiVersion") or ""), str(spec.get("command") or "")
    if not api_version or not command:
        raise KubeconfigError(f"the exec plugin of kubeconfig user {user!r} needs a command and an apiVersion")
    # Legato gives the plugin no terminal: one that always asks a person cannot run.
    if spec.get("interactiveMode") == "Always":
        raise KubeconfigError(f"the exec plugin of kubeconfig user {user!r} needs a terminal (interactiveMode Always)")
    done = _run_plugin(spec, selected, env)
    credential = _exec_credential(done.stdout, api_version, user)
    status = credential.get("status") or {}
    if status.get("token"):
        return str(status["token"])
    if status.get("clientCertificateData"):
        raise KubeconfigError(
            f"the exec plugin of kubeconfig user {user!r} gives a client certificate, which cannot be sent to Legato"
        )
    raise KubeconfigError(f"the exec plugin of kubeconfig user {user!r} printed no status.token")


def _run_plugin(spec: dict[str, Any], selected: _Selected, env: Mapping[str, str]) -> subprocess.CompletedProcess[str]:
    user, command = selected.user_name, str(spec["command"])
    # client-go resolves a command with a path separator against the kubeconfig's
    # directory; a bare name is looked up on the PATH.
    if os.sep in command:
        command = str(_resolved(command, selected.base))
    argv = [command, *(str(a) for a in spec.get("args") or [])]
    try:
        done = subprocess.run(
            argv,
            env={**env, **_plugin_env(spec, selected)},
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=EXEC_TIMEOUT_SECONDS,
            check=False,
        )
    except FileNotFoundError:
        hint = f": {spec['installHint'].strip()}" if spec.get("installHint") else ""
        raise KubeconfigError(
            f"the exec plugin {command!r} of kubeconfig user {user!r} is not installed{hint}"
        ) from None
    except subprocess.TimeoutExpired:
        raise KubeconfigError(
            f"the exec plugin {command!r} of kubeconfig user {user!r} did not answer in {EXEC_TIMEOUT_SECONDS:g}s",
            errors.UNREACHABLE,
        ) from None
    except OSError as e:
        raise KubeconfigError(f"cannot run the exec plugin {command!r} of kubeconfig user {user!r}: {e}") from None
    if done.returncode != 0:
        raise KubeconfigError(
            f"the exec plugin {command!r} of kubeconfig user {user!r} failed (exit {done.returncode}):"
            f" {_last_line(done.stderr)}",
            errors.UNREACHABLE,
        )
    return done


def _plugin_env(spec: dict[str, Any], selected: _Selected) -> dict[str, str]:
    """The plugin's own variables and ``KUBERNETES_EXEC_INFO``, to lay over the process's."""
    info: dict[str, Any] = {"apiVersion": spec["apiVersion"], "kind": "ExecCredential", "spec": {"interactive": False}}
    if spec.get("provideClusterInfo"):
        info["spec"]["cluster"] = _cluster_info(selected)
    own = {str(e["name"]): str(e.get("value", "")) for e in spec.get("env") or [] if isinstance(e, dict)}
    return {**own, "KUBERNETES_EXEC_INFO": json.dumps(info)}


def _cluster_info(selected: _Selected) -> dict[str, Any]:
    """The cluster as client-go hands it to a plugin that asks (``provideClusterInfo``)."""
    cluster = selected.cluster
    info: dict[str, Any] = {"server": cluster.get("server", "")}
    for key, wire in (("tls-server-name", "tls-server-name"), ("proxy-url", "proxy-url")):
        if cluster.get(key):
            info[wire] = cluster[key]
    if cluster.get("insecure-skip-tls-verify"):
        info["insecure-skip-tls-verify"] = True
    if cluster.get("certificate-authority-data"):
        info["certificate-authority-data"] = cluster["certificate-authority-data"]
    elif cluster.get("certificate-authority"):
        authority = _resolved(str(cluster["certificate-authority"]), selected.base)
        try:
            info["certificate-authority-data"] = base64.b64encode(authority.read_bytes()).decode()
        except OSError as e:
            raise KubeconfigError(f"cannot read the certificate-authority {authority}: {e.strerror or e}") from None
    extension = _named({"extensions": cluster.get("extensions")}, "extensions", "client.authentication.k8s.io/exec")
    if extension is not None:
        info["config"] = extension.get("extension")
    return info


def _exec_credential(stdout: str, api_version: str, user: str) -> dict[str, Any]:
    try:
        credential = json.loads(stdout)
    except json.JSONDecodeError as e:
        raise KubeconfigError(f"the exec plugin of kubeconfig user {user!r} printed no JSON: {e.msg}") from None
    if not isinstance(credential, dict) or credential.get("kind") != "ExecCredential":
        raise KubeconfigError(f"the exec plugin of kubeconfig user {user!r} printed no ExecCredential")
    # client-go refuses an answer in another version than it asked for.
    if credential.get("apiVersion") != api_version:
        raise KubeconfigError(
            f"the exec plugin of kubeconfig user {user!r} answered in {credential.get('apiVersion')!r},"
            f" not the {api_version!r} its kubeconfig asks for"
        )
    return credential
