"""The per-host certificate cache as a whole: which hosts it holds, what to prune, removal."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path

from sshsetup.connect.file_lock import file_lock
from sshsetup.connect.installation import Installation, host_of_cert_file, host_of_session_file
from sshsetup.connect.private_files import ensure_private_dir


def cached_hosts(installation: Installation) -> list[str]:
    """The hosts with a certificate in the cache, sorted."""
    try:
        names = os.listdir(installation.cert_dir)
    except FileNotFoundError:
        return []
    return sorted(host for host in map(host_of_cert_file, names) if host is not None)


def orphan_sessions(installation: Installation) -> Iterator[str]:
    """Hosts with a session file but no certificate."""
    certified = set(cached_hosts(installation))
    try:
        names = os.listdir(installation.session_dir)
    except FileNotFoundError:
        return
    for host in sorted(h for h in map(host_of_session_file, names) if h is not None):
        if host not in certified:
            yield host


def remove_host(installation: Installation, cache_key: str) -> list[str]:
    """Delete a host's certificate and session (under its lock); returns what was removed."""
    removed = []
    ensure_private_dir(Path(installation.session_dir))
    lock = installation.lock_file(cache_key)
    with file_lock(Path(lock)):
        for path in installation.host_files(cache_key):
            try:
                os.unlink(path)
            except FileNotFoundError:
                continue
            removed.append(path)
    with contextlib.suppress(FileNotFoundError):
        os.unlink(lock)
    return removed
