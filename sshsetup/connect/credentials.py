"""Where a remote's Baseten API key is found, and where ``sshsetup login`` stores it.

Lookup order for remote R (the first source that has a usable key wins):

1. ``keyring``: the OS keyring, service ``sshsetup``, username R (``sshsetup login``).
2. ``file``: ``<config_dir>/api-keys.plaintext.json``, written only by the explicit
   ``sshsetup login --store file`` for machines without a keyring (see plaintext_keys).
3. ``env``: ``BASETEN_API_KEY`` (the same key for every remote).
4. ``trussrc``: ``~/.trussrc`` (or ``USER_TRUSSRC_PATH``), section [R], read-only (see trussrc).

A source that fails (no keyring backend, a locked keyring, an unreadable file) is
skipped with a note that ``api_key_source`` reports for ``status``/``doctor``.

The key itself never leaves this module except as the return value of
``resolve_api_key``: not in messages, exceptions, logs or output. ``keyring`` is
imported only inside the functions that talk to it, so the connect path pays for it
only when it really fetches.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from sshsetup.connect.plaintext_keys import (
    PlaintextKeysProblem,
    plaintext_keys_file,
    read_plaintext_keys,
)
from sshsetup.connect.trussrc import find_section, read_trussrc, trussrc_path
from sshsetup.errors import UserError
from sshsetup.exit_codes import ExitCode
from sshsetup.paths import Paths

KEYRING_SERVICE = "sshsetup"
API_KEY_ENV = "BASETEN_API_KEY"
KEYRING_BACKEND_ENV = "PYTHON_KEYRING_BACKEND"
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


def resolve_api_key(remote: str, paths: Paths, env: Mapping[str, str]) -> str | None:
    """The API key for ``remote`` from the first source in LOOKUP_ORDER that has one."""
    key, _ = _look_up(remote, paths, env)
    return key


def api_key_source(remote: str, paths: Paths, env: Mapping[str, str]) -> KeySource:
    """Where ``resolve_api_key`` finds the key (and why earlier sources had none)."""
    _, found = _look_up(remote, paths, env)
    return found


def _look_up(remote: str, paths: Paths, env: Mapping[str, str]) -> tuple[str | None, KeySource]:
    notes: list[str] = []

    def found(source: str, location: str, key: str | None) -> tuple[str, KeySource] | None:
        if key is None:
            return None
        problem = api_key_problem(key.strip())
        if problem is not None:
            notes.append(f"{source} ({location}): ignored, the key {problem}")
            return None
        return key.strip(), KeySource(remote, source, location, tuple(notes))

    backend_name, key = _keyring_lookup(remote, notes)
    hit = found("keyring", backend_name, key)
    if hit:
        return hit

    keys_file = plaintext_keys_file(paths)
    try:
        hit = found("file", str(keys_file), read_plaintext_keys(keys_file).get(remote))
    except PlaintextKeysProblem as exc:
        notes.append(f"file: {exc}")
    if hit:
        return hit

    hit = found("env", API_KEY_ENV, env.get(API_KEY_ENV) or None)
    if hit:
        return hit

    rc_path = trussrc_path(paths.home, env)
    try:
        sections = read_trussrc(rc_path)
    except UserError as exc:
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
    """The key from ``raw`` without surrounding whitespace; UserError if malformed."""
    key = raw.strip()
    problem = api_key_problem(key)
    if problem is not None:
        raise UserError(
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


# --- the keyring ---------------------------------------------------------------------


@dataclass(frozen=True)
class KeyringChoice:
    backend: Any  # keyring.backend.KeyringBackend
    name: str
    explicit: bool  # chosen by PYTHON_KEYRING_BACKEND or keyringrc.cfg, not auto-detected
    recommended: bool  # an OS keyring (keyring's own priority >= 1)
    data_file: str | None  # where a file-backed backend keeps its data


def usable_keyring(env: Mapping[str, str]) -> KeyringChoice:
    """The keyring backend ``login`` may store into; UserError saying how to get one."""
    keyring = _import_keyring()
    from keyring.backends import chainer, fail, null
    from keyring.util import platform_

    chosen = env.get(KEYRING_BACKEND_ENV)
    try:
        backend = keyring.get_keyring()
    except Exception as exc:  # a PYTHON_KEYRING_BACKEND or keyringrc.cfg that does not load
        raise UserError(
            f"the keyring backend {chosen or 'configured in keyringrc.cfg'} cannot be loaded "
            f"({type(exc).__name__}: {exc})",
            hint=f"fix {KEYRING_BACKEND_ENV} (a module.Class path), or unset it",
        ) from None
    effective = backend
    if isinstance(backend, chainer.ChainerBackend):
        chained = list(backend.backends)
        effective = chained[0] if chained else None
    if effective is None or isinstance(effective, (fail.Keyring, null.Keyring)):
        raise _no_keyring(f"no working keyring backend ({_backend_name(effective or backend)})")
    explicit = bool(chosen) or (platform_.config_root() / "keyringrc.cfg").exists()
    recommended = _priority(effective) >= 1
    if not recommended and not explicit:
        raise _no_keyring(
            f"the only keyring backend found, {_backend_name(effective)}, is not an OS keyring"
        )
    return KeyringChoice(
        backend=effective,
        name=_backend_name(effective),
        explicit=explicit,
        recommended=recommended,
        data_file=getattr(effective, "file_path", None),
    )


def store_in_keyring(choice: KeyringChoice, remote: str, key: str) -> None:
    """Store and read back (a backend that silently drops the key must not pass)."""
    try:
        choice.backend.set_password(KEYRING_SERVICE, remote, key)
        stored = choice.backend.get_password(KEYRING_SERVICE, remote)
    except Exception as exc:
        raise _keyring_failure("store the API key in", choice.name, exc, key) from None
    if stored != key:
        raise _no_keyring(f"the keyring backend {choice.name} did not keep the key")


def delete_from_keyring(remote: str) -> tuple[bool, str | None]:
    """(removed, note): note says why the keyring could not be asked.

    Raises UserError when a working keyring refuses (the key would stay behind).
    """
    try:
        keyring = _import_keyring()
        from keyring.errors import NoKeyringError, PasswordDeleteError

        backend = keyring.get_keyring()
    except Exception as exc:
        return False, f"keyring not available ({type(exc).__name__})"
    stored = ""
    try:
        stored = backend.get_password(KEYRING_SERVICE, remote) or ""
        if not stored:
            return False, None
        backend.delete_password(KEYRING_SERVICE, remote)
    except NoKeyringError:
        return False, "no keyring backend"
    except PasswordDeleteError:
        return False, None
    except Exception as exc:
        name = _backend_name(backend)
        raise _keyring_failure("remove the API key from", name, exc, stored) from None
    return True, None


def _keyring_lookup(remote: str, notes: list[str]) -> tuple[str, str | None]:
    """(backend name, key or None); a failing keyring becomes a note."""
    try:
        keyring = _import_keyring()
        backend = keyring.get_keyring()
    except Exception as exc:
        notes.append(f"keyring: not available ({type(exc).__name__})")
        return "keyring", None
    name = _backend_name(backend)
    try:
        key = backend.get_password(KEYRING_SERVICE, remote)
    except Exception as exc:
        notes.append(f"keyring ({name}): {type(exc).__name__}")
        return name, None
    return name, key if isinstance(key, str) else None


def _import_keyring() -> Any:
    """``import keyring``, also from the connect path, which runs ``python -I -S``."""
    try:
        import keyring
    except ImportError:
        if not sys.flags.no_site:
            raise
        import site

        site.main()  # -S left out site-packages, where keyring is installed
        import keyring
    return keyring


def _backend_name(backend: Any) -> str:
    cls = type(backend)
    return f"{cls.__module__}.{cls.__qualname__}"


def _priority(backend: Any) -> float:
    try:
        return float(backend.priority)
    except Exception:
        return 0.0


def _no_keyring(message: str) -> UserError:
    if sys.platform == "darwin":
        fix = "unlock the login keychain"
    elif os.name == "nt":
        fix = "check that Windows Credential Manager is available"
    else:
        fix = "install and unlock a Secret Service (gnome-keyring, KeePassXC) in this session"
    return UserError(
        message,
        hint=(
            f"{fix}; or choose a keyring backend with {KEYRING_BACKEND_ENV}=<module.Class> "
            "(`keyring --list-backends`); or, knowing the key is then stored unencrypted, "
            "`sshsetup login --store file` (a 0600 file in sshsetup's config dir)"
        ),
        exit_code=ExitCode.BAD_INPUT,
    )


def _keyring_failure(action: str, backend_name: str, exc: Exception, key: str) -> UserError:
    detail = "" if shares_secret(str(exc), key) else str(exc).strip()
    return _no_keyring(
        f"cannot {action} the keyring ({backend_name}): {type(exc).__name__}"
        + (f": {detail}" if detail else "")
    )
