"""Running a real process with one of its outputs on a terminal (a pty), as a person runs it."""

from __future__ import annotations

import os
import pty
import subprocess
from collections.abc import Mapping, Sequence

from helpers import REPO_ROOT


def on_a_terminal(
    argv: Sequence[str], env: Mapping[str, str], stream: str = "stdout", timeout: float = 60
) -> tuple[int, str]:
    """Run ``argv`` with ``stream`` ("stdout" or "stderr") on a pty (the other to /dev/null,
    no stdin); its exit status and everything written to the terminal."""
    primary, secondary = pty.openpty()
    try:
        outputs = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL, stream: secondary}
        process = subprocess.Popen(
            list(argv), stdin=subprocess.DEVNULL, env=dict(env), cwd=REPO_ROOT, **outputs
        )
        os.close(secondary)
        output = b""
        while True:
            try:
                chunk = os.read(primary, 65536)
            except OSError:  # the terminal closes when the process ends
                break
            if not chunk:
                break
            output += chunk
        status = process.wait(timeout=timeout)
    finally:
        os.close(primary)
    return status, output.decode(errors="replace")
