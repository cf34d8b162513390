"""Fixtures for the doctor tests: a healthy machine, broken one thing at a time.

- ``DoctorHome``: a KeyringHome (real PlaintextKeyring, every sshsetup location inside it)
  set up by the real ``sshsetup setup`` code, with the API key in the keyring and, when
  asked, a real ssh-agent holding the sshsetup key. ``doctor()`` runs
  ``python -m sshsetup doctor --json --config <home>/.ssh/config`` as a real process (ssh
  reads ~/.ssh/config from the passwd entry, not $HOME, hence --config).
- ``healthy_home``: everything passes; each gallery test breaks exactly one thing.
- Certificates are signed for the home's host by a test CA (cryptography, field guide E5).
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from certkit import sign_with_cryptography
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519
from plugin_agent import RunningAgent, start_agent, stop_agent
from plugin_keyring import KeyringHome
from plugin_setup import CliResult

from sshsetup.commands import setup as setup_command
from sshsetup.openssh import EXAMPLE_HOSTS
from sshsetup.prompts import Prompter

DOCTOR_HOST = EXAMPLE_HOSTS[0]
FAKE_API_KEY = "doctor-test-key-7f3c9a1e5b"  # only ever in the test keyring file


@dataclass
class DoctorRun:
    result: CliResult
    report: dict[str, Any]

    @property
    def checks(self) -> dict[str, dict[str, Any]]:
        return {check["id"]: check for check in self.report["checks"]}

    def status(self, check_id: str) -> str:
        return str(self.checks[check_id]["status"])

    def failing(self) -> list[str]:
        return [c["id"] for c in self.report["checks"] if c["status"] != "pass"]

    def __str__(self) -> str:
        return str(self.result)


@dataclass
class DoctorHome(KeyringHome):
    agents: list[RunningAgent] = field(default_factory=list)

    def set_up(self, *, forward_agent: bool = True) -> None:
        """The real setup code, in-process (same block, key and settings as the CLI writes)."""
        request = setup_command.SetupRequest(forward_agent=forward_agent, assume_yes=True)
        code = setup_command.run(self.paths, request, Prompter.for_terminal(True))
        assert code == 0

    def log_in(self) -> None:
        self.put_keyring_entry("baseten", FAKE_API_KEY, "sshsetup")

    def start_agent(self, socket_dir: Path, *keys: Path) -> RunningAgent:
        agent = start_agent(socket_dir / f"agent{len(self.agents)}.sock")
        self.agents.append(agent)
        self.env["SSH_AUTH_SOCK"] = str(agent.socket)
        for key in keys:
            agent.add(key)
        return agent

    def stop_agents(self) -> None:
        for agent in self.agents:
            stop_agent(agent)

    @property
    def key_file(self) -> Path:
        return self.key_dir / "id_ed25519"

    def cert_file(self, host: str = DOCTOR_HOST) -> Path:
        return self.key_dir / "certs" / f"{host}-cert.pub"

    def private_key(self) -> ed25519.Ed25519PrivateKey:
        key = serialization.load_ssh_private_key(self.key_file.read_bytes(), password=None)
        assert isinstance(key, ed25519.Ed25519PrivateKey)
        return key

    def write_certificate(
        self,
        *,
        key: ed25519.Ed25519PrivateKey | None = None,
        valid_after: int | None = None,
        valid_before: int | None = None,
        extensions: tuple[bytes, ...] = (b"permit-agent-forwarding", b"permit-pty"),
        host: str = DOCTOR_HOST,
    ) -> Path:
        ca = ed25519.Ed25519PrivateKey.generate()
        text = sign_with_cryptography(
            ca,
            key or self.private_key(),
            valid_after=valid_after,
            valid_before=valid_before,
            extensions=extensions,
        )
        path = self.cert_file(host)
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        path.write_text(text)
        path.chmod(0o600)
        return path

    def doctor(self, *args: str, config: bool = True) -> DoctorRun:
        extra = ["--config", str(self.config)] if config else []
        result = self.run("doctor", "--json", *extra, *args)
        assert result.returncode in (0, 10, 11), result
        return DoctorRun(result, json.loads(result.stdout))


@pytest.fixture
def doctor_home(tmp_path: Path) -> Iterator[DoctorHome]:
    home = DoctorHome(tmp_path / "home")
    home.env.pop("SSH_AUTH_SOCK", None)
    yield home
    home.stop_agents()


@pytest.fixture
def healthy_home(doctor_home: DoctorHome, socket_dir: Path) -> DoctorHome:
    """Set up with --forward-agent, logged in, the key in a real agent, a valid certificate."""
    doctor_home.set_up()
    doctor_home.log_in()
    doctor_home.start_agent(socket_dir, doctor_home.key_file)
    doctor_home.write_certificate()
    return doctor_home


def now() -> int:
    return int(time.time())
