"""`sshsetup doctor` against the sandbox: it never signs anything (it reads who the credential
belongs to and a job's state), and `--connect` connects for real (the proxy handshake with the
cached session, then the real ssh through the block's hook and ProxyCommand to the sandbox's
sshd, with a real ssh-agent) to say which link broke: the proxy, the connection (in the connect
path's own words), or the forwarding chain
(docs/agent.md#verifying-forwarding-on-the-remote-host,
docs/agent.md#diagnosis-ladder-for-agent-forwarding). These are gallery machines too: the
first FAIL names the cause, and once it is repaired the check passes."""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers.doctor import DoctorHome, DoctorRun

from sshsetup.sandbox import Sandbox

pytestmark = pytest.mark.linux_only

REMOTE_HOST = "training-job-doctor-0.ssh.baseten.co"


def remote_doctor(home: DoctorHome, *args: str) -> DoctorRun:
    return home.doctor(REMOTE_HOST, "--connect", *args)


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
    # Only the credential's owner and the job's state were read, once per run: nothing signed.
    assert shared_sandbox.controls.counts() == {"users_me": 2, "search": 2}
    assert missing.checks["workload.state"]["status"] == "pass"
    assert expired_cert.read_bytes() == written


def test_remote_lists_the_forwarded_key(
    sandbox_home: DoctorHome, shared_sandbox: Sandbox, socket_dir: Path
) -> None:
    sandbox_home.set_up()
    sandbox_home.start_agent(socket_dir, sandbox_home.make_git_key())

    run = remote_doctor(sandbox_home)

    forwarding = run.checks["remote.agent_forwarding"]
    assert forwarding["status"] == "pass", run
    assert forwarding["details"]["link"] == "keys_listed"
    assert forwarding["details"]["remote_ssh_auth_sock"].startswith("/tmp/ssh-")
    assert any("(ED25519)" in line for line in forwarding["details"]["remote_ssh_add"])
    assert run.result.returncode == 0, run
    assert run.checks["proxy.accepts"]["details"]["tried"] is False  # nothing cached yet
    assert shared_sandbox.controls.calls("proxy_session") == 1
    again = sandbox_home.doctor(REMOTE_HOST, "--remote")  # the old name, hidden, still works
    assert again.checks["proxy.accepts"]["status"] == "pass"
    assert again.checks["proxy.accepts"]["details"]["tried"] is True  # the session it cached
    assert shared_sandbox.controls.calls("proxy_session") == 3
    assert shared_sandbox.controls.calls("sign_training") == 1


def test_remote_with_an_empty_local_agent(sandbox_home: DoctorHome, socket_dir: Path) -> None:
    sandbox_home.set_up()
    git_key = sandbox_home.make_git_key()
    sandbox_home.start_agent(socket_dir)

    run = remote_doctor(sandbox_home)

    assert run.first_problem()["id"] == "agent.identities"
    forwarding = run.checks["remote.agent_forwarding"]
    assert forwarding["details"]["link"] == "local_agent_empty", run
    assert forwarding["details"]["remote_ssh_add_rc"] == 1
    assert forwarding["fix"].startswith(f"ssh-add {git_key}")
    sandbox_home.run_fix(forwarding["fix"])
    assert remote_doctor(sandbox_home).status("remote.agent_forwarding") == "pass"


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


def test_the_api_down_skips_the_connection_instead_of_blaming_it(
    sandbox_home: DoctorHome, shared_sandbox: Sandbox, socket_dir: Path
) -> None:
    sandbox_home.set_up()
    sandbox_home.start_agent(socket_dir, sandbox_home.make_git_key())
    shared_sandbox.api_down()

    run = remote_doctor(sandbox_home)

    assert run.first_problem()["id"] == "api.reachable", run
    assert run.skipped()["remote.connect"] == "api.reachable"
    assert run.skipped()["remote.agent_forwarding"] == "api.reachable"
    shared_sandbox.api_up()
    assert remote_doctor(sandbox_home).failing() == []


def test_ssh_not_enabled_the_connection_says_why_in_the_connect_paths_words(
    sandbox_home: DoctorHome, shared_sandbox: Sandbox, socket_dir: Path
) -> None:
    """Nothing cached, and Baseten refuses to sign: only a connection finds out, and doctor
    shows the hook's and the ProxyCommand's own lines first, then ssh's."""
    sandbox_home.set_up()
    sandbox_home.start_agent(socket_dir, sandbox_home.make_git_key())
    shared_sandbox.controls.ssh_enabled = False

    run = remote_doctor(sandbox_home)

    connect = run.first_problem()
    assert (connect["id"], connect["status"]) == ("remote.connect", "fail"), run
    lines = connect["seen"].splitlines()
    assert lines[0] == f"could not run a command on {REMOTE_HOST}:"
    ours = [line for line in lines[1:] if line.startswith("sshsetup: ")]
    assert ours and lines[1 : 1 + len(ours)] == ours  # the connect path's lines first
    assert "SSH must be enabled for your workspace" not in lines[0]
    assert any("is running, yet" in line and "SSH" in line for line in ours), lines
    assert connect["fix"].startswith("SSH sessions must be enabled for your Baseten workspace")
    assert run.skipped() == {"remote.agent_forwarding": "remote.connect"}
    text = sandbox_home.doctor_text(REMOTE_HOST, "--connect").stdout
    assert f"FAIL  remote.connect: could not run a command on {REMOTE_HOST}:\n      sshsetup: " in (
        text
    )
    shared_sandbox.controls.ssh_enabled = True  # Baseten support enables SSH
    assert remote_doctor(sandbox_home).failing() == []


def test_ssh_not_enabled_the_proxy_refuses_the_cached_session(
    sandbox_home: DoctorHome, shared_sandbox: Sandbox, socket_dir: Path
) -> None:
    sandbox_home.set_up()
    sandbox_home.start_agent(socket_dir, sandbox_home.make_git_key())
    assert remote_doctor(sandbox_home).failing() == []  # connected once: a session is cached
    shared_sandbox.controls.ssh_enabled = False

    run = remote_doctor(sandbox_home)

    proxy = run.first_problem()
    assert (proxy["id"], proxy["status"]) == ("proxy.accepts", "fail"), run
    assert "refused the connection (status 0x01)" in proxy["seen"]
    assert f"training job {REMOTE_HOST.split('-')[2]} is running, yet" in proxy["seen"]
    assert proxy["fix"].startswith("SSH sessions must be enabled for your Baseten workspace")
    assert run.skipped() == {
        "remote.connect": "proxy.accepts",
        "remote.agent_forwarding": "proxy.accepts",
    }
    shared_sandbox.controls.ssh_enabled = True  # Baseten support enables SSH
    fixed = remote_doctor(sandbox_home)
    assert fixed.status("proxy.accepts") == "pass" and fixed.failing() == []
