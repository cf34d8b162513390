"""End to end: the block's keepalives through the sandbox's proxy
(docs/ssh-config.md#keepalives-through-a-proxy), with a 1 s interval so that the test is quick:
a session idle for far more than twice the interval, through a proxy that cuts idle
connections, stays up (and is cut without keepalives); a proxy that stops forwarding is
noticed within interval x (ServerAliveCountMax + 1) (and never without keepalives)."""

from __future__ import annotations

import subprocess
import time

import pytest
from helpers.homes import Home
from helpers.sandbox import Workstation, set_up_workstation

from sshsetup.sandbox import Sandbox
from sshsetup.sshconfig.block import KEEPALIVE_COUNT_MAX

pytestmark = [pytest.mark.linux_only, pytest.mark.e2e]

HOST = "training-job-idle1-0.ssh.baseten.co"
INTERVAL = 1
PROXY_IDLE_TIMEOUT = 2.5  # more than the interval, less than the idle session below
IDLE = 5 * INTERVAL
NOTICED_WITHIN = INTERVAL * (KEEPALIVE_COUNT_MAX + 1)
SLACK = 1.5  # process start-up and scheduling on a busy machine


def keepalive_station(home: Home, sandbox: Sandbox, keepalive: str) -> Workstation:
    station = set_up_workstation(home, sandbox, "--keepalive", keepalive)
    assert station.ssh(HOST, "true").returncode == 0  # certificate and session cached
    return station


@pytest.mark.parametrize("keepalive", [str(INTERVAL), "off"])
def test_an_idle_session_stays_up_through_a_proxy_that_cuts_idle_ones_only_with_keepalives(
    home: Home, sandbox: Sandbox, keepalive: str
) -> None:
    station = keepalive_station(home, sandbox, keepalive)
    sandbox.controls.proxy_idle_timeout_seconds = PROXY_IDLE_TIMEOUT

    done = station.ssh(HOST, f"sleep {IDLE}; echo still-here")

    if keepalive == "off":
        assert done.returncode == 255 and "still-here" not in done.stdout
        assert sandbox.controls.calls("proxy_idle_closed") == 1
    else:
        assert done.returncode == 0, done.stderr
        assert done.stdout == "still-here\n"
        assert sandbox.controls.calls("proxy_idle_closed") == 0


def _stalled_session(station: Workstation) -> subprocess.Popen[str]:
    """A session idle in `sleep`, through a proxy that then stops forwarding."""
    process = subprocess.Popen(
        ["ssh", "-F", str(station.home.config), "-o", "BatchMode=yes", HOST, "sleep 120"],
        env=station.env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    time.sleep(2 * INTERVAL + 0.5)  # connected, and keepalives already answered
    station.sandbox.controls.proxy_forwarding = False
    return process


def test_a_proxy_that_stops_forwarding_is_noticed_within_the_stated_time(
    home: Home, sandbox: Sandbox
) -> None:
    station = keepalive_station(home, sandbox, str(INTERVAL))
    process = _stalled_session(station)
    stalled = time.monotonic()
    try:
        status = process.wait(timeout=NOTICED_WITHIN + 30)
    finally:
        process.kill()
    noticed = time.monotonic() - stalled

    assert status == 255
    assert INTERVAL * KEEPALIVE_COUNT_MAX - SLACK <= noticed <= NOTICED_WITHIN + SLACK, noticed


def test_without_keepalives_a_proxy_that_stops_forwarding_goes_unnoticed(
    home: Home, sandbox: Sandbox
) -> None:
    station = keepalive_station(home, sandbox, "off")
    process = _stalled_session(station)
    try:
        time.sleep(NOTICED_WITHIN + SLACK + 1)
        assert process.poll() is None  # still waiting on a dead connection
    finally:
        process.kill()
        process.wait()
        sandbox.controls.proxy_forwarding = True
