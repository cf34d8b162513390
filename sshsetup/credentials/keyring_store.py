"""Storing API keys in the OS keyring (``sshsetup login``), and deleting them (``logout``).

``login`` refuses a keyring backend that keyring picked by itself but that is not an OS
keyring (e.g. keyrings.alt's plaintext file), unless chosen explicitly; a backend that
silently drops a key must not pass. Looking keys up is ``sshsetup.connect.credentials``'.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sshsetup.baseten import API_KEY_ENV
from sshsetup.connect.credentials import KEYRING_SERVICE, shares_secret
from sshsetup.connect.environment import KEYRING_BACKEND_ENV
from sshsetup.connect.keyring_access import backend_name, import_keyring
from sshsetup.errors import BadInput


@dataclass(frozen=True)
class KeyringChoice:
    backend: Any  # keyring.backend.KeyringBackend
    name: str
    explicit: bool  # chosen by PYTHON_KEYRING_BACKEND or keyringrc.cfg, not auto-detected
    recommended: bool  # an OS keyring (keyring's own priority >= 1)
    data_file: str | None  # where a file-backed backend keeps its data


def usable_keyring(env: Mapping[str, str]) -> KeyringChoice:
    """The keyring backend ``login`` may store into; BadInput saying how to get one."""
    keyring = import_keyring()
    from keyring.backends import chainer, fail, null
    from keyring.util import platform_

    chosen = env.get(KEYRING_BACKEND_ENV)
    try:
        backend = keyring.get_keyring()
    except Exception as exc:  # a PYTHON_KEYRING_BACKEND or keyringrc.cfg that does not load
        raise BadInput(
            f"the keyring backend {chosen or 'configured in keyringrc.cfg'} cannot be loaded "
            f"({type(exc).__name__}: {exc})",
            hint=f"fix {KEYRING_BACKEND_ENV} (a module.Class path), or unset it",
        ) from None
    effective = backend
    if isinstance(backend, chainer.ChainerBackend):
        chained = list(backend.backends)
        effective = chained[0] if chained else None
    if effective is None or isinstance(effective, (fail.Keyring, null.Keyring)):
        raise _no_keyring(f"no working keyring backend ({backend_name(effective or backend)})")
    explicit = bool(chosen) or (platform_.config_root() / "keyringrc.cfg").exists()
    recommended = _priority(effective) >= 1
    if not recommended and not explicit:
        raise _no_keyring(
            f"the only keyring backend found, {backend_name(effective)}, is not an OS keyring"
        )
    return KeyringChoice(
        backend=effective,
        name=backend_name(effective),
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

    Raises BadInput when a working keyring refuses (the key would stay behind).
    """
    try:
        keyring = import_keyring()
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
        name = backend_name(backend)
        raise _keyring_failure("remove the API key from", name, exc, stored) from None
    return True, None


def _priority(backend: Any) -> float:
    try:
        return float(backend.priority)
    except Exception:
        return 0.0


def _no_keyring(message: str) -> BadInput:
    if sys.platform == "darwin":
        fix = "unlock the login keychain"
    elif os.name == "nt":
        fix = "check that Windows Credential Manager is available"
    else:
        fix = "install and unlock a Secret Service (gnome-keyring, KeePassXC) in this session"
    return BadInput(
        message,
        hint=(
            f"{fix}; or choose a keyring backend with {KEYRING_BACKEND_ENV}=<module.Class> "
            "(`keyring --list-backends`); or, knowing the key is then stored unencrypted, "
            "`sshsetup login --store file` (a 0600 file in sshsetup's config dir); or store "
            f"nothing and set {API_KEY_ENV} in the environment ssh runs in"
        ),
    )


def _keyring_failure(action: str, backend_name: str, exc: Exception, key: str) -> BadInput:
    detail = "" if shares_secret(str(exc), key) else str(exc).strip()
    return _no_keyring(
        f"cannot {action} the keyring ({backend_name}): {type(exc).__name__}"
        + (f": {detail}" if detail else "")
    )
