"""Figure 7: the block's keepalives through the sandbox's proxy
(docs/ssh-config.md#keepalives-through-a-proxy): an idle session outlives a proxy that cuts
connections idle for 1.5 intervals, and a proxy that stops forwarding is noticed within
interval x (ServerAliveCountMax + 1). The full run uses the block's default interval (15 s,
so about a minute and a half); the smoke run 1 s."""

from __future__ import annotations

import subprocess
import time

from benchmarks.figures import SECONDS, Figure, Target
from benchmarks.workstation import TRAINING_HOST, Workstation, run_cli
from sshsetup.connect.settings import DEFAULT_KEEPALIVE_SECONDS
from sshsetup.sshconfig.block import KEEPALIVE_COUNT_MAX

IDLE_INTERVALS = 2  # the idle session sleeps this many intervals
PROXY_IDLE_INTERVALS = 1.5  # the proxy cuts connections idle for this many
# ssh gives up at most interval x (count + 1) after the last answer; the stall comes a moment
# after it, and the measurement's own scheduling adds a little.
MEASUREMENT_SLACK_SECONDS = 1.0


def keepalive_figures(station: Workstation, interval: int) -> list[Figure]:
    if interval != DEFAULT_KEEPALIVE_SECONDS:
        run_cli(station.env, "setup", "--yes", "--keepalive", str(interval))
    controls = station.sandbox.controls
    try:
        station.connect_once(TRAINING_HOST)
        return [_idle_figure(station, interval), _dead_proxy_figure(station, interval)]
    finally:
        controls.proxy_idle_timeout_seconds = None
        controls.proxy_forwarding = True
        if interval != DEFAULT_KEEPALIVE_SECONDS:
            run_cli(station.env, "setup", "--yes", "--keepalive", str(DEFAULT_KEEPALIVE_SECONDS))


def _idle_figure(station: Workstation, interval: int) -> Figure:
    idle = IDLE_INTERVALS * interval
    station.sandbox.controls.proxy_idle_timeout_seconds = PROXY_IDLE_INTERVALS * interval
    command = station.ssh_through_proxy(TRAINING_HOST, f"sleep {idle}; echo still-here")
    started = time.perf_counter()
    done = subprocess.run(
        command, capture_output=True, text=True, env=station.env, stdin=subprocess.DEVNULL,
        timeout=idle + 60, check=False,
    )  # fmt: skip
    elapsed = time.perf_counter() - started
    survived = done.returncode == 0 and done.stdout == "still-here\n"
    return Figure(
        "keepalive_idle_session", f"keepalive {interval} s: idle session survives (seconds idle)",
        idle if survived else 0.0, SECONDS, Target(">=", idle), elapsed, runs=1,
        details={
            "proxy_idle_timeout_seconds": PROXY_IDLE_INTERVALS * interval,
            "exit_status": done.returncode,
            "proxy_idle_closed": station.sandbox.controls.calls("proxy_idle_closed"),
        },
    )  # fmt: skip


def _dead_proxy_figure(station: Workstation, interval: int) -> Figure:
    within = interval * (KEEPALIVE_COUNT_MAX + 1)
    command = station.ssh_through_proxy(TRAINING_HOST, "echo up; sleep 3600")
    process = subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL,
        env=station.env, text=True,
    )  # fmt: skip
    try:
        assert process.stdout is not None
        process.stdout.readline()  # the session is up
        station.sandbox.controls.proxy_forwarding = False
        stalled = time.perf_counter()
        status = process.wait(timeout=within + 60)
        noticed = time.perf_counter() - stalled
    finally:
        process.kill()
        process.wait()
    return Figure(
        "keepalive_dead_proxy", f"keepalive {interval} s: a stalled proxy noticed after",
        noticed, SECONDS, Target("<=", within + MEASUREMENT_SLACK_SECONDS), noticed, runs=1,
        details={"exit_status": status, "count_max": KEEPALIVE_COUNT_MAX},
    )  # fmt: skip
