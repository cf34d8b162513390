"""The installed OpenSSH client: the truth about what a config means (``ssh -G``).

Every evaluation sets ``SSHSETUP_NO_FETCH=1`` so the block's Match hook, which ``ssh -G``
runs too, never makes a signing round-trip on sshsetup's behalf.
"""

from __future__ import annotations

import os
import shutil
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from sshsetup.connect.environment import NO_FETCH_ENV, SSH_EXECUTABLE_ENV
from sshsetup.paths import Paths
from sshsetup.process import CommandResult, run_command

SSH_TIMEOUT_SECONDS = 20


@dataclass(frozen=True)
class OpenSSH:
    executable: str
    env: Mapping[str, str]

    def run(self, *args: str, timeout: float = SSH_TIMEOUT_SECONDS) -> CommandResult:
        return run_command([self.executable, *args], timeout, {**self.env, NO_FETCH_ENV: "1"})

    def version(self) -> str:
        return self.run("-V").stderr.strip()

    def evaluate(self, host: str, config: Path | None = None) -> CommandResult:
        """``ssh -G`` for ``host`` (with ``-F config`` when given)."""
        args = ["-G"]
        if config is not None:
            args += ["-F", str(config)]
        return self.run(*args, host)

    def evaluate_each(self, hosts: Sequence[str], config: Path) -> list[CommandResult]:
        """``ssh -G -F config`` for several hosts at once (the runs are independent)."""
        results: dict[str, CommandResult] = {}

        def evaluate(host: str) -> None:
            results[host] = self.evaluate(host, config)

        threads = [threading.Thread(target=evaluate, args=(host,)) for host in hosts]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        return [results[host] for host in hosts]

    def understands_use_keychain(self) -> bool:
        """Apple's build knows UseKeychain; every other build rejects it
        (docs/macos.md#probing-whether-the-client-accepts-usekeychain)."""
        return self.run("-G", "-F", os.devnull, "-o", "UseKeychain=no", "localhost").ok


def find_openssh(env: Mapping[str, str]) -> OpenSSH | None:
    env = dict(env)
    executable = env.get(SSH_EXECUTABLE_ENV) or shutil.which("ssh", path=env.get("PATH"))
    return OpenSSH(executable, env) if executable else None


def effective_settings(output: str) -> dict[str, list[str]]:
    """``ssh -G`` output as keyword -> values (repeatable keywords keep every value)."""
    settings: dict[str, list[str]] = {}
    for line in output.splitlines():
        keyword, _, value = line.partition(" ")
        if keyword:
            settings.setdefault(keyword.lower(), []).append(value)
    return settings


def config_arguments(paths: Paths) -> list[str]:
    """``-F <config>`` unless it is the file ssh reads by itself (the passwd home's, not
    $HOME's), in which case the system config counts too, as in the user's own ssh runs."""
    return [] if paths.ssh_config == paths.ssh_reads else ["-F", str(paths.ssh_config)]
