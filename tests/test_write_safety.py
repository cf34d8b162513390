"""Crash and concurrency safety of the config write, with real processes and SIGKILL.

The writer's fault-injection point (env SSHSETUP_TEST_PAUSE_AT) pauses the first
``write_atomic`` of the process. In `sshsetup setup` on an existing config that is the backup
write, so the config's own write is killed through a process that runs ``write_atomic`` on
the config directly; a new config (no backup) is killed inside `sshsetup setup` itself.
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from plugin_setup import REPO_ROOT, TRAINING_HOST, SetupHome, block_span, cut_block

from sshsetup.connect.atomic_write import TEMP_PREFIX

pytestmark = pytest.mark.posix_only

USER_CONFIG = b"Host build\n  HostName build.example.com\n\nHost *\n  User me\n"
PAUSE_POINTS = ("during-write", "before-rename")
PAUSE_TIMEOUT_SECONDS = 30


def start_paused(args: list[str], env: dict[str, str], point: str) -> subprocess.Popen[bytes]:
    """Start a process and wait until its writer reports the pause point."""
    process = subprocess.Popen(
        args,
        env={**env, "SSHSETUP_TEST_PAUSE_AT": point},
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


WRITE_DIRECTLY = (
    "import sys; from pathlib import Path; from sshsetup.connect.atomic_write import write_atomic; "
    "write_atomic(Path(sys.argv[1]), sys.argv[2].encode())"
)


@pytest.mark.parametrize("point", PAUSE_POINTS)
def test_config_write_killed_leaves_old_file_intact(setup_home: SetupHome, point: str) -> None:
    setup_home.write_config(USER_CONFIG, mode=0o640)
    new_content = "Host replaced\n  User other\n" * 2000  # large enough to be half-written
    process = start_paused(
        [sys.executable, "-c", WRITE_DIRECTLY, str(setup_home.config), new_content],
        setup_home.env,
        point,
    )
    if point == "during-write":
        (temp,) = temp_files(setup_home.ssh_dir)
        assert 0 < temp.stat().st_size < len(new_content)
    kill(process)
    assert setup_home.config.read_bytes() == USER_CONFIG
    assert oct(setup_home.config.stat().st_mode & 0o777) == oct(0o640)
    result = setup_home.run("setup")
    assert result.returncode == 0, str(result)
    assert cut_block(setup_home.config.read_bytes()) == USER_CONFIG


@pytest.mark.parametrize("point", PAUSE_POINTS)
def test_setup_killed_mid_backup_leaves_config_intact(setup_home: SetupHome, point: str) -> None:
    setup_home.write_config(USER_CONFIG)
    process = start_paused([sys.executable, "-m", "sshsetup", "setup"], setup_home.env, point)
    kill(process)
    assert setup_home.config.read_bytes() == USER_CONFIG
    result = setup_home.run("setup")
    assert result.returncode == 0, str(result)
    assert cut_block(setup_home.config.read_bytes()) == USER_CONFIG


@pytest.mark.parametrize("point", PAUSE_POINTS)
def test_setup_killed_writing_new_config_leaves_no_partial_file(
    setup_home: SetupHome, point: str
) -> None:
    process = start_paused([sys.executable, "-m", "sshsetup", "setup"], setup_home.env, point)
    kill(process)
    assert not setup_home.config.exists()
    result = setup_home.run("setup")
    assert result.returncode == 0, str(result)
    block_span(setup_home.config.read_bytes())
    assert setup_home.ssh_g(TRAINING_HOST).returncode == 0


@pytest.mark.parametrize("point", PAUSE_POINTS)
def test_temp_file_of_killed_writer_is_swept_by_next_write(
    setup_home: SetupHome, point: str
) -> None:
    """The writer's documented promise: a killed writer's temp file goes with the next write."""
    process = start_paused([sys.executable, "-m", "sshsetup", "setup"], setup_home.env, point)
    kill(process)
    assert len(temp_files(setup_home.ssh_dir)) == 1
    result = setup_home.run("setup")
    assert result.returncode == 0, str(result)
    assert temp_files(setup_home.ssh_dir) == []


def test_eight_parallel_setups_leave_exactly_one_block(setup_home: SetupHome) -> None:
    setup_home.write_config(USER_CONFIG)
    processes = [
        subprocess.Popen(
            [sys.executable, "-m", "sshsetup", "setup", "--json"],
            env=setup_home.env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            cwd=REPO_ROOT,
        )
        for _ in range(8)
    ]
    outputs = [process.communicate(timeout=120) for process in processes]
    for process, (_, stderr) in zip(processes, outputs, strict=True):
        assert process.returncode == 0, stderr.decode(errors="replace")
    results = [json.loads(stdout) for stdout, _ in outputs]
    assert sum(result["changed"] for result in results) == 1
    assert len({result["key"]["fingerprint"] for result in results}) == 1
    data = setup_home.config.read_bytes()
    block_span(data)
    assert cut_block(data) == USER_CONFIG
    effective = setup_home.ssh_g(TRAINING_HOST)
    assert effective.returncode == 0 and effective.value("user") == "baseten"
    assert temp_files(setup_home.ssh_dir) == []
    public_key = setup_home.key_dir / "id_ed25519.pub"
    listed = subprocess.run(
        ["ssh-keygen", "-l", "-f", str(public_key)], capture_output=True, text=True, check=True
    ).stdout.split()[1]
    assert {result["key"]["fingerprint"] for result in results} == {listed}
