"""The sandbox's TLS proxy, speaking Baseten's handshake (docs/baseten-protocol.md#proxy-handshake).

Client -> proxy: 4-byte big-endian length, then that many bytes of JWT.
Proxy -> client: one status byte (0x00 accepted; anything else refused), then raw bytes
relayed both ways to the sshd until either side closes.

Tests can make it behave as proxies in the field do: close sessions idle for longer than
``controls.proxy_idle_timeout_seconds``, or stop forwarding (``controls.proxy_forwarding``)
while keeping every connection open, as a proxy or link that died silently.
"""

from __future__ import annotations

import contextlib
import selectors
import socket
import socketserver
import ssl
import struct
import threading
from typing import Any

from sshsetup.baseten import JOB_RUNNING
from sshsetup.sandbox import jwt
from sshsetup.sandbox.controls import LISTEN_BACKLOG, SHUTDOWN_POLL_SECONDS, SandboxControls
from sshsetup.sandbox.workloads import ACTIVATING_CLOSE

STATUS_OK = 0x00
STATUS_REFUSED = 0x01  # JWT malformed, wrongly signed, expired, refused on purpose, job not running
STATUS_UPSTREAM_DOWN = 0x02  # the workload's sshd does not answer (or is not up yet)
MAX_TOKEN_BYTES = 16 * 1024
HANDSHAKE_TIMEOUT_SECONDS = 10.0
CHUNK = 64 * 1024
STALL_POLL_SECONDS = 0.05


class TlsProxy:
    def __init__(
        self,
        context: ssl.SSLContext,
        controls: SandboxControls,
        jwt_secret: bytes,
        upstream: tuple[str, int],
    ) -> None:
        self.context = context
        self.controls = controls
        self.jwt_secret = jwt_secret
        self.upstream = upstream
        self._upstreams: set[socket.socket] = set()
        self._lock = threading.Lock()
        self._closing = threading.Event()
        self._server = _ProxyServer(("127.0.0.1", 0), _Handler)
        self._server.proxy = self
        self.port: int = self._server.server_address[1]
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": SHUTDOWN_POLL_SECONDS},
            daemon=True,
        )

    def start(self) -> None:
        self._thread.start()

    def close(self) -> None:
        """Stop accepting and cut every open session (its relay then sees EOF from sshd)."""
        self._closing.set()
        self._server.shutdown()
        self._server.server_close()
        with self._lock:
            upstreams = list(self._upstreams)
        for connection in upstreams:
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)
        self._thread.join()

    def serve(self, connection: socket.socket) -> None:
        # OSError/SSLError: the client or sshd went away, and the session is over with it.
        with contextlib.suppress(OSError, ssl.SSLError):
            self._serve(connection)

    def _serve(self, connection: socket.socket) -> None:
        connection.settimeout(HANDSHAKE_TIMEOUT_SECONDS)
        try:
            tls = self.context.wrap_socket(connection, server_side=True)
        except (OSError, ssl.SSLError):
            self.controls.count("proxy_tls_failed")
            return
        with tls:
            token = _read_token(tls)
            verdict = STATUS_REFUSED if token is None else self._verdict(token)
            if verdict is None:  # closed without a word, as while a session starts
                self.controls.count("proxy_closed")
                return
            if verdict != STATUS_OK:
                self.controls.count("proxy_refused")
                tls.sendall(bytes([verdict]))
                return
            try:
                upstream = socket.create_connection(
                    self.upstream, timeout=HANDSHAKE_TIMEOUT_SECONDS
                )
            except OSError:
                self.controls.count("proxy_refused")
                tls.sendall(bytes([STATUS_UPSTREAM_DOWN]))
                return
            with upstream:
                with self._lock:
                    self._upstreams.add(upstream)
                try:
                    self.controls.count("proxy_session")
                    tls.sendall(bytes([STATUS_OK]))
                    # No timeout from here on: idle sessions must survive.
                    tls.settimeout(None)
                    upstream.settimeout(None)
                    _relay(tls, upstream, self.controls, self._closing)
                finally:
                    with self._lock:
                        self._upstreams.discard(upstream)

    def _verdict(self, token: str) -> int | None:
        """The status byte for ``token`` (None: close without one). A valid JWT; for a
        training job, one that still runs, whose session is up (the first connection starts
        an on_demand session, which may take a while:
        docs/baseten-protocol.md#on-demand-activation)."""
        if self.controls.refuse_jwt or not self.controls.ssh_enabled:
            return STATUS_REFUSED
        try:
            claims = jwt.decode(token, self.jwt_secret)
        except jwt.InvalidToken:
            return STATUS_REFUSED
        if claims.get("workload") == "training":
            job_id, node = str(claims.get("job_id")), str(claims.get("replica_id"))
            if self.controls.workloads.job_status(job_id) != JOB_RUNNING:
                return STATUS_REFUSED
            starting = self.controls.workloads.connected(job_id, node)
            if starting is not None:
                return None if starting == ACTIVATING_CLOSE else STATUS_UPSTREAM_DOWN
        return STATUS_OK


def _read_exactly(tls: ssl.SSLSocket, size: int) -> bytes | None:
    data = b""
    while len(data) < size:
        chunk = tls.recv(size - len(data))
        if not chunk:
            return None
        data += chunk
    return data


def _read_token(tls: ssl.SSLSocket) -> str | None:
    header = _read_exactly(tls, 4)
    if header is None:
        return None
    (length,) = struct.unpack("!I", header)
    if not 0 < length <= MAX_TOKEN_BYTES:
        return None
    token = _read_exactly(tls, length)
    try:
        return token.decode("ascii") if token is not None else None
    except UnicodeDecodeError:
        return None


def _receive(source: socket.socket) -> bytes:
    """What is available now; for TLS also the rest of a record already decrypted."""
    data = source.recv(CHUNK)
    if isinstance(source, ssl.SSLSocket):
        while data and source.pending():
            data += source.recv(source.pending())
    return data


def _relay(
    tls: ssl.SSLSocket,
    upstream: socket.socket,
    controls: SandboxControls,
    closing: threading.Event,
) -> None:
    """One thread, both directions, until either side closes (or the controls' byte limit
    passed, or the session idled beyond their idle timeout).

    One thread because an SSL object must not be read and written from two threads at once.
    """
    relayed = 0
    limit = controls.close_sessions_after_bytes
    with selectors.DefaultSelector() as selector:
        selector.register(tls, selectors.EVENT_READ, upstream)
        selector.register(upstream, selectors.EVENT_READ, tls)
        while True:
            ready = selector.select(controls.proxy_idle_timeout_seconds)
            if not ready:
                controls.count("proxy_idle_closed")
                return
            # A dead link: nothing moves and nothing closes, until forwarding resumes.
            while not controls.proxy_forwarding and not closing.wait(STALL_POLL_SECONDS):
                pass
            for key, _ in ready:
                source: Any = key.fileobj
                data = _receive(source)
                if not data:
                    return
                if limit is not None:
                    data = data[: limit - relayed]
                key.data.sendall(data)
                relayed += len(data)
                if limit is not None and relayed >= limit:
                    return


class _ProxyServer(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = LISTEN_BACKLOG
    proxy: TlsProxy

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Sessions end however the peers end them; no tracebacks on the console."""


class _Handler(socketserver.BaseRequestHandler):
    server: _ProxyServer

    def handle(self) -> None:
        self.server.proxy.serve(self.request)
