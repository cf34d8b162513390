"""End to end: a training job that cannot take a connection, from the sandbox (which lets a test
set a job's state, remove it, or turn SSH off for the workspace), as `ssh`, `cert fetch` and
`doctor` explain it: each state its own message, in terms of the job
(docs/baseten-protocol.md#what-a-refused-training-host-means)."""

from __future__ import annotations

import json

import pytest
from helpers.sandbox import Workstation

from sshsetup.baseten import JOB_ENDED, JOB_STARTING

pytestmark = [pytest.mark.linux_only, pytest.mark.e2e]

JOB = "jobstate1"
HOST = f"training-job-{JOB}-0.ssh.baseten.co"


def doctor_check(station: Workstation) -> dict[str, str]:
    done = station.sshsetup("doctor", "--json", "--config", str(station.home.config), HOST)
    checks = {check["id"]: check for check in json.loads(done.stdout)["checks"]}
    return dict(checks["workload.state"])


def assert_explained(station: Workstation, exit_code: int, *fragments: str) -> None:
    """ssh, then `cert fetch`, say ``fragments``; neither leaves a certificate or a traceback."""
    done = station.ssh(HOST, "true")
    fetched = station.sshsetup("cert", "fetch", HOST)
    assert done.returncode != 0 and fetched.returncode == exit_code, fetched.stderr
    for output in (done.stderr, fetched.stderr):
        assert "Traceback" not in output and "Could not resolve hostname" not in output
        for fragment in fragments:
            assert fragment in output, output
    assert not station.cert_file(HOST).exists()


@pytest.mark.parametrize("status", JOB_STARTING)
def test_a_job_not_up_yet_says_so_and_how_to_wait(station: Workstation, status: str) -> None:
    station.sandbox.controls.workloads.set_job_status(JOB, status)
    short = status.removeprefix("TRAINING_JOB_")

    assert_explained(station, 7, f"training job {JOB} is not up yet ({short}:", "sshsetup session")
    check = doctor_check(station)
    assert check["status"] == "warn" and f"not up yet ({short}:" in check["seen"]
    assert f"sshsetup session {JOB}" in check["fix"]


@pytest.mark.parametrize("status", JOB_ENDED)
def test_an_ended_job_says_there_is_nothing_to_connect_to(
    station: Workstation, status: str
) -> None:
    error = "image pull failed" if status.endswith("DEPLOY_FAILED") else None
    station.sandbox.controls.workloads.set_job_status(JOB, status, error)
    said = status.removeprefix("TRAINING_JOB_") + (f": {error}" if error else "")

    assert_explained(station, 7, f"has ended ({said}): there is nothing to connect to")
    check = doctor_check(station)
    assert check["status"] == "fail" and f"has ended ({said})" in check["seen"]
    assert "on_failure" in check["fix"]


def test_a_job_that_does_not_exist_says_so(station: Workstation) -> None:
    station.sandbox.controls.workloads.remove_job(JOB)

    assert_explained(station, 7, f"training job {JOB} was not found", "check the job id")
    check = doctor_check(station)
    assert check["status"] == "fail" and "was not found" in check["seen"]


def test_a_running_job_in_a_workspace_without_ssh_says_support_enables_it(
    station: Workstation,
) -> None:
    station.sandbox.controls.ssh_enabled = False

    assert_explained(
        station,
        7,
        f"training job {JOB} is running, yet Baseten refused to sign",
        "is the workload running with SSH enabled?",
        "Baseten support turns them on",
    )
    assert doctor_check(station)["status"] == "pass"  # the job runs; signing is what fails


def test_a_job_that_ended_after_its_certificate_is_explained_by_the_proxycommand(
    station: Workstation,
) -> None:
    assert station.ssh(HOST, "true").returncode == 0
    station.sandbox.controls.workloads.set_job_status(JOB, "TRAINING_JOB_STOPPED")
    calls = station.sandbox.controls.counts()

    done = station.ssh(HOST, "true")

    assert done.returncode != 0 and "Traceback" not in done.stderr
    assert f"training job {JOB} has ended (STOPPED)" in done.stderr
    assert "the SSH proxy at" in done.stderr and "refused the connection" in done.stderr
    # the warm hook asked nothing; only the refused connection looked the job up
    after = station.sandbox.controls.counts()
    assert (
        after["search"] == calls["search"] + 1 and after["sign_training"] == calls["sign_training"]
    )


def test_a_proxy_refusing_a_running_job_asks_whether_ssh_is_enabled(station: Workstation) -> None:
    assert station.ssh(HOST, "true").returncode == 0
    station.sandbox.controls.refuse_jwt = True

    done = station.ssh(HOST, "true")

    assert done.returncode != 0
    assert f"training job {JOB} is running, yet the SSH proxy" in done.stderr
    assert "is the workload running with SSH enabled?" in done.stderr
    assert f"sshsetup session {JOB}" in done.stderr


def test_a_proxy_refusing_a_model_host_asks_whether_ssh_is_enabled(station: Workstation) -> None:
    host = "model-m1-d1.ssh.baseten.co"
    assert station.ssh(host, "true").returncode == 0
    station.sandbox.controls.refuse_jwt = True

    done = station.ssh(host, "true")

    assert done.returncode != 0
    assert "refused the connection (status 0x01): is the workload running with SSH enabled?" in (
        done.stderr
    )
    assert f"sshsetup cert fetch {host}" in done.stderr
