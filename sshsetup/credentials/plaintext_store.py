"""Writing the explicit plaintext fallback for API keys (``sshsetup login --store file``).

The file is created 0600 in a 0700 directory; modes that are looser are tightened, never
loosened. Reading it is ``sshsetup.connect.plaintext_keys``'.
"""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

from sshsetup.connect.atomic_write import write_atomic
from sshsetup.connect.plaintext_keys import (
    FORMAT_VERSION,
    PlaintextKeysProblem,
    read_plaintext_keys,
)
from sshsetup.connect.private_files import ensure_private_dir
from sshsetup.errors import BadInput


def store_plaintext_key(path: Path, remote: str, key: str) -> Path:
    """Add or replace ``remote``'s key; returns the file. Caller holds the settings lock."""
    keys = _keys_for_update(path)
    keys[remote] = key
    _write(path, keys)
    return path


def delete_plaintext_key(path: Path, remote: str) -> bool:
    """Drop ``remote``'s key; True if there was one. Removes the file when it empties."""
    keys = _keys_for_update(path)
    if remote not in keys:
        return False
    del keys[remote]
    if keys:
        _write(path, keys)
    else:
        path.unlink()
    return True


def _keys_for_update(path: Path) -> dict[str, str]:
    _restrict(path)
    try:
        return read_plaintext_keys(str(path))
    except PlaintextKeysProblem as exc:
        raise BadInput(str(exc), hint=f"delete {path} and log in again") from None


def _restrict(path: Path) -> None:
    """Directory 0700 and file 0600, tightening what exists (never loosening)."""
    ensure_private_dir(path.parent)
    if os.name == "nt":
        return
    for target, wanted in ((path.parent, 0o700), (path, 0o600)):
        try:
            mode = stat.S_IMODE(os.stat(target).st_mode)
        except FileNotFoundError:
            continue
        if mode & 0o077:
            os.chmod(target, mode & wanted)


def _write(path: Path, keys: dict[str, str]) -> None:
    data = {"version": FORMAT_VERSION, "api_keys": keys}
    data_bytes = (json.dumps(data, indent=2, sort_keys=True) + "\n").encode()
    write_atomic(path, data_bytes, 0o600, secret=True)
