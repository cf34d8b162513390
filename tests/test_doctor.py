"""`sshsetup doctor`: its output contract (one JSON document, exit codes, plain text), that it
never signs anything, and `--remote` end to end against the sandbox's real sshd with a real
ssh-agent (field guide B8/B9: which link of the forwarding chain broke)."""

from __future__ import annotations

import json
import os
import pty
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from plugin_doctor import DOCTOR_HOST, FAKE_API_KEY, DoctorHome, DoctorRun
from plugin_setup import REPO_ROOT

from sshsetup.checks.doctor import (
    REMOTE_MARKER,
    RemoteProbe,
    config_accepted_check,
    remote_checks,
    ssh_complaint,
)
from sshsetup.checks.result import CheckResult, Status
from sshsetup.process import CommandResult
from sshsetup.sandbox import Sandbox

pytestmark = pytest.mark.linux_only

MODEL_HOST = "model-abc123-def456.ssh.baseten.co"
REMOTE_HOST = "training-job-doctor-0.ssh.baseten.co"


# --- the output contract --------------------------------------------------------------------


def test_json_is_one_document_on_stdout_and_nothing_else(healthy_home: DoctorHome) -> None:
    run = healthy_home.doctor()

    assert run.result.returncode == 0
    assert run.result.stderr == ""
    decoder = json.JSONDecoder()
    document, end = decoder.raw_decode(run.result.stdout)
    assert run.result.stdout[end:].strip() == ""
    assert document["status"] == "pass" and document["host"] == DOCTOR_HOST
    assert document["summary"] == {"pass": len(document["checks"]), "warn": 0, "fail": 0}
    for check in document["checks"]:
        assert set(check) == {"id", "status", "seen", "fix", "details"}
    ids = [check["id"] for check in document["checks"]]
    assert ids[:3] == ["openssh.client", "config.accepted", "config.use_keychain"]
    assert ids.index("effective.forwardagent") < ids.index("certificate.agent_forwarding")
    assert ids.index("credentials.api_key") < ids.index("agent.location")
    assert FAKE_API_KEY not in run.result.stdout


def test_model_host_is_checked_against_the_model_section(healthy_home: DoctorHome) -> None:
    run = healthy_home.doctor(MODEL_HOST)

    assert run.checks["effective.user"]["seen"] == "app"
    assert run.checks["certificate.present"]["details"]["present"] is False
    assert run.failing() == []


def test_plain_text_names_each_check_and_its_fix_without_colour(healthy_home: DoctorHome) -> None:
    healthy_home.env.pop("SSH_AUTH_SOCK")

    result = healthy_home.run("doctor", "--config", str(healthy_home.config))

    assert result.returncode == 11
    assert "\x1b[" not in result.stdout
    lines = result.stdout.splitlines()
    failing = lines.index(next(line for line in lines if line.startswith("FAIL  agent.location")))
    assert lines[failing + 1].startswith('      fix: eval "$(ssh-agent -s)"')
    assert "PASS  effective.forwardagent: yes" in lines
    assert lines[-1].startswith(f"doctor for {DOCTOR_HOST}: ") and "1 failed" in lines[-1]


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


def test_a_host_with_shell_metacharacters_is_refused_cleanly(healthy_home: DoctorHome) -> None:
    result = healthy_home.run("doctor", "--json", "training-job-x-0.ssh.baseten.co;rm -rf ~")

    assert result.returncode == 3
    assert result.stdout == ""
    assert result.stderr.startswith("error: host name") and "hint:" in result.stderr
    assert "Traceback" not in result.stderr


# --- pure pieces ----------------------------------------------------------------------------


def test_ssh_complaints_name_the_file_and_line() -> None:
    at_line = ssh_complaint(
        CommandResult(255, "", "/h/.ssh/config: line 7: Bad configuration option: foo\n"
                      "/h/.ssh/config: terminating, 1 bad configuration options\n")
    )  # fmt: skip
    assert (at_line.file, at_line.line) == (Path("/h/.ssh/config"), 7)
    owner = ssh_complaint(CommandResult(255, "", "Bad owner or permissions on /h/.ssh/w.conf\n"))
    assert (owner.file, owner.line) == (Path("/h/.ssh/w.conf"), None)
    check = config_accepted_check(
        CommandResult(255, "", "Bad owner or permissions on /h/.ssh/w.conf\n"), "h", Path("/c")
    )
    assert check.status is Status.FAIL and check.fix is not None
    assert check.fix.startswith("chmod go-w /h/.ssh/w.conf")
    bom = config_accepted_check(
        CommandResult(255, "", "/c: line 1: Bad configuration option: \\357\\273\\277host\n"),
        "h",
        Path("/c"),
    )
    assert bom.fix is not None and "sshsetup setup --strip-bom" in bom.fix


def _probe(sock: str, rc: int | None, *lines: str) -> RemoteProbe:
    out = [f"{REMOTE_MARKER}sock={sock}", *lines]
    if rc is not None:
        out.append(f"{REMOTE_MARKER}rc={rc}")
    return RemoteProbe(0 if rc is not None else 255, "\n".join(out) + "\n", "")


AGENT_OK = [
    CheckResult("agent.location", Status.PASS, "ok"),
    CheckResult("agent.reachable", Status.PASS, "ok"),
]


SOCK = "/tmp/ssh-x/agent.1"
NO_AGENT = [CheckResult("agent.location", Status.FAIL, "none", "start one")]


@pytest.mark.parametrize(
    ("probe", "local", "forward", "permits", "link"),
    [
        (_probe("", 2), NO_AGENT, True, True, "no_local_agent"),
        (_probe("", 2), AGENT_OK, False, True, "forward_agent_off"),
        (_probe("", 2), AGENT_OK, True, False, "certificate_refused"),
        (_probe("", 2), AGENT_OK, True, True, "server_refused"),
        (
            _probe(SOCK, 1, "The agent has no identities."),
            AGENT_OK,
            True,
            True,
            "local_agent_empty",
        ),
        (_probe(SOCK, 0, "256 SHA256:abc me (ED25519)"), AGENT_OK, True, True, "keys_listed"),
        (
            _probe(SOCK, 127, "sh: ssh-add: not found"),
            AGENT_OK,
            True,
            True,
            "remote_ssh_add_missing",
        ),
    ],
)
def test_each_broken_link_of_the_forwarding_chain_is_named(
    probe: RemoteProbe, local: list[CheckResult], forward: bool, permits: bool, link: str
) -> None:
    results = {r.id: r for r in remote_checks("h", probe, local, forward, permits)}
    assert results["remote.connect"].status is Status.PASS
    assert results["remote.agent_forwarding"].details["link"] == link
    expected = {"keys_listed": Status.PASS, "remote_ssh_add_missing": Status.WARN}
    assert results["remote.agent_forwarding"].status is expected.get(link, Status.FAIL)


def test_an_unreachable_host_fails_remote_connect_with_sshs_last_word() -> None:
    probe = RemoteProbe(255, "", "debug\nssh: connect to host h port 22: Connection refused\n")
    (result,) = remote_checks("h", probe, AGENT_OK, True, True)
    assert (result.id, result.status) == ("remote.connect", Status.FAIL)
    assert result.seen.endswith("ssh: connect to host h port 22: Connection refused")


# --- against the sandbox: no signing, and --remote for real ---------------------------------


@pytest.fixture(scope="module")
def shared_sandbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sandbox]:
    with Sandbox(tmp_path_factory.mktemp("doctor-sandbox")) as running:
        yield running


@pytest.fixture
def sandbox_home(doctor_home: DoctorHome, shared_sandbox: Sandbox) -> Iterator[DoctorHome]:
    """Set up with --forward-agent, logged in (keyring) to the sandbox's API."""
    shared_sandbox.controls.agent_forwarding = True
    shared_sandbox.controls.reset_counters()
    client = shared_sandbox.client_env(doctor_home.home)
    doctor_home.env.update(
        SSL_CERT_FILE=client["SSL_CERT_FILE"], BASETEN_BASE_URL=client["BASETEN_BASE_URL"]
    )
    doctor_home.put_keyring_entry("baseten", shared_sandbox.api_key, "sshsetup")
    yield doctor_home
    shared_sandbox.controls.agent_forwarding = True


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
    assert shared_sandbox.controls.api_calls() == 0
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


def test_an_alias_for_a_baseten_host_is_checked_as_that_host(healthy_home: DoctorHome) -> None:
    prepend_to_config = "Host myjob\n  HostName " + DOCTOR_HOST + "\n\n"
    healthy_home.config.write_text(prepend_to_config + healthy_home.config.read_text())

    run = healthy_home.doctor("myjob")

    assert run.checks["effective.user"]["seen"] == "baseten"
    assert run.checks["certificate.present"]["details"]["file"].endswith(f"{DOCTOR_HOST}-cert.pub")
    assert run.status("certificate.validity") == "pass"


def test_a_host_that_is_not_baseten_says_the_block_does_not_apply(
    healthy_home: DoctorHome,
) -> None:
    run = healthy_home.doctor("github.com")

    assert run.status("host.baseten") == "warn"
    assert "certificate.present" not in run.checks
    assert run.checks["effective.user"]["status"] == "pass"
