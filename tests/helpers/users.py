"""Another user on this machine, for attacks a shared machine allows: directories prepared
by someone else. The account ``baseten`` exists wherever the suite runs on Linux
(scripts/install-test-deps creates it); as root the tests switch with ``runuser``, otherwise
with passwordless ``sudo`` (as on CI runners)."""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

ATTACKER = "baseten"


def _privileged(prefix_as_root: list[str], prefix_with_sudo: list[str]) -> list[str]:
    if os.geteuid() == 0:
        return prefix_as_root
    if shutil.which("sudo") is None:
        raise RuntimeError("these tests need root or passwordless sudo (scripts/install-test-deps)")
    return prefix_with_sudo


def as_user(user: str, *argv: str) -> subprocess.CompletedProcess[str]:
    """Run ``argv`` as ``user``; fails the test if it fails."""
    prefix = _privileged(["runuser", "-u", user, "--"], ["sudo", "-n", "-u", user, "--"])
    return subprocess.run([*prefix, *argv], check=True, capture_output=True, text=True)


def as_root(*argv: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*_privileged([], ["sudo", "-n"]), *argv], check=True, capture_output=True, text=True
    )


@contextlib.contextmanager
def shared_directory() -> Iterator[Path]:
    """A directory like /tmp (world-writable, sticky) where the attacker can prepare things;
    removed with everything in it, whoever owns it."""
    base = Path(tempfile.mkdtemp(prefix="sshsetup-shared-", dir="/tmp"))
    base.chmod(0o1777)
    try:
        yield base
    finally:
        as_root("rm", "-rf", str(base))
