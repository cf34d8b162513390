"""Where output goes: machine-readable results on stdout, prose on stderr."""

from __future__ import annotations

import json
import os
import sys
from typing import Any, TextIO


def colour_enabled(stream: TextIO) -> bool:
    if os.environ.get("NO_COLOR"):
        return False
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty())


def say(message: str = "") -> None:
    """Prose for humans. Always stderr so stdout stays clean for --json."""
    print(message, file=sys.stderr)


def emit_result(result: dict[str, Any], as_json: bool, human: str | None = None) -> None:
    """Print the one result of a command: a JSON object on stdout, or prose."""
    if as_json:
        sys.stdout.write(json.dumps(result, indent=2, sort_keys=True, default=str) + "\n")
        sys.stdout.flush()
    elif human is not None:
        print(human)


def paint(text: str, colour: str, stream: TextIO = sys.stdout) -> str:
    codes = {"green": "32", "yellow": "33", "red": "31", "bold": "1", "dim": "2"}
    if not colour_enabled(stream):
        return text
    return f"\033[{codes[colour]}m{text}\033[0m"
