"""`sshsetup doctor` against the sandbox: it never signs anything (it only reads a job's state),
and `--remote` connects for real (the real ssh through the block's hook and ProxyCommand to the
sandbox's sshd, with a real ssh-agent) to say which link of the forwarding chain broke
(docs/agent.md#verifying-forwarding-on-the-remote-host,
docs/agent.md#diagnosis-ladder-for-agent-forwarding)."""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers.doctor import DoctorHome, DoctorRun

from sshsetup.sandbox import Sandbox

pytestmark = pytest.mark.linux_only

REMOTE_HOST = "training-job-doctor-0.ssh.baseten.co"


def remote_doctor(home: DoctorHome) -> DoctorRun:
    return home.doctor(REMOTE_HOST, "--remote")


def test_doctor_never_signs_even_when_the_certificate_is_missing_or_expired(
    sandbox_home: DoctorHome, shared_sandbox: Sandbox, socket_dir: Path
) -> None:
    sandbox_home.set_up()
    sandbox_home.start_agent(socket_dir, sandbox_home.key_file)

    missing = sandbox_home.doctor(REMOTE_HOST)
    assert not sandbox_home.cert_file(REMOTE_HOST).exists()
    expired_cert = sandbox_home.write_certificate(
        valid_after=100, valid_before=200, host=REMOTE_HOST
    )
    written = expired_cert.read_bytes()
    expired = sandbox_home.doctor(REMOTE_HOST)

    # ssh -G ran the block's hook (the block applied), which would fetch without NO_FETCH.
    assert missing.checks["effective.proxycommand"]["status"] == "pass"
    assert missing.checks["certificate.present"]["details"]["present"] is False
    validity = expired.checks["certificate.validity"]
    assert validity["status"] == "warn" and "to 1970-01-01T00:03:20Z" in validity["seen"]
    # Only the job's state was read (the job search), once per run: nothing was signed.
    assert shared_sandbox.controls.counts() == {"search": 2}
    assert missing.checks["workload.state"]["status"] == "pass"
    assert expired_cert.read_bytes() == written


def test_remote_lists_the_forwarded_key(
    sandbox_home: DoctorHome, shared_sandbox: Sandbox, socket_dir: Path
) -> None:
    sandbox_home.set_up()
    sandbox_home.start_agent(socket_dir, sandbox_home.key_file)

    run = remote_doctor(sandbox_home)

    forwarding = run.checks["remote.agent_forwarding"]
    assert forwarding["status"] == "pass", run
    assert forwarding["details"]["link"] == "keys_listed"
    assert forwarding["details"]["remote_ssh_auth_sock"].startswith("/tmp/ssh-")
    assert any("(ED25519)" in line for line in forwarding["details"]["remote_ssh_add"])
    assert run.result.returncode == 0, run
    assert shared_sandbox.controls.calls("proxy_session") == 1


def test_remote_with_an_empty_local_agent(sandbox_home: DoctorHome, socket_dir: Path) -> None:
    sandbox_home.set_up()
    sandbox_home.start_agent(socket_dir)

    run = remote_doctor(sandbox_home)

    forwarding = run.checks["remote.agent_forwarding"]
    assert forwarding["details"]["link"] == "local_agent_empty", run
    assert forwarding["details"]["remote_ssh_add_rc"] == 1
    assert f"ssh-add {sandbox_home.key_file}" in forwarding["fix"]


def test_remote_without_a_local_agent(sandbox_home: DoctorHome) -> None:
    sandbox_home.set_up()

    run = remote_doctor(sandbox_home)

    forwarding = run.checks["remote.agent_forwarding"]
    assert forwarding["details"]["link"] == "no_local_agent", run
    assert forwarding["details"]["remote_ssh_auth_sock"] is None
    assert run.status("remote.connect") == "pass"


def test_remote_with_a_certificate_without_permit_agent_forwarding(
    sandbox_home: DoctorHome, shared_sandbox: Sandbox, socket_dir: Path
) -> None:
    shared_sandbox.controls.agent_forwarding = False
    sandbox_home.set_up()
    sandbox_home.start_agent(socket_dir, sandbox_home.key_file)

    run = remote_doctor(sandbox_home)

    forwarding = run.checks["remote.agent_forwarding"]
    assert forwarding["details"]["link"] == "certificate_refused", run
    assert forwarding["details"]["remote_ssh_auth_sock"] is None
    assert f"sshsetup cert fetch {REMOTE_HOST}" in forwarding["fix"]


def test_remote_with_forward_agent_off(sandbox_home: DoctorHome, socket_dir: Path) -> None:
    sandbox_home.set_up(forward_agent=False)
    sandbox_home.start_agent(socket_dir, sandbox_home.key_file)

    run = remote_doctor(sandbox_home)

    forwarding = run.checks["remote.agent_forwarding"]
    assert forwarding["details"]["link"] == "forward_agent_off", run
    assert "sshsetup setup --forward-agent" in forwarding["fix"]


def test_remote_when_the_connection_itself_fails(
    sandbox_home: DoctorHome, shared_sandbox: Sandbox, socket_dir: Path
) -> None:
    sandbox_home.set_up()
    sandbox_home.start_agent(socket_dir, sandbox_home.key_file)
    shared_sandbox.api_down()
    try:
        run = remote_doctor(sandbox_home)
    finally:
        shared_sandbox.api_up()

    connect = run.checks["remote.connect"]
    assert connect["status"] == "fail", run
    assert f"ssh -v {REMOTE_HOST} true" in connect["fix"]
    assert "remote.agent_forwarding" not in run.checks
