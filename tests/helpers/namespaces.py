"""Running a shell script as root in a private mount namespace (``unshare -m``), so that a
test can bind-mount over /etc/passwd or make a directory read-only without touching the
machine: directly when the suite runs as root, else through passwordless sudo (as on CI
runners). Files the script creates are handed back to the user running the suite."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Mapping
from pathlib import Path

import pytest

SCRIPT_TIMEOUT_SECONDS = 180


def as_root_prefix() -> list[str]:
    """What to put before a command so that it runs as root: nothing when the suite is root,
    else passwordless sudo; a skip where neither is there (a failure under strict skips)."""
    if os.geteuid() == 0:
        return []
    if subprocess.run(["sudo", "-n", "true"], capture_output=True, check=False).returncode:
        pytest.skip("needs root or passwordless sudo for a private mount namespace")
    return ["sudo", "-n"]


def as_root_in_private_mounts(
    script: str, env: Mapping[str, str], owned: Path
) -> subprocess.CompletedProcess[str]:
    """``sh -c script`` with ``env``; afterwards everything under ``owned`` is the suite's."""
    prefix = as_root_prefix()
    chown = f"chown -R {os.getuid()}:{os.getgid()} {owned}" if prefix else "true"
    wrapped = f"( {script} ); status=$?; {chown}; exit $status"
    return subprocess.run(
        [*prefix, "env", "-i", *(f"{k}={v}" for k, v in env.items()),
         "unshare", "-m", "--propagation", "private", "sh", "-c", wrapped],
        capture_output=True, text=True, stdin=subprocess.DEVNULL,
        timeout=SCRIPT_TIMEOUT_SECONDS, check=False,
    )  # fmt: skip
