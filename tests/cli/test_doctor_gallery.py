"""The gallery of broken set-ups: each test starts from a healthy machine, breaks one thing
the way users do, and asserts that `sshsetup doctor` names that cause (check id) and its fix.

Linux causes are real: real `ssh -G`, real ssh-agent processes (empty, loaded, killed),
real files and modes, a real keyring backend; doctor runs in-process. macOS and Windows
causes run the same doctor code with the platform layer's injected OS and the outputs
recorded in fixtures/platforms. Every check id a run reports must be a CheckId member
(helpers.doctor.DoctorRun checks each run).
"""

from __future__ import annotations

import json
import os
import signal
import socket
import time
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric import ed25519
from helpers.agents import make_key
from helpers.doctor import DOCTOR_HOST, FAKE_API_KEY, DoctorHome, DoctorRun, now
from helpers.recordings import RecordedRunner, recorded

from sshsetup.check_ids import CheckId
from sshsetup.check_result import CheckResult, Status
from sshsetup.checks.remote import REMOTE_MARKER, RemoteProbe, remote_checks
from sshsetup.commands.doctor import collect
from sshsetup.platforms.macos import MacOSPlatform
from sshsetup.platforms.windows import WindowsPlatform
from sshsetup.process import CommandResult

pytestmark = pytest.mark.linux_only


def assert_cause(run: DoctorRun, check_id: str, status: str, *fix_fragments: str) -> dict[str, Any]:
    check = run.checks[check_id]
    assert check["status"] == status, run
    for fragment in fix_fragments:
        assert fragment in (check["fix"] or ""), check
    assert FAKE_API_KEY not in run.result.stdout + run.result.stderr
    return check


def prepend_to_config(home: DoctorHome, text: str) -> None:
    home.config.write_text(text + home.config.read_text())


# --- the agent ------------------------------------------------------------------------------


def test_no_agent_ssh_auth_sock_unset(healthy_home: DoctorHome) -> None:
    healthy_home.env.pop("SSH_AUTH_SOCK")

    run = healthy_home.doctor()

    check = assert_cause(run, "agent.location", "fail", 'eval "$(ssh-agent -s)"')
    assert "SSH_AUTH_SOCK is not set" in check["seen"]
    assert run.result.returncode == 11


def test_stale_agent_socket_of_a_killed_agent(healthy_home: DoctorHome) -> None:
    agent = healthy_home.agents[0]
    agent.process.send_signal(signal.SIGKILL)
    agent.process.wait(timeout=5)
    assert agent.socket.exists()

    run = healthy_home.doctor()

    check = assert_cause(run, "agent.reachable", "fail", f"rm {agent.socket}")
    assert check["details"]["reason"] == "refused"
    assert run.failing() == ["agent.reachable"]


def test_agent_with_no_keys(healthy_home: DoctorHome, socket_dir: Path) -> None:
    healthy_home.start_agent(socket_dir)  # a fresh agent, nothing added

    run = healthy_home.doctor()

    check = assert_cause(run, "agent.identities", "fail", f"ssh-add {healthy_home.key_file}")
    assert "holds no keys" in check["seen"]
    assert run.failing() == ["agent.identities"]


def test_too_many_keys_in_the_agent_without_identities_only(
    healthy_home: DoctorHome, socket_dir: Path, tmp_path: Path
) -> None:
    keys = [make_key(tmp_path / f"extra{n}") for n in range(5)]
    healthy_home.start_agent(socket_dir, healthy_home.key_file, *keys)
    prepend_to_config(healthy_home, "Host *\n  IdentitiesOnly no\n")

    run = healthy_home.doctor()

    count = assert_cause(run, "agent.key_count", "warn", "IdentitiesOnly yes")
    assert "6 keys" in count["seen"] and "Too many authentication failures" in count["seen"]
    only = assert_cause(run, "effective.identitiesonly", "fail", f"{healthy_home.config} line 2")
    assert only["details"]["origin"] == {"file": str(healthy_home.config), "line": 2}


# --- ForwardAgent ---------------------------------------------------------------------------


def test_forward_agent_missing(doctor_home: DoctorHome, socket_dir: Path) -> None:
    doctor_home.set_up(forward_agent=False)
    doctor_home.log_in()
    doctor_home.start_agent(socket_dir, doctor_home.key_file)

    run = doctor_home.doctor()

    check = assert_cause(run, "effective.forwardagent", "warn", "sshsetup setup --forward-agent")
    assert "ssh -A" in check["fix"]
    assert run.failing() == ["effective.forwardagent"]
    assert run.result.returncode == 10


def test_forward_agent_shadowed_by_an_earlier_host_star(healthy_home: DoctorHome) -> None:
    prepend_to_config(healthy_home, "Host *\n    ForwardAgent no\n\n")

    run = healthy_home.doctor()

    check = assert_cause(run, "effective.forwardagent", "fail", f"{healthy_home.config} line 2")
    assert f"{healthy_home.config} line 2: ForwardAgent no" in check["seen"]
    assert run.status("block.shadowing") == "warn"
    assert "line 2" in run.checks["block.shadowing"]["seen"]


def test_forward_agent_off_in_the_block_itself(healthy_home: DoctorHome) -> None:
    text = healthy_home.config.read_text()
    healthy_home.config.write_text(text.replace("ForwardAgent yes", "ForwardAgent no", 1))
    edited = 1 + text.splitlines().index("  ForwardAgent yes")

    run = healthy_home.doctor()

    check = assert_cause(run, "effective.forwardagent", "fail", "sshsetup setup")
    assert "inside the sshsetup block" in check["seen"]
    assert check["details"]["origin"]["line"] == edited
    assert run.status("block.current") == "warn"
    assert run.status("certificate.agent_forwarding") == "pass"  # the certificate permits it


# --- the certificate ------------------------------------------------------------------------


def test_certificate_without_permit_agent_forwarding(healthy_home: DoctorHome) -> None:
    healthy_home.write_certificate(extensions=(b"permit-pty",))

    run = healthy_home.doctor()

    check = assert_cause(
        run, "certificate.agent_forwarding", "fail", f"sshsetup cert fetch {DOCTOR_HOST}"
    )
    assert "lacks permit-agent-forwarding" in check["seen"]
    assert run.failing() == ["certificate.agent_forwarding"]


def test_expired_certificate(healthy_home: DoctorHome) -> None:
    healthy_home.write_certificate(valid_after=now() - 7200, valid_before=now() - 3600)

    run = healthy_home.doctor()

    check = assert_cause(run, "certificate.validity", "warn", f"sshsetup cert fetch {DOCTOR_HOST}")
    assert "expired" in check["seen"]
    assert run.failing() == ["certificate.validity"]


def test_certificate_for_another_key(healthy_home: DoctorHome) -> None:
    healthy_home.write_certificate(key=ed25519.Ed25519PrivateKey.generate())

    run = healthy_home.doctor()

    check = assert_cause(run, "certificate.key", "warn", f"sshsetup cert fetch {DOCTOR_HOST}")
    assert "for another key" in check["seen"]
    assert check["details"]["certified"] != check["details"]["key"]
    assert run.failing() == ["certificate.key"]


# --- credentials ----------------------------------------------------------------------------


def test_missing_api_key(doctor_home: DoctorHome, socket_dir: Path) -> None:
    doctor_home.set_up()
    doctor_home.start_agent(socket_dir, doctor_home.key_file)

    run = doctor_home.doctor()

    check = assert_cause(run, "credentials.api_key", "fail", "sshsetup login --remote baseten")
    assert check["details"]["source"] is None
    assert run.failing() == ["credentials.api_key"]


# --- files and config -----------------------------------------------------------------------


def test_wrong_permissions_on_the_key(healthy_home: DoctorHome) -> None:
    healthy_home.key_file.chmod(0o644)

    run = healthy_home.doctor()

    check = assert_cause(run, "keys.permissions", "fail", f"chmod 600 {healthy_home.key_file}")
    assert "0644" in check["seen"]


def test_wrong_permissions_on_the_config(healthy_home: DoctorHome) -> None:
    healthy_home.config.chmod(0o666)

    run = healthy_home.doctor()

    check = assert_cause(run, "config.permissions", "fail", f"chmod go-w {healthy_home.config}")
    assert "Bad owner or permissions" in check["seen"]
    assert run.failing() == ["config.permissions"]


def test_include_above_the_block_hides_it(healthy_home: DoctorHome) -> None:
    included = healthy_home.ssh_dir / "work.conf"
    included.write_text("# work settings\nHost *\n  User alice\n  ForwardAgent no\n")
    prepend_to_config(healthy_home, f"Include {included}\n")

    run = healthy_home.doctor()

    user = assert_cause(run, "effective.user", "fail", f"edit {included} line 3")
    assert f"{included} line 3: User alice" in user["seen"]
    agent = assert_cause(run, "effective.forwardagent", "fail", f"edit {included} line 4")
    assert agent["details"]["origin"] == {"file": str(included), "line": 4}
    healthy_home.write_certificate(extensions=(b"permit-pty",))
    # Forwarding is off for now, but the block wants it: the certificate must permit it.
    assert healthy_home.doctor().status("certificate.agent_forwarding") == "fail"
    assert "Include" in run.checks["block.shadowing"]["seen"]


def test_use_keychain_without_ignore_unknown_on_non_apple_openssh(
    healthy_home: DoctorHome,
) -> None:
    healthy_home.config.write_text(healthy_home.config.read_text() + "Host *\n  UseKeychain yes\n")
    line = len(healthy_home.config.read_text().splitlines())

    run = healthy_home.doctor()

    check = assert_cause(
        run,
        "config.use_keychain",
        "fail",
        f"add `IgnoreUnknown UseKeychain` as the first line of {healthy_home.config}",
    )
    assert f"{healthy_home.config} line {line}" in check["seen"]
    assert run.status("config.accepted") == "fail"


def test_config_that_ssh_rejects(healthy_home: DoctorHome) -> None:
    healthy_home.config.write_text(
        healthy_home.config.read_text() + "Host build\n  HostName build.example\n  Compresion yes\n"
    )
    line = len(healthy_home.config.read_text().splitlines())

    run = healthy_home.doctor()

    check = assert_cause(
        run, "config.accepted", "fail", f"edit {healthy_home.config} line {line}", "`compresion`"
    )
    assert check["details"]["line"] == line
    assert "Bad configuration option: compresion" in check["seen"]
    assert run.status("config.use_keychain") == "pass"


# --- macOS and Windows (platform layer + recorded outputs) ----------------------------------

APPLE_PROBE = ("ssh", "-G", "-F", "/dev/null", "-o", "UseKeychain=no", "localhost")


def in_process(home: DoctorHome, platform: object) -> dict[str, CheckResult]:
    assert isinstance(platform, (MacOSPlatform, WindowsPlatform))
    results, _ = collect(home.context(platform), DOCTOR_HOST, time.time())
    assert all(isinstance(result.id, CheckId) for result in results)
    return {result.id: result for result in results}


def macos(home: DoctorHome, apple: bool) -> MacOSPlatform:
    version = recorded("macos/ssh_v_apple.txt" if apple else "macos/ssh_v_homebrew.txt")
    probe = (
        CommandResult(0, "", "")
        if apple
        else CommandResult(255, "", recorded("macos/usekeychain_probe_non_apple.txt"))
    )
    runner = RecordedRunner({("ssh", "-V"): CommandResult(0, "", version), APPLE_PROBE: probe})
    return MacOSPlatform(runner, home.env, launchd_dir=home.home / "launchd")


def test_macos_keys_gone_after_reboot_without_the_keychain(
    healthy_home: DoctorHome, socket_dir: Path
) -> None:
    healthy_home.start_agent(socket_dir)  # launchd's agent after a reboot: empty

    results = in_process(healthy_home, macos(healthy_home, apple=True))

    assert results["agent.identities"].status is Status.FAIL
    fix = results["agent.identities"].fix or ""
    assert f"ssh-add --apple-use-keychain {healthy_home.key_file}" in fix
    assert "ssh-add --apple-load-keychain" in fix
    assert results["macos.keychain"].status is Status.WARN
    assert "UseKeychain yes" in (results["macos.keychain"].fix or "")


def test_macos_non_apple_ssh_has_no_keychain(healthy_home: DoctorHome) -> None:
    results = in_process(healthy_home, macos(healthy_home, apple=False))

    build = results["macos.ssh_build"]
    assert build.status is Status.WARN
    assert "OpenSSH_9.9p1" in build.seen and "IgnoreUnknown UseKeychain" in (build.fix or "")


SYSTEM32_SSH = "C:\\Windows\\System32\\OpenSSH\\ssh.exe"
GIT_SSH = "C:\\Program Files\\Git\\usr\\bin\\ssh.exe"
RECORDED_KEY_PATH = "C:\\Users\\me\\.ssh\\id_rsa"


def windows(home: DoctorHome, query: str, qc: str, where: str, git: str) -> WindowsPlatform:
    def service(name: str) -> CommandResult:
        text = recorded(f"windows/{name}.txt")
        return CommandResult(1060 if "FAILED 1060" in text else 0, text, "")

    # icacls prints the file's path, then its entries: the recorded good ACL, for our files.
    good_acl = recorded("windows/icacls_key_good.txt")
    acls: dict[tuple[str, ...], CommandResult] = {
        ("icacls", str(path)): CommandResult(0, good_acl.replace(RECORDED_KEY_PATH, str(path)), "")
        for path in (home.key_file, home.config)
    }
    first = recorded(f"windows/{where}.txt").splitlines()[0].strip()
    version = "ssh_v_git_for_windows" if "Git" in first else "ssh_v_win32_9.5p1"
    git_config = recorded(f"windows/{git}.txt")
    runner = RecordedRunner(
        {
            ("sc.exe", "query", "ssh-agent"): service(query),
            ("sc.exe", "qc", "ssh-agent"): service(qc),
            ("where", "ssh"): CommandResult(0, recorded(f"windows/{where}.txt"), ""),
            (first, "-V"): CommandResult(0, "", recorded(f"windows/{version}.txt")),
            ("git", "config", "--get", "core.sshCommand"): CommandResult(
                0 if git_config.strip() else 1, git_config, ""
            ),
            **acls,
        }
    )
    env = {**home.env, "USERNAME": "me", "USERPROFILE": str(home.home)}
    # Windows ssh then uses the service's pipe (docs/windows.md#the-agent-named-pipe)
    env.pop("SSH_AUTH_SOCK", None)
    return WindowsPlatform(runner, env)


def test_windows_ssh_agent_service_disabled(healthy_home: DoctorHome) -> None:
    platform = windows(
        healthy_home,
        "sc_query_stopped",
        "sc_qc_disabled",
        "where_ssh_system32_first",
        "git_config_sshcommand_win32",
    )

    results = in_process(healthy_home, platform)

    service = results["windows.agent_service"]
    assert service.status is Status.FAIL
    assert "stopped (start type disabled)" in service.seen
    assert "Get-Service ssh-agent | Set-Service -StartupType Automatic" in (service.fix or "")
    assert "Start-Service ssh-agent" in (service.fix or "")
    assert results["agent.reachable"].status is Status.FAIL
    assert results["windows.git_ssh"].status is Status.PASS


def test_git_for_windows_using_its_own_ssh(healthy_home: DoctorHome) -> None:
    platform = windows(
        healthy_home,
        "sc_query_running",
        "sc_qc_auto",
        "where_ssh_git_first",
        "git_config_sshcommand_git",
    )

    results = in_process(healthy_home, platform)

    git = results["windows.git_ssh"]
    assert git.status is Status.FAIL
    assert "Git's own ssh" in git.seen
    assert git.fix == 'git config --global core.sshCommand "C:/Windows/System32/OpenSSH/ssh.exe"'
    assert results["windows.ssh_on_path"].status is Status.WARN
    assert GIT_SSH in results["windows.ssh_on_path"].seen
    assert results["windows.agent_service"].status is Status.PASS


def test_gallery_starts_from_a_machine_where_everything_passes(healthy_home: DoctorHome) -> None:
    run = healthy_home.doctor()

    assert run.failing() == [], run
    assert run.result.returncode == 0
    assert os.environ.get("SSH_AUTH_SOCK") != healthy_home.env["SSH_AUTH_SOCK"]


# --- check ids ------------------------------------------------------------------------------


def closed_port() -> int:
    """A loopback port nothing listens on (bound, then closed)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


def test_every_check_id_the_gallery_produces_is_a_member_and_every_member_is_produced(
    healthy_home: DoctorHome,
) -> None:
    """doctor (a Baseten host, another one, the block with UseKeychain), agent check, the macOS
    and Windows checks and doctor --remote's verdict: each id they report is a CheckId member,
    and together they report every member (none is dead)."""
    reported: set[str] = set()
    for run in (healthy_home.doctor(), healthy_home.doctor("github.com")):
        reported |= set(run.checks)  # DoctorRun: each is a member
    # A job's state is asked of the API (here a closed loopback port: workload.state warns).
    healthy_home.env["BASETEN_BASE_URL"] = f"http://127.0.0.1:{closed_port()}"
    reported |= set(healthy_home.doctor("training-job-gallery-0.ssh.baseten.co").checks)
    assert healthy_home.run("setup", "--use-keychain").returncode == 0  # effective.usekeychain
    reported |= set(healthy_home.doctor().checks)
    no_ssh = {"SSHSETUP_SSH": str(healthy_home.home / "no-ssh-here")}
    agent = healthy_home.run_with(no_ssh, "agent", "check", "--json")
    assert agent.returncode in (0, 10, 11), agent
    agent_ids = {check["id"] for check in json.loads(agent.stdout)["checks"]}
    assert agent_ids <= {member.value for member in CheckId}
    reported |= agent_ids
    platforms = (
        macos(healthy_home, apple=True),
        windows(
            healthy_home,
            "sc_query_running",
            "sc_qc_auto",
            "where_ssh_system32_first",
            "git_config_sshcommand_win32",
        ),
    )
    for platform in platforms:
        reported |= set(in_process(healthy_home, platform))  # each a CheckId instance
    marker = REMOTE_MARKER
    probe = RemoteProbe(0, f"{marker}sock=/tmp/ssh-x/agent.1\n{marker}rc=1\n", "")
    remote = remote_checks(DOCTOR_HOST, probe, [], True, True)
    assert all(isinstance(result.id, CheckId) for result in remote)
    reported |= {result.id.value for result in remote}

    assert reported == {member.value for member in CheckId}
