"""`sshsetup sandbox` as a real process: its first JSON line, a clean exit on stdin closing or
SIGTERM, and refusing the caller's own home."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest

pytestmark = pytest.mark.linux_only

SEARCH = "/v1/training_jobs/search"


def start_cli(tmp_path: Path, *arguments: str) -> subprocess.Popen[str]:
    env = {**os.environ, "HOME": str(tmp_path / "caller-home")}
    return subprocess.Popen(
        [sys.executable, "-m", "sshsetup", "sandbox", *arguments],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        text=True, env=env,
    )  # fmt: skip


@pytest.mark.parametrize("stop", ["stdin closes", "SIGTERM"])
def test_cli_json_first_line_then_clean_exit(tmp_path: Path, stop: str) -> None:
    home = tmp_path / "try-home"
    process = start_cli(tmp_path, "--json", "--home", str(home), "--cert-validity", "30")
    try:
        assert process.stdout is not None and process.stdin is not None
        details = json.loads(process.stdout.readline())
        env = details["env"]
        assert env["HOME"] == str(home)
        assert env["BASETEN_BASE_URL"] == details["api_url"]
        assert env["SSHSETUP_CONFIG_DIR"].startswith(str(home))
        assert env["SSHSETUP_STATE_DIR"].startswith(str(home))
        assert details["ca_public_key"].startswith("ssh-ed25519 ")
        assert details["proxy_address"].startswith("localhost:")
        ca_file = Path(env["SSL_CERT_FILE"])
        assert ca_file.read_text().startswith("-----BEGIN CERTIFICATE-----")
        request = urllib.request.Request(
            details["api_url"] + SEARCH,
            data=b'{"job_id": "demo"}',
            headers={"Authorization": f"Api-Key {env['BASETEN_API_KEY']}"},
        )
        with urllib.request.urlopen(request, timeout=10) as search:
            found = json.loads(search.read())
        assert found["training_jobs"][0]["id"] == "demo"
        assert 'Match host "training-job-' in (home / ".ssh" / "config").read_text()
        if stop == "stdin closes":
            process.stdin.close()
        else:
            process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=20) == 0
    finally:
        if process.poll() is None:  # a failed assertion: still let the sandbox clean up
            process.terminate()
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
    assert not ca_file.exists()  # its temporary directory is gone
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", details["sshd_port"]), timeout=5)
    assert (home / ".ssh" / "sandbox_config").exists()  # a given --home stays


def test_cli_json_stdout_is_that_one_line_and_nothing_else(tmp_path: Path) -> None:
    process = start_cli(tmp_path, "--json", "--home", str(tmp_path / "try-home"))
    stdout, stderr = process.communicate(input="", timeout=60)  # stdin closes: it stops

    assert process.returncode == 0, stderr
    lines = stdout.splitlines()
    assert len(lines) == 1, stdout
    assert json.loads(lines[0])["api_url"].startswith("http")


def test_cli_refuses_the_callers_own_home(tmp_path: Path) -> None:
    caller_home = tmp_path / "caller-home"
    caller_home.mkdir()
    process = start_cli(tmp_path, "--home", str(caller_home))
    _, stderr = process.communicate(timeout=30)
    assert process.returncode == 3
    assert "is your own home directory" in stderr
    assert "Traceback" not in stderr
    assert list(caller_home.iterdir()) == []
