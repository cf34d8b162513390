"""Real ssh-agent processes and real keys (``ssh-keygen``, ``ssh-add``)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path


@dataclass
class RunningAgent:
    socket: Path
    process: subprocess.Popen[bytes]

    @property
    def env(self) -> dict[str, str]:
        return {**os.environ, "SSH_AUTH_SOCK": str(self.socket)}

    def add(self, key: Path) -> None:
        subprocess.run(
            ["ssh-add", str(key)], env=self.env, check=True, capture_output=True, timeout=10
        )


def make_key(path: Path, comment: str = "test@sshsetup") -> Path:
    subprocess.run(
        ["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", comment, "-f", str(path)],
        check=True,
        capture_output=True,
        timeout=10,
    )
    return path


def start_agent(socket_path: Path) -> RunningAgent:
    """``ssh-agent -D -a <socket>``, once its socket exists."""
    process = subprocess.Popen(
        ["ssh-agent", "-D", "-a", str(socket_path)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 5
    while not socket_path.exists():
        if time.monotonic() > deadline or process.poll() is not None:
            process.kill()
            raise RuntimeError(f"ssh-agent did not create {socket_path}")
        time.sleep(0.01)
    return RunningAgent(socket_path, process)


def stop_agent(agent: RunningAgent) -> None:
    if agent.process.poll() is None:
        agent.process.terminate()
    agent.process.wait(timeout=5)


def kill_agent(agent: RunningAgent) -> Path:
    """SIGKILL: the agent's socket file stays behind (a stale socket)."""
    agent.process.send_signal(signal.SIGKILL)
    agent.process.wait(timeout=5)
    assert agent.socket.exists(), "SIGKILL must leave the socket file behind"
    return agent.socket


def short_directory() -> Path:
    """A short directory for Unix sockets (pytest's tmp_path can exceed the 108-byte limit)."""
    return Path(tempfile.mkdtemp(prefix="sa-", dir="/tmp"))


@contextmanager
def serve_once(path: Path, reply: bytes | None) -> Iterator[Path]:
    """A real Unix socket server: reads the request, sends ``reply`` (None: never answers)."""
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(str(path))
    server.listen(1)
    release = threading.Event()

    def handle() -> None:
        connection, _ = server.accept()
        connection.recv(5)
        if reply is not None:
            connection.sendall(reply)
        release.wait(5)
        connection.close()

    thread = threading.Thread(target=handle, daemon=True)
    thread.start()
    yield path
    release.set()
    thread.join(5)
    server.close()
