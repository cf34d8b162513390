"""A hostile (or broken) signing API, a real HTTP server on loopback.

Each request is recorded (method, path, headers, body) and answered by ``respond``, a
function of the request that a test sets: redirects, error bodies echoing the credential,
huge or trickled bodies, nested JSON, bytes that are not HTTP at all, or a signing answer
whose certificate or proxy address is wrong in a chosen way (``Signer``). A second
instance serves as a redirect target whose log must stay empty.
"""

from __future__ import annotations

import base64
import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519
from cryptography.hazmat.primitives.serialization import SSHCertificateType

from helpers.certs import sign_with_cryptography
from helpers.homes import Home
from helpers.sandbox import prepare_connect
from helpers.servers import BackgroundServer

MODEL_HOST = "model-m1-d1.ssh.baseten.co"  # one API call: no job search
MODEL_PRINCIPAL = "app"
API_KEY = "k3yAbCdEf.0123456789SECRETabcdefGHIJ"


def point_home_at(home: Home, api: HostileApi) -> Home:
    """``home`` set up for the connect path (key pair, connect.json) and logged in to
    ``api`` with API_KEY through the environment."""
    prepare_connect(home.paths)
    home.env.update(BASETEN_BASE_URL=api.url, BASETEN_API_KEY=API_KEY)
    return home


@dataclass(frozen=True)
class Seen:
    """One request as the server received it."""

    method: str
    path: str
    headers: dict[str, str]
    body: bytes

    @property
    def json(self) -> Any:
        return json.loads(self.body or b"null")


@dataclass(frozen=True)
class Answer:
    status: int = 200
    body: bytes = b"{}"
    headers: tuple[tuple[str, str], ...] = (("Content-Type", "application/json"),)
    trickle_seconds: float = 0.0  # pause before each byte of the body
    declare_length: bool = True
    date: float | None = None  # the Date header's time (None: now)
    raw: bytes | None = None  # written as is instead of an HTTP answer


def json_answer(data: Any, status: int = 200, **options: Any) -> Answer:
    return Answer(status=status, body=json.dumps(data).encode(), **options)


def fake_jwt(expires_in: float = 3600, **claims: Any) -> str:
    """A token shaped like a JWT (unsigned: the client never verifies it)."""

    def part(data: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()

    payload = {"exp": int(time.time() + expires_in), **claims}
    return f"{part({'alg': 'ES256'})}.{part(payload)}.c2lnbmF0dXJl"


@dataclass
class Signer:
    """Signs the public key a request carries, as Baseten's API would, or wrongly on
    purpose: another certificate type, another key, another validity, other principals."""

    ca: ed25519.Ed25519PrivateKey = field(default_factory=ed25519.Ed25519PrivateKey.generate)

    def certificate(
        self,
        request: Seen,
        *,
        cert_type: SSHCertificateType = SSHCertificateType.USER,
        other_key: bool = False,
        starts_in: int = -60,  # valid_after, in seconds from now
        ends_in: int = 3600,  # valid_before, in seconds from now
        principals: tuple[str, ...] = (MODEL_PRINCIPAL,),
        key_id: str = "model-m1-d1",
    ) -> str:
        line = str(request.json["public_key"])
        key = serialization.load_ssh_public_key(line.encode())
        if other_key:
            key = ed25519.Ed25519PrivateKey.generate().public_key()
        assert isinstance(key, ed25519.Ed25519PublicKey)
        now = int(time.time())
        return sign_with_cryptography(
            self.ca,
            key,
            valid_after=now + starts_in,
            valid_before=now + ends_in,
            principals=tuple(p.encode() for p in principals),
            cert_type=cert_type,
            key_id=key_id.encode(),
        ).strip()

    def answer(
        self,
        request: Seen,
        proxy_address: str = "localhost:9",
        jwt: str | None = None,
        **certificate: Any,
    ) -> Answer:
        return json_answer(
            {
                "ssh_certificate": self.certificate(request, **certificate),
                "jwt": jwt or fake_jwt(),
                "proxy_address": proxy_address,
            }
        )


class HostileApi(BackgroundServer):
    """A ThreadingHTTPServer on 127.0.0.1 answering every request with ``respond``."""

    def __init__(self, respond: Callable[[Seen], Answer] | None = None) -> None:
        self.respond: Callable[[Seen], Answer] = respond or (lambda request: Answer())
        self.seen: list[Seen] = []
        self._lock = threading.Lock()
        self._server = _Server(("127.0.0.1", 0), _Handler)
        self._server.api = self
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def record(self, request: Seen) -> None:
        with self._lock:
            self.seen.append(request)

    def requests(self) -> list[Seen]:
        with self._lock:
            return list(self.seen)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    api: HostileApi

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Clients hang up on hostile answers; that is the point."""


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 (stdlib signature)
        """Quiet."""

    def do_GET(self) -> None:  # noqa: N802 (stdlib naming)
        self._answer()

    def do_POST(self) -> None:  # noqa: N802
        self._answer()

    def _answer(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        request = Seen(self.command, self.path, dict(self.headers.items()), self.rfile.read(length))
        self.server.api.record(request)
        answer = self.server.api.respond(request)
        self.close_connection = True
        if answer.raw is not None:
            self._write(answer.raw, answer.trickle_seconds)
            return
        self.send_response_only(answer.status)
        self.send_header("Date", formatdate(answer.date, usegmt=True))
        for name, value in answer.headers:
            self.send_header(name, value)
        if answer.declare_length:
            self.send_header("Content-Length", str(len(answer.body)))
        self.send_header("Connection", "close")
        self.end_headers()
        self._write(answer.body, answer.trickle_seconds)

    def _write(self, data: bytes, trickle_seconds: float) -> None:
        try:
            if not trickle_seconds:
                self.wfile.write(data)
                return
            for index in range(len(data)):
                time.sleep(trickle_seconds)
                self.wfile.write(data[index : index + 1])
                self.wfile.flush()
        except OSError:
            pass  # the client gave up, as it should
