"""Eight `sshsetup setup` processes at once on one home: exactly one block, one key."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from helpers import REPO_ROOT
from helpers.configs import block_span, cut_block
from helpers.homes import Home

from sshsetup.baseten import EXAMPLE_HOSTS
from sshsetup.connect.atomic_write import TEMP_PREFIX

pytestmark = pytest.mark.posix_only

USER_CONFIG = b"Host build\n  HostName build.example.com\n\nHost *\n  User me\n"
TRAINING_HOST = EXAMPLE_HOSTS[0]


def test_eight_parallel_setups_leave_exactly_one_block(home: Home) -> None:
    home.write_config(USER_CONFIG)
    processes = [
        subprocess.Popen(
            [sys.executable, "-m", "sshsetup", "setup", "--json"],
            env=home.env,
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
    data = home.config.read_bytes()
    block_span(data)
    assert cut_block(data) == USER_CONFIG
    effective = home.ssh_g(TRAINING_HOST)
    assert effective.returncode == 0 and effective.value("user") == "baseten"
    assert sorted(home.ssh_dir.glob(TEMP_PREFIX + "*")) == []
    public_key = home.key_dir / "id_ed25519.pub"
    listed = subprocess.run(
        ["ssh-keygen", "-l", "-f", str(public_key)], capture_output=True, text=True, check=True
    ).stdout.split()[1]
    assert {result["key"]["fingerprint"] for result in results} == {listed}
