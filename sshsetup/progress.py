"""A progress line on stderr, rewritten in place, shown only when stderr is a terminal (a
script or a pipe gets nothing: only the outcome matters there)."""

from __future__ import annotations

import shutil
import sys
from typing import TextIO

_CLEAR = "\r\x1b[K"  # back to the start of the line, erase it


class ProgressLine:
    def __init__(self, stream: TextIO | None = None) -> None:
        self._stream = stream or sys.stderr
        isatty = getattr(self._stream, "isatty", None)
        self.enabled = bool(isatty and isatty())
        self._shown = False

    def show(self, text: str, elapsed_seconds: float) -> None:
        """``text`` and the time spent so far, in place of what the line said before."""
        if self.enabled:
            # One row: a line that wraps cannot be rewritten in place.
            width = shutil.get_terminal_size().columns - 1
            line = f"{text} ({elapsed_seconds:.0f} s)"
            if len(line) > width:
                line = line[: max(width - 3, 0)] + "..."
            self._stream.write(f"{_CLEAR}{line}")
            self._stream.flush()
            self._shown = True

    def finish(self, text: str) -> None:
        """Leave ``text`` on the line (only if a progress line was shown)."""
        if self._shown:
            self._stream.write(f"{_CLEAR}{text}\n")
            self._stream.flush()
            self._shown = False
