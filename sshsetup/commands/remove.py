"""`sshsetup remove`: take the managed block out, and only the block."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

from sshsetup.connect.file_lock import file_lock
from sshsetup.exit_codes import ExitCode
from sshsetup.output import emit_result, say
from sshsetup.paths import Paths
from sshsetup.sshconfig.file import read_config, replace_config, unified_diff
from sshsetup.sshconfig.lines import encode
from sshsetup.sshconfig.splice import strip_block


def run(paths: Paths, purge: bool, dry_run: bool, json_output: bool) -> int:
    if dry_run:
        return _remove(paths, purge, dry_run, json_output)
    with file_lock(paths.lock_file):
        return _remove(paths, purge, dry_run, json_output)


def _remove(paths: Paths, purge: bool, dry_run: bool, json_output: bool) -> int:
    config = read_config(paths.ssh_config)
    stripped = strip_block(config.text, str(paths.ssh_config))
    for notice in stripped.notices:
        say(f"warning: {paths.ssh_config}: {notice}")
    changed = stripped.position is not None
    result: dict[str, Any] = {
        "config": str(paths.ssh_config),
        "changed": changed,
        "dry_run": dry_run,
        "backup": None,
        "purged": [],
        "warnings": stripped.notices,
    }
    purgeable = _purgeable(paths) if purge else []
    if dry_run:
        diff = unified_diff(paths.ssh_config, config.text, stripped.text) if changed else ""
        result["diff"] = diff
        result["purged"] = [str(path) for path in purgeable]
        human = diff or f"no sshsetup block in {paths.ssh_config}: nothing would change"
        emit_result(result, json_output, human)
        return int(ExitCode.OK)
    if changed:
        _, backup = replace_config(paths, config, encode(stripped.text))
        result["backup"] = str(backup) if backup else None
    for path in purgeable:
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path)
        else:
            path.unlink(missing_ok=True)
        result["purged"].append(str(path))
    if changed:
        human = f"took the sshsetup block out of {paths.ssh_config}"
        if result["backup"]:
            human += f"\nprevious version saved as {result['backup']}"
    else:
        human = f"no sshsetup block in {paths.ssh_config}: nothing to remove"
    if result["purged"]:
        human += "\ndeleted: " + ", ".join(result["purged"])
    elif not purge:
        human += f"\nthe key in {paths.key_dir} was kept (--purge deletes it)"
    emit_result(result, json_output, human)
    return int(ExitCode.OK)


def _purgeable(paths: Paths) -> list[Path]:
    """What sshsetup made and --purge deletes; a key reused from truss is never among them."""
    candidates = [
        paths.key_file,
        paths.public_key_file,
        paths.cert_dir,
        paths.connect_settings,
        paths.session_dir,
    ]
    return [path for path in candidates if path.exists() or path.is_symlink()]
