"""Fixtures and helpers for tests that need the local Baseten sandbox (sshsetup.sandbox).

- ``sandbox``: a started Sandbox (signing API, TLS proxy, real sshd on 127.0.0.1) in a
  temporary directory, stopped after the test.
- ``client_key``: a fresh ed25519 key pair made by the real ssh-keygen.
- ``call_api`` / ``sign``: real HTTP requests to the sandbox's API.
- ``proxy_handshake``: a raw TLS client doing Baseten's proxy handshake.
- ``ssh_direct``: the real ssh client logging in to the sandbox's sshd (no proxy).
"""

from __future__ import annotations

import json
import socket
import ssl
import struct
import subprocess
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from sshsetup.sandbox import Sandbox
from sshsetup.sandbox.api import project_of_job

CLIENT_VERSION = "sshsetup-tests"


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


@dataclass(frozen=True)
class ApiAnswer:
    status: int
    body: Any


@pytest.fixture
def sandbox(tmp_path: Path) -> Iterator[Sandbox]:
    with Sandbox(tmp_path / "sandbox") as running:
        yield running


@pytest.fixture
def client_key(tmp_path: Path) -> ClientKey:
    private = tmp_path / "client" / "id_ed25519"
    private.parent.mkdir(mode=0o700)
    subprocess.run(
        ["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "tests@sandbox", "-f", str(private)],
        check=True,
    )
    return ClientKey(private, private.with_name("id_ed25519.pub"))


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
    """One real HTTP request, headers as Baseten's client sends them (field guide F6)."""
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
