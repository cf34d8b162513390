"""Reaching the ``keyring`` package from the connect path, which runs ``python -I -S``.

keyring is the one third-party module the connect path may use, and only when it must
fetch a certificate with a key stored in the OS keyring. It is loaded by name (not a
static import: the connect path's import contract allows the standard library only, and
keyring is optional there), from site-packages when ``-S`` left them out.
"""

from __future__ import annotations

import importlib
import sys

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any


def import_keyring() -> Any:
    """The ``keyring`` module; ImportError when it is not installed for this Python."""
    try:
        return importlib.import_module("keyring")
    except ImportError:
        if not sys.flags.no_site:
            raise
        import site

        site.main()  # -S left out site-packages, where keyring is installed
        return importlib.import_module("keyring")


def backend_name(backend: Any) -> str:
    cls = type(backend)
    return f"{cls.__module__}.{cls.__qualname__}"
