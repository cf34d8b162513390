"""`sshsetup remove`: take the managed block out, and only the block (``--purge``: and
everything else sshsetup made, so that uninstalling leaves nothing behind).

A config that ``setup`` created (it did not exist) and that holds nothing but the block is
deleted rather than left empty: the state before setup included its absence.
"""

from __future__ import annotations

import contextlib
import shutil
from dataclasses import dataclass, field, replace
from pathlib import Path

from sshsetup.connect.file_lock import file_lock
from sshsetup.connect.settings import load_settings
from sshsetup.context import Context
from sshsetup.paths import Paths, config_note
from sshsetup.results import Outcome, Result
from sshsetup.settings_store import save_settings
from sshsetup.sshconfig.file import backup_config, read_config, replace_config, unified_diff
from sshsetup.sshconfig.lines import encode
from sshsetup.sshconfig.splice import strip_block


@dataclass(frozen=True)
class Request:
    purge: bool = False
    dry_run: bool = False


@dataclass(frozen=True)
class RemoveResult(Result):
    config: Path
    changed: bool
    config_deleted: bool  # setup had created it and it held nothing else
    dry_run: bool
    backup: Path | None
    purged: list[Path]  # deleted (with --dry-run: would be deleted)
    purge: bool
    key_dir: Path
    kept: list[Path]  # with --purge: what sshsetup made but keeps (backups of your config)
    diff: str | None
    notes: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def text(self, colour: bool) -> str:
        if self.dry_run:
            return self.diff or f"no sshsetup block in {self.config}: nothing would change"
        if self.config_deleted:
            text = (
                f"deleted {self.config}: sshsetup had created it, and it held nothing but the block"
            )
        elif self.changed:
            text = f"took the sshsetup block out of {self.config}"
        else:
            text = f"no sshsetup block in {self.config}: nothing to remove"
        if self.backup:
            text += f"\nprevious version saved as {self.backup}"
        if self.purged:
            text += "\ndeleted: " + ", ".join(map(str, self.purged))
        elif not self.purge:
            text += f"\nthe key and the runtime in {self.key_dir} were kept (--purge deletes them)"
        if self.purge:
            text += "\nkept: API keys (`sshsetup logout --all` deletes them)"
            text += "".join(f"; backups of your ssh config in {path}" for path in self.kept)
        text += "".join(f"\nnote: {note}" for note in self.notes)
        return text


def run(ctx: Context, request: Request) -> Outcome[RemoveResult]:
    paths = ctx.paths
    # A dry run, or a remove with nothing to take out or forget, writes nothing: it needs no
    # lock (works while setup holds it, and leaves no state directory behind).
    writes = not request.dry_run and (
        _has_something_to_remove(paths) or (request.purge and bool(_purgeable(paths)))
    )
    with file_lock(paths.lock_file) if writes else contextlib.nullcontext():
        result = _remove(ctx, request)
    if writes and request.purge:
        # Last, outside the lock: its file, and the state directory unless backups are in it.
        with contextlib.suppress(OSError):
            paths.lock_file.unlink()
            paths.lock_file.parent.rmdir()
    return Outcome(result)


def _has_something_to_remove(paths: Paths) -> bool:
    """A block in the config, or a config setup created (remembered in the settings)."""
    config = read_config(paths.ssh_config)
    block = strip_block(config.text, str(paths.ssh_config)).position is not None
    return block or load_settings(paths.settings_file).created_config is not None


def _remove(ctx: Context, request: Request) -> RemoveResult:
    paths = ctx.paths
    config = read_config(paths.ssh_config)
    stripped = strip_block(config.text, str(paths.ssh_config))
    for notice in stripped.notices:
        ctx.say(f"warning: {paths.ssh_config}: {notice}")
    changed = stripped.position is not None
    settings = load_settings(paths.settings_file)
    created = settings.created_config == str(paths.ssh_config)
    delete_config = changed and created and not stripped.text
    purgeable = _purgeable(paths) if request.purge else []
    result = RemoveResult(
        config=paths.ssh_config,
        changed=changed,
        config_deleted=delete_config,
        dry_run=request.dry_run,
        backup=None,
        purged=purgeable,
        purge=request.purge,
        key_dir=paths.key_dir,
        kept=[paths.backup_dir] if request.purge and paths.backup_dir.is_dir() else [],
        diff=None,
        notes=[note for note in [config_note(paths)] if note],
        warnings=stripped.notices,
    )
    if request.dry_run:
        diff = unified_diff(paths.ssh_config, config.text, stripped.text) if changed else ""
        return replace(result, diff=diff)
    if delete_config:
        backup = backup_config(paths, config)
        paths.ssh_config.unlink()
        result = replace(result, backup=backup)
    elif changed:
        _, backup = replace_config(paths, config, encode(stripped.text))
        result = replace(result, backup=backup)
    if created and not request.purge and (delete_config or not paths.ssh_config.exists()):
        save_settings(paths.settings_file, replace(settings, created_config=None))
    for path in purgeable:
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path)
        else:
            path.unlink(missing_ok=True)
    if request.purge:
        for directory in (paths.key_dir, paths.settings_dir):
            with contextlib.suppress(OSError):
                directory.rmdir()  # only when sshsetup's files were all it held
        # The backups kept, this run's included.
        result = replace(result, kept=[paths.backup_dir] if paths.backup_dir.is_dir() else [])
    return result


def _purgeable(paths: Paths) -> list[Path]:
    """What sshsetup made and --purge deletes; a key reused from truss is never among them,
    nor the API keys (``logout --all``) or the backups of the user's config."""
    candidates = [
        paths.key_file,
        paths.public_key_file,
        paths.cert_dir,
        paths.installation_file,
        paths.runtime_dir,
        paths.session_dir,
        paths.settings_file,
    ]
    return [path for path in candidates if path.exists() or path.is_symlink()]
