"""The connect path outlives the environment sshsetup was installed in, with real installs,
real processes and the real ssh against the sandbox: delete the venv and ssh still works;
another venv or a newer version leaves the config alone (only the runtime is refreshed);
with the runtime or the interpreter gone, ssh says in one line what to do, under every
shell a user may have as $SHELL, and never "Could not resolve hostname"."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from helpers import REPO_ROOT
from helpers.homes import Home
from helpers.installs import build_wheel, make_venv, package_of_version
from helpers.sandbox import Workstation

from sshsetup import __version__
from sshsetup.runtime import Runtime, version_of
from sshsetup.sandbox import Sandbox

pytestmark = [pytest.mark.linux_only, pytest.mark.e2e]

TRAINING_HOST = "training-job-demo-0.ssh.baseten.co"
SHELLS = ("/bin/sh", "/bin/bash", "/usr/bin/zsh", "/usr/bin/fish", "/usr/bin/tcsh")
UNRESOLVED = "Could not resolve hostname"


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_wheel(tmp_path_factory.mktemp("wheel"))


def run_cli(env: dict[str, str], pythonpath: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """``python -m sshsetup`` from the package under ``pythonpath``."""
    return subprocess.run(
        [sys.executable, "-m", "sshsetup", *args], capture_output=True, text=True,
        env={**env, "PYTHONPATH": str(pythonpath)}, cwd=pythonpath, timeout=120, check=False,
    )  # fmt: skip


def fingerprint(path: Path) -> tuple[bytes, int]:
    return path.read_bytes(), path.stat().st_mtime_ns


def test_deleting_the_venv_keeps_ssh_working_and_another_venv_changes_nothing(
    home: Home, sandbox: Sandbox, wheel: Path, tmp_path: Path
) -> None:
    station = Workstation(home, sandbox)
    first = make_venv(tmp_path / "first venv", wheel)
    done = first.run(station.env, "setup", "--yes")
    assert done.returncode == 0, done.stderr
    login = first.run(station.env, "login", "--api-key-stdin", input_text=sandbox.api_key + "\n")
    assert login.returncode == 0, login.stderr
    config = home.config.read_text()
    assert str(first.directory) not in config and "runtime/hook.py" in config
    before = fingerprint(home.config)

    second = make_venv(tmp_path / "second venv", wheel)
    again = second.run(station.env, "setup", "--yes")
    assert again.returncode == 0, again.stderr
    assert "already up to date" in again.stdout
    assert fingerprint(home.config) == before  # the block does not depend on the install

    shutil.rmtree(first.directory)
    shutil.rmtree(second.directory)
    connected = station.ssh(TRAINING_HOST, "true")
    assert connected.returncode == 0, connected.stderr
    assert sandbox.controls.calls("sign_training") == 1


def test_a_newer_sshsetup_refreshes_an_older_runtime_and_leaves_the_config_alone(
    home: Home, sandbox: Sandbox, tmp_path: Path
) -> None:
    station = Workstation(home, sandbox)
    older = package_of_version(tmp_path / "older", "0.0.1")
    env = station.env
    assert run_cli(env, older, "setup", "--yes").returncode == 0
    runtime = Runtime(home.paths.runtime_dir)
    assert version_of(str(runtime.current())) == "0.0.1"
    before = fingerprint(home.config)

    status = run_cli(env, REPO_ROOT, "status")
    assert status.returncode == 0, status.stderr
    assert version_of(str(runtime.current())) == __version__
    assert "refreshed sshsetup's runtime" in status.stderr
    assert fingerprint(home.config) == before
    setup = run_cli(env, REPO_ROOT, "setup", "--yes")
    assert setup.returncode == 0 and "already up to date" in setup.stdout, setup.stderr
    assert fingerprint(home.config) == before

    connected = station.ssh(TRAINING_HOST, "true", env={**env, "BASETEN_API_KEY": sandbox.api_key})
    assert connected.returncode == 0, connected.stderr  # the refreshed runtime connects


@pytest.mark.parametrize("gone", ["runtime", "python"])
@pytest.mark.parametrize("shell", SHELLS)
def test_with_the_runtime_or_python_gone_ssh_names_the_fix(
    home: Home, tmp_path: Path, gone: str, shell: str
) -> None:
    python = tmp_path / "python" / "python3"
    python.parent.mkdir()
    python.symlink_to(os.path.realpath(sys.executable))
    done = home.run_process("setup", "--python", str(python))
    assert done.returncode == 0, done.stderr
    if gone == "runtime":
        shutil.rmtree(home.paths.runtime_dir)
        missing = f"the connect path {home.paths.runtime_dir / 'proxy.py'} is missing"
    else:
        python.unlink()
        missing = f"the Python the sshsetup block runs, {python}, is missing"
    env = {**home.env, "SHELL": shell}
    applied = subprocess.run(
        ["ssh", "-G", "-F", str(home.config), TRAINING_HOST], capture_output=True, text=True,
        env=env, stdin=subprocess.DEVNULL, timeout=60, check=False,
    )  # fmt: skip
    assert applied.returncode == 0 and "\nuser baseten\n" in applied.stdout  # still applies
    assert applied.stderr == ""  # the guard skips the hook without a word
    result = subprocess.run(
        ["ssh", "-F", str(home.config), "-o", "BatchMode=yes", TRAINING_HOST, "true"],
        capture_output=True, text=True, env=env, stdin=subprocess.DEVNULL, timeout=60,
        check=False,
    )  # fmt: skip
    assert result.returncode == 255
    ours = [line for line in result.stderr.splitlines() if line.startswith("sshsetup: ")]
    assert len(ours) == 1 and missing in ours[0] and "run sshsetup setup" in ours[0], result.stderr
    assert UNRESOLVED not in result.stderr


def test_doctor_names_the_missing_runtime_as_a_real_process(home: Home) -> None:
    assert home.run_process("setup").returncode == 0
    shutil.rmtree(home.paths.runtime_dir / str(Runtime(home.paths.runtime_dir).current()))
    doctor = home.run_process("doctor", "--json")
    checks = {check["id"]: check for check in json.loads(doctor.stdout)["checks"]}
    assert checks["connect.runtime"]["status"] == "fail"
    assert "sshsetup setup" in checks["connect.runtime"]["fix"]
