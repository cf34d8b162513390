"""The remotes sshsetup knows of: the default, those in settings, those with a stored key."""

from __future__ import annotations

from collections.abc import Callable

from sshsetup.connect.plaintext_keys import PlaintextKeysProblem, read_plaintext_keys
from sshsetup.connect.settings import Settings
from sshsetup.paths import Paths


def known_remotes(paths: Paths, settings: Settings, note: Callable[[str], None]) -> list[str]:
    names = {settings.default_remote, *settings.remotes}
    try:
        names.update(read_plaintext_keys(str(paths.plaintext_keys_file)))
    except PlaintextKeysProblem as exc:
        note(f"note: {exc}")
    return sorted(names)
