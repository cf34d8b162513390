"""The explicit plaintext fallback for API keys: ``sshsetup login --store file``.

For machines with no working keyring (headless Linux, CI). The keys sit unencrypted in
``<config_dir>/api-keys.plaintext.json`` (file 0600, directory 0700), so only ``login
--store file`` ever writes it, and it says so loudly. A file that others can read is
ignored when looking a key up, as OpenSSH ignores such private keys.

Format: ``{"version": 1, "api_keys": {"<remote>": "<key>"}}``.
"""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

from sshsetup.connect.atomic_write import ensure_private_dir, write_atomic
from sshsetup.errors import UserError
from sshsetup.paths import Paths

FILE_NAME = "api-keys.plaintext.json"
FORMAT_VERSION = 1


def plaintext_keys_file(paths: Paths) -> Path:
    return paths.config_dir / FILE_NAME


class PlaintextKeysProblem(Exception):
    """The file exists but cannot be used (never carries file content)."""


def read_plaintext_keys(path: Path) -> dict[str, str]:
    """The stored keys by remote; {} when there is no file. Raises PlaintextKeysProblem."""
    try:
        info = os.stat(path)
        raw = path.read_bytes()
    except FileNotFoundError:
        return {}
    except OSError as exc:
        raise PlaintextKeysProblem(f"cannot read {path}: {exc.strerror}") from None
    if os.name != "nt" and info.st_mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise PlaintextKeysProblem(
            f"{path} is accessible by other users (mode {stat.S_IMODE(info.st_mode):o}), ignored"
        )
    try:
        data = json.loads(raw)
    except ValueError:
        raise PlaintextKeysProblem(f"{path}: not valid JSON") from None
    keys = data.get("api_keys") if isinstance(data, dict) else None
    if not isinstance(keys, dict) or not all(
        isinstance(name, str) and isinstance(key, str) for name, key in keys.items()
    ):
        raise PlaintextKeysProblem(f'{path}: expected {{"api_keys": {{"<remote>": "<key>"}}}}')
    return dict(keys)


def store_plaintext_key(paths: Paths, remote: str, key: str) -> Path:
    """Add or replace ``remote``'s key; returns the file. Caller holds the settings lock."""
    path = plaintext_keys_file(paths)
    keys = _keys_for_update(path)
    keys[remote] = key
    _write(path, keys)
    return path


def delete_plaintext_key(paths: Paths, remote: str) -> bool:
    """Drop ``remote``'s key; True if there was one. Removes the file when it empties."""
    path = plaintext_keys_file(paths)
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
        return read_plaintext_keys(path)
    except PlaintextKeysProblem as exc:
        raise UserError(str(exc), hint=f"delete {path} and log in again") from None


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
    write_atomic(path, (json.dumps(data, indent=2, sort_keys=True) + "\n").encode(), 0o600)
