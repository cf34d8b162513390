"""End to end: `sshsetup setup` + `sshsetup login` in a temporary HOME, then the real `ssh`
runs commands on the sandbox's real sshd through the block's Match hook and ProxyCommand.

ssh reads ~/.ssh/config from the passwd entry, not from $HOME, so every ssh here gets
``-F <home>/.ssh/config``: the file sshsetup wrote.
"""

from __future__ import annotations

import os
import subprocess
import threading
import time
from pathlib import Path

import pytest
from helpers.agents import make_key, start_agent, stop_agent
from helpers.homes import Home
from helpers.sandbox import Workstation, set_up_workstation

from sshsetup.sandbox import Sandbox

pytestmark = [pytest.mark.linux_only, pytest.mark.e2e]

TRAINING_HOST = "training-job-demo-0.ssh.baseten.co"
MODEL_HOST = "model-abc123-def456.ssh.baseten.co"


def _expected_user(station: Workstation, block_user: str) -> str:
    return block_user if os.geteuid() == 0 else station.sandbox.login_users[0]


def test_training_host_runs_a_command_through_hook_and_proxy(station: Workstation) -> None:
    done = station.ssh(TRAINING_HOST, "echo hello-from-$(whoami)")

    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == f"hello-from-{_expected_user(station, 'baseten')}"
    assert station.cert_file(TRAINING_HOST).exists()
    assert station.sandbox.controls.calls("sign_training") == 1
    assert station.sandbox.controls.calls("proxy_session") == 1
    assert "Accepted certificate ID" in station.sandbox.sshd_log()


def test_model_host_runs_a_command_as_app(station: Workstation) -> None:
    done = station.ssh(MODEL_HOST, "whoami")

    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == _expected_user(station, "app")
    assert station.sandbox.controls.calls("sign_model") == 1


def test_valid_certificate_is_reused_with_zero_api_calls(station: Workstation) -> None:
    assert station.ssh(TRAINING_HOST, "true").returncode == 0
    calls_after_first = station.sandbox.controls.api_calls()

    for _ in range(3):
        assert station.ssh(TRAINING_HOST, "true").returncode == 0

    assert station.sandbox.controls.api_calls() == calls_after_first
    assert station.sandbox.controls.calls("proxy_session") == 4


def test_certificate_expiring_during_the_test_is_renewed_on_next_connection(
    home: Home, sandbox: Sandbox
) -> None:
    sandbox.controls.cert_validity_seconds = 4
    station = set_up_workstation(home, sandbox, "--refresh-margin", "1")
    assert station.ssh(TRAINING_HOST, "true").returncode == 0
    first = station.cert_file(TRAINING_HOST).read_text()
    time.sleep(3.5)  # now within the 1 s margin of the 4 s validity

    again = station.ssh(TRAINING_HOST, "true")

    assert again.returncode == 0, again.stderr
    assert station.sandbox.controls.calls("sign_training") == 2
    assert station.sandbox.controls.calls("search") == 1  # the job's project is remembered
    assert station.cert_file(TRAINING_HOST).read_text() != first


def test_agent_forwarding_lists_the_forwarded_key_only_with_forward_agent(
    home: Home, sandbox: Sandbox, socket_dir: Path
) -> None:
    agent = start_agent(socket_dir / "agent.sock")
    try:
        key = make_key(home.home / "github_key", comment="github-key@laptop")
        subprocess.run(["ssh-add", str(key)], env={"SSH_AUTH_SOCK": str(agent.socket)},
                       check=True, capture_output=True)  # fmt: skip
        station = set_up_workstation(home, sandbox)
        env = {**station.env, "SSH_AUTH_SOCK": str(agent.socket)}
        probe = 'echo "sock=$SSH_AUTH_SOCK"; ssh-add -l; echo "rc=$?"'

        without = station.ssh(TRAINING_HOST, probe, env=env)
        assert without.returncode == 0, without.stderr
        assert "sock=\n" in without.stdout and "rc=2" in without.stdout

        assert station.sshsetup("setup", "--yes", "--forward-agent").returncode == 0
        forwarded = station.ssh(TRAINING_HOST, probe, env=env)
        assert forwarded.returncode == 0, forwarded.stderr
        assert "sock=/tmp/ssh-" in forwarded.stdout
        assert "github-key@laptop" in forwarded.stdout and "rc=0" in forwarded.stdout
    finally:
        stop_agent(agent)


def test_two_concurrent_connections_to_two_jobs_use_their_own_certificates(
    station: Workstation,
) -> None:
    hosts = ["training-job-alpha-0.ssh.baseten.co", "training-job-beta-1.ssh.baseten.co"]
    results: dict[str, subprocess.CompletedProcess[str]] = {}

    def connect(host: str) -> None:
        results[host] = station.ssh(host, "sleep 1; echo done")

    threads = [threading.Thread(target=connect, args=(host,)) for host in hosts]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    for host in hosts:
        assert results[host].returncode == 0, results[host].stderr
        assert results[host].stdout.strip() == "done"
    key_ids = [_key_id(station.cert_file(host)) for host in hosts]
    assert "alpha" in key_ids[0] and "beta" in key_ids[1]
    log = station.sandbox.sshd_log()
    for key_id in key_ids:
        assert f'Accepted certificate ID "{key_id}"' in log


def _key_id(cert: Path) -> str:
    shown = subprocess.run(["ssh-keygen", "-L", "-f", str(cert)], capture_output=True, text=True,
                           check=True).stdout  # fmt: skip
    line = next(line for line in shown.splitlines() if "Key ID:" in line)
    return line.split('"')[1]


# --- faults: each gives its clear message, no traceback, nothing half-written ---------------


def _assert_clean_failure(
    station: Workstation, done: subprocess.CompletedProcess[str], *needles: str
) -> None:
    assert done.returncode != 0
    assert "Traceback" not in done.stderr
    for needle in needles:
        assert needle in done.stderr, done.stderr
    assert station.leftovers() == []
    assert "Could not resolve hostname" not in done.stderr  # the block applied (hook exit 0)


def test_api_down_names_the_unreachable_api(station: Workstation) -> None:
    station.sandbox.api_down()
    done = station.ssh(TRAINING_HOST, "true")
    _assert_clean_failure(station, done, "sshsetup:", "API at", "refused the connection")


def test_api_401_says_to_log_in_again(station: Workstation) -> None:
    station.sandbox.controls.fail_next(4, 401)
    done = station.ssh(TRAINING_HOST, "true")
    _assert_clean_failure(station, done, "401", "sshsetup login")


def test_api_slower_than_the_timeout_says_it_timed_out(station: Workstation) -> None:
    station.sandbox.controls.api_latency_seconds = 3.0
    env = {**station.env, "SSHSETUP_API_TIMEOUT": "1"}
    started = time.monotonic()
    done = station.ssh(TRAINING_HOST, "true", env=env)
    _assert_clean_failure(station, done, "did not answer within 1 s", "SSHSETUP_API_TIMEOUT")
    assert time.monotonic() - started < 30


def test_proxy_refusing_the_jwt_says_the_proxy_refused_it(station: Workstation) -> None:
    station.sandbox.controls.refuse_jwt = True
    done = station.ssh(TRAINING_HOST, "true")
    _assert_clean_failure(station, done, "SSH proxy", "refused the connection (status 0x01)")


def test_proxy_closing_mid_session_ends_the_session_without_traceback(station: Workstation) -> None:
    assert station.ssh(TRAINING_HOST, "true").returncode == 0
    station.sandbox.controls.close_sessions_after_bytes = 4096
    done = station.ssh(TRAINING_HOST, "head -c 200000 /dev/zero | base64")
    assert done.returncode != 0
    assert "Traceback" not in done.stderr
    assert done.stderr.strip(), "the user must be told the connection was closed"


def test_certificate_for_another_key_is_replaced_before_connecting(
    station: Workstation, tmp_path: Path
) -> None:
    assert station.ssh(TRAINING_HOST, "true").returncode == 0
    other = make_key(tmp_path / "other_key")
    ca = tmp_path / "ca"
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(ca)], check=True)
    subprocess.run(["ssh-keygen", "-q", "-s", str(ca), "-I", "foreign", "-n", "baseten",
                    "-V", "-5m:+1h", f"{other}.pub"], check=True)  # fmt: skip
    station.cert_file(TRAINING_HOST).write_text(Path(f"{other}-cert.pub").read_text())

    done = station.ssh(TRAINING_HOST, "true")

    assert done.returncode == 0, done.stderr
    assert station.sandbox.controls.calls("sign_training") == 2


def test_corrupt_cached_certificate_is_refetched(station: Workstation) -> None:
    assert station.ssh(TRAINING_HOST, "true").returncode == 0
    station.cert_file(TRAINING_HOST).write_text(
        "ssh-ed25519-cert-v01@openssh.com AAAAnot-base64!\n"
    )

    done = station.ssh(TRAINING_HOST, "true")

    assert done.returncode == 0, done.stderr
    assert station.sandbox.controls.calls("sign_training") == 2


def test_hostname_with_shell_metacharacters_is_refused_and_runs_nothing(
    station: Workstation, tmp_path: Path
) -> None:
    marker = tmp_path / "pwned"
    host = f"training-job-$(touch${{IFS}}{marker})-0.ssh.baseten.co"

    done = station.ssh(host, "true")

    assert done.returncode != 0
    assert not marker.exists()
    assert "Traceback" not in done.stderr
    assert "invalid" in done.stderr.lower()
    assert station.sandbox.controls.api_calls() == 0
