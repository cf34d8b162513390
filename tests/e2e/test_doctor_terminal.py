"""`sshsetup doctor` as a real process on a terminal (a pty): colour only there, and never
with NO_COLOR."""

from __future__ import annotations

import sys

import pytest
from helpers.doctor import DoctorHome
from helpers.terminal import on_a_terminal

pytestmark = pytest.mark.linux_only


def _doctor_on_a_terminal(home: DoctorHome, no_color: bool) -> str:
    env = dict(home.env)
    env.pop("NO_COLOR", None)
    if no_color:
        env["NO_COLOR"] = "1"
    argv = [sys.executable, "-m", "sshsetup", "doctor", "--config", str(home.config)]
    return on_a_terminal(argv, env)[1]


def test_colour_only_on_a_terminal_and_never_with_no_color(healthy_home: DoctorHome) -> None:
    assert "\x1b[32mPASS" in _doctor_on_a_terminal(healthy_home, no_color=False)
    plain = _doctor_on_a_terminal(healthy_home, no_color=True)
    assert "\x1b[" not in plain and "PASS  openssh.client" in plain
