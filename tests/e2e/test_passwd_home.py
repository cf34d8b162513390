"""ssh reads ~/.ssh/config from the passwd entry's home, not from $HOME: a real account whose
passwd home is not $HOME (root's entry, bind-mounted in a private mount namespace), the real
`sshsetup setup` and `status`, and the real `ssh -G` without -F."""

from __future__ import annotations

import shlex
import sys
from pathlib import Path

import pytest
from helpers import REPO_ROOT
from helpers.homes import Home
from helpers.namespaces import as_root_in_private_mounts

pytestmark = [pytest.mark.linux_only, pytest.mark.e2e]

TRAINING_HOST = "training-job-demo-0.ssh.baseten.co"


def test_setup_manages_the_file_ssh_reads_and_says_so(home: Home, tmp_path: Path) -> None:
    passwd_home = tmp_path / "passwd home"
    (passwd_home / ".ssh").mkdir(parents=True, mode=0o700)
    passwd = tmp_path / "passwd"
    env = {name: value for name, value in home.env.items() if name != "SSHSETUP_SSH_CONFIG"}
    env.update(PYTHONPATH=str(REPO_ROOT), SSHSETUP_NO_FETCH="1")
    python, out = shlex.quote(sys.executable), shlex.quote(str(tmp_path))
    script = f"""
        set -e
        sed 's#^root:\\([^:]*\\):0:0:\\([^:]*\\):[^:]*:#root:\\1:0:0:\\2:{passwd_home}:#' \\
            /etc/passwd > {shlex.quote(str(passwd))}
        mount --bind {shlex.quote(str(passwd))} /etc/passwd
        cd {shlex.quote(str(REPO_ROOT))}
        {python} -m sshsetup setup --yes > {out}/setup.out
        {python} -m sshsetup status > {out}/status.out
        ssh -G {TRAINING_HOST} > {out}/ssh-g.out
    """
    result = as_root_in_private_mounts(script, env, tmp_path)
    assert result.returncode == 0, result.stderr
    ssh_reads = passwd_home / ".ssh" / "config"
    note = f"$HOME is {home.home}, but ssh reads {ssh_reads} (your passwd entry's home)"
    setup = (tmp_path / "setup.out").read_text()
    assert f"created {ssh_reads} with the sshsetup block" in setup and note in setup
    status = (tmp_path / "status.out").read_text()
    assert f"config:   {ssh_reads}\n" in status and note in status
    assert not home.config.exists()  # $HOME's, which ssh would not read
    assert "\nuser baseten\n" in (tmp_path / "ssh-g.out").read_text()  # ssh read the block
