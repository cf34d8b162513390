"""The one safe way sshsetup replaces a file: temp file beside it, fsync, atomic rename.

Lean on purpose (``os`` only): the Match hook writes certificates through it.

- An ordinary file (the ssh config): a symlink (dotfile managers) keeps its link and the
  target is written; the mode of an existing file is kept; a new file gets ``new_file_mode``.
- A secret (``secret=True``: certificates, sessions, keys, settings): no link is followed
  (a link at the path is replaced, never written through), and the existing file's mode is
  kept only when the file is the user's own and no looser than ``new_file_mode``: a secret
  never inherits another file's mode (docs/certificates.md#private-directories-and-links).
- The temp file is created ``O_EXCL`` (never through a link) and gets its mode before any
  byte is written.
- A crash at any point leaves the old file or the new one, never a partial one;
  a temp file left by a killed writer is ignored by readers and swept by the next write.
"""

from __future__ import annotations

import os
from pathlib import Path

from sshsetup.connect.private_files import NO_FOLLOW

_BINARY = getattr(os, "O_BINARY", 0)

TEMP_PREFIX = ".sshsetup-tmp-"
# Fault injection for the crash tests: the writer pauses at this point (for a file whose name
# starts with _PAUSE_FILE_ENV, when set) so that a test can kill it there.
_PAUSE_ENV = "SSHSETUP_TEST_PAUSE_AT"
_PAUSE_FILE_ENV = "SSHSETUP_TEST_PAUSE_FILE"
_STALE_TEMP_SECONDS = 3600


def resolve_target(path: Path) -> Path:
    """The regular file a write to ``path`` must replace (following symlinks)."""
    return Path(os.path.realpath(path))


def write_atomic(
    path: Path, data: bytes, new_file_mode: int = 0o600, *, secret: bool = False
) -> Path:
    """Replace ``path`` with ``data`` atomically; returns the file actually written."""
    target = Path(os.path.abspath(path)) if secret else resolve_target(path)
    directory = target.parent
    mode = _secret_mode(target, new_file_mode) if secret else _kept_mode(target, new_file_mode)
    _sweep_stale_temps(directory, target.name)
    temp = directory / f"{TEMP_PREFIX}{target.name}-{os.getpid()}-{os.urandom(4).hex()}"
    paused = target.name.startswith(os.environ.get(_PAUSE_FILE_ENV, ""))
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | NO_FOLLOW | _BINARY, 0o600)
    try:
        try:
            if os.name != "nt":
                os.fchmod(fd, mode)
            if paused and os.environ.get(_PAUSE_ENV) == "during-write":
                _write_all(fd, data[: len(data) // 2])
                _pause("during-write")
            _write_all(fd, data)
            os.fsync(fd)
        finally:
            os.close(fd)
        if paused:
            _pause("before-rename")
        os.replace(temp, target)
    except BaseException:
        try:
            os.unlink(temp)
        except OSError:
            pass
        raise
    _fsync_directory(directory)
    return target


def _kept_mode(target: Path, new_file_mode: int) -> int:
    try:
        return os.stat(target).st_mode & 0o7777
    except FileNotFoundError:
        return new_file_mode


def _secret_mode(target: Path, new_file_mode: int) -> int:
    """The existing file's mode if it is the user's own regular file and no looser than
    ``new_file_mode``; else ``new_file_mode``."""
    try:
        info = os.lstat(target)
    except FileNotFoundError:
        return new_file_mode
    mode = info.st_mode & 0o7777
    ours = os.name == "nt" or info.st_uid == os.geteuid()
    regular = info.st_mode & 0o170000 == 0o100000
    return mode if ours and regular and not mode & ~new_file_mode else new_file_mode


def _sweep_stale_temps(directory: Path, name: str) -> None:
    """Remove temp files that killed writers of ``name`` left behind (live writers' stay)."""
    prefix = f"{TEMP_PREFIX}{name}-"
    try:
        entries = [entry for entry in os.listdir(directory) if entry.startswith(prefix)]
    except OSError:
        return
    for entry in entries:
        pid_text = entry[len(prefix) :].split("-", 1)[0]
        path = os.path.join(directory, entry)
        if pid_text.isdigit() and process_alive(int(pid_text), path):
            continue
        try:
            os.unlink(path)
        except OSError:
            pass


def process_alive(pid: int, path: str) -> bool:
    if os.name == "nt":  # no cheap liveness check: judge by age
        try:
            import time

            return time.time() - os.stat(path).st_mtime < _STALE_TEMP_SECONDS
        except OSError:
            return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


def _pause(point: str) -> None:
    if os.environ.get(_PAUSE_ENV) != point:
        return
    import sys
    import time

    sys.stderr.write(f"sshsetup-test: paused at {point}\n")
    sys.stderr.flush()
    time.sleep(3600)


def _fsync_directory(directory: Path) -> None:
    if os.name == "nt":
        return
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
