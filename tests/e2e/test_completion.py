"""Shell completion, as the shells run it: `sshsetup` started with _SSHSETUP_COMPLETE set.
Commands and options complete from the command line's own definition; the job ids of `ssh`
and `code` from what the last `sshsetup list` found, without asking the API."""

from __future__ import annotations

import subprocess
import sys

import pytest
from helpers import REPO_ROOT
from helpers.sandbox import Workstation

pytestmark = [pytest.mark.linux_only, pytest.mark.e2e]


def complete(
    station: Workstation, words: str, shell: str = "bash"
) -> subprocess.CompletedProcess[str]:
    """What the shell's completion function gets for the command line ``words``."""
    env = {
        **station.env,
        "_SSHSETUP_COMPLETE": f"complete_{shell}",
        "COMP_WORDS": words,
        "COMP_CWORD": str(len(words.split(" ")) - 1),
        "_TYPER_COMPLETE_ARGS": words,
    }
    return subprocess.run(
        [sys.executable, "-m", "sshsetup"], capture_output=True, text=True, env=env,
        cwd=REPO_ROOT, timeout=60, stdin=subprocess.DEVNULL,
    )  # fmt: skip


def test_the_completion_script_is_for_the_sshsetup_command(station: Workstation) -> None:
    shown = station.sshsetup("--show-completion", "bash")
    assert shown.returncode == 0, shown.stderr
    assert "_SSHSETUP_COMPLETE=complete_bash" in shown.stdout
    assert "complete -o default -F _sshsetup_completion sshsetup" in shown.stdout


def test_commands_and_options_complete(station: Workstation) -> None:
    assert complete(station, "sshsetup co").stdout.split() == ["code"]
    assert "--no-wait" in complete(station, "sshsetup ssh --no").stdout.split()


def test_job_ids_complete_from_the_last_list_without_an_api_call(station: Workstation) -> None:
    workloads = station.sandbox.controls.workloads
    for job_id in ("abc123", "abd999", "xyz1"):
        workloads.set_job_status(job_id, "TRAINING_JOB_RUNNING")
    assert complete(station, "sshsetup ssh ab").stdout.split() == []  # nothing listed yet
    assert station.sshsetup("list").returncode == 0
    station.sandbox.controls.reset_counters()

    ssh = complete(station, "sshsetup ssh ab")
    code = complete(station, "sshsetup code x")
    zsh = complete(station, "sshsetup ssh ab", shell="zsh")

    assert sorted(ssh.stdout.split()) == ["abc123", "abd999"]
    assert code.stdout.split() == ["xyz1"]
    assert '"abc123":"running, project project of abc123"' in zsh.stdout
    assert station.sandbox.controls.counts() == {}
