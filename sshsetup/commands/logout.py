"""`sshsetup logout`: delete stored API keys (keyring and plaintext file), never ~/.trussrc.

Removing nothing is not an error (logging out twice is fine). A keyring that refuses
to delete a key that is there is: the key would stay behind.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sshsetup.connect.credentials import api_key_source, delete_from_keyring
from sshsetup.connect.file_lock import file_lock
from sshsetup.connect.plaintext_keys import (
    PlaintextKeysProblem,
    delete_plaintext_key,
    plaintext_keys_file,
    read_plaintext_keys,
)
from sshsetup.connect.remotes import normalize_remote_name
from sshsetup.errors import UserError
from sshsetup.exit_codes import ExitCode
from sshsetup.output import emit_result, say
from sshsetup.paths import Paths
from sshsetup.settings import load_settings


def run(
    paths: Paths,
    remote: str | None,
    all_remotes: bool,
    env: Mapping[str, str],
    json_output: bool,
) -> int:
    if remote and all_remotes:
        raise UserError(
            "--remote and --all both choose what to log out of",
            hint="give one of them",
            exit_code=ExitCode.USAGE,
        )
    with file_lock(paths.lock_file):
        names = _chosen_remotes(paths, remote, all_remotes)
        removed: dict[str, list[str]] = {}
        notes: list[str] = []
        for name in names:
            removed[name] = _log_out(paths, name, notes)
    still: dict[str, Any] = {}
    for name in names:
        left = api_key_source(name, paths, env)
        if left.source is not None:
            still[name] = {"source": left.source, "location": left.location}
    result = {"removed": removed, "still_available": still, "notes": notes}
    for note in notes:
        say(f"note: {note}")
    for name, left_over in still.items():
        say(
            f"note: remote {name!r} still has an API key from {left_over['source']} "
            f"({left_over['location']}); sshsetup does not change it"
        )
    emit_result(result, json_output, _human(removed))
    return int(ExitCode.OK)


def _chosen_remotes(paths: Paths, remote: str | None, all_remotes: bool) -> list[str]:
    settings = load_settings(paths.settings_file)
    if not all_remotes:
        return [normalize_remote_name(remote) if remote else settings.default_remote]
    names = {settings.default_remote, *settings.remotes}
    try:
        names.update(read_plaintext_keys(plaintext_keys_file(paths)))
    except PlaintextKeysProblem as exc:
        say(f"note: {exc}")
    return sorted(names)


def _log_out(paths: Paths, remote: str, notes: list[str]) -> list[str]:
    removed: list[str] = []
    from_keyring, note = delete_from_keyring(remote)
    if from_keyring:
        removed.append("keyring")
    if note and note not in notes:
        notes.append(note)
    if delete_plaintext_key(paths, remote):
        removed.append("file")
    return removed


def _human(removed: dict[str, list[str]]) -> str:
    lines = [
        f"Removed the API key for remote {name!r} from {' and '.join(stores)}."
        if stores
        else f"No stored API key for remote {name!r}."
        for name, stores in removed.items()
    ]
    return "\n".join(lines)
