"""`sshsetup logout`: delete stored API keys (keyring and plaintext file), never ~/.trussrc.

Removing nothing is not an error (logging out twice is fine). A keyring that refuses
to delete a key that is there is: the key would stay behind.
"""

from __future__ import annotations

from dataclasses import dataclass

from sshsetup.connect.credentials import api_key_source
from sshsetup.connect.file_lock import file_lock
from sshsetup.connect.remotes import normalize_remote_name
from sshsetup.connect.settings import Settings, load_settings
from sshsetup.context import Context
from sshsetup.credentials.keyring_store import delete_from_keyring
from sshsetup.credentials.plaintext_store import delete_plaintext_key
from sshsetup.credentials.remotes_known import known_remotes
from sshsetup.errors import UsageError
from sshsetup.results import Outcome, Result
from sshsetup.settings_store import edit_settings, with_remote


@dataclass(frozen=True)
class Request:
    remote: str | None = None
    all_remotes: bool = False


@dataclass(frozen=True)
class StillAvailable:
    source: str
    location: str | None


@dataclass(frozen=True)
class LogoutResult(Result):
    removed: dict[str, list[str]]  # remote -> the stores it was removed from
    still_available: dict[str, StillAvailable]
    notes: list[str]

    def text(self, colour: bool) -> str:
        return "\n".join(
            f"Removed the API key for remote {name!r} from {' and '.join(stores)}."
            if stores
            else f"No stored API key for remote {name!r}."
            for name, stores in self.removed.items()
        )


def run(ctx: Context, request: Request) -> Outcome[LogoutResult]:
    paths = ctx.paths
    if request.remote and request.all_remotes:
        raise UsageError(
            "--remote and --all both choose what to log out of", hint="give one of them"
        )
    with file_lock(paths.lock_file):
        settings = load_settings(paths.settings_file)
        if request.all_remotes:
            names = known_remotes(paths, settings, ctx.say)
        else:
            names = [normalize_remote_name(request.remote or settings.default_remote)]
        removed: dict[str, list[str]] = {}
        notes: list[str] = []
        emptied: list[str] = []  # remotes the keyring holds no key of now
        for name in names:
            removed[name], keyring_empty = _log_out(ctx, name, notes)
            if keyring_empty and settings.api_key_in_keyring(name):
                emptied.append(name)
    if emptied:
        edit_settings(paths, lambda current: _forget_keyring_keys(current, emptied))
    still = {}
    for name in names:
        left = api_key_source(name, paths.credential_files, ctx.env)
        if left.source is not None:
            still[name] = StillAvailable(left.source, left.location)
    for note in notes:
        ctx.say(f"note: {note}")
    for name, left_over in still.items():
        ctx.say(
            f"note: remote {name!r} still has an API key from {left_over.source} "
            f"({left_over.location}); sshsetup does not change it"
        )
    return Outcome(LogoutResult(removed, still, notes))


def _log_out(ctx: Context, remote: str, notes: list[str]) -> tuple[list[str], bool]:
    """(the stores the key was removed from, whether the keyring holds none now)."""
    removed: list[str] = []
    from_keyring, note = delete_from_keyring(remote)
    if from_keyring:
        removed.append("keyring")
    if note and note not in notes:
        notes.append(note)
    if delete_plaintext_key(ctx.paths.plaintext_keys_file, remote):
        removed.append("file")
    return removed, note is None


def _forget_keyring_keys(settings: Settings, remotes: list[str]) -> Settings:
    for remote in remotes:
        settings = with_remote(settings, remote, api_key_in_keyring=False)
    return settings
