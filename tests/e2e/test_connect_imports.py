"""The connect path's fast path (a cached, valid certificate) imports only built-in, lean
modules: the Match hook runs on every ssh invocation."""

from __future__ import annotations

import subprocess
import sys

import pytest
from helpers.sandbox import TRAINING_HOST, Client

pytestmark = pytest.mark.linux_only


def test_cached_fast_path_imports_only_builtin_lean_modules(client: Client) -> None:
    assert client.hook(TRAINING_HOST).returncode == 0
    baseline = _imported([sys.executable, "-I", "-S", "-X", "importtime", "-c", "import os"])
    command = [sys.executable, "-I", "-S", "-X", "importtime", str(client.runtime.hook)]
    hook_modules = _imported([*command, TRAINING_HOST], client.env)
    extra = {name for name in hook_modules - baseline if not name.startswith("sshsetup")}
    assert extra <= {"__future__", "binascii", "_json", "time"}, extra
    forbidden = {"typer", "keyring", "cryptography", "rich", "urllib", "json", "re", "ssl"}
    assert not {name.split(".")[0] for name in hook_modules} & forbidden


def _imported(command: list[str], env: dict[str, str] | None = None) -> set[str]:
    completed = subprocess.run(command, capture_output=True, text=True, env=env, timeout=60)
    assert completed.returncode == 0
    names = set()
    for line in completed.stderr.splitlines():
        if line.startswith("import time:") and "|" in line:
            name = line.rsplit("|", 1)[1].strip()
            if name != "imported package":
                names.add(name)
    return names
