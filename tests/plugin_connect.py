"""Fixtures for the connect-path tests: a client home set up as `sshsetup setup` leaves it
(key pair, connect.json), pointed at the sandbox, with the hook, proxy and ssh as real
processes. Needs plugin_sandbox's ``sandbox`` fixture."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from certkit import make_key_pair
from plugin_setup import changed_env

from sshsetup.connect.installation import write_connect_settings
from sshsetup.paths import Paths
from sshsetup.sandbox import Sandbox

REPO_ROOT = Path(__file__).resolve().parent.parent
HOOK = REPO_ROOT / "sshsetup" / "connect" / "hook.py"
PROXY = REPO_ROOT / "sshsetup" / "connect" / "proxy.py"
TRAINING_HOST = "training-job-abc123-0.ssh.baseten.co"
MODEL_HOST = "model-m1-d1-r1.ssh.baseten.co"


@dataclass
class Client:
    """A temporary home set up the way `sshsetup setup` leaves it, pointed at the sandbox."""

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
        make_key_pair(self.paths.key_file)
        write_connect_settings(self.paths, 300)

    def cert_file(self, host: str) -> Path:
        return self.paths.cert_dir / f"{host}-cert.pub"

    def session_file(self, host: str) -> Path:
        return self.paths.session_dir / f"{host}.json"

    def hook(self, host: str, **changes: str | None) -> subprocess.CompletedProcess[str]:
        return self._run(HOOK, host, changes)

    def proxy(
        self, host: str, stdin: bytes = b"", **changes: str | None
    ) -> subprocess.CompletedProcess[str]:
        return self._run(PROXY, host, changes, stdin)

    def _run(
        self, script: Path, host: str, changes: dict[str, str | None], stdin: bytes | None = None
    ) -> subprocess.CompletedProcess[str]:
        command = [sys.executable, "-I", "-S", str(script), str(self.paths.key_dir), host]
        completed = subprocess.run(
            command,
            input=stdin,
            stdin=subprocess.DEVNULL if stdin is None else None,
            capture_output=True,
            env=self.env_with(changes),
            timeout=60,
        )
        return subprocess.CompletedProcess(
            command,
            completed.returncode,
            completed.stdout.decode(errors="replace"),
            completed.stderr.decode(errors="replace"),
        )

    def env_with(self, changes: dict[str, str | None]) -> dict[str, str]:
        return changed_env(self.env, changes)

    def ssh(
        self, host: str, command: str, stdin: bytes = b""
    ) -> subprocess.CompletedProcess[bytes]:
        """The real ssh client through our ProxyCommand straight to the sandbox's sshd."""
        known_hosts = self.home / "known_hosts"
        known_hosts.write_text(f"{host} {self.sandbox.host_public_key}\n")
        proxy = f"{sys.executable} -I -S {PROXY} {self.paths.key_dir} %h"
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

    def sshsetup(self, *args: str, **changes: str | None) -> subprocess.CompletedProcess[str]:
        """``python -m sshsetup ARGS`` in this home."""
        return subprocess.run(
            [sys.executable, "-m", "sshsetup", *args],
            capture_output=True,
            text=True,
            env=self.env_with(changes),
            stdin=subprocess.DEVNULL,
            cwd=REPO_ROOT,
            timeout=60,
        )


@pytest.fixture
def client(sandbox: Sandbox, tmp_path: Path) -> Client:
    return Client(tmp_path / "home", sandbox)


def assert_one_clean_line(result: subprocess.CompletedProcess[str], *fragments: str) -> None:
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("sshsetup: ")
    assert "Traceback" not in result.stderr
    for fragment in fragments:
        assert fragment in lines[0]
