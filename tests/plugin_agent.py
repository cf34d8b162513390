"""Fixtures for the agent checks: real ssh-agent processes, real keys, recorded OS outputs.

- ``empty_agent``: a real ``ssh-agent -D -a <socket>`` holding nothing.
- ``agent_with_key``: the same with a fresh ed25519 key added by real ``ssh-add``.
- ``stale_agent_socket``: an agent killed with SIGKILL, leaving its socket file behind.
- ``agent_home``: a HOME with ~/.ssh and Paths pointing sshsetup at it.
- ``RecordedRunner``: the command runner for macOS/Windows branches, answering from
  ``fixtures/platforms`` (see its SOURCES.md).
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import pytest

from sshsetup.paths import Paths
from sshsetup.process import CommandResult

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "platforms"


def recorded(name: str) -> str:
    return (FIXTURES / name).read_text(encoding="utf-8")


class RecordedRunner:
    """Answers each argv from a table of recorded outputs; an unexpected argv is a test bug."""

    def __init__(self, answers: Mapping[tuple[str, ...], CommandResult]) -> None:
        self.answers = dict(answers)
        self.calls: list[tuple[str, ...]] = []

    def __call__(self, argv: Sequence[str]) -> CommandResult:
        key = tuple(argv)
        self.calls.append(key)
        if key not in self.answers:
            raise AssertionError(f"no recorded output for {key}")
        return self.answers[key]


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


@pytest.fixture
def socket_dir() -> Iterator[Path]:
    """A short directory for Unix sockets (pytest's tmp_path can exceed the 108-byte limit)."""
    directory = Path(tempfile.mkdtemp(prefix="sa-", dir="/tmp"))
    yield directory
    shutil.rmtree(directory, ignore_errors=True)


@pytest.fixture
def empty_agent(socket_dir: Path) -> Iterator[RunningAgent]:
    agent = start_agent(socket_dir / "agent.sock")
    yield agent
    stop_agent(agent)


@pytest.fixture
def agent_with_key(empty_agent: RunningAgent, tmp_path: Path) -> tuple[RunningAgent, Path]:
    key = make_key(tmp_path / "loaded_key")
    empty_agent.add(key)
    return empty_agent, key


@pytest.fixture
def stale_agent_socket(socket_dir: Path) -> Path:
    agent = start_agent(socket_dir / "stale.sock")
    agent.process.send_signal(signal.SIGKILL)
    agent.process.wait(timeout=5)
    assert agent.socket.exists(), "SIGKILL must leave the socket file behind"
    return agent.socket


@pytest.fixture
def agent_home(tmp_path: Path) -> Paths:
    home = tmp_path / "home"
    (home / ".ssh").mkdir(parents=True, mode=0o700)
    env = {
        "HOME": str(home),
        "SSHSETUP_CONFIG_DIR": str(tmp_path / "config"),
        "SSHSETUP_STATE_DIR": str(tmp_path / "state"),
        "SSHSETUP_KEY_DIR": str(home / ".ssh" / "sshsetup"),
    }
    return Paths.from_environment(env)
