"""Crash safety of the config write, with real processes and SIGKILL.

The writer's fault-injection point (env SSHSETUP_TEST_PAUSE_AT) pauses the first
``write_atomic`` of the process to a file whose name starts with SSHSETUP_TEST_PAUSE_FILE.
In `sshsetup setup` on an existing config the backup is written first, so the config's own
write is killed through a process that runs ``write_atomic`` on the config directly; a new
config (no backup) is killed inside `sshsetup setup` itself, as is the runtime's install.
"""

from __future__ import annotations

import signal
import subprocess
import sys
from pathlib import Path

import pytest
from helpers import REPO_ROOT
from helpers.configs import block_span, cut_block
from helpers.homes import Home

from sshsetup.baseten import EXAMPLE_HOSTS
from sshsetup.connect.atomic_write import TEMP_PREFIX
from sshsetup.runtime import Runtime

pytestmark = pytest.mark.posix_only

USER_CONFIG = b"Host build\n  HostName build.example.com\n\nHost *\n  User me\n"
PAUSE_POINTS = ("during-write", "before-rename")
TRAINING_HOST = EXAMPLE_HOSTS[0]
PAUSE_TIMEOUT_SECONDS = 30


def start_paused(
    args: list[str], env: dict[str, str], point: str, file: str = ""
) -> subprocess.Popen[bytes]:
    """Start a process and wait until its writer reports the pause point, writing a file
    whose name starts with ``file``."""
    process = subprocess.Popen(
        args,
        env={**env, "SSHSETUP_TEST_PAUSE_AT": point, "SSHSETUP_TEST_PAUSE_FILE": file},
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        cwd=REPO_ROOT,
    )
    assert process.stderr is not None
    seen = b""
    while b"sshsetup-test: paused at " + point.encode() not in seen:
        line = process.stderr.readline()
        if not line:
            process.wait(PAUSE_TIMEOUT_SECONDS)
            pytest.fail(f"the writer never paused at {point}: {seen.decode(errors='replace')}")
        seen += line
    return process


def kill(process: subprocess.Popen[bytes]) -> None:
    process.send_signal(signal.SIGKILL)
    assert process.wait(PAUSE_TIMEOUT_SECONDS) == -signal.SIGKILL
    assert process.stderr is not None
    process.stderr.close()


def temp_files(directory: Path) -> list[Path]:
    return sorted(directory.glob(TEMP_PREFIX + "*"))


SETUP = [sys.executable, "-m", "sshsetup"]
WRITE_DIRECTLY = (
    "import sys; from pathlib import Path; from sshsetup.connect.atomic_write import write_atomic; "
    "write_atomic(Path(sys.argv[1]), sys.argv[2].encode())"
)


@pytest.mark.parametrize("point", PAUSE_POINTS)
def test_config_write_killed_leaves_old_file_intact(home: Home, point: str) -> None:
    home.write_config(USER_CONFIG, mode=0o640)
    new_content = "Host replaced\n  User other\n" * 2000  # large enough to be half-written
    process = start_paused(
        [sys.executable, "-c", WRITE_DIRECTLY, str(home.config), new_content], home.env, point
    )
    if point == "during-write":
        (temp,) = temp_files(home.ssh_dir)
        assert 0 < temp.stat().st_size < len(new_content)
    kill(process)
    assert home.config.read_bytes() == USER_CONFIG
    assert oct(home.config.stat().st_mode & 0o777) == oct(0o640)
    result = home.run_process("setup")
    assert result.returncode == 0, str(result)
    assert cut_block(home.config.read_bytes()) == USER_CONFIG


@pytest.mark.parametrize("point", PAUSE_POINTS)
def test_setup_killed_mid_backup_leaves_config_intact(home: Home, point: str) -> None:
    home.write_config(USER_CONFIG)
    process = start_paused([*SETUP, "setup"], home.env, point, file="config.")
    kill(process)
    assert home.config.read_bytes() == USER_CONFIG
    result = home.run_process("setup")
    assert result.returncode == 0, str(result)
    assert cut_block(home.config.read_bytes()) == USER_CONFIG


@pytest.mark.parametrize("point", PAUSE_POINTS)
def test_setup_killed_writing_new_config_leaves_no_partial_file(home: Home, point: str) -> None:
    process = start_paused([*SETUP, "setup"], home.env, point, file="config")
    kill(process)
    assert not home.config.exists()
    result = home.run_process("setup")
    assert result.returncode == 0, str(result)
    block_span(home.config.read_bytes())
    assert home.ssh_g(TRAINING_HOST).returncode == 0


@pytest.mark.parametrize("point", PAUSE_POINTS)
def test_temp_file_of_killed_writer_is_swept_by_next_write(home: Home, point: str) -> None:
    """The writer's documented promise: a killed writer's temp file goes with the next write."""
    process = start_paused([*SETUP, "setup"], home.env, point, file="config")
    kill(process)
    assert len(temp_files(home.ssh_dir)) == 1
    result = home.run_process("setup")
    assert result.returncode == 0, str(result)
    assert temp_files(home.ssh_dir) == []


@pytest.mark.parametrize("file", ["hook.py", "current"])
def test_setup_killed_installing_the_runtime_is_repaired_by_the_next(home: Home, file: str) -> None:
    """Killed while writing an entry script or switching the runtime's pointer: the runtime
    is the old one or none, never a mix, and the next setup completes it."""
    process = start_paused([*SETUP, "setup"], home.env, "before-rename", file=file)
    kill(process)
    runtime = Runtime(home.paths.runtime_dir)
    assert runtime.current() is None and not home.config.exists()
    result = home.run_process("setup")
    assert result.returncode == 0, str(result)
    assert runtime.complete() and temp_files(runtime.directory) == []
    assert home.ssh_g(TRAINING_HOST).value("user") == "baseten"
