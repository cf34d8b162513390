"""Keyring backends for the credential tests, and the OS's keyring tools replayed.

``PLAINTEXT_BACKEND`` is keyrings.alt's PlaintextKeyring, a real file-backed backend, chosen
the documented way (``PYTHON_KEYRING_BACKEND``). ``RefusingKeyring`` behaves like a locked OS
keyring and, worse, puts the password it was given into its error; keyring loads it by name,
``REFUSING_BACKEND`` (this directory must be importable: it is in-process, and a real process
gets it on PYTHONPATH).
"""

from __future__ import annotations

import os
import shlex
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from keyring.backend import KeyringBackend
from keyring.errors import KeyringLocked

from helpers import FIXTURES_DIR

PLAINTEXT_BACKEND = "keyrings.alt.file.PlaintextKeyring"
REFUSING_BACKEND = "helpers.keyrings.RefusingKeyring"


class RefusingKeyring(KeyringBackend):
    """A locked keyring whose errors quote the password (sshsetup must not repeat it)."""

    priority = 5

    def get_password(self, service: str, username: str) -> str | None:
        raise KeyringLocked(f"collection is locked (asked for {service}/{username})")

    def set_password(self, service: str, username: str, password: str) -> None:
        raise KeyringLocked(f"collection is locked; refusing to store {password!r}")

    def delete_password(self, service: str, username: str) -> None:
        raise KeyringLocked("collection is locked")


# --- the OS's own keyring tools, replayed ------------------------------------------------

KEYRING_RECORDINGS = FIXTURES_DIR / "keyring"
RECORDED_KEY = "test-api-key.0123456789abcdef"


def replaying_tool(
    path: Path,
    argv: list[str],
    stdout: str | None = None,
    stderr: str | None = None,
    status: int = 0,
) -> Path:
    """An executable at ``path`` that, called with exactly ``argv``, prints the recordings
    ``stdout`` and ``stderr`` (files in fixtures/keyring) and exits ``status``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    lines = [
        "#!/bin/sh",
        f'[ "$*" = {shlex.quote(" ".join(argv))} ] || {{ echo "unexpected: $*" >&2; exit 99; }}',
    ]
    if stdout:
        lines.append(f"cat {shlex.quote(str(KEYRING_RECORDINGS / stdout))}")
    if stderr:
        lines.append(f"cat {shlex.quote(str(KEYRING_RECORDINGS / stderr))} >&2")
    lines.append(f"exit {status}")
    path.write_text("\n".join(lines) + "\n")
    path.chmod(0o755)
    return path


# --- a real Secret Service: a private D-Bus session with gnome-keyring-daemon --------------

SECRET_SERVICE_BACKEND = "keyring.backends.SecretService.Keyring"


@dataclass
class SecretService:
    """A D-Bus session bus and an unlocked gnome-keyring-daemon of its own (``env`` reaches
    it); keyring's SecretService backend and secret-tool both talk to it."""

    bus: subprocess.Popen[bytes]
    daemon: subprocess.Popen[bytes]
    env: dict[str, str]

    def stop(self) -> None:
        for process in (self.daemon, self.bus):
            process.terminate()
            process.wait(timeout=10)


def start_secret_service(directory: Path) -> SecretService:
    runtime_dir = directory / "run"
    runtime_dir.mkdir(parents=True, mode=0o700)
    bus = subprocess.Popen(
        ["dbus-daemon", "--session", "--nofork", "--print-address=1"],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL,
    )  # fmt: skip
    assert bus.stdout is not None
    address = bus.stdout.readline().decode().strip()
    env = {
        "DBUS_SESSION_BUS_ADDRESS": address,
        "XDG_RUNTIME_DIR": str(runtime_dir),
        "XDG_DATA_HOME": str(directory / "data"),
        "HOME": str(directory),
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
    }
    daemon = subprocess.Popen(
        ["gnome-keyring-daemon", "--foreground", "--unlock", "--components=secrets"],
        stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env,
    )  # fmt: skip
    assert daemon.stdin is not None
    daemon.stdin.write(b"unlock-password")  # the new login keyring's password
    daemon.stdin.close()
    service = SecretService(bus, daemon, {"DBUS_SESSION_BUS_ADDRESS": address})
    deadline = time.monotonic() + 20
    while not _answers(env):
        if time.monotonic() > deadline:
            service.stop()
            raise RuntimeError("gnome-keyring-daemon did not come up on the session bus")
        time.sleep(0.1)
    return service


def _answers(env: dict[str, str]) -> bool:
    """The Secret Service answers (an absent item: exit 1, nothing on stderr)."""
    probe = subprocess.run(
        ["secret-tool", "lookup", "service", "probe", "username", "probe"],
        capture_output=True, env=env, timeout=10, check=False,
    )  # fmt: skip
    return probe.returncode in (0, 1) and not probe.stderr
