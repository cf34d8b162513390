"""End to end: `sshsetup ssh` as a real process, then the real ssh it becomes, through the
block, the sandbox's proxy and its real sshd: the login user, ssh's exit status, waiting for a
job that is still deploying, --no-wait, an ended job, and an on_demand session that refuses
(or closes) connections while it starts (docs/baseten-protocol.md#on-demand-activation)."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from helpers import REPO_ROOT
from helpers.sandbox import Workstation
from helpers.terminal import on_a_terminal

from sshsetup.sandbox.controls import SandboxControls

pytestmark = [pytest.mark.linux_only, pytest.mark.e2e]

JOB = "sshjob1"


def sshsetup_ssh(station: Workstation, *args: str) -> subprocess.CompletedProcess[str]:
    return station.sshsetup("ssh", "--config", str(station.home.config), *args)


def later(controls: SandboxControls, seconds: float, action: Callable[[], None]) -> None:
    """``action`` ``seconds`` after sshsetup first asks the API (so that a slow start of the
    process, on a loaded machine, does not eat into the time it is meant to wait)."""
    before = controls.api_calls()

    def run() -> None:
        deadline = time.monotonic() + 60
        while controls.api_calls() == before and time.monotonic() < deadline:
            time.sleep(0.02)
        time.sleep(seconds)
        action()

    threading.Thread(target=run, daemon=True).start()


def test_whoami_prints_the_login_user_and_the_exit_status_is_ssh_s(station: Workstation) -> None:
    done = sshsetup_ssh(station, JOB, "--", "whoami")
    seven = sshsetup_ssh(station, JOB, "--", "exit 7")

    assert done.returncode == 0, done.stderr
    assert done.stdout == "baseten\n" and done.stderr == ""
    assert seven.returncode == 7 and seven.stderr == ""


def test_sshsetup_becomes_ssh_with_no_python_process_left_in_the_middle(
    station: Workstation,
) -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "sshsetup", "ssh", JOB, "--config", str(station.home.config),
         "--", "sleep 30"],
        env=station.env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL, cwd=REPO_ROOT,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 30
        command = b""
        while time.monotonic() < deadline:
            command = Path(f"/proc/{process.pid}/cmdline").read_bytes()
            if command.startswith(b"ssh\0"):
                break
            time.sleep(0.1)
        # The process sshsetup started as is now ssh itself (same PID), and its children are
        # only the hook's and the ProxyCommand's: no sshsetup Python waits for ssh to end.
        assert command.split(b"\0")[:4] == [b"ssh", b"-F", str(station.home.config).encode(),
                                            b"training-job-sshjob1-0.ssh.baseten.co"]  # fmt: skip
        assert process.poll() is None
    finally:
        process.kill()
        process.wait()


def test_a_job_that_is_deploying_is_waited_for_until_it_runs(station: Workstation) -> None:
    workloads = station.sandbox.controls.workloads
    workloads.set_job_status(JOB, "TRAINING_JOB_DEPLOYING")
    later(
        station.sandbox.controls, 2.5, lambda: workloads.set_job_status(JOB, "TRAINING_JOB_RUNNING")
    )
    started = time.monotonic()

    done = sshsetup_ssh(station, JOB, "--", "whoami")

    assert done.returncode == 0, done.stderr
    assert done.stdout == "baseten\n"
    assert time.monotonic() - started >= 2.5
    assert station.sandbox.controls.calls("job") >= 1  # it looked again while waiting
    assert done.stderr == ""  # no terminal: no progress line


def test_no_wait_fails_fast_with_the_job_s_state(station: Workstation) -> None:
    station.sandbox.controls.workloads.set_job_status(JOB, "TRAINING_JOB_DEPLOYING")
    started = time.monotonic()

    done = sshsetup_ssh(station, JOB, "--no-wait", "--", "whoami")

    assert done.returncode == 7, done.stderr
    assert time.monotonic() - started < 10
    assert f"error: training job {JOB} is not up yet (DEPLOYING: its containers are starting)" in (
        done.stderr
    )
    assert "leave out --no-wait" in done.stderr and done.stdout == ""
    assert station.sandbox.controls.calls("sign_training") == 0


@pytest.mark.parametrize("status", ["TRAINING_JOB_COMPLETED", "TRAINING_JOB_FAILED"])
def test_an_ended_job_gives_its_message(station: Workstation, status: str) -> None:
    station.sandbox.controls.workloads.set_job_status(JOB, status)

    done = sshsetup_ssh(station, JOB, "--", "whoami")

    short = status.removeprefix("TRAINING_JOB_")
    assert done.returncode == 7, done.stderr
    assert f"error: training job {JOB} has ended ({short}): there is nothing to connect to" in (
        done.stderr
    )
    assert "on_failure" in done.stderr and "Traceback" not in done.stderr


def test_waiting_ends_at_the_timeout_with_the_state(station: Workstation) -> None:
    station.sandbox.controls.workloads.set_job_status(JOB, "TRAINING_JOB_QUEUED")

    done = sshsetup_ssh(station, JOB, "--timeout", "2", "--", "whoami")

    assert done.returncode == 7, done.stderr
    assert "is not up yet (QUEUED: waiting in the queue), still, after 2 s of waiting" in (
        done.stderr
    )
    assert "--timeout SECONDS" in done.stderr


@pytest.mark.parametrize("close", [False, True])
def test_an_on_demand_session_that_is_starting_is_retried_until_it_takes_the_connection(
    station: Workstation, close: bool
) -> None:
    station.sandbox.controls.workloads.set_activation(JOB, 2.0, close=close)

    done = sshsetup_ssh(station, JOB, "--", "whoami")

    assert done.returncode == 0, done.stderr
    assert done.stdout == "baseten\n"
    refused = station.sandbox.controls.calls("proxy_closed" if close else "proxy_refused")
    assert refused >= 1
    # Plain ssh at the same moment would have met the refusal (what this command spares).
    sessions = station.sandbox.controls.workloads.auth_codes(JOB)
    assert [session["replica_id"] for session in sessions] == ["g00r0"]


def test_after_plain_ssh_met_a_starting_session_sshsetup_ssh_waits_for_it(
    station: Workstation,
) -> None:
    station.sandbox.controls.workloads.set_activation(JOB, 2.0)
    host = f"training-job-{JOB}-0.ssh.baseten.co"

    plain = station.ssh(host, "whoami")
    done = sshsetup_ssh(station, JOB, "--", "whoami")

    assert plain.returncode == 255 and "refused the connection" in plain.stderr
    assert done.returncode == 0, done.stderr
    assert done.stdout == "baseten\n"
    # The refused session was dropped by the ProxyCommand, so sshsetup ssh probed again.
    assert station.sandbox.controls.calls("proxy_refused") >= 2


def test_a_session_that_never_takes_connections_is_explained_at_the_timeout(
    station: Workstation,
) -> None:
    station.sandbox.controls.workloads.set_activation(JOB, 60.0)

    done = sshsetup_ssh(station, JOB, "--timeout", "2", "--", "whoami")

    assert done.returncode == 7, done.stderr
    assert f"training job {JOB} is running, yet the SSH proxy" in done.stderr
    assert "(still, after" in done.stderr and "--timeout SECONDS waits for it" in done.stderr


def test_on_a_terminal_the_wait_shows_a_progress_line_with_state_and_elapsed_time(
    station: Workstation,
) -> None:
    workloads = station.sandbox.controls.workloads
    workloads.set_job_status(JOB, "TRAINING_JOB_DEPLOYING")
    later(
        station.sandbox.controls, 2.5, lambda: workloads.set_job_status(JOB, "TRAINING_JOB_RUNNING")
    )
    argv = [sys.executable, "-m", "sshsetup", "ssh", JOB, "--config", str(station.home.config),
            "--", "true"]  # fmt: skip

    status, text = on_a_terminal(argv, {**station.env, "COLUMNS": "200"}, stream="stderr")

    assert status == 0
    waiting = f"training job {JOB} is not up yet (DEPLOYING: its containers are starting); "
    assert f"\r\x1b[K{waiting}waiting (1 s)" in text
    assert f"\r\x1b[K{waiting}waiting (2 s)" in text
    assert f"\r\x1b[Ktraining job {JOB} node 0: ready after " in text
