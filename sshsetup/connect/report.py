"""The connect path's one line of diagnosis on stderr (never stdout: ssh's stream)."""

from __future__ import annotations

import sys

PREFIX = "sshsetup: "
HINT_OPEN = " (hint: "  # doctor --connect takes the fix from here to the closing ")"


def report(message: str, hint: str = "") -> None:
    """Write ``sshsetup: <what> (hint: <fix>)`` as a single line."""
    line = PREFIX + message + (f"{HINT_OPEN}{hint})" if hint else "")
    sys.stderr.write(" ".join(line.split()) + "\n")
    sys.stderr.flush()
