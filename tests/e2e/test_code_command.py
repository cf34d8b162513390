"""End to end: `sshsetup code` as a real process with a stand-in `code` (and `cursor`) on PATH
that records its arguments, as the real editor cannot run here; the host it is given resolves,
with the real `ssh -G`, through the block (what Remote-SSH will run), and the missing launcher
or Remote-SSH extension stops it with the fix (docs/editors.md#remote-ssh-in-vs-code-and-cursor)."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from helpers.sandbox import Workstation
from helpers.ssh import ssh_g

pytestmark = [pytest.mark.linux_only, pytest.mark.e2e]

JOB = "codejob1"
HOST = f"training-job-{JOB}-0.ssh.baseten.co"
STAND_IN = """#!/bin/sh
# A stand-in for an editor's launcher: lists the extensions in $EXTENSIONS (or fails when
# it is "fail"), and records every other invocation's arguments, one per line.
if [ "$1" = "--list-extensions" ]; then
    [ "$EXTENSIONS" = fail ] && exit 1
    printf '%s\\n' $EXTENSIONS
    exit 0
fi
printf '%s\\n' "$@" > "$RECORD"
"""


def install_stand_in(directory: Path, name: str) -> Path:
    directory.mkdir(exist_ok=True)
    launcher = directory / name
    launcher.write_text(STAND_IN)
    launcher.chmod(0o755)
    return launcher


@dataclass(frozen=True)
class Ran:
    status: int
    stdout: str
    stderr: str
    recorded: list[str]  # the stand-in's arguments ([] when it was not started)

    @property
    def result(self) -> dict[str, Any]:
        document: dict[str, Any] = json.loads(self.stdout)
        return document


def code(station: Workstation, bin_dir: Path, extensions: str, *args: str) -> Ran:
    """`sshsetup code ARGS` with the stand-ins in ``bin_dir`` first on PATH, listing
    ``extensions``."""
    record = bin_dir / "recorded-args"
    record.unlink(missing_ok=True)
    env = {
        **station.env,
        "PATH": f"{bin_dir}{os.pathsep}{station.env['PATH']}",
        "EXTENSIONS": extensions,
        "RECORD": str(record),
    }
    done = station.sshsetup_with(env, "code", "--config", str(station.home.config), *args)
    recorded = record.read_text().splitlines() if record.exists() else []
    return Ran(done.returncode, done.stdout, done.stderr, recorded)


def test_code_opens_the_job_s_working_directory_over_remote_ssh(
    station: Workstation, tmp_path: Path
) -> None:
    bin_dir = tmp_path / "bin"
    launcher = install_stand_in(bin_dir, "code")

    ran = code(station, bin_dir, "ms-python.python ms-vscode-remote.remote-ssh", JOB, "--json")

    assert ran.status == 0, ran.stderr
    assert ran.recorded == ["--remote", f"ssh-remote+{HOST}", "/workspace"]
    result = ran.result
    assert (result["editor"], result["launcher"], result["extension"]) == (
        "VS Code", str(launcher), "ms-vscode-remote.remote-ssh",
    )  # fmt: skip
    assert (result["host"], result["path"], result["path_from"]) == (HOST, "/workspace", "session")
    # What Remote-SSH will run for that host: ssh with this config, i.e. the block's hook,
    # ProxyCommand, certificate and user.
    effective = ssh_g(station.home.config, HOST, station.env)
    assert effective.returncode == 0, effective.stderr
    assert effective.value("user") == "baseten"
    assert "proxy.py" in effective.value("proxycommand")
    assert effective.value("hostname") == HOST
    # (ssh -G prints tokens unexpanded: docs/ssh-config.md#the-config-dump-shows-tokens-unexpanded)
    assert effective.value("certificatefile").endswith("/certs/%h-cert.pub")
    assert effective.value("serveraliveinterval") == "15"


def test_a_path_and_a_model_host_go_to_the_editor_as_given(
    station: Workstation, tmp_path: Path
) -> None:
    bin_dir = tmp_path / "bin"
    install_stand_in(bin_dir, "code")

    ran = code(station, bin_dir, "ms-vscode-remote.remote-ssh", "m1", "--deployment", "d1", "/srv")

    assert ran.status == 0, ran.stderr
    assert ran.recorded == ["--remote", "ssh-remote+model-m1-d1.ssh.baseten.co", "/srv"]
    assert ran.stdout == "opened model-m1-d1.ssh.baseten.co:/srv in VS Code\n"


def test_a_model_host_without_a_path_opens_the_root(station: Workstation, tmp_path: Path) -> None:
    bin_dir = tmp_path / "bin"
    install_stand_in(bin_dir, "code")

    ran = code(station, bin_dir, "ms-vscode-remote.remote-ssh", "production.model-m1", "--json")

    assert ran.status == 0, ran.stderr
    assert ran.recorded == ["--remote", "ssh-remote+production.model-m1.ssh.baseten.co", "/"]
    assert ran.result["path_from"] == "default"


def test_cursor_uses_its_own_launcher_and_remote_ssh_extension(
    station: Workstation, tmp_path: Path
) -> None:
    bin_dir = tmp_path / "bin"
    install_stand_in(bin_dir, "cursor")

    ran = code(station, bin_dir, "anysphere.remote-ssh", JOB, "--cursor", "--json", "/tmp")

    assert ran.status == 0, ran.stderr
    assert ran.recorded == ["--remote", f"ssh-remote+{HOST}", "/tmp"]
    assert (ran.result["editor"], ran.result["extension"]) == ("Cursor", "anysphere.remote-ssh")


@pytest.mark.parametrize(
    ("extensions", "args", "said", "fix"),
    [
        # VS Code's launcher is there, but Cursor is asked for.
        ("anysphere.remote-ssh", ("--cursor",), "no `cursor` command on PATH",
         "Shell Command: Install 'cursor' command in PATH"),
        ("ms-python.python", (),
         "VS Code has no Remote-SSH extension (ms-vscode-remote.remote-ssh)",
         "code --install-extension ms-vscode-remote.remote-ssh"),
    ],
)  # fmt: skip
def test_a_missing_launcher_or_remote_ssh_extension_is_a_failed_check_with_the_fix(
    station: Workstation,
    tmp_path: Path,
    extensions: str,
    args: tuple[str, ...],
    said: str,
    fix: str,
) -> None:
    bin_dir = tmp_path / "bin"
    install_stand_in(bin_dir, "code")

    ran = code(station, bin_dir, extensions, JOB, *args)

    assert ran.status == 11 and ran.recorded == []
    assert f"error: {said}" in ran.stderr and fix in ran.stderr


def test_a_launcher_that_cannot_list_extensions_is_trusted(
    station: Workstation, tmp_path: Path
) -> None:
    bin_dir = tmp_path / "bin"
    install_stand_in(bin_dir, "code")

    ran = code(station, bin_dir, "fail", JOB, "--json")

    assert ran.status == 0, ran.stderr
    assert ran.result["extension"] is None
    assert ran.recorded[:2] == ["--remote", f"ssh-remote+{HOST}"]


def test_code_waits_for_the_job_like_ssh_and_fails_the_same_way(
    station: Workstation, tmp_path: Path
) -> None:
    bin_dir = tmp_path / "bin"
    install_stand_in(bin_dir, "code")
    station.sandbox.controls.workloads.set_job_status(JOB, "TRAINING_JOB_STOPPED")

    ran = code(station, bin_dir, "ms-vscode-remote.remote-ssh", JOB, "--json")

    assert ran.status == 7 and ran.recorded == []
    assert ran.result["error"]["exit_code"] == 7
    assert f"training job {JOB} has ended (STOPPED)" in ran.stderr
