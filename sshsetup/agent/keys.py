"""Key files on disk, as the agent checks compare them with the keys an agent holds."""

from __future__ import annotations

import base64
import binascii
from pathlib import Path

from sshsetup.connect.certfile import CERT_KEY_TYPE_SUFFIX, fingerprint


def public_key_fingerprint(path: Path) -> str | None:
    """The fingerprint of an OpenSSH ``.pub`` file's key (None: unreadable or a certificate)."""
    try:
        fields = path.read_text(encoding="utf-8", errors="replace").split()
        blob = base64.b64decode(fields[1], validate=True)
    except (OSError, IndexError, binascii.Error):
        return None
    if fields[0].endswith(CERT_KEY_TYPE_SUFFIX):
        return None
    return fingerprint(blob)
