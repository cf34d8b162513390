"""Handing the terminal over to another program (ssh) for good.

On POSIX the process is replaced (``execve``): ssh gets sshsetup's PID, terminal and
signals, nothing of Python stays in between, and its exit status is the command's. Windows
has no such exec (its ``os.execv`` starts a new process and lets the old one end, which
hands the console back to the shell too early), so there sshsetup runs the program, leaves
Ctrl-C to it, and exits with its status (docs/windows.md#no-exec-on-windows).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Mapping, Sequence
from typing import NoReturn

HandOver = Callable[[str, Sequence[str], Mapping[str, str]], NoReturn]


def hand_over(executable: str, argv: Sequence[str], env: Mapping[str, str]) -> NoReturn:
    """Run ``executable`` with ``argv`` (``argv[0]`` its name) in place of this process."""
    sys.stdout.flush()
    sys.stderr.flush()
    if os.name == "nt":  # pragma: no cover - Windows only
        import signal
        import subprocess

        signal.signal(signal.SIGINT, signal.SIG_IGN)  # the console delivers Ctrl-C to ssh
        completed = subprocess.run([executable, *argv[1:]], env=dict(env), check=False)
        raise SystemExit(completed.returncode)
    os.execve(executable, list(argv), dict(env))
