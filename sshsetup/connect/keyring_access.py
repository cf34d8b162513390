"""Reaching the OS keyring from the connect path, which runs ``python -I -S`` under the
interpreter setup chose: not necessarily the environment keyring is installed in, and that
environment may be gone since.

In this order: the ``keyring`` package if this Python imports it; else from the site
directory where setup found it (connect.json's ``keyring_site``); else from this Python's
own site-packages (``-S`` left them out); else the OS's own tool for the entries keyring
writes (``os_keyring``: macOS ``security``, Linux ``secret-tool``, Windows Credential
Manager). keyring is loaded by name, not by a static import: the connect path's import
contract allows the standard library only.
"""

from __future__ import annotations

import importlib
import os
import sys

from sshsetup.connect.os_keyring import KeyringUnavailable, native_password

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

__all__ = ["KeyringUnavailable", "backend_name", "get_password", "import_keyring"]


def import_keyring(site_dir: str | None = None) -> Any:
    """The ``keyring`` module; ImportError when no place above has it."""
    try:
        return importlib.import_module("keyring")
    except ImportError:
        pass
    import site

    if site_dir and os.path.isdir(site_dir):
        site.addsitedir(site_dir)
        try:
            return importlib.import_module("keyring")
        except ImportError:
            pass
    if not sys.flags.no_site:
        raise ImportError("the keyring package is not installed for this Python")
    site.main()  # -S left out this Python's site-packages
    return importlib.import_module("keyring")


def get_password(service: str, username: str, site_dir: str | None) -> tuple[str, str | None]:
    """(what was asked, the password or None when there is no entry). A keyring backend's
    own errors propagate; KeyringUnavailable when there is nothing to ask."""
    try:
        keyring = import_keyring(site_dir)
    except ImportError:
        return native_password(service, username)
    backend = keyring.get_keyring()
    password = backend.get_password(service, username)
    return backend_name(backend), password if isinstance(password, str) else None


def backend_name(backend: Any) -> str:
    cls = type(backend)
    return f"{cls.__module__}.{cls.__qualname__}"
