"""Read-modify-write of settings.json under the lock that setup also takes."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from sshsetup.connect.file_lock import file_lock
from sshsetup.paths import Paths
from sshsetup.settings import Remote, Settings, load_settings, save_settings

KEEP = object()  # with_remote: leave base_url as it is


def edit_settings(paths: Paths, change: Callable[[Settings], Settings]) -> Settings:
    """Apply ``change`` to the current settings and save them if anything changed."""
    with file_lock(paths.lock_file):
        settings = load_settings(paths.settings_file)
        updated = change(settings)
        if updated != settings:
            save_settings(paths.settings_file, updated)
    return updated


def with_remote(settings: Settings, remote: str, base_url: object = KEEP) -> Settings:
    """``settings`` with ``remote`` recorded, its base_url set unless KEEP."""
    remotes = dict(settings.remotes)
    entry = remotes.get(remote, Remote())
    if base_url is not KEEP:
        entry = replace(entry, base_url=base_url if isinstance(base_url, str) else None)
    remotes[remote] = entry
    return replace(settings, remotes=remotes)
