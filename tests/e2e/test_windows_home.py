"""Windows: a profile whose path holds a space (`C:\\Users\\First Last`), with the real
`sshsetup setup` and the real Win32-OpenSSH `ssh.exe`. The exec line names the interpreter and
the hook by their 8.3 short names, cmd.exe runs it, and the ProxyCommand's guard runs in
cmd.exe too (docs/windows.md#homes-with-spaces-and-83-short-names). Runs on the workflow's
Windows job, which also points USERPROFILE at a directory with a space for the whole suite.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from helpers import REPO_ROOT

pytestmark = [pytest.mark.windows_only, pytest.mark.e2e]

TRAINING_HOST = "training-job-demo-0.ssh.baseten.co"
SSH_TIMEOUT_SECONDS = 60


def win32_ssh() -> str:
    """Microsoft's ssh.exe (Git for Windows' own ssh runs commands with sh, not cmd.exe)."""
    ssh = Path(os.environ.get("SYSTEMROOT", "C:\\Windows")) / "System32" / "OpenSSH" / "ssh.exe"
    assert ssh.is_file(), f"{ssh}: install the OpenSSH client (Add-WindowsCapability)"
    return str(ssh)


@pytest.fixture
def profile(tmp_path: Path) -> dict[str, str]:
    """The environment of a user whose profile is ``<tmp>\\First Last``."""
    home = tmp_path / "First Last"
    (home / ".ssh").mkdir(parents=True)
    env = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("SSHSETUP_", "BASETEN_")) and name != "PYTHON_KEYRING_BACKEND"
    }
    env.update(
        USERPROFILE=str(home),
        HOME=str(home),
        SSHSETUP_CONFIG_DIR=str(home / "AppData" / "Roaming" / "sshsetup"),
        SSHSETUP_STATE_DIR=str(home / "AppData" / "Local" / "sshsetup"),
        PYTHON_KEYRING_BACKEND="keyring.backends.null.Keyring",
        PYTHONPATH=str(REPO_ROOT),
    )
    return env


def sshsetup(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "sshsetup", *args], capture_output=True, text=True, env=env,
        cwd=REPO_ROOT, timeout=120, check=False,
    )  # fmt: skip


def ssh(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [win32_ssh(), *args], capture_output=True, text=True, env=env,
        stdin=subprocess.DEVNULL, timeout=SSH_TIMEOUT_SECONDS, check=False,
    )  # fmt: skip


def test_a_profile_with_a_space_gets_a_block_that_cmd_exe_runs(profile: dict[str, str]) -> None:
    home = Path(profile["USERPROFILE"])
    done = sshsetup(profile, "setup", "--yes")
    assert done.returncode == 0, done.stderr
    config = home / ".ssh" / "config"
    match = next(line for line in config.read_text().splitlines() if line.startswith("Match host"))
    command = match.split(' exec "', 1)[1][:-1]
    assert '"' not in command and "~" in command  # short names, nothing to quote
    runtime = home / ".ssh" / "sshsetup" / "runtime"
    assert (runtime / "hook.py").is_file()

    # ssh -G runs the exec hook through cmd.exe: with no API key it says so in one line.
    evaluated = ssh(profile, "-G", "-F", str(config), TRAINING_HOST)
    assert evaluated.returncode == 0, evaluated.stderr
    assert "\nuser baseten\n" in evaluated.stdout.replace("\r\n", "\n")
    assert "sshsetup: cannot get a certificate" in evaluated.stderr, evaluated.stderr
    assert "no API key" in evaluated.stderr

    # The ProxyCommand runs in cmd.exe and starts the runtime's proxy.py.
    connect = ["-F", str(config), "-o", "BatchMode=yes", TRAINING_HOST, "exit"]
    failed = ssh(profile, *connect)
    assert failed.returncode == 255
    assert "sshsetup: cannot get a session" in failed.stderr, failed.stderr
    assert "Could not resolve hostname" not in failed.stderr

    # With the runtime gone, the block still applies and cmd.exe's guard names the fix.
    shutil.rmtree(runtime)
    still = ssh(profile, "-G", "-F", str(config), TRAINING_HOST)
    assert still.returncode == 0 and "\nuser baseten\n" in still.stdout.replace("\r\n", "\n")
    gone = ssh(profile, *connect)
    assert "sshsetup: the connect path" in gone.stderr and "is missing" in gone.stderr, gone.stderr
    assert "run sshsetup setup" in gone.stderr
    assert "Could not resolve hostname" not in gone.stderr


def test_short_names_come_from_the_volume(tmp_path: Path) -> None:
    """Only the component with a space is shortened; the others, and what does not exist
    yet, keep their names, so the block is the same before and after setup creates them."""
    from sshsetup.platforms.windows import short_path_name
    from sshsetup.setup_plan import needs_short_name

    spaced = tmp_path / "First Last"
    (spaced / ".ssh").mkdir(parents=True)
    short = short_path_name(spaced / ".ssh" / "not-yet" / "hook.py", needs_short_name)
    assert " " not in str(short) and short.parts[-3:] == (".ssh", "not-yet", "hook.py")
    assert short.parent.parent.parent.name != "First Last"
    assert os.path.samefile(short.parent.parent, spaced / ".ssh")
