"""The real ``ssh -G``: what a config means, as OpenSSH itself reads it."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from sshsetup.connect.environment import NO_FETCH_ENV
from sshsetup.openssh import effective_settings

SSH = "ssh"


@dataclass(frozen=True)
class SshG:
    """``ssh -G`` for one host: exit status, effective settings (keyword -> values), stderr."""

    returncode: int
    settings: dict[str, list[str]]
    stderr: str

    def value(self, keyword: str) -> str:
        return self.settings[keyword][0]


def ssh_g(config: Path, host: str, env: Mapping[str, str] | None = None) -> SshG:
    """The real ``ssh -G -F config host``; the block's hook is told not to fetch anything."""
    run_env = dict(os.environ if env is None else env)
    run_env[NO_FETCH_ENV] = "1"
    run_env["SHELL"] = "/bin/sh"
    completed = subprocess.run(
        [SSH, "-G", "-F", str(config), host],
        capture_output=True,
        text=True,
        errors="surrogateescape",
        env=run_env,
        stdin=subprocess.DEVNULL,
        timeout=30,
    )
    return SshG(completed.returncode, effective_settings(completed.stdout), completed.stderr)
