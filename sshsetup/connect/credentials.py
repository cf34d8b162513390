"""Where a remote's Baseten API key is found, and where ``sshsetup login`` stores it.

Lookup order for remote R (the first source that has a usable key wins):

1. ``keyring``: the OS keyring, service ``sshsetup``, username R (``sshsetup login``);
   from the connect path, through keyring where it can import it, else through the OS's
   own tool (``keyring_access``).
2. ``file``: ``<settings_dir>/api-keys.plaintext.json``, written only by the explicit
   ``sshsetup login --store file`` for machines without a keyring (see plaintext_keys).
3. ``env``: ``BASETEN_API_KEY`` (the same key for every remote).
4. ``trussrc``: ``~/.trussrc`` (or ``USER_TRUSSRC_PATH``), section [R], read-only (see trussrc).

A source that fails (no keyring backend, a locked keyring, an unreadable file) is
skipped with a note that ``api_key_source`` reports for ``status``/``doctor``.

The key itself never leaves this module except as the return value of
``resolve_api_key``: not in messages, exceptions, logs or output. ``keyring`` is
loaded only when a key is looked up (``keyring_access``), so the connect path pays for
it only when it really fetches. Storing keys is ``sshsetup.credentials``' business.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from sshsetup.baseten import API_KEY_ENV
from sshsetup.connect.keyring_access import KeyringUnavailable, get_password
from sshsetup.connect.plaintext_keys import PlaintextKeysProblem, read_plaintext_keys
from sshsetup.connect.trussrc import find_section, read_trussrc, trussrc_path
from sshsetup.errors import BadInput

KEYRING_SERVICE = "sshsetup"
LOOKUP_ORDER = ("keyring", "file", "env", "trussrc")
MAX_API_KEY_LENGTH = 1024


@dataclass(frozen=True)
class KeySource:
    """Where a remote's key was found (``source`` None: nowhere). Never holds the key."""

    remote: str
    source: str | None
    location: str | None = None  # backend name, file path, variable name
    notes: tuple[str, ...] = field(default_factory=tuple)

    def to_json(self) -> dict[str, Any]:
        return {
            "remote": self.remote,
            "source": self.source,
            "location": self.location,
            "notes": list(self.notes),
        }


@dataclass(frozen=True)
class CredentialFiles:
    """Where file-based credentials live: sshsetup's plaintext fallback, and the home that
    holds ``~/.trussrc``; and where keyring was importable when setup ran (connect.json)."""

    plaintext_keys_file: str
    home: str
    keyring_site: str | None = None


def resolve_api_key(remote: str, files: CredentialFiles, env: Mapping[str, str]) -> str | None:
    """The API key for ``remote`` from the first source in LOOKUP_ORDER that has one."""
    key, _ = look_up(remote, files, env)
    return key


def api_key_source(remote: str, files: CredentialFiles, env: Mapping[str, str]) -> KeySource:
    """Where ``resolve_api_key`` finds the key (and why earlier sources had none)."""
    _, found = look_up(remote, files, env)
    return found


def look_up(
    remote: str, files: CredentialFiles, env: Mapping[str, str]
) -> tuple[str | None, KeySource]:
    """The key (None: none found) and where it was found, or why no source had it."""
    notes: list[str] = []

    def found(source: str, location: str, key: str | None) -> tuple[str, KeySource] | None:
        if key is None:
            return None
        problem = api_key_problem(key.strip())
        if problem is not None:
            notes.append(f"{source} ({location}): ignored, the key {problem}")
            return None
        return key.strip(), KeySource(remote, source, location, tuple(notes))

    keyring_name, key = _keyring_lookup(remote, files.keyring_site, notes)
    hit = found("keyring", keyring_name, key)
    if hit:
        return hit

    keys_file = files.plaintext_keys_file
    try:
        hit = found("file", keys_file, read_plaintext_keys(keys_file).get(remote))
    except PlaintextKeysProblem as exc:
        notes.append(f"file: {exc}")
    if hit:
        return hit

    hit = found("env", API_KEY_ENV, env.get(API_KEY_ENV) or None)
    if hit:
        return hit

    rc_path = trussrc_path(files.home, env)
    try:
        sections = read_trussrc(rc_path, files.keyring_site)
    except BadInput as exc:
        notes.append(f"trussrc: {exc.message}")
        sections = None
    section = find_section(sections, remote) if sections else None
    hit = found("trussrc", f"{rc_path} [{section.name}]", section.api_key) if section else None
    if hit:
        return hit
    return None, KeySource(remote, None, None, tuple(notes))


def api_key_problem(key: str) -> str | None:
    """What is wrong with the shape of ``key`` (never quoting it), or None."""
    if not key:
        return "is empty"
    if len(key) > MAX_API_KEY_LENGTH:
        return f"is longer than {MAX_API_KEY_LENGTH} characters"
    for position, char in enumerate(key, start=1):
        if "!" <= char <= "~":
            continue
        if char.isspace():
            kind = "whitespace"
        elif not char.isprintable():
            kind = "a control character"
        else:
            kind = "a non-ASCII character"
        return f"contains {kind} (character {position})"
    return None


def validate_api_key(raw: str, origin: str) -> str:
    """The key from ``raw`` without surrounding whitespace; BadInput if malformed."""
    key = raw.strip()
    problem = api_key_problem(key)
    if problem is not None:
        raise BadInput(
            f"the API key from {origin} {problem}",
            hint="copy the key again from Baseten (Settings > API keys); it is never echoed",
        )
    return key


def shares_secret(text: str, secret: str, window: int = 8) -> bool:
    """True if ``text`` holds ``secret`` or any ``window``-character piece of it."""
    if not secret:
        return False
    if len(secret) <= window:
        return secret in text
    return any(secret[i : i + window] in text for i in range(len(secret) - window + 1))


def _keyring_lookup(
    remote: str, keyring_site: str | None, notes: list[str]
) -> tuple[str, str | None]:
    """(where it looked, key or None); a failing keyring becomes a note."""
    try:
        return get_password(KEYRING_SERVICE, remote, keyring_site)
    except KeyringUnavailable as exc:
        notes.append(f"keyring: not available ({exc})")
    except Exception as exc:  # a backend failing (locked, no D-Bus): never the key itself
        notes.append(f"keyring: {type(exc).__name__}")
    return "keyring", None
