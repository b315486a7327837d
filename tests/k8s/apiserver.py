"""A throwaway Kubernetes control plane for realapi tests: etcd + kube-apiserver, no kubelet.

Started the way envtest starts it, from the binaries `make testbin` builds (see
:mod:`testbin`): etcd on loopback with ``--unsafe-no-fsync``, then kube-apiserver with a
static admin token, RBAC, service-account keys generated with openssl, and the
ServiceAccount admission plugin off (no controller-manager creates the tokens it wants).
Everything lives in one temporary folder on free ports and is removed on :meth:`stop`.

With no controller-manager and no kubelet, Deployments and Pods are stored but never run,
owner references are not garbage-collected and namespaces never finish deleting; CRDs,
validation, status subresources, watches, finalizers, RBAC and TokenReview all work.

Run it by hand with ``.venv/bin/python tests/k8s/apiserver.py``: it prints the kubeconfig
path and serves until Ctrl-C.
"""

from __future__ import annotations

import json
import logging
import secrets
import shutil
import socket
import ssl
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path
from types import TracebackType

try:  # imported as part of the tests package
    from tests.k8s import testbin
    from tests.support import deadline
except ModuleNotFoundError:  # tests/k8s on sys.path but not the checkout (run as a script): put it there
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
    from tests.k8s import testbin
    from tests.support import deadline

log = logging.getLogger(__name__)

ADMIN_USER = "legato-test-admin"
PEOPLE = ("alice", "bob", "carol")


class ControlPlaneError(RuntimeError):
    """etcd or kube-apiserver did not start; the message carries the end of its log."""


class APIServer:
    """etcd and kube-apiserver in a temporary folder; a context manager.

    Attributes after :meth:`start`: ``url`` (https://127.0.0.1:<port>), ``token`` (a
    ``system:masters`` bearer token), ``people`` (a static token for each of `PEOPLE`,
    users with no role bound), ``ca_file``, ``kubeconfig`` (a file for kubectl,
    helm and the kubernetes client), ``startup_seconds``.
    """

    def __init__(self, binaries: testbin.TestBin | None = None, *, keep_dir: bool = False) -> None:
        found = binaries or testbin.find()
        if found is None:
            raise ControlPlaneError(testbin.MISSING_REASON)
        self.binaries = found
        self.dir = Path(tempfile.mkdtemp(prefix="legato-kube-"))
        self.keep_dir = keep_dir
        self.token = secrets.token_hex(16)
        # People with a static token each and no rights until a test binds them a role.
        self.people = {name: secrets.token_hex(16) for name in PEOPLE}
        self.port = _free_port()
        self.url = f"https://127.0.0.1:{self.port}"
        self.ca_file = self.dir / "certs" / "apiserver.crt"
        self.kubeconfig = self.dir / "kubeconfig"
        self.startup_seconds = 0.0
        self._etcd: subprocess.Popen[bytes] | None = None
        self._apiserver: subprocess.Popen[bytes] | None = None

    def start(self, timeout: float = 60.0) -> None:
        """Start etcd, then kube-apiserver; return once ``/readyz`` says ok."""
        began = time.monotonic()
        try:
            etcd_url = self._start_etcd()
            _wait_ready(lambda: _etcd_healthy(etcd_url), timeout, self._etcd, self.dir / "etcd.log")
            self._write_auth_files()
            self._start_apiserver(etcd_url)
            _wait_ready(self._ready, timeout, self._apiserver, self.dir / "kube-apiserver.log")
        except BaseException:
            self.stop()
            raise
        self._write_kubeconfig()
        self.startup_seconds = time.monotonic() - began
        log.info("kube-apiserver ready at %s in %.1fs", self.url, self.startup_seconds)

    def stop(self) -> None:
        """Stop kube-apiserver, then etcd, and remove the folder (unless ``keep_dir``)."""
        for process in (self._apiserver, self._etcd):
            if process is not None and process.poll() is None:
                process.terminate()
                try:
                    process.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()
        self._apiserver = self._etcd = None
        if not self.keep_dir:
            shutil.rmtree(self.dir, ignore_errors=True)

    def kubectl(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        """Run kubectl against this server and return its output."""
        command = [str(self.binaries.kubectl), "--kubeconfig", str(self.kubeconfig), *args]
        return subprocess.run(command, capture_output=True, text=True, check=check, timeout=120)

    def __enter__(self) -> APIServer:
        self.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    def _start_etcd(self) -> str:
        client, peer = f"http://127.0.0.1:{_free_port()}", f"http://127.0.0.1:{_free_port()}"
        command = [
            str(self.binaries.etcd),
            "--name=test",
            f"--data-dir={self.dir / 'etcd'}",
            f"--listen-client-urls={client}",
            f"--advertise-client-urls={client}",
            f"--listen-peer-urls={peer}",
            f"--initial-advertise-peer-urls={peer}",
            f"--initial-cluster=test={peer}",
            "--unsafe-no-fsync",
            "--log-level=warn",
        ]
        self._etcd = _spawn(command, self.dir / "etcd.log")
        return client

    def _write_auth_files(self) -> None:
        people = "".join(f"{token},{name},{name}\n" for name, token in self.people.items())
        (self.dir / "tokens.csv").write_text(f'{self.token},{ADMIN_USER},{ADMIN_USER},"system:masters"\n{people}')
        key, pub = self.dir / "sa.key", self.dir / "sa.pub"
        subprocess.run(["openssl", "genrsa", "-out", str(key), "2048"], check=True, capture_output=True)
        subprocess.run(
            ["openssl", "rsa", "-in", str(key), "-pubout", "-out", str(pub)], check=True, capture_output=True
        )

    def _start_apiserver(self, etcd_url: str) -> None:
        command = [
            str(self.binaries.kube_apiserver),
            f"--etcd-servers={etcd_url}",
            "--bind-address=127.0.0.1",
            "--advertise-address=127.0.0.1",
            f"--secure-port={self.port}",
            f"--cert-dir={self.dir / 'certs'}",
            f"--token-auth-file={self.dir / 'tokens.csv'}",
            "--authorization-mode=RBAC",
            "--service-account-issuer=https://kubernetes.default.svc.cluster.local",
            f"--service-account-key-file={self.dir / 'sa.pub'}",
            f"--service-account-signing-key-file={self.dir / 'sa.key'}",
            "--service-cluster-ip-range=10.0.0.0/24",
            "--disable-admission-plugins=ServiceAccount",
            "--allow-privileged=true",
        ]
        self._apiserver = _spawn(command, self.dir / "kube-apiserver.log")

    def _ready(self) -> bool:
        # The serving certificate (self-signed, with its CA) appears before the port opens.
        if not self.ca_file.exists():
            return False
        context = ssl.create_default_context(cafile=str(self.ca_file))
        request = urllib.request.Request(f"{self.url}/readyz", headers={"Authorization": f"Bearer {self.token}"})
        try:
            with urllib.request.urlopen(request, context=context, timeout=5) as response:
                return bool(response.status == 200)
        except (OSError, urllib.error.URLError, ssl.SSLError):
            return False

    def _write_kubeconfig(self) -> None:
        # JSON is YAML: kubectl, helm and the kubernetes client all read it.
        config = {
            "apiVersion": "v1",
            "kind": "Config",
            "clusters": [{"name": "test", "cluster": {"server": self.url, "certificate-authority": str(self.ca_file)}}],
            "users": [{"name": ADMIN_USER, "user": {"token": self.token}}],
            "contexts": [{"name": "test", "context": {"cluster": "test", "user": ADMIN_USER}}],
            "current-context": "test",
        }
        self.kubeconfig.write_text(json.dumps(config, indent=2))
        self.kubeconfig.chmod(0o600)


def _spawn(command: list[str], log_file: Path) -> subprocess.Popen[bytes]:
    with log_file.open("wb") as out:
        return subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)


def _wait_ready(
    ready: Callable[[], bool], timeout: float, process: subprocess.Popen[bytes] | None, log_file: Path
) -> None:
    """Poll ``ready``; fail with the end of the log once the process has exited or time is up."""

    def check() -> bool:
        if ready():
            return True
        if process is not None and process.poll() is not None:
            raise ControlPlaneError(f"{log_file.stem} exited with {process.returncode}:\n{_tail(log_file)}")
        return False

    try:
        deadline.wait_until(check, within=timeout, what=f"{log_file.stem} ready", interval=0.1)
    except deadline.DeadlineExceeded:
        raise ControlPlaneError(f"{log_file.stem} not ready after {timeout:.0f}s:\n{_tail(log_file)}") from None


def _etcd_healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/health", timeout=2) as response:
            return bool(json.load(response).get("health") == "true")
    except (OSError, ValueError):
        return False


def _tail(path: Path, lines: int = 30) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO)
    with APIServer() as server:
        print(f"kube-apiserver {server.url} ready in {server.startup_seconds:.1f}s")
        print(f"export KUBECONFIG={server.kubeconfig}")
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            pass
