"""A healthy machine for the doctor tests, to break one thing at a time.

``DoctorHome`` is a Home set up by the real ``sshsetup setup`` code, with the API key in
its keyring and, when asked, real ssh-agent processes holding keys. ``doctor()`` runs
``sshsetup doctor --json --config <home>/.ssh/config`` in-process (ssh reads ~/.ssh/config
from the passwd entry, not $HOME, hence --config). Certificates are signed for the home's
host by a test CA (cryptography,
docs/certificates.md#parsing-certificates-with-the-cryptography-package).
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519

from helpers.agents import RunningAgent, start_agent, stop_agent
from helpers.certs import sign_with_cryptography
from helpers.cli import CliResult
from helpers.homes import Home
from sshsetup.baseten import EXAMPLE_HOSTS
from sshsetup.check_ids import CheckId
from sshsetup.commands import setup as setup_command
from sshsetup.exit_codes import ExitCode

DOCTOR_HOST = EXAMPLE_HOSTS[0]
FAKE_API_KEY = "doctor-test-key-7f3c9a1e5b"  # only ever in the test keyring file
CHECK_IDS = frozenset(member.value for member in CheckId)


@dataclass
class DoctorRun:
    result: CliResult
    report: dict[str, Any]

    def __post_init__(self) -> None:
        unknown = {check["id"] for check in self.report["checks"]} - CHECK_IDS
        assert not unknown, f"check ids that are not CheckId members: {unknown}"

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
class DoctorHome(Home):
    agents: list[RunningAgent] = field(default_factory=list)

    def set_up(self, *, forward_agent: bool = True) -> None:
        """The real setup code (same block, key and settings as the CLI writes)."""
        request = setup_command.Request(forward_agent=forward_agent)
        outcome = setup_command.run(self.context(), request)
        assert outcome.exit_code == ExitCode.OK

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


def now() -> int:
    return int(time.time())
