"""Keyring backends for the credential tests.

``PLAINTEXT_BACKEND`` is keyrings.alt's PlaintextKeyring, a real file-backed backend, chosen
the documented way (``PYTHON_KEYRING_BACKEND``). ``RefusingKeyring`` behaves like a locked OS
keyring and, worse, puts the password it was given into its error; keyring loads it by name,
``REFUSING_BACKEND`` (this directory must be importable: it is in-process, and a real process
gets it on PYTHONPATH).
"""

from __future__ import annotations

from keyring.backend import KeyringBackend
from keyring.errors import KeyringLocked

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
