"""Reading and replacing the user's ssh config on disk: checks, backup, safe write, diff."""

from __future__ import annotations

import difflib
import os
import shlex
import stat
import time
from dataclasses import dataclass
from pathlib import Path

from sshsetup.connect.atomic_write import write_atomic
from sshsetup.connect.private_files import ensure_private_dir
from sshsetup.errors import BadInput
from sshsetup.paths import Paths
from sshsetup.sshconfig.lines import UTF8_BOM, decode

BACKUPS_KEPT = 10


@dataclass(frozen=True)
class ConfigFile:
    path: Path
    data: bytes | None  # None: the file does not exist yet

    @property
    def exists(self) -> bool:
        return self.data is not None

    @property
    def text(self) -> str:
        return decode(self.data or b"")

    @property
    def has_bom(self) -> bool:
        return bool(self.data and self.data.startswith(UTF8_BOM))


def read_config(path: Path) -> ConfigFile:
    """The config's bytes, after checking it is something sshsetup may edit."""
    parent = path.parent
    if parent.exists() and not parent.is_dir():
        raise BadInput(
            f"{parent} is not a directory, so {path} cannot be created in it",
            hint=f"move {parent} away (ssh expects a directory there), then run again",
        )
    try:
        info = os.stat(path)
    except FileNotFoundError:
        if os.path.islink(path):
            raise BadInput(
                f"{path} is a symbolic link to {os.readlink(path)}, which does not exist",
                hint="create the target file (it may be empty) or remove the dangling link",
            ) from None
        return ConfigFile(path, None)
    except OSError as exc:
        raise BadInput(
            f"cannot inspect {path}: {exc.strerror}", hint="check its permissions"
        ) from None
    if not stat.S_ISREG(info.st_mode):
        raise BadInput(
            f"{path} is not a regular file",
            hint=f"mv {shlex.quote(str(path))} {shlex.quote(f'{path}.moved')} && sshsetup setup  "
            "(ssh reads its config from a "
            "regular file; or pass --config FILE)",
        )
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise BadInput(
            f"cannot read {path}: {exc.strerror}",
            hint=f"check its owner and permissions (ls -l {path})",
        ) from None
    return ConfigFile(path, data)


def unified_diff(path: Path, old: str, new: str) -> str:
    return "".join(
        difflib.unified_diff(
            old.splitlines(keepends=True),
            new.splitlines(keepends=True),
            fromfile=f"{path} (now)",
            tofile=f"{path} (after)",
        )
    )


def backup_config(paths: Paths, config: ConfigFile) -> Path | None:
    """Keep the previous content in the state dir, readable only by the user."""
    if config.data is None:
        return None
    ensure_private_dir(paths.backup_dir)
    stamp = time.strftime("%Y%m%dT%H%M%S", time.gmtime()) + f"-{time.time_ns() % 1_000_000_000:09d}"
    backup = paths.backup_dir / f"{config.path.name}.{stamp}.bak"
    write_atomic(backup, config.data, new_file_mode=0o600, secret=True)
    for old in sorted(paths.backup_dir.glob(f"{config.path.name}.*.bak"))[:-BACKUPS_KEPT]:
        old.unlink(missing_ok=True)
    return backup


def latest_backup(paths: Paths) -> Path | None:
    backups = sorted(paths.backup_dir.glob(f"{paths.ssh_config.name}.*.bak"))
    return backups[-1] if backups else None


class NotWritable(Exception):
    """Why the config cannot be written (its owner made it read-only, or the system did)."""


def replace_config(paths: Paths, config: ConfigFile, new_data: bytes) -> tuple[Path, Path | None]:
    """Back up, then write atomically. Returns (file written, backup); NotWritable when the
    file, or the directory it is replaced in, cannot be written."""
    target = Path(os.path.realpath(config.path))
    if config.data is not None and not os.access(target, os.W_OK):
        raise NotWritable(_read_only(config.path, target))  # the owner's wish: kept
    backup = backup_config(paths, config)
    if config.data is None:
        ensure_private_dir(config.path.parent)
    try:
        written = write_atomic(config.path, new_data, new_file_mode=0o600)
    except OSError as exc:
        raise NotWritable(f"{_where(config.path, target)}: {exc.strerror}") from None
    return written, backup


def _where(path: Path, target: Path) -> str:
    return str(path) if target == Path(os.path.abspath(path)) else f"{path} (a link to {target})"


def _read_only(path: Path, target: Path) -> str:
    if os.name != "nt" and os.statvfs(target).f_flag & os.ST_RDONLY:
        return f"{_where(path, target)}: it is on a read-only file system"
    return f"{_where(path, target)}: it is read-only or immutable"
