"""`sshsetup remove`: take the managed block out, and only the block."""

from __future__ import annotations

import contextlib
import shutil
from dataclasses import dataclass, field, replace
from pathlib import Path

from sshsetup.connect.file_lock import file_lock
from sshsetup.context import Context
from sshsetup.paths import Paths
from sshsetup.results import Outcome, Result
from sshsetup.sshconfig.file import read_config, replace_config, unified_diff
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
    dry_run: bool
    backup: Path | None
    purged: list[Path]  # deleted (with --dry-run: would be deleted)
    purge: bool
    key_dir: Path
    diff: str | None
    warnings: list[str] = field(default_factory=list)

    def text(self, colour: bool) -> str:
        if self.dry_run:
            return self.diff or f"no sshsetup block in {self.config}: nothing would change"
        if self.changed:
            text = f"took the sshsetup block out of {self.config}"
            if self.backup:
                text += f"\nprevious version saved as {self.backup}"
        else:
            text = f"no sshsetup block in {self.config}: nothing to remove"
        if self.purged:
            text += "\ndeleted: " + ", ".join(map(str, self.purged))
        elif not self.purge:
            text += f"\nthe key in {self.key_dir} was kept (--purge deletes it)"
        return text


def run(ctx: Context, request: Request) -> Outcome[RemoveResult]:
    # A dry run writes nothing, so it needs no lock (and works while setup holds it).
    with contextlib.nullcontext() if request.dry_run else file_lock(ctx.paths.lock_file):
        return Outcome(_remove(ctx, request))


def _remove(ctx: Context, request: Request) -> RemoveResult:
    paths = ctx.paths
    config = read_config(paths.ssh_config)
    stripped = strip_block(config.text, str(paths.ssh_config))
    for notice in stripped.notices:
        ctx.say(f"warning: {paths.ssh_config}: {notice}")
    changed = stripped.position is not None
    purgeable = _purgeable(paths) if request.purge else []
    result = RemoveResult(
        config=paths.ssh_config,
        changed=changed,
        dry_run=request.dry_run,
        backup=None,
        purged=purgeable,
        purge=request.purge,
        key_dir=paths.key_dir,
        diff=None,
        warnings=stripped.notices,
    )
    if request.dry_run:
        diff = unified_diff(paths.ssh_config, config.text, stripped.text) if changed else ""
        return replace(result, diff=diff)
    if changed:
        _, backup = replace_config(paths, config, encode(stripped.text))
        result = replace(result, backup=backup)
    for path in purgeable:
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path)
        else:
            path.unlink(missing_ok=True)
    return result


def _purgeable(paths: Paths) -> list[Path]:
    """What sshsetup made and --purge deletes; a key reused from truss is never among them."""
    candidates = [
        paths.key_file,
        paths.public_key_file,
        paths.cert_dir,
        paths.installation_file,
        paths.session_dir,
    ]
    return [path for path in candidates if path.exists() or path.is_symlink()]
