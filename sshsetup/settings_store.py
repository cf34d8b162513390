"""Writing settings.json: saved atomically (0600 in 0700), edited under the setup lock."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

from sshsetup.connect.atomic_write import write_atomic
from sshsetup.connect.file_lock import file_lock
from sshsetup.connect.private_files import ensure_private_dir
from sshsetup.connect.settings import Remote, Settings, load_settings
from sshsetup.paths import Paths

KEEP = object()  # with_remote: leave base_url as it is


def save_settings(path: Path, settings: Settings) -> None:
    ensure_private_dir(path.parent)
    data = json.dumps(settings.to_json(), indent=2, sort_keys=True) + "\n"
    write_atomic(path, data.encode(), new_file_mode=0o600, secret=True)


def edit_settings(paths: Paths, change: Callable[[Settings], Settings]) -> Settings:
    """Apply ``change`` to the current settings and save them if anything changed."""
    with file_lock(paths.lock_file):
        settings = load_settings(paths.settings_file)
        updated = change(settings)
        if updated != settings:
            save_settings(paths.settings_file, updated)
    return updated


def with_remote(
    settings: Settings, remote: str, base_url: object = KEEP, api_key_in_keyring: object = KEEP
) -> Settings:
    """``settings`` with ``remote`` recorded, its base_url and keyring record set unless KEEP."""
    remotes = dict(settings.remotes)
    entry = remotes.get(remote, Remote())
    if base_url is not KEEP:
        entry = replace(entry, base_url=base_url if isinstance(base_url, str) else None)
    if isinstance(api_key_in_keyring, bool):
        entry = replace(entry, api_key_in_keyring=api_key_in_keyring)
    remotes[remote] = entry
    return replace(settings, remotes=remotes)
