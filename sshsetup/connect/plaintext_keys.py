"""Reading the explicit plaintext fallback for API keys (``sshsetup login --store file``).

For machines with no working keyring (headless Linux, CI). The keys sit unencrypted in
``<settings_dir>/api-keys.plaintext.json`` (file 0600, directory 0700); only ``login
--store file`` ever writes it (``sshsetup.credentials.plaintext_store``), and it says so
loudly. A file that others can read is ignored when looking a key up, as OpenSSH ignores
such private keys.

Format: ``{"version": 1, "api_keys": {"<remote>": "<key>"}}``.
"""

from __future__ import annotations

import json
import os
import stat

from sshsetup.connect.private_files import read_private

FORMAT_VERSION = 1


class PlaintextKeysProblem(Exception):
    """The file exists but cannot be used (never carries file content)."""


def read_plaintext_keys(path: str) -> dict[str, str]:
    """The stored keys by remote; {} when there is no file. Raises PlaintextKeysProblem."""
    try:
        info = os.lstat(path)
        raw = read_private(path)  # never through a link
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
