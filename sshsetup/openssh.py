"""The installed OpenSSH client: the truth about what a config means (``ssh -G``).

Every evaluation sets ``SSHSETUP_NO_FETCH=1`` so the block's Match hook, which ``ssh -G``
runs too, never makes a signing round-trip on sshsetup's behalf.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

EXAMPLE_HOSTS = ("training-job-example-0.ssh.baseten.co", "model-example-example.ssh.baseten.co")
NO_FETCH_ENV = "SSHSETUP_NO_FETCH"
SSH_TIMEOUT_SECONDS = 20


@dataclass(frozen=True)
class SshResult:
    returncode: int
    stdout: str
    stderr: str

    @property
    def ok(self) -> bool:
        return self.returncode == 0

    @property
    def first_error(self) -> str:
        lines = [line for line in self.stderr.splitlines() if line.strip()]
        return lines[0] if lines else f"ssh exited with status {self.returncode}"


@dataclass(frozen=True)
class OpenSSH:
    executable: str
    env: Mapping[str, str]

    def run(self, *args: str, timeout: float = SSH_TIMEOUT_SECONDS) -> SshResult:
        env = {**self.env, NO_FETCH_ENV: "1"}
        try:
            completed = subprocess.run(
                [self.executable, *args],
                capture_output=True,
                text=True,
                errors="replace",
                env=env,
                stdin=subprocess.DEVNULL,
                timeout=timeout,
            )
        except subprocess.TimeoutExpired:
            return SshResult(255, "", f"ssh {' '.join(args)} did not finish in {timeout:.0f} s")
        except OSError as exc:
            return SshResult(255, "", f"cannot run {self.executable}: {exc.strerror}")
        return SshResult(completed.returncode, completed.stdout, completed.stderr)

    def version(self) -> str:
        return self.run("-V").stderr.strip()

    def evaluate(self, host: str, config: Path | None = None) -> SshResult:
        """``ssh -G`` for ``host`` (with ``-F config`` when given)."""
        args = ["-G"]
        if config is not None:
            args += ["-F", str(config)]
        return self.run(*args, host)

    def understands_use_keychain(self) -> bool:
        """Apple's build knows UseKeychain; every other build rejects it (field guide C2)."""
        return self.run("-G", "-F", os.devnull, "-o", "UseKeychain=no", "localhost").ok


def find_openssh(env: Mapping[str, str] | None = None) -> OpenSSH | None:
    env = dict(os.environ if env is None else env)
    executable = env.get("SSHSETUP_SSH") or shutil.which("ssh", path=env.get("PATH"))
    return OpenSSH(executable, env) if executable else None


def effective_settings(output: str) -> dict[str, list[str]]:
    """``ssh -G`` output as keyword -> values (repeatable keywords keep every value)."""
    settings: dict[str, list[str]] = {}
    for line in output.splitlines():
        keyword, _, value = line.partition(" ")
        if keyword:
            settings.setdefault(keyword.lower(), []).append(value)
    return settings
