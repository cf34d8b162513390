"""The gallery of broken machines: each test starts from a healthy machine, breaks one thing the
way users do, asserts that the first FAIL (else the first WARN) `sshsetup doctor` prints names
that cause, with its fix, and that the checks depending on it are skipped rather than blamed;
then it applies the fix (runs the command doctor printed, or makes the edit it names) and runs
doctor again to see that check pass.

Linux causes are real: real `ssh -G`, real ssh-agent processes (empty, loaded, killed), real
files and modes, a real keyring backend, the sandbox's API (its jobs, credentials, outages)
for what doctor asks Baseten; doctor runs in-process. macOS and Windows causes run the same
doctor code with the platform layer's injected OS and the outputs recorded in
fixtures/platforms. Every check id a run reports must be a CheckId member
(helpers.doctor.DoctorRun checks each run). The machines doctor finds only by connecting
(`--connect`) are in tests/e2e/test_doctor_remote.py.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric import ed25519
from helpers import REPO_ROOT
from helpers.agents import make_key
from helpers.baseten_cli import api_key_profile, write_profiles
from helpers.cli import CliResult
from helpers.doctor import DOCTOR_HOST, DoctorHome, DoctorRun, fix_command, now
from helpers.namespaces import as_root_in_private_mounts
from helpers.recordings import RecordedRunner, recorded

from sshsetup.baseten import JOB_RUNNING
from sshsetup.check_ids import CheckId
from sshsetup.check_result import CheckResult, Status
from sshsetup.checks.remote import REMOTE_MARKER, RemoteProbe, remote_checks
from sshsetup.commands.doctor import collect
from sshsetup.platforms.macos import MacOSPlatform
from sshsetup.platforms.windows import WindowsPlatform
from sshsetup.process import CommandResult
from sshsetup.sandbox import Sandbox

pytestmark = pytest.mark.linux_only

WRONG_KEY = "wrong-key-4b1d9e7c2a6f"  # a key the sandbox's API rejects


def assert_first(run: DoctorRun, check_id: str, status: str, *fix_fragments: str) -> dict[str, Any]:
    """The first problem doctor reports is ``check_id`` (with ``status``), and its fix holds
    ``fix_fragments``; nothing after it failed because of it (those are skipped)."""
    first = run.first_problem()
    assert (first["id"], first["status"]) == (check_id, status), run
    for fragment in fix_fragments:
        assert fragment in (first["fix"] or ""), first
    assert WRONG_KEY not in run.result.stdout + run.result.stderr
    return first


def assert_fixed(
    home: DoctorHome, check_id: str, *args: str, still: tuple[str, ...] = ()
) -> DoctorRun:
    """Doctor again, after the fix: ``check_id`` passes, and so does every other check (but
    the warnings ``still`` names)."""
    run = home.doctor(*args)
    assert run.status(check_id) == "pass", run
    assert run.failing() == list(still), run
    return run


def prepend_to_config(home: DoctorHome, text: str) -> None:
    home.config.write_text(text + home.config.read_text())


def delete_line(path: Path, number: int) -> None:
    """The edit a fix of the form `edit FILE line N: delete it` asks for."""
    lines = path.read_text().splitlines(keepends=True)
    del lines[number - 1]
    path.write_text("".join(lines))


def training_host(job_id: str) -> str:
    return f"training-job-{job_id}-0.ssh.baseten.co"


# --- the agent ------------------------------------------------------------------------------


def test_no_agent_ssh_auth_sock_unset(healthy_home: DoctorHome, socket_dir: Path) -> None:
    healthy_home.env.pop("SSH_AUTH_SOCK")

    run = healthy_home.doctor()

    check = assert_first(run, "agent.location", "fail", 'eval "$(ssh-agent -s)"')
    assert "SSH_AUTH_SOCK is not set" in check["seen"]
    assert run.skipped() == dict.fromkeys(
        ("agent.reachable", "agent.identities", "agent.key_count"), "agent.location"
    )
    assert run.result.returncode == 11
    # eval "$(ssh-agent -s)" starts an agent and exports its socket; then the key goes in.
    healthy_home.start_agent(socket_dir, healthy_home.git_key)
    assert_fixed(healthy_home, "agent.location")


def test_stale_agent_socket_of_a_killed_agent(healthy_home: DoctorHome, socket_dir: Path) -> None:
    agent = healthy_home.agents[0]
    agent.process.send_signal(signal.SIGKILL)
    agent.process.wait(timeout=5)
    assert agent.socket.exists()

    run = healthy_home.doctor()

    check = assert_first(run, "agent.reachable", "fail", f"rm {agent.socket}")
    assert check["details"]["reason"] == "refused"
    assert run.failing() == ["agent.reachable", "agent.identities", "agent.key_count"]
    agent.socket.unlink()  # rm <socket> && eval "$(ssh-agent -s)"
    healthy_home.start_agent(socket_dir, healthy_home.git_key)
    assert_fixed(healthy_home, "agent.reachable")


def test_agent_with_no_keys(healthy_home: DoctorHome, socket_dir: Path) -> None:
    healthy_home.start_agent(socket_dir)  # a fresh agent, nothing added

    run = healthy_home.doctor()

    check = assert_first(run, "agent.identities", "fail", f"ssh-add {healthy_home.git_key}")
    assert "holds no keys" in check["seen"]
    assert str(healthy_home.key_file) not in check["fix"]  # never the Baseten key
    assert run.failing() == ["agent.identities"]
    healthy_home.run_fix(check["fix"])
    assert_fixed(healthy_home, "agent.identities")


def test_only_the_baseten_key_in_the_agent_while_git_needs_another(
    healthy_home: DoctorHome, socket_dir: Path
) -> None:
    healthy_home.start_agent(socket_dir, healthy_home.key_file)  # `sshsetup agent add` did

    run = healthy_home.doctor()

    check = assert_first(run, "agent.identities", "fail", f"ssh-add {healthy_home.git_key}")
    assert f"none of them is a key you use for git ({healthy_home.git_key})" in check["seen"]
    assert f"(matches {healthy_home.key_file}.pub)" in check["seen"]
    assert f"({healthy_home.key_file}.pub is sshsetup's key: the certificate login" in check["seen"]
    assert str(healthy_home.key_file) not in check["fix"]
    healthy_home.run_fix(check["fix"])
    fixed = assert_fixed(healthy_home, "agent.identities")
    assert (
        f"{healthy_home.git_key} (a default key) is in it"
        in fixed.checks["agent.identities"]["seen"]
    )


def test_the_key_github_knows_is_on_disk_but_not_loaded(
    healthy_home: DoctorHome, socket_dir: Path
) -> None:
    """The config names the key for github.com; the agent holds only the user's other key."""
    github_key = healthy_home.make_git_key("github_ed25519")
    healthy_home.config.write_text(
        healthy_home.config.read_text()
        + f"Host github.com\n  IdentityFile {github_key}\n  IdentitiesOnly yes\n"
    )
    healthy_home.git_key.rename(healthy_home.ssh_dir / "work_ed25519")  # not a git key now
    (healthy_home.ssh_dir / "id_ed25519.pub").rename(healthy_home.ssh_dir / "work_ed25519.pub")
    healthy_home.start_agent(socket_dir, healthy_home.ssh_dir / "work_ed25519")

    run = healthy_home.doctor()

    check = assert_first(run, "agent.identities", "fail", f"ssh-add {github_key}")
    assert (
        f"{github_key} is the key you use for git (IdentityFile for github.com)" in (check["fix"])
    )
    healthy_home.run_fix(check["fix"])
    assert_fixed(healthy_home, "agent.identities")


def test_too_many_keys_in_the_agent_without_identities_only(
    healthy_home: DoctorHome, socket_dir: Path, tmp_path: Path
) -> None:
    keys = [make_key(tmp_path / f"extra{n}") for n in range(5)]
    healthy_home.start_agent(socket_dir, healthy_home.git_key, *keys)
    prepend_to_config(healthy_home, "Host *\n  IdentitiesOnly no\n")

    run = healthy_home.doctor()

    only = assert_first(run, "effective.identitiesonly", "fail", f"{healthy_home.config} line 2")
    assert only["details"]["origin"] == {"file": str(healthy_home.config), "line": 2}
    count = run.checks["agent.key_count"]
    assert count["status"] == "warn" and "6 keys" in count["seen"]
    assert "Too many authentication failures" in count["seen"]
    delete_line(healthy_home.config, 2)  # edit FILE line 2: delete it
    assert_fixed(healthy_home, "effective.identitiesonly")


# --- ForwardAgent ---------------------------------------------------------------------------


def test_forward_agent_missing(sandbox_home: DoctorHome, socket_dir: Path) -> None:
    sandbox_home.set_up(forward_agent=False)
    sandbox_home.start_agent(socket_dir, sandbox_home.make_git_key())

    run = sandbox_home.doctor()

    check = assert_first(run, "effective.forwardagent", "warn", "sshsetup setup --forward-agent")
    assert "ssh -A" in check["fix"]
    assert run.failing() == ["effective.forwardagent"]
    assert run.result.returncode == 10
    sandbox_home.run_fix(check["fix"])
    assert_fixed(sandbox_home, "effective.forwardagent")


def test_forward_agent_shadowed_by_an_earlier_host_star(healthy_home: DoctorHome) -> None:
    prepend_to_config(healthy_home, "Host *\n    ForwardAgent no\n\n")

    run = healthy_home.doctor()

    check = assert_first(run, "effective.forwardagent", "fail", f"{healthy_home.config} line 2")
    assert f"{healthy_home.config} line 2: ForwardAgent no" in check["seen"]
    assert run.status("block.shadowing") == "warn"
    assert "line 2" in run.checks["block.shadowing"]["seen"]
    delete_line(healthy_home.config, 2)
    assert_fixed(healthy_home, "effective.forwardagent")


def test_forward_agent_off_in_the_block_itself(healthy_home: DoctorHome) -> None:
    text = healthy_home.config.read_text()
    healthy_home.config.write_text(text.replace("ForwardAgent yes", "ForwardAgent no", 1))
    edited = 1 + text.splitlines().index("  ForwardAgent yes")

    run = healthy_home.doctor()

    assert run.status("block.current") == "warn"  # reported before, but not a failure
    check = assert_first(run, "effective.forwardagent", "fail", "sshsetup setup")
    assert "inside the sshsetup block" in check["seen"]
    assert check["details"]["origin"]["line"] == edited
    assert run.status("certificate.agent_forwarding") == "pass"  # the certificate permits it
    healthy_home.run_fix(check["fix"])
    assert_fixed(healthy_home, "effective.forwardagent")


def test_forwarding_off_for_one_host_alias(healthy_home: DoctorHome) -> None:
    prepend_to_config(
        healthy_home,
        f"Host myjob\n  HostName {DOCTOR_HOST}\n  ForwardAgent no\n\n",
    )

    run = healthy_home.doctor("myjob")

    check = assert_first(run, "effective.forwardagent", "fail", f"{healthy_home.config} line 3")
    assert "ForwardAgent no" in check["seen"] and "myjob" in check["seen"]
    assert healthy_home.doctor().status("effective.forwardagent") == "pass"  # the host itself
    delete_line(healthy_home.config, 3)
    assert_fixed(healthy_home, "effective.forwardagent", "myjob")


# --- the certificate ------------------------------------------------------------------------


def test_certificate_without_permit_agent_forwarding(healthy_home: DoctorHome) -> None:
    healthy_home.write_certificate(extensions=(b"permit-pty",))

    run = healthy_home.doctor()

    check = assert_first(
        run, "certificate.agent_forwarding", "fail", f"sshsetup cert fetch {DOCTOR_HOST}"
    )
    assert "lacks permit-agent-forwarding" in check["seen"]
    assert run.failing() == ["certificate.agent_forwarding"]
    healthy_home.run_fix(check["fix"])  # the sandbox signs with permit-agent-forwarding
    assert_fixed(healthy_home, "certificate.agent_forwarding")


def test_expired_certificate(healthy_home: DoctorHome) -> None:
    healthy_home.write_certificate(valid_after=now() - 7200, valid_before=now() - 3600)

    run = healthy_home.doctor()

    check = assert_first(run, "certificate.validity", "warn", f"sshsetup cert fetch {DOCTOR_HOST}")
    assert "expired" in check["seen"]
    assert run.failing() == ["certificate.validity"]
    healthy_home.run_fix(check["fix"])
    assert_fixed(healthy_home, "certificate.validity")


def test_certificate_for_another_key(healthy_home: DoctorHome) -> None:
    healthy_home.write_certificate(key=ed25519.Ed25519PrivateKey.generate())

    run = healthy_home.doctor()

    check = assert_first(run, "certificate.key", "warn", f"sshsetup cert fetch {DOCTOR_HOST}")
    assert "for another key" in check["seen"]
    assert check["details"]["certified"] != check["details"]["key"]
    healthy_home.run_fix(check["fix"])
    assert_fixed(healthy_home, "certificate.key")


def test_corrupt_certificate(healthy_home: DoctorHome) -> None:
    healthy_home.cert_file().write_text("ssh-ed25519-cert-v01@openssh.com AAAAnotbase64!\n")

    run = healthy_home.doctor()

    check = assert_first(
        run, "certificate.present", "fail", f"rm {healthy_home.cert_file()} && sshsetup cert fetch"
    )
    assert "is unusable" in check["seen"]
    assert run.skipped() == {
        "certificate.validity": "certificate.present",
        "certificate.key": "certificate.present",
        "certificate.agent_forwarding": "certificate.present",
    }
    healthy_home.run_fix(check["fix"])
    assert_fixed(healthy_home, "certificate.present")


# --- credentials and the API ----------------------------------------------------------------


def test_missing_api_key(doctor_home: DoctorHome, socket_dir: Path) -> None:
    doctor_home.set_up()
    doctor_home.start_agent(socket_dir, doctor_home.make_git_key())

    run = doctor_home.doctor()

    check = assert_first(run, "credentials.api_key", "fail", "sshsetup login --remote baseten")
    assert check["details"]["source"] is None
    assert run.status("api.reachable") == "pass"  # asked without a credential
    assert run.skipped() == {"api.credentials": "credentials.api_key"}
    doctor_home.run_fix(check["fix"], append="--api-key-stdin", input_text=doctor_home.api_key)
    assert_fixed(doctor_home, "credentials.api_key")


def rejected_key_in(home: DoctorHome, source: str) -> None:
    """Put a key the API rejects where ``source`` keeps it (nothing comes before it)."""
    home.env.pop("BASETEN_API_KEY", None)
    home.put_keyring_entry("baseten", "", "sshsetup")  # empty: the lookup skips it
    if source == "keyring":
        home.put_keyring_entry("baseten", WRONG_KEY, "sshsetup")
    elif source == "file":
        home.settings_dir.mkdir(mode=0o700, exist_ok=True)
        home.plaintext_keys_file.write_text(json.dumps({"api_keys": {"baseten": WRONG_KEY}}))
        home.plaintext_keys_file.chmod(0o600)
    elif source == "env":
        home.env["BASETEN_API_KEY"] = WRONG_KEY
    elif source == "trussrc":
        trussrc = home.home / ".trussrc"
        trussrc.write_text(
            f"[baseten]\nremote_provider = baseten\napi_key = {WRONG_KEY}\n"
            f"remote_url = {home.env['BASETEN_BASE_URL']}\n"
        )
    else:  # the profile's API is the sandbox's too
        home.env["BASETEN_MANAGEMENT_API_URL_OVERRIDE"] = home.env["BASETEN_BASE_URL"]
        write_profiles(home, {"me": api_key_profile(home, "me", WRONG_KEY)}, current="me")


@pytest.mark.parametrize(
    ("source", "said", "fix"),
    [
        ("keyring", "from the keyring (", "sshsetup login --remote baseten"),
        ("file", "api-keys.plaintext.json", "sshsetup login --remote baseten --store file"),
        ("env", "from BASETEN_API_KEY", "set BASETEN_API_KEY to a valid API key"),
        ("trussrc", ".trussrc [baseten]", "sshsetup login --remote baseten"),
        ("baseten-cli", "baseten CLI profile 'me'", "baseten auth login"),
    ],
)
def test_api_key_rejected_names_where_it_came_from(
    healthy_home: DoctorHome, source: str, said: str, fix: str
) -> None:
    rejected_key_in(healthy_home, source)

    run = healthy_home.doctor()

    check = assert_first(run, "api.credentials", "fail", fix)
    assert "rejected" in check["seen"] and said in check["seen"], check
    assert check["details"]["source"] == source
    assert run.status("credentials.api_key") == "pass"  # it was found: it is just refused
    assert run.status("api.reachable") == "pass"
    if source == "env":  # set BASETEN_API_KEY to a valid API key
        healthy_home.env["BASETEN_API_KEY"] = healthy_home.api_key
    elif source == "baseten-cli":  # or `sshsetup login --remote baseten` with a valid key
        healthy_home.run("login", "--api-key-stdin", input_text=healthy_home.api_key)
    else:
        healthy_home.run_fix(
            check["fix"], append="--api-key-stdin", input_text=healthy_home.api_key
        )
    assert_fixed(healthy_home, "api.credentials")


def closed_port() -> int:
    """A loopback port nothing listens on (bound, then closed)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


def test_api_down(healthy_home: DoctorHome, shared_sandbox: Sandbox) -> None:
    shared_sandbox.api_down()

    run = healthy_home.doctor()

    check = assert_first(run, "api.reachable", "fail", "is the service up?")
    assert check["seen"].startswith("TCP: the API at 127.0.0.1:")
    assert check["details"]["stage"] == "tcp"
    assert run.skipped() == {"api.credentials": "api.reachable"}
    shared_sandbox.api_up()  # the service is up again
    assert_fixed(healthy_home, "api.reachable")


def test_api_url_with_a_typo(healthy_home: DoctorHome) -> None:
    right = healthy_home.env["BASETEN_BASE_URL"]
    healthy_home.env["BASETEN_BASE_URL"] = f"http://127.0.0.1:{closed_port()}"

    run = healthy_home.doctor()

    assert_first(run, "api.reachable", "fail", "BASETEN_BASE_URL")
    healthy_home.env["BASETEN_BASE_URL"] = right  # check ... BASETEN_BASE_URL
    assert_fixed(healthy_home, "api.reachable")


def test_api_that_does_not_answer_in_time(
    healthy_home: DoctorHome, shared_sandbox: Sandbox
) -> None:
    shared_sandbox.controls.api_latency_seconds = 3.0
    healthy_home.env["SSHSETUP_API_TIMEOUT"] = "1"
    try:
        started = time.monotonic()
        run = healthy_home.doctor()
        took = time.monotonic() - started
    finally:
        shared_sandbox.controls.api_latency_seconds = 0.0

    check = assert_first(run, "api.reachable", "fail", "SSHSETUP_API_TIMEOUT")
    assert check["details"]["stage"] == "timeout" and "within 1 s" in check["seen"]
    assert took < 15, took
    del healthy_home.env["SSHSETUP_API_TIMEOUT"]  # the API answers quickly again
    assert_fixed(healthy_home, "api.reachable")


def test_a_bad_api_timeout_is_a_fail_line_not_an_abort(healthy_home: DoctorHome) -> None:
    healthy_home.env["SSHSETUP_API_TIMEOUT"] = "soon"

    run = healthy_home.doctor()

    check = assert_first(run, "api.reachable", "fail", "unset SSHSETUP_API_TIMEOUT")
    assert "'soon' is not a number of seconds" in check["seen"]
    assert run.status("agent.identities") == "pass"  # everything else still ran
    del healthy_home.env["SSHSETUP_API_TIMEOUT"]
    assert_fixed(healthy_home, "api.reachable")


# --- the workload ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("job", "state", "status", "said", "fix"),
    [
        ("donejob", "TRAINING_JOB_COMPLETED", "fail", "has ended (COMPLETED)", "on_failure"),
        ("waitjob", "TRAINING_JOB_PENDING", "warn", "not up yet (PENDING: waiting for GPU "
         "capacity)", "sshsetup session waitjob"),
    ],
)  # fmt: skip
def test_job_completed_or_pending(
    healthy_home: DoctorHome,
    shared_sandbox: Sandbox,
    job: str,
    state: str,
    status: str,
    said: str,
    fix: str,
) -> None:
    shared_sandbox.controls.workloads.set_job_status(job, state)

    run = healthy_home.doctor(training_host(job))

    check = assert_first(run, "workload.state", status, fix)
    assert said in check["seen"]
    assert run.result.returncode == {"fail": 11, "warn": 10}[status]
    # The repair: a job that runs (it got its GPUs; an ended one is pushed again).
    shared_sandbox.controls.workloads.set_job_status(job, JOB_RUNNING)
    assert_fixed(healthy_home, "workload.state", training_host(job))


def test_job_that_does_not_exist(healthy_home: DoctorHome, shared_sandbox: Sandbox) -> None:
    shared_sandbox.controls.workloads.remove_job("typojob")

    run = healthy_home.doctor(training_host("typojob"))

    check = assert_first(run, "workload.state", "fail", "check the job id in the host name")
    assert "training job typojob was not found" in check["seen"]
    assert_fixed(healthy_home, "workload.state", training_host("realjob"))  # the right id


def test_environment_without_a_deployment(
    healthy_home: DoctorHome, shared_sandbox: Sandbox
) -> None:
    host = "staging.model-envmodel.ssh.baseten.co"
    shared_sandbox.controls.workloads.promote("envmodel", "staging", None)

    run = healthy_home.doctor(host)

    check = assert_first(run, "workload.state", "fail")
    assert "no current deployment" in check["seen"], check
    shared_sandbox.controls.workloads.promote("envmodel", "staging", "dep1")  # promote one
    assert_fixed(healthy_home, "workload.state", host)


def test_model_deployment_that_was_deleted(
    healthy_home: DoctorHome, shared_sandbox: Sandbox
) -> None:
    host = "model-gonemodel-dep9.ssh.baseten.co"
    shared_sandbox.controls.workloads.set_deployment_status("gonemodel", "dep9", None)

    run = healthy_home.doctor(host)

    check = assert_first(run, "workload.state", "fail", "check the ids in the host name")
    assert "was not found" in check["seen"]
    shared_sandbox.controls.workloads.set_deployment_status("gonemodel", "dep9", "ACTIVE")
    assert_fixed(healthy_home, "workload.state", host)


# --- what the block runs --------------------------------------------------------------------


def test_runtime_deleted(healthy_home: DoctorHome) -> None:
    shutil.rmtree(healthy_home.paths.runtime_dir)

    run = healthy_home.doctor()

    check = assert_first(run, "connect.runtime", "fail", "sshsetup setup")
    assert "is not installed" in check["seen"]
    skipped = run.skipped()
    assert skipped["block.current"] == "connect.runtime"
    assert all(skipped[f"effective.{key}"] == "connect.runtime" for key in ("user", "proxycommand"))
    assert "effective.usekeychain" not in skipped  # it never runs here: no SKIP names it
    assert [c["id"] for c in run.report["checks"] if c["status"] == "fail"] == ["connect.runtime"]
    healthy_home.run_fix(check["fix"])
    assert_fixed(healthy_home, "connect.runtime")


def test_venv_deleted_the_python_is_gone(healthy_home: DoctorHome, tmp_path: Path) -> None:
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    assert healthy_home.run("setup", "--python", str(venv / "bin" / "python")).returncode == 0
    shutil.rmtree(venv)

    run = healthy_home.doctor()

    check = assert_first(run, "connect.runtime", "fail", "sshsetup setup --python auto")
    assert f"the Python the block runs, {venv / 'bin' / 'python'}, is missing" in check["seen"]
    assert "effective.user" in run.skipped()
    healthy_home.run_fix(check["fix"])
    assert_fixed(healthy_home, "connect.runtime")


def test_python_without_ca_certificates(healthy_home: DoctorHome, tmp_path: Path) -> None:
    """What python.org's macOS build is before `Install Certificates.command`, made here
    with SSL_CERT_FILE and SSL_CERT_DIR pointing at nothing."""
    (tmp_path / "no-certificates").mkdir()
    (tmp_path / "empty.pem").write_text("")
    healthy_home.env["SSL_CERT_FILE"] = str(tmp_path / "empty.pem")
    healthy_home.env["SSL_CERT_DIR"] = str(tmp_path / "no-certificates")

    run = healthy_home.doctor()

    check = assert_first(run, "connect.runtime", "fail", "unset SSL_CERT_FILE SSL_CERT_DIR")
    assert "finds no CA certificates" in check["seen"]
    for name in ("SSL_CERT_FILE", "SSL_CERT_DIR"):  # unset SSL_CERT_FILE SSL_CERT_DIR
        del healthy_home.env[name]
    assert_fixed(healthy_home, "connect.runtime")


def test_no_block_yet(sandbox_home: DoctorHome, socket_dir: Path) -> None:
    sandbox_home.start_agent(socket_dir, sandbox_home.make_git_key())

    run = sandbox_home.doctor()

    # `ssh -F FILE` stops first: the file does not exist yet.
    check = assert_first(run, "config.accepted", "fail", "sshsetup setup")
    assert "the file does not exist" in check["seen"]
    assert run.checks["block.present"]["status"] == "fail"
    assert "(the file does not exist)" in run.checks["block.present"]["seen"]
    assert run.skipped()["effective.proxycommand"] == "config.accepted"
    sandbox_home.run_fix(check["fix"], append="--forward-agent")
    assert_fixed(sandbox_home, "block.present")


def test_a_truss_block_above_sshsetups(healthy_home: DoctorHome) -> None:
    truss = (
        "# --- baseten-ssh ---\n"
        'Match host training-job-*.ssh.baseten.co exec "python3 /x/proxy-command.py --sign %n"\n'
        "  ProxyCommand python3 /x/proxy-command.py %n\n"
        "  User baseten\n"
        "# --- end baseten-ssh ---\n"
    )
    prepend_to_config(healthy_home, truss)

    run = healthy_home.doctor()

    check = assert_first(run, "block.other_clients", "fail", "sshsetup setup --migrate")
    assert "truss ssh setup" in check["seen"]
    healthy_home.run_fix(check["fix"])
    assert_fixed(healthy_home, "block.other_clients")


# --- the config file ------------------------------------------------------------------------


def in_a_passwd_home(home: DoctorHome, passwd_home: Path, script: str, tmp_path: Path) -> None:
    """``script`` (sh, ``sshsetup`` being this checkout) as root, with the passwd entry's home
    moved to ``passwd_home`` in a private mount namespace: what ssh reads by itself is there,
    while $HOME stays the home's (helpers.namespaces)."""
    passwd = tmp_path / "passwd"
    env = {name: value for name, value in home.env.items() if name != "SSHSETUP_SSH_CONFIG"}
    wrapped = f"""
        set -e
        sed 's#^root:\\([^:]*\\):0:0:\\([^:]*\\):[^:]*:#root:\\1:0:0:\\2:{passwd_home}:#' \\
            /etc/passwd > {passwd}
        mount --bind {passwd} /etc/passwd
        cd {REPO_ROOT}
        sshsetup() {{ {sys.executable} -m sshsetup "$@"; }}
        {script}
    """
    result = as_root_in_private_mounts(wrapped, env, tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr


def test_home_is_not_the_passwd_home_and_ssh_reads_another_file(
    healthy_home: DoctorHome, tmp_path: Path
) -> None:
    """$HOME/.ssh/config is where the user put the block (`setup --config ~/.ssh/config`), but
    ssh reads ~/.ssh/config of the passwd entry's home: a plain `ssh -G HOST` there has no
    ProxyCommand, and doctor must evaluate that, naming both files."""
    passwd_home = tmp_path / "passwd-home"
    (passwd_home / ".ssh").mkdir(parents=True, mode=0o700)
    ssh_reads = passwd_home / ".ssh" / "config"
    out = tmp_path / "out"
    out.mkdir()
    in_a_passwd_home(
        healthy_home,
        passwd_home,
        f"sshsetup setup --yes --forward-agent --config {healthy_home.config} > {out}/setup\n"
        f"sshsetup doctor --json > {out}/before.json || true",
        tmp_path,
    )
    before = DoctorRun(CliResult(("doctor",), 11, (out / "before.json").read_text(), ""),
                       json.loads((out / "before.json").read_text()))  # fmt: skip

    check = assert_first(before, "config.target", "fail", f"sshsetup setup --config {ssh_reads}")
    assert f"sshsetup manages {healthy_home.config}" in check["seen"]
    assert (
        f"reads {ssh_reads} (your passwd entry's home; $HOME is {healthy_home.home})"
        in (check["seen"])
    )
    assert before.skipped()["effective.proxycommand"] == "config.target"
    in_a_passwd_home(
        healthy_home,
        passwd_home,
        f"{fix_command(check['fix'])}\nsshsetup doctor --json > {out}/after.json || true",
        tmp_path,
    )
    after = json.loads((out / "after.json").read_text())
    checks = {c["id"]: c for c in after["checks"]}
    assert checks["config.target"]["status"] == "pass", after
    assert checks["config.target"]["seen"].startswith(f"ssh reads {ssh_reads} (your passwd")
    assert checks["effective.proxycommand"]["status"] == "pass"  # plain ssh -G sees the block
    assert [c["id"] for c in after["checks"] if c["status"] != "pass"] == []
    assert "sshsetup managed block" in ssh_reads.read_text()


def test_config_is_a_directory_is_a_fail_line_not_an_abort(healthy_home: DoctorHome) -> None:
    healthy_home.config.unlink()
    healthy_home.config.mkdir()

    run = healthy_home.doctor()

    assert run.result.returncode == 11  # not 3: doctor goes on
    check = assert_first(run, "block.present", "fail", f"mv {healthy_home.config}")
    assert "is not a regular file" in check["seen"]
    assert run.skipped()["connect.runtime"] == "block.present"
    assert run.status("agent.identities") == "pass"
    healthy_home.run_fix(check["fix"], append="--forward-agent")
    assert_fixed(healthy_home, "block.present")


def test_settings_that_are_not_json_are_fail_lines_not_an_abort(healthy_home: DoctorHome) -> None:
    settings = healthy_home.paths.settings_file
    settings.write_text("{not json")

    run = healthy_home.doctor()

    assert run.result.returncode == 11  # not 3: doctor goes on
    check = assert_first(run, "block.present", "fail", f"fix or delete {settings}")
    assert f"{settings} line 1: not valid JSON" in check["seen"]
    assert run.checks["credentials.api_key"]["status"] == "fail"
    assert run.status("agent.identities") == "pass"
    settings.unlink()  # delete it; `sshsetup setup` writes it again
    healthy_home.run_fix("sshsetup setup", append="--forward-agent")
    assert_fixed(healthy_home, "block.present")


def test_config_with_a_byte_order_mark(healthy_home: DoctorHome) -> None:
    healthy_home.config.write_bytes(b"\xef\xbb\xbf" + healthy_home.config.read_bytes())

    run = healthy_home.doctor()

    check = assert_first(run, "config.accepted", "fail", "sshsetup setup --strip-bom")
    assert "ssh rejects the config" in check["seen"]
    assert run.skipped()["effective.user"] == "config.accepted"
    healthy_home.run_fix(check["fix"])
    assert_fixed(healthy_home, "config.accepted")


def test_config_that_ssh_rejects(healthy_home: DoctorHome) -> None:
    healthy_home.config.write_text(
        healthy_home.config.read_text() + "Host build\n  HostName build.example\n  Compresion yes\n"
    )
    line = len(healthy_home.config.read_text().splitlines())

    run = healthy_home.doctor()

    check = assert_first(
        run, "config.accepted", "fail", f"edit {healthy_home.config} line {line}", "`compresion`"
    )
    assert check["details"]["line"] == line
    assert "Bad configuration option: compresion" in check["seen"]
    assert run.status("config.use_keychain") == "pass"
    assert set(run.skipped().values()) == {"config.accepted"}  # nothing else blamed
    delete_line(healthy_home.config, line)
    assert_fixed(healthy_home, "config.accepted")


def test_use_keychain_without_ignore_unknown_on_non_apple_openssh(
    healthy_home: DoctorHome,
) -> None:
    healthy_home.config.write_text(healthy_home.config.read_text() + "Host *\n  UseKeychain yes\n")
    line = len(healthy_home.config.read_text().splitlines())

    run = healthy_home.doctor()

    assert run.status("config.accepted") == "fail"
    check = run.checks["config.use_keychain"]
    assert check["status"] == "fail"
    fix = f"add `IgnoreUnknown UseKeychain` as the first line of {healthy_home.config}"
    assert fix in check["fix"]
    assert f"{healthy_home.config} line {line}" in check["seen"]
    prepend_to_config(healthy_home, "IgnoreUnknown UseKeychain\n")
    assert_fixed(healthy_home, "config.use_keychain")


def test_include_above_the_block_hides_it(healthy_home: DoctorHome) -> None:
    included = healthy_home.ssh_dir / "work.conf"
    included.write_text("# work settings\nHost *\n  User alice\n  ForwardAgent no\n")
    prepend_to_config(healthy_home, f"Include {included}\n")

    run = healthy_home.doctor()

    user = assert_first(run, "effective.user", "fail", f"edit {included} line 3")
    assert f"{included} line 3: User alice" in user["seen"]
    agent = run.checks["effective.forwardagent"]
    assert agent["details"]["origin"] == {"file": str(included), "line": 4}
    assert "Include" in run.checks["block.shadowing"]["seen"]
    included.write_text("# work settings\nHost * !*.ssh.baseten.co\n  User alice\n")
    assert_fixed(healthy_home, "effective.user", still=("block.shadowing",))  # an Include above


def test_wrong_permissions_on_the_key(healthy_home: DoctorHome) -> None:
    healthy_home.key_file.chmod(0o644)

    run = healthy_home.doctor()

    check = assert_first(run, "keys.permissions", "fail", f"chmod 600 {healthy_home.key_file}")
    assert "0644" in check["seen"]
    healthy_home.run_fix(check["fix"])
    assert_fixed(healthy_home, "keys.permissions")


def test_wrong_permissions_on_the_config(healthy_home: DoctorHome) -> None:
    healthy_home.config.chmod(0o666)

    run = healthy_home.doctor()

    check = assert_first(run, "config.permissions", "fail", f"chmod go-w {healthy_home.config}")
    assert "Bad owner or permissions" in check["seen"]
    assert run.failing() == ["config.permissions"]
    healthy_home.run_fix(check["fix"])
    assert_fixed(healthy_home, "config.permissions")


# --- macOS and Windows (platform layer + recorded outputs) ----------------------------------

APPLE_PROBE = ("ssh", "-G", "-F", "/dev/null", "-o", "UseKeychain=no", "localhost")


def in_process(home: DoctorHome, platform: object) -> dict[str, CheckResult]:
    assert isinstance(platform, (MacOSPlatform, WindowsPlatform))
    results = collect(home.context(platform), DOCTOR_HOST, time.time())
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
    assert fix.startswith(f"ssh-add --apple-use-keychain {healthy_home.git_key}")
    assert "ssh-add --apple-load-keychain" in fix
    assert results["macos.keychain"].status is Status.WARN
    assert "UseKeychain yes" in (results["macos.keychain"].fix or "")
    healthy_home.agents[-1].add(healthy_home.git_key)  # Linux's ssh-add has no Apple flag
    assert (
        in_process(healthy_home, macos(healthy_home, apple=True))["agent.identities"].status
        is Status.PASS
    )


def test_macos_non_apple_ssh_has_no_keychain(healthy_home: DoctorHome) -> None:
    results = in_process(healthy_home, macos(healthy_home, apple=False))

    build = results["macos.ssh_build"]
    assert build.status is Status.WARN
    assert "OpenSSH_9.9p1" in build.seen and "IgnoreUnknown UseKeychain" in (build.fix or "")
    # /usr/bin first in PATH: Apple's ssh answers.
    assert (
        in_process(healthy_home, macos(healthy_home, apple=True))["macos.ssh_build"].status
        is Status.PASS
    )


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
        for path in (home.key_file, home.git_key, home.config)
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
    running = windows(
        healthy_home,
        "sc_query_running",
        "sc_qc_auto",
        "where_ssh_system32_first",
        "git_config_sshcommand_win32",
    )
    assert in_process(healthy_home, running)["windows.agent_service"].status is Status.PASS


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
    configured = windows(
        healthy_home,
        "sc_query_running",
        "sc_qc_auto",
        "where_ssh_git_first",
        "git_config_sshcommand_win32",
    )
    assert in_process(healthy_home, configured)["windows.git_ssh"].status is Status.PASS


# --- the baseline, and the check ids --------------------------------------------------------


def test_gallery_starts_from_a_machine_where_everything_passes(healthy_home: DoctorHome) -> None:
    run = healthy_home.doctor()

    assert run.failing() == [], run
    assert run.result.returncode == 0
    assert os.environ.get("SSH_AUTH_SOCK") != healthy_home.env["SSH_AUTH_SOCK"]
    assert fix_command("sshsetup setup  (rewrites the block)") == "sshsetup setup"


def test_every_check_id_the_gallery_produces_is_a_member_and_every_member_is_produced(
    healthy_home: DoctorHome, shared_sandbox: Sandbox
) -> None:
    """doctor (a Baseten host, another one, a training job, the block with UseKeychain), agent
    check, the macOS and Windows checks and doctor --connect's verdicts: each id they report
    is a CheckId member, and together they report every member (none is dead)."""
    reported: set[str] = set()
    for run in (healthy_home.doctor(), healthy_home.doctor("github.com")):
        reported |= set(run.checks)  # DoctorRun: each is a member
    reported |= set(healthy_home.doctor(training_host("gallery")).checks)  # workload.state
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
    # --check-github asks github.com (here: nothing answers on the port the config names).
    healthy_home.config.write_text(
        healthy_home.config.read_text()
        + f"Host github.com\n  HostName 127.0.0.1\n  Port {closed_port()}\n"
    )
    reported |= set(healthy_home.doctor("--check-github").checks)
    # --connect: proxy.accepts without a cached session, then the verdicts of a connection.
    connected = healthy_home.doctor(training_host("gallery"), "--connect")
    reported |= set(connected.checks)
    marker = REMOTE_MARKER
    probe = RemoteProbe(0, f"{marker}sock=/tmp/ssh-x/agent.1\n{marker}rc=1\n", "")
    remote = remote_checks(DOCTOR_HOST, probe, [], True, True)
    assert all(isinstance(result.id, CheckId) for result in remote)
    reported |= {result.id.value for result in remote}

    assert reported == {member.value for member in CheckId}
