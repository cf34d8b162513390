"""Using the local Baseten sandbox (sshsetup.sandbox) from tests: real HTTP to its API, a raw
TLS client doing Baseten's proxy handshake, the real ssh client to its sshd, and a client
home set up the way `sshsetup setup` leaves it with the Match hook and the ProxyCommand run
as real processes (``Client``), or a whole workstation set up and logged in by the real CLI
(``Workstation``)."""

from __future__ import annotations

import json
import os
import socket
import ssl
import struct
import subprocess
import sys
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from helpers.certs import make_key_pair
from helpers.cli import CliResult, changed_env, run_in_process
from helpers.homes import Home
from sshsetup.connect.settings import Settings
from sshsetup.paths import Paths
from sshsetup.runtime import Runtime, install
from sshsetup.sandbox import Sandbox
from sshsetup.sandbox.workloads import project_of_job
from sshsetup.setup_plan import installation_for, write_installation

CLIENT_VERSION = "sshsetup-tests"
TRAINING_HOST = "training-job-abc123-0.ssh.baseten.co"
MODEL_HOST = "model-m1-d1-r1.ssh.baseten.co"
SSH_TIMEOUT_SECONDS = 60


# --- the API, the proxy and the sshd, directly ------------------------------------------------


@dataclass(frozen=True)
class ClientKey:
    private: Path
    public: Path

    @property
    def public_text(self) -> str:
        return self.public.read_text()

    @property
    def certificate(self) -> Path:
        return self.private.with_name(self.private.name + "-cert.pub")


def make_client_key(directory: Path) -> ClientKey:
    """A fresh ed25519 key pair made by the real ssh-keygen."""
    private = directory / "id_ed25519"
    private.parent.mkdir(mode=0o700)
    subprocess.run(
        ["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "tests@sandbox", "-f", str(private)],
        check=True,
    )
    return ClientKey(private, private.with_name("id_ed25519.pub"))


@dataclass(frozen=True)
class ApiAnswer:
    status: int
    body: Any


def call_api(
    sandbox: Sandbox,
    path: str,
    body: Any = None,
    *,
    api_key: str | None = None,
    authorization: str | None = None,
    raw_body: bytes | None = None,
    method: str = "POST",
    timeout: float = 10.0,
) -> ApiAnswer:
    """One real HTTP request, headers as Baseten's client sends them
    (docs/baseten-protocol.md#request-format-and-headers)."""
    headers = {"Content-Type": "application/json", "X-Client-Version": CLIENT_VERSION}
    if authorization is None:
        authorization = f"Api-Key {api_key or sandbox.api_key}"
    if authorization:
        headers["Authorization"] = authorization
    data = raw_body if raw_body is not None else json.dumps(body).encode()
    request = urllib.request.Request(
        sandbox.api_url + path,
        data=data if method == "POST" else None,
        headers=headers,
        method=method,
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return ApiAnswer(response.status, json.loads(response.read()))
    except urllib.error.HTTPError as error:
        return ApiAnswer(error.code, json.loads(error.read()))


def training_sign_path(job_id: str) -> str:
    return f"/v1/training_projects/{project_of_job(job_id)}/jobs/{job_id}/ssh/sign"


def sign(sandbox: Sandbox, key: ClientKey, job_id: str = "job1", node: str = "0") -> dict[str, str]:
    """Sign like Baseten's client: search the job's project, then sign; writes the cert."""
    found = call_api(sandbox, "/v1/training_jobs/search", {"job_id": job_id})
    assert found.status == 200, found.body
    project = found.body["training_jobs"][0]["training_project"]["id"]
    answer = call_api(
        sandbox,
        f"/v1/training_projects/{project}/jobs/{job_id}/ssh/sign",
        {"public_key": key.public_text, "replica_id": node},
    )
    assert answer.status == 200, answer.body
    key.certificate.write_text(answer.body["ssh_certificate"] + "\n")
    return dict(answer.body)


def proxy_handshake(
    sandbox: Sandbox, token: str, proxy_address: str | None = None
) -> tuple[ssl.SSLSocket, bytes]:
    """TLS to the proxy verified with the sandbox's CA, then the length-prefixed JWT sent
    in two writes as truss's helper does; returns the socket and the status byte."""
    host, port = (proxy_address or sandbox.proxy_address).rsplit(":", 1)
    context = ssl.create_default_context(cafile=str(sandbox.ssl_cert_file))
    connection = context.wrap_socket(
        socket.create_connection((host, int(port)), timeout=10), server_hostname=host
    )
    data = token.encode()
    connection.sendall(struct.pack("!I", len(data)))
    connection.sendall(data)
    return connection, connection.recv(1)


def receive_all(connection: ssl.SSLSocket) -> bytes:
    received = b""
    while chunk := connection.recv(4096):
        received += chunk
    return received


def ssh_direct(
    sandbox: Sandbox, key: ClientKey, user: str, command: str
) -> subprocess.CompletedProcess[str]:
    """The real ssh client straight to the sandbox's sshd, offering only key + certificate."""
    return subprocess.run(
        [
            "ssh", "-F", "/dev/null", "-p", str(sandbox.sshd_port),
            "-i", str(key.private), "-o", f"CertificateFile={key.certificate}",
            "-o", "IdentitiesOnly=yes", "-o", "BatchMode=yes",
            "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null",
            "-o", "LogLevel=ERROR", f"{user}@127.0.0.1", command,
        ],
        capture_output=True, text=True, timeout=30, stdin=subprocess.DEVNULL,
    )  # fmt: skip


# --- a client of the sandbox: the connect path as ssh runs it ---------------------------------


def prepare_connect(paths: Paths, refresh_margin_seconds: int = 300) -> Runtime:
    """What `sshsetup setup` leaves for the connect path: the key pair, connect.json and the
    runtime (whose entry scripts ssh runs)."""
    make_key_pair(paths.key_file)
    settings = Settings(refresh_margin_seconds=refresh_margin_seconds)
    write_installation(paths, installation_for(paths, settings))
    runtime = Runtime(paths.runtime_dir)
    install(runtime)
    return runtime


def run_connect(
    entry: Path, host: str, env: dict[str, str], stdin: bytes | None = None
) -> subprocess.CompletedProcess[str]:
    """The runtime's hook or ProxyCommand entry script as ssh runs it: ``python -I -S ENTRY
    HOST`` (the entry finds its key directory from where it lives)."""
    command = [sys.executable, "-I", "-S", str(entry), host]
    completed = subprocess.run(
        command,
        input=stdin,
        stdin=subprocess.DEVNULL if stdin is None else None,
        capture_output=True,
        env=env,
        timeout=60,
    )
    return subprocess.CompletedProcess(
        command,
        completed.returncode,
        completed.stdout.decode(errors="replace"),
        completed.stderr.decode(errors="replace"),
    )


@dataclass
class Client:
    """A temporary home set up the way `sshsetup setup` leaves it (key pair, connect.json,
    the runtime), pointed at the sandbox; the hook and the ProxyCommand run as ssh runs them:
    ``python -I -S <runtime>/hook.py <host>``."""

    home: Path
    sandbox: Sandbox
    env: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            **self.sandbox.client_env(self.home),
            "SSHSETUP_KEY_DIR": str(self.home / ".ssh" / "sshsetup"),
            "PYTHON_KEYRING_BACKEND": "keyring.backends.null.Keyring",
            "XDG_DATA_HOME": str(self.home / "xdg-data"),
            "XDG_CONFIG_HOME": str(self.home / "xdg-config"),
        }
        self.paths = Paths.from_environment(self.env)
        self.runtime = prepare_connect(self.paths)

    def cert_file(self, host: str) -> Path:
        return self.paths.cert_dir / f"{host}-cert.pub"

    def session_file(self, host: str) -> Path:
        return self.paths.session_dir / f"{host}.json"

    def hook(self, host: str, **changes: str | None) -> subprocess.CompletedProcess[str]:
        return self._run(self.runtime.hook, host, changes)

    def proxy(
        self, host: str, stdin: bytes = b"", **changes: str | None
    ) -> subprocess.CompletedProcess[str]:
        return self._run(self.runtime.proxy, host, changes, stdin)

    def _run(
        self, script: Path, host: str, changes: dict[str, str | None], stdin: bytes | None = None
    ) -> subprocess.CompletedProcess[str]:
        return run_connect(script, host, self.env_with(changes), stdin)

    def hook_argv(self, script: Path | None = None) -> list[str]:
        """How ssh runs the hook (``script`` None) or another entry script, without the host."""
        return [sys.executable, "-I", "-S", str(script or self.runtime.hook)]

    def env_with(self, changes: dict[str, str | None]) -> dict[str, str]:
        return changed_env(self.env, changes)

    def ssh(
        self, host: str, command: str, stdin: bytes = b""
    ) -> subprocess.CompletedProcess[bytes]:
        """The real ssh client through our ProxyCommand straight to the sandbox's sshd."""
        known_hosts = self.home / "known_hosts"
        known_hosts.write_text(f"{host} {self.sandbox.host_public_key}\n")
        proxy = f"{sys.executable} -I -S {self.runtime.proxy} %h"
        return subprocess.run(
            [
                "ssh", "-F", "/dev/null", "-o", "BatchMode=yes", "-o", f"ProxyCommand={proxy}",
                "-o", f"UserKnownHostsFile={known_hosts}", "-o", "IdentitiesOnly=yes",
                "-o", f"IdentityFile={self.paths.key_file}",
                "-o", f"CertificateFile={self.cert_file(host)}",
                "-l", self.sandbox.login_users[0], host, command,
            ],
            input=stdin,
            capture_output=True,
            env=self.env,
            timeout=60,
        )  # fmt: skip

    def run(self, *args: str, **changes: str | None) -> CliResult:
        """``sshsetup ARGS`` in-process in this home."""
        return run_in_process(self.env_with(changes), *args)


def assert_one_clean_line(result: subprocess.CompletedProcess[str], *fragments: str) -> None:
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("sshsetup: ")
    assert "Traceback" not in result.stderr
    for fragment in fragments:
        assert fragment in lines[0]


# --- a workstation: sshsetup setup + login, then the real ssh --------------------------------


@dataclass
class Workstation:
    """A machine set up as a user would: sshsetup setup + login, against the sandbox."""

    home: Home
    sandbox: Sandbox

    @property
    def env(self) -> dict[str, str]:
        env = dict(self.home.env)
        client = self.sandbox.client_env(self.home.home)
        env["SSL_CERT_FILE"] = client["SSL_CERT_FILE"]
        env["BASETEN_BASE_URL"] = client["BASETEN_BASE_URL"]
        env.pop("BASETEN_API_KEY", None)  # the key must come from the keyring
        env.pop("SSH_AUTH_SOCK", None)
        return env

    def sshsetup(
        self, *args: str, input_text: str | None = None
    ) -> subprocess.CompletedProcess[str]:
        return self.sshsetup_with(self.env, *args, input_text=input_text)

    def sshsetup_with(
        self, env: dict[str, str], *args: str, input_text: str | None = None
    ) -> subprocess.CompletedProcess[str]:
        """``python -m sshsetup ARGS`` as a real process in ``env``."""
        return subprocess.run(
            [sys.executable, "-m", "sshsetup", *args],
            capture_output=True, text=True, env=env, input=input_text or "",
            timeout=SSH_TIMEOUT_SECONDS,
        )  # fmt: skip

    def ssh(
        self, host: str, command: str, *options: str, env: dict[str, str] | None = None
    ) -> subprocess.CompletedProcess[str]:
        user = [] if os.geteuid() == 0 else ["-l", self.sandbox.login_users[0]]
        return subprocess.run(
            ["ssh", "-F", str(self.home.config), "-o", "BatchMode=yes", *user, *options,
             "-p", str(self.sandbox.sshd_port), host, command],
            capture_output=True, text=True, env=env or self.env, stdin=subprocess.DEVNULL,
            timeout=SSH_TIMEOUT_SECONDS,
        )  # fmt: skip

    def cert_file(self, host: str) -> Path:
        return self.home.key_dir / "certs" / f"{host}-cert.pub"

    def leftovers(self) -> list[Path]:
        """Temp files a killed or failed writer would leave behind."""
        return [p for p in self.home.home.rglob(".sshsetup-tmp-*")]


def set_up_workstation(home: Home, sandbox: Sandbox, *setup_args: str) -> Workstation:
    """`sshsetup setup --yes` and `sshsetup login` (the sandbox's key) as real processes."""
    station = Workstation(home, sandbox)
    done = station.sshsetup("setup", "--yes", *setup_args)
    assert done.returncode == 0, done.stderr
    login = station.sshsetup("login", "--api-key-stdin", input_text=sandbox.api_key + "\n")
    assert login.returncode == 0, login.stderr
    assert sandbox.api_key not in login.stdout + login.stderr
    return station
