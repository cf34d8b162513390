"""The one safe way sshsetup replaces a file: temp file beside it, fsync, atomic rename.

Lean on purpose (``os`` only): the Match hook writes certificates through it.

- A symlink (dotfile managers) keeps its link: the target is written.
- The mode of an existing file is kept; a new file gets ``new_file_mode``.
- A crash at any point leaves the old file or the new one, never a partial one;
  a temp file left by a killed writer is ignored by readers and swept by the next write.
"""

from __future__ import annotations

import os
from pathlib import Path

TEMP_PREFIX = ".sshsetup-tmp-"
# Fault injection for the crash tests: the writer pauses at this point so a test can kill it.
_PAUSE_ENV = "SSHSETUP_TEST_PAUSE_AT"


def resolve_target(path: Path) -> Path:
    """The regular file a write to ``path`` must replace (following symlinks)."""
    return Path(os.path.realpath(path))


def write_atomic(path: Path, data: bytes, new_file_mode: int = 0o600) -> Path:
    """Replace ``path`` with ``data`` atomically; returns the file actually written."""
    target = resolve_target(path)
    directory = target.parent
    try:
        mode = os.stat(target).st_mode & 0o7777
    except FileNotFoundError:
        mode = new_file_mode
    temp = directory / f"{TEMP_PREFIX}{target.name}-{os.getpid()}-{os.urandom(4).hex()}"
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o600)
    try:
        try:
            if os.environ.get(_PAUSE_ENV) == "during-write":
                _write_all(fd, data[: len(data) // 2])
                _pause("during-write")
            _write_all(fd, data)
            os.fsync(fd)
        finally:
            os.close(fd)
        if os.name != "nt":
            os.chmod(temp, mode)
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
