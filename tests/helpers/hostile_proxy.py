"""A hostile (or broken) SSH proxy: TLS on loopback with a certificate the client trusts
(the sandbox's throwaway CA, via SSL_CERT_FILE), speaking Baseten's handshake badly on
purpose (docs/baseten-protocol.md#proxy-handshake).

Each connection is handled by ``behave``, a ``Behaviour``: read the JWT frame (or only part
of it), answer with chosen status bytes, send chosen bytes, then close with or without TLS
close_notify, or hang up mid-frame. The frames received are recorded.
"""

from __future__ import annotations

import contextlib
import json
import socket
import ssl
import struct
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from helpers.servers import BackgroundServer
from sshsetup.connect.atomic_write import write_atomic
from sshsetup.connect.private_files import ensure_private_dir
from sshsetup.connect.session import Session
from sshsetup.paths import Paths
from sshsetup.sandbox.tls import create_tls_files

CLOSE_CLEAN = "clean"  # TLS close_notify, then close
CLOSE_ABRUPT = "abrupt"  # TCP close without close_notify
CLOSE_RESET = "reset"  # TCP reset


@dataclass(frozen=True)
class Behaviour:
    read_bytes: int | None = None  # how much of the JWT frame to read (None: all of it)
    reply: bytes = b"\x00"  # the status byte(s), and anything after them
    close: str = CLOSE_ABRUPT
    linger_seconds: float = 0.0  # wait after replying (e.g. for ssh's banner) before closing


class HostileProxy(BackgroundServer):
    def __init__(self, directory: Path, behave: Behaviour | None = None) -> None:
        directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        self.tls = create_tls_files(directory)
        self.behave = behave or Behaviour()
        self.frames: list[bytes] = []
        self._lock = threading.Lock()
        self._listener = socket.create_server(("127.0.0.1", 0), backlog=64)
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)

    @property
    def address(self) -> str:
        return f"localhost:{self._listener.getsockname()[1]}"

    @property
    def ssl_cert_file(self) -> Path:
        return self.tls.ca_file

    def received(self) -> list[bytes]:
        with self._lock:
            return list(self.frames)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stopping.set()
        with contextlib.suppress(OSError):
            self._listener.shutdown(socket.SHUT_RDWR)  # wakes the thread blocked in accept()
        self._listener.close()
        self._thread.join(timeout=5)

    def _serve(self) -> None:
        context = self.tls.server_context()
        while not self._stopping.is_set():
            try:
                connection, _ = self._listener.accept()
            except OSError:
                return
            threading.Thread(target=self._handle, args=(connection, context), daemon=True).start()

    def _handle(self, connection: socket.socket, context: ssl.SSLContext) -> None:
        behave = self.behave
        with contextlib.suppress(OSError, ssl.SSLError):
            connection.settimeout(10)
            tls = context.wrap_socket(connection, server_side=True)
            frame = self._read_frame(tls, behave.read_bytes)
            with self._lock:
                self.frames.append(frame)
            if behave.reply:
                tls.sendall(behave.reply)
            if behave.linger_seconds:
                self._stopping.wait(behave.linger_seconds)
            if behave.close == CLOSE_CLEAN:
                tls.unwrap().close()
            elif behave.close == CLOSE_RESET:
                tls.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                tls.close()
            else:  # the TLS wrapper sends no close_notify when the TCP side just shuts
                tls.shutdown(socket.SHUT_RDWR)
                tls.close()

    @staticmethod
    def _read_frame(tls: ssl.SSLSocket, limit: int | None) -> bytes:
        """The length-prefixed JWT, or its first ``limit`` bytes."""
        data = b""
        wanted = limit if limit is not None else 4
        while len(data) < wanted:
            chunk = tls.recv(wanted - len(data))
            if not chunk:
                return data
            data += chunk
            if limit is None and len(data) == 4:
                wanted = 4 + struct.unpack("!I", data)[0]
        return data


def point_session_at(paths: Paths, host: str, address: str, jwt: str) -> Path:
    """A cached session for ``host`` (as a fetch leaves it) that sends the ProxyCommand to
    ``address``."""
    ensure_private_dir(paths.session_dir)
    session = Session(jwt, address, time.time(), None)
    path = paths.session_dir / f"{host}.json"
    write_atomic(path, json.dumps(session.to_json()).encode(), secret=True)
    return path


def run_proxy_command(
    entry: Path, host: str, env: dict[str, str], send: bytes = b"SSH-2.0-OpenSSH_test\r\n"
) -> subprocess.CompletedProcess[bytes]:
    """The ProxyCommand as ssh runs it: ``send`` on its stdin, which stays open (as ssh's
    does) until the ProxyCommand exits."""
    command = [sys.executable, "-I", "-S", str(entry), host]
    with tempfile.TemporaryFile() as stdout, tempfile.TemporaryFile() as stderr:
        process = subprocess.Popen(
            command, stdin=subprocess.PIPE, stdout=stdout, stderr=stderr, env=env
        )
        assert process.stdin is not None
        with contextlib.suppress(BrokenPipeError):
            process.stdin.write(send)
            process.stdin.flush()
        try:
            process.wait(timeout=30)
        finally:
            process.kill()
            process.wait()
            process.stdin.close()
        stdout.seek(0)
        stderr.seek(0)
        return subprocess.CompletedProcess(
            command, process.returncode, stdout.read(), stderr.read()
        )
