"""Keyring backends for the credential tests, and the OS's keyring tools replayed.

``PLAINTEXT_BACKEND`` is keyrings.alt's PlaintextKeyring, a real file-backed backend, chosen
the documented way (``PYTHON_KEYRING_BACKEND``). ``RefusingKeyring`` behaves like a locked OS
keyring and, worse, puts the password it was given into its error; keyring loads it by name,
``REFUSING_BACKEND`` (this directory must be importable: it is in-process, and a real process
gets it on PYTHONPATH).
"""

from __future__ import annotations

import shlex
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
