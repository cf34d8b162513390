"""A config sshsetup cannot write, for real: a link into a store mounted read-only (as
home-manager and Nix make it), with the real `sshsetup setup` in a private mount namespace.
It exits 3, changes nothing, prints the exact block, and that block, pasted, works."""

from __future__ import annotations

import shlex
import sys
from pathlib import Path

import pytest
from helpers import REPO_ROOT
from helpers.homes import Home
from helpers.namespaces import as_root_in_private_mounts

from sshsetup.exit_codes import ExitCode
from sshsetup.sshconfig.block import END_MARKER, START_MARKER

pytestmark = [pytest.mark.linux_only, pytest.mark.e2e]

USER_CONFIG = "Host build\n  HostName build.example.com\n"


def test_a_config_in_a_read_only_mount_prints_the_block_that_works(
    home: Home, tmp_path: Path
) -> None:
    store = tmp_path / "nix-store"
    store.mkdir()
    (store / "ssh_config").write_text(USER_CONFIG)
    home.config.symlink_to(store / "ssh_config")
    env = {**home.env, "PYTHONPATH": str(REPO_ROOT)}
    quoted, out = shlex.quote(str(store)), shlex.quote(str(tmp_path))
    script = f"""
        mount --bind {quoted} {quoted} && mount -o remount,bind,ro {quoted} || exit 99
        cd {shlex.quote(str(REPO_ROOT))}
        {shlex.quote(sys.executable)} -m sshsetup setup --yes > {out}/out 2> {out}/err
        echo $? > {out}/status
    """
    result = as_root_in_private_mounts(script, env, tmp_path)
    assert result.returncode == 0, result.stderr
    assert int((tmp_path / "status").read_text()) == ExitCode.BAD_INPUT
    error = (tmp_path / "err").read_text()
    assert error.startswith(f"error: cannot write {home.config} (a link to {store / 'ssh_config'})")
    assert "it is on a read-only file system" in error and "Traceback" not in error
    assert (store / "ssh_config").read_text() == USER_CONFIG and home.config.is_symlink()
    block = error[error.index(START_MARKER) : error.index(END_MARKER) + len(END_MARKER)]
    pasted = tmp_path / "pasted_config"
    pasted.write_text(block + "\n" + USER_CONFIG)
    assert home.ssh_g("training-job-demo-0.ssh.baseten.co", pasted).value("user") == "baseten"
    assert home.key_file.is_file()  # everything but the block is in place
