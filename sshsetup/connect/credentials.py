"""Where a remote's Baseten credential is found, and where ``sshsetup login`` stores it.

Lookup order for remote R (the first source that has a usable credential wins):

1. ``keyring``: the OS keyring, service ``sshsetup``, username R (``sshsetup login``);
   from the connect path, through keyring where it can import it, else through the OS's
   own tool (``keyring_access``).
2. ``file``: ``<settings_dir>/api-keys.plaintext.json``, written only by the explicit
   ``sshsetup login --store file`` for machines without a keyring (see plaintext_keys).
3. ``env``: ``BASETEN_API_KEY`` (the same key for every remote).
4. ``baseten-cli``: the Go CLI's profile (``BASETEN_PROFILE``, else its current one), read-only:
   an API key, or an unexpired OAuth access token sent as ``Bearer`` (see
   baseten_cli_profiles); like ``BASETEN_API_KEY`` it serves every remote.
5. ``trussrc``: ``~/.trussrc`` (or ``USER_TRUSSRC_PATH``), section [R], read-only (see trussrc).

A source that fails (no keyring backend, a locked keyring, an unreadable file, an expired
OAuth token) is skipped with a note that ``api_key_source`` reports for ``status``/``doctor``.

The secret itself never leaves this module except inside the ``Credential`` that
``resolve_credential`` returns: not in messages, exceptions, logs, ``repr`` or output.
``keyring`` is loaded only when a credential is looked up (``keyring_access``), so the connect
path pays for it only when it really fetches. Storing keys is ``sshsetup.credentials``'
business.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from sshsetup.baseten import API_KEY_ENV
from sshsetup.connect.baseten_cli_profiles import (
    OAUTH,
    ProfileCredential,
    ProfileProblem,
    auth_file,
    profile_credential,
)
from sshsetup.connect.keyring_access import KeyringUnavailable, get_password
from sshsetup.connect.plaintext_keys import PlaintextKeysProblem, read_plaintext_keys
from sshsetup.connect.trussrc import find_section, read_trussrc, trussrc_path
from sshsetup.errors import BadInput, NotLoggedIn

KEYRING_SERVICE = "sshsetup"
BASETEN_CLI = "baseten-cli"
LOOKUP_ORDER = ("keyring", "file", "env", BASETEN_CLI, "trussrc")
MAX_API_KEY_LENGTH = 1024
MAX_TOKEN_LENGTH = 8192  # an OAuth access token (a JWT) can be longer than an API key
API_KEY = "api_key"


@dataclass(frozen=True)
class KeySource:
    """Where a remote's credential was found (``source`` None: nowhere). Never holds it."""

    remote: str
    source: str | None
    location: str | None = None  # backend name, file path, variable name, profile
    notes: tuple[str, ...] = field(default_factory=tuple)
    credential_type: str | None = None  # "api_key", or "oauth" (a baseten CLI profile's token)
    expires_at: float | None = None  # an OAuth access token's expiry
    profile: str | None = None  # the baseten CLI profile it came from

    def to_json(self) -> dict[str, Any]:
        return {
            "remote": self.remote,
            "source": self.source,
            "location": self.location,
            "notes": list(self.notes),
            "credential_type": self.credential_type,
            "expires_at": self.expires_at,
            "profile": self.profile,
        }

    @property
    def where(self) -> str:
        """Where it was found, for a message about it: the keyring, a file, a variable."""
        if self.source == "keyring":
            return f"the keyring ({self.location})"
        return str(self.location)

    @property
    def described(self) -> str:
        """What the credential is, for messages: "the API key of remote 'x'" and the like."""
        if self.source == BASETEN_CLI:
            kind = "OAuth access token" if self.credential_type == OAUTH else "API key"
            return f"the {kind} of baseten CLI profile {self.profile!r}"
        return f"the API key of remote {self.remote!r}"


@dataclass(frozen=True)
class Credential:
    """A usable credential: the secret (never shown), how it is sent, and where it came from."""

    secret: str = field(repr=False)
    scheme: str  # the Authorization scheme: "Api-Key" or "Bearer"
    source: KeySource
    api_base_url: str | None = None  # the API a baseten CLI profile belongs to

    @property
    def relogin_hint(self) -> str:
        """How to replace a credential the API rejected, wherever it came from."""
        source = self.source
        login = f"`sshsetup login --remote {source.remote}`"
        if source.source == BASETEN_CLI:
            return (
                "run `baseten auth login` to renew the baseten CLI's credential, or "
                f"{login} with a valid API key"
            )
        if source.source == "env":
            return f"set {API_KEY_ENV} to a valid API key (or unset it and run {login})"
        if source.source == "file":
            return (
                f"run `sshsetup login --remote {source.remote} --store file` with a valid API "
                f"key (it replaces the one in {source.location})"
            )
        if source.source == "trussrc":
            return (
                f"run {login} with a valid API key (a stored key comes before "
                f"{source.location}), or correct api_key in {source.location}"
            )
        return f"run {login} with a valid API key (it replaces the one in the keyring)"


@dataclass(frozen=True)
class CredentialFiles:
    """Where file-based credentials live: sshsetup's plaintext fallback, and the home that
    holds ``~/.trussrc``; and where keyring was importable when setup ran (connect.json)."""

    plaintext_keys_file: str
    home: str
    keyring_site: str | None = None


KEYRING_AS_RECORDED = "as `sshsetup login` recorded it; `sshsetup doctor` reads it"


def api_key_source(
    remote: str, files: CredentialFiles, env: Mapping[str, str], keyring_record: bool | None = None
) -> KeySource:
    """Where ``look_up`` finds the credential (and why earlier sources had none).

    ``keyring_record`` (status, remote list) answers for sshsetup's own keyring entry without
    opening the keyring, whose import and backend discovery cost more than the rest of the
    command (docs/keyring-storage.md#what-status-reads): True, login stored the key there;
    False, the lookup goes on with the next source. None opens the keyring."""
    if keyring_record:
        return KeySource(remote, "keyring", KEYRING_AS_RECORDED, (), API_KEY)
    return look_up(remote, files, env, open_keyring=keyring_record is None)[1]


def missing_credential(source: KeySource) -> NotLoggedIn:
    """No source had a credential for the remote: say where sshsetup looked, and why not."""
    notes = "; ".join(source.notes)
    looked = (
        f"no credential for remote {source.remote!r} (looked in the keyring, the plaintext key "
        f"file, {API_KEY_ENV}, the baseten CLI's profile and ~/.trussrc)"
        + (f": {notes}" if notes else "")
    )
    if any(note.startswith("keyring: not available") for note in source.notes):
        # e.g. keyring lived in a virtual environment that is gone since setup
        return NotLoggedIn(
            looked,
            hint=f"set {API_KEY_ENV} for this shell, or run `sshsetup setup` again from a "
            f"working sshsetup (then `sshsetup login --remote {source.remote}` if it asks)",
        )
    return NotLoggedIn(
        looked,
        hint=f"run `sshsetup login --remote {source.remote}` (or set {API_KEY_ENV}, or log in "
        "with `baseten auth login`)",
    )


def look_up(
    remote: str, files: CredentialFiles, env: Mapping[str, str], open_keyring: bool = True
) -> tuple[Credential | None, KeySource]:
    """The credential for ``remote`` from the first source in LOOKUP_ORDER that has one, and
    where it was found (or, when none was, why each source had none)."""
    notes: list[str] = []

    def found(source: str, location: str, key: str | None) -> tuple[Credential, KeySource] | None:
        if key is None:
            return None
        problem = api_key_problem(key.strip())
        if problem is not None:
            notes.append(f"{source} ({location}): ignored, the key {problem}")
            return None
        origin = KeySource(remote, source, location, tuple(notes), API_KEY)
        return Credential(key.strip(), "Api-Key", origin), origin

    if open_keyring:
        keyring_name, key = _keyring_lookup(remote, files.keyring_site, notes)
        hit = found("keyring", keyring_name, key)
        if hit:
            return hit
    else:
        notes.append("keyring: not opened (`sshsetup login` stored no key there)")

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

    hit = _from_profile(remote, files.keyring_site, env, notes)
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


def _from_profile(
    remote: str, keyring_site: str | None, env: Mapping[str, str], notes: list[str]
) -> tuple[Credential, KeySource] | None:
    """The baseten CLI's profile (docs/baseten-protocol.md#go-cli-profiles-and-keyring)."""
    import time

    try:
        profile = profile_credential(env, time.time(), keyring_site)
    except ProfileProblem as exc:
        notes.append(f"{BASETEN_CLI}: {exc.message}")
        return None
    if profile is None:
        return None
    location = _profile_location(profile, env)
    problem = api_key_problem(profile.secret, MAX_TOKEN_LENGTH)
    if problem is not None:
        notes.append(f"{BASETEN_CLI} ({location}): ignored, the credential {problem}")
        return None
    origin = KeySource(
        remote,
        BASETEN_CLI,
        location,
        tuple(notes),
        profile.auth_type,
        profile.expires_at,
        profile.profile,
    )
    return Credential(profile.secret, profile.scheme, origin, profile.api_base_url), origin


def _profile_location(profile: ProfileCredential, env: Mapping[str, str]) -> str:
    return f"profile {profile.profile!r} in {auth_file(env)} (secret in {profile.stored_in})"


def api_key_problem(key: str, max_length: int = MAX_API_KEY_LENGTH) -> str | None:
    """What is wrong with the shape of ``key`` (never quoting it), or None."""
    if not key:
        return "is empty"
    if len(key) > max_length:
        return f"is longer than {max_length} characters"
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
