"""`sshsetup doctor` as a real process on a terminal (a pty): colour only there, and never
with NO_COLOR."""

from __future__ import annotations

import os
import pty
import subprocess
import sys

import pytest
from helpers import REPO_ROOT
from helpers.doctor import DoctorHome

pytestmark = pytest.mark.linux_only


def _doctor_on_a_terminal(home: DoctorHome, no_color: bool) -> str:
    env = dict(home.env)
    env.pop("NO_COLOR", None)
    if no_color:
        env["NO_COLOR"] = "1"
    primary, secondary = pty.openpty()
    try:
        process = subprocess.Popen(
            [sys.executable, "-m", "sshsetup", "doctor", "--config", str(home.config)],
            stdout=secondary, stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL,
            env=env, cwd=REPO_ROOT,
        )  # fmt: skip
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
        process.wait(timeout=60)
    finally:
        os.close(primary)
    return output.decode(errors="replace")


def test_colour_only_on_a_terminal_and_never_with_no_color(healthy_home: DoctorHome) -> None:
    assert "\x1b[32mPASS" in _doctor_on_a_terminal(healthy_home, no_color=False)
    plain = _doctor_on_a_terminal(healthy_home, no_color=True)
    assert "\x1b[" not in plain and "PASS  openssh.client" in plain
