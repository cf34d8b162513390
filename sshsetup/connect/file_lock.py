"""An exclusive inter-process lock on a file, so concurrent runs serialise.

The lock file lives in a private directory and is opened without following a link
(docs/certificates.md#private-directories-and-links)."""

from __future__ import annotations

import contextlib
import os
import sys
import time
from collections.abc import Iterator
from pathlib import Path

from sshsetup.connect.private_files import ensure_private_dir, open_private
from sshsetup.errors import BadInput, Locked


@contextlib.contextmanager
def file_lock(path: Path, timeout: float = 60.0) -> Iterator[None]:
    ensure_private_dir(path.parent)
    try:
        fd = open_private(str(path), os.O_RDWR | os.O_CREAT, 0o600)
    except OSError as exc:
        raise BadInput(
            f"cannot open the lock file {path}: {exc.strerror}",
            hint=f"remove it (`rm {path}`); sshsetup creates a new one",
        ) from None
    try:
        _acquire(fd, path, timeout)
        try:
            yield
        finally:
            _release(fd)
    finally:
        os.close(fd)


if sys.platform == "win32":  # exercised on the Windows CI runner
    import msvcrt

    def _try_lock(fd: int) -> bool:
        try:
            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
        except OSError:
            return False
        return True

    def _release(fd: int) -> None:
        os.lseek(fd, 0, os.SEEK_SET)
        msvcrt.locking(fd, msvcrt.LK_UNLCK, 1)

else:
    import fcntl

    def _try_lock(fd: int) -> bool:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        return True

    def _release(fd: int) -> None:
        fcntl.flock(fd, fcntl.LOCK_UN)


def _acquire(fd: int, path: Path, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    delay = 0.005
    while not _try_lock(fd):
        if time.monotonic() > deadline:
            raise Locked(
                f"another sshsetup run has held the lock {path} for over {timeout:.0f} s",
                hint="wait for it to finish, or end the stuck process and run again",
            )
        time.sleep(delay)
        delay = min(delay * 2, 0.1)
