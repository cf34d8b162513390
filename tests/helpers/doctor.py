"""A healthy machine for the doctor tests, to break one thing at a time, and the means to apply
the fix doctor prints.

``DoctorHome`` is a Home set up by the real ``sshsetup setup`` code, pointed at a sandbox
(sshsetup.sandbox: the API doctor asks, the proxy and sshd ``--connect`` reaches), with the
sandbox's API key in its keyring, the key the user uses for git (``~/.ssh/id_ed25519``) and,
when asked, real ssh-agent processes holding keys. ``doctor()`` runs
``sshsetup doctor --json --config <home>/.ssh/config`` in-process (ssh reads ~/.ssh/config
from the passwd entry, not $HOME, hence --config); ``run_fix`` runs the command a fix names in
a real shell of the home, with ``sshsetup`` being this checkout. Certificates are signed for
the home's host by a test CA (cryptography,
docs/certificates.md#parsing-certificates-with-the-cryptography-package) unless fetched
from the sandbox.
"""

from __future__ import annotations

import json
import shlex
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519

from helpers import REPO_ROOT
from helpers.agents import RunningAgent, make_key, start_agent, stop_agent
from helpers.certs import sign_with_cryptography
from helpers.cli import CliResult
from helpers.homes import Home
from sshsetup.baseten import EXAMPLE_HOSTS
from sshsetup.check_ids import CheckId
from sshsetup.commands import setup as setup_command
from sshsetup.exit_codes import ExitCode
from sshsetup.sandbox import Sandbox

DOCTOR_HOST = EXAMPLE_HOSTS[0]
CHECK_IDS = frozenset(member.value for member in CheckId)
FIX_TIMEOUT_SECONDS = 120


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
        """Every check that did not pass (warnings, failures and skips), in report order."""
        return [c["id"] for c in self.report["checks"] if c["status"] != "pass"]

    def first_problem(self) -> dict[str, Any]:
        """The first FAIL, else the first WARN: the one to fix."""
        for status in ("fail", "warn"):
            found = [c for c in self.report["checks"] if c["status"] == status]
            if found:
                return found[0]
        raise AssertionError(f"nothing failed or warned:\n{self}")

    def skipped(self) -> dict[str, str]:
        """Each skipped check and the failed check it needs."""
        return {c["id"]: c["needs"] for c in self.report["checks"] if c["status"] == "skip"}

    def __str__(self) -> str:
        return str(self.result)


@dataclass
class DoctorHome(Home):
    agents: list[RunningAgent] = field(default_factory=list)
    sandbox: Sandbox | None = None

    def use_sandbox(self, sandbox: Sandbox) -> None:
        """Point the home at ``sandbox``'s API (and trust its proxy's CA)."""
        self.sandbox = sandbox
        client = sandbox.client_env(self.home)
        self.env.update(
            SSL_CERT_FILE=client["SSL_CERT_FILE"], BASETEN_BASE_URL=client["BASETEN_BASE_URL"]
        )

    @property
    def api_key(self) -> str:
        assert self.sandbox is not None
        return self.sandbox.api_key

    def set_up(self, *, forward_agent: bool = True) -> None:
        """The real setup code (same block, key and settings as the CLI writes)."""
        request = setup_command.Request(forward_agent=forward_agent)
        outcome = setup_command.run(self.context(), request)
        assert outcome.exit_code == ExitCode.OK

    def log_in(self) -> None:
        self.put_keyring_entry("baseten", self.api_key, "sshsetup")

    @property
    def git_key(self) -> Path:
        """The key the user uses for git (GitHub knows it): ~/.ssh/id_ed25519."""
        return self.ssh_dir / "id_ed25519"

    def make_git_key(self, name: str = "id_ed25519") -> Path:
        return make_key(self.ssh_dir / name, f"{name}@github")

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
        assert "Traceback" not in result.stderr, result
        if self.sandbox is not None:
            assert self.sandbox.api_key not in result.stdout + result.stderr
        return DoctorRun(result, json.loads(result.stdout))

    def doctor_text(self, *args: str) -> CliResult:
        """Plain text, as a user sees it."""
        return self.run("doctor", "--config", str(self.config), *args)

    def run_fix(
        self, fix: str, *, append: str = "", input_text: str = ""
    ) -> subprocess.CompletedProcess[str]:
        """Run the command ``fix`` names (``fix_command``) in ``sh``, in this home,
        ``sshsetup`` being this checkout; ``append``: arguments a terminal would not need
        (``--api-key-stdin``, fed ``input_text``)."""
        command = f"{fix_command(fix)} {append}".strip()
        script = f'sshsetup() {{ {shlex.quote(sys.executable)} -m sshsetup "$@"; }}\n{command}'
        completed = subprocess.run(
            ["sh", "-c", script],
            capture_output=True,
            text=True,
            env=self.env,
            cwd=REPO_ROOT,
            input=input_text,
            timeout=FIX_TIMEOUT_SECONDS,
            check=False,
        )
        assert completed.returncode == 0, f"{command}:\n{completed.stdout}{completed.stderr}"
        return completed


def fix_command(fix: str) -> str:
    """The command on a fix's first line: a quoted `command` after "run", else the line up to
    its comment (two spaces and a parenthesis)."""
    first = fix.splitlines()[0]
    if first.startswith("run `"):
        return first.split("`")[1]
    return first.split("  (")[0].strip()


def now() -> int:
    return int(time.time())
