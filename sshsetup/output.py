"""Where output goes: machine-readable results on stdout, prose on stderr."""

from __future__ import annotations

import os
import sys
from typing import TextIO

from sshsetup.connect.environment import NO_COLOR_ENV


def colour_enabled(stream: TextIO) -> bool:
    if os.environ.get(NO_COLOR_ENV):
        return False
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty())


def say(message: str = "") -> None:
    """Prose for humans. Always stderr so stdout stays clean for --json."""
    print(message, file=sys.stderr)


def paint(text: str, colour: str, stream: TextIO = sys.stdout) -> str:
    codes = {"green": "32", "yellow": "33", "red": "31", "bold": "1", "dim": "2"}
    if not colour_enabled(stream):
        return text
    return f"\033[{codes[colour]}m{text}\033[0m"
