"""An API key in the OS keyring still signs certificates when the connect path cannot import
keyring (the venv that had it is gone, the interpreter has none): the runtime reads the entry
keyring wrote with the OS's own tool. A real Secret Service (gnome-keyring-daemon), keyring's
own SecretService backend to store the key, the real secret-tool, and ssh to the sandbox."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from helpers.homes import Home
from helpers.keyrings import SECRET_SERVICE_BACKEND, SecretService
from helpers.sandbox import Workstation

from sshsetup.sandbox import Sandbox

pytestmark = [pytest.mark.linux_only, pytest.mark.e2e]

TRAINING_HOST = "training-job-demo-0.ssh.baseten.co"


def python_without_keyring(directory: Path) -> Path:
    """An interpreter that cannot import keyring: a bare venv (no pip, no system packages)."""
    subprocess.run(
        [sys.executable, "-m", "venv", "--without-pip", str(directory)], check=True, timeout=120
    )
    python = directory / "bin" / "python"
    assert subprocess.run([str(python), "-c", "import keyring"], capture_output=True).returncode
    return python


def keyring_gone(home: Home) -> None:
    """connect.json as after the venv that had keyring was deleted."""
    connect = home.key_dir / "connect.json"
    data = json.loads(connect.read_text())
    data["keyring_site"] = str(home.home / "deleted-venv" / "site-packages")
    connect.write_text(json.dumps(data))


@pytest.fixture
def keyring_station(
    home: Home, sandbox: Sandbox, secret_service: SecretService, tmp_path: Path
) -> Workstation:
    station = Workstation(home, sandbox)
    home.env.update(secret_service.env, PYTHON_KEYRING_BACKEND=SECRET_SERVICE_BACKEND)
    python = python_without_keyring(tmp_path / "bare")
    done = station.sshsetup("setup", "--yes", "--python", str(python))
    assert done.returncode == 0, done.stderr
    login = station.sshsetup("login", "--api-key-stdin", input_text=sandbox.api_key + "\n")
    assert login.returncode == 0, login.stderr
    keyring_gone(home)
    return station


def test_the_key_is_read_with_secret_tool_when_keyring_cannot_be_imported(
    keyring_station: Workstation,
) -> None:
    connected = keyring_station.ssh(TRAINING_HOST, "true")
    assert connected.returncode == 0, connected.stderr
    assert keyring_station.sandbox.controls.calls("sign_training") == 1


def test_without_a_keyring_to_ask_the_message_names_the_ways_out(
    keyring_station: Workstation,
) -> None:
    unreachable = {**keyring_station.env, "DBUS_SESSION_BUS_ADDRESS": "unix:path=/nonexistent"}
    failed = keyring_station.ssh(TRAINING_HOST, "true", env=unreachable)
    assert failed.returncode == 255
    lines = [line for line in failed.stderr.splitlines() if line.startswith("sshsetup: ")]
    assert lines and "no credential for remote 'baseten'" in lines[0], failed.stderr
    assert "secret-tool: Could not connect" in lines[0]
    assert "set BASETEN_API_KEY" in lines[0] and "sshsetup setup" in lines[0]
    assert "Could not resolve hostname" not in failed.stderr
    assert keyring_station.sandbox.controls.api_calls() == 0
