"""Fixtures for the setup/remove/status tests: a temporary HOME, the real CLI as a subprocess,
and the real ``ssh -G`` parsed into a dict.

Every sshsetup location is pointed into the temporary home (SSHSETUP_CONFIG_DIR,
SSHSETUP_STATE_DIR, SSHSETUP_KEY_DIR, HOME), so no test touches the real ~/.ssh.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from sshsetup.block_plan import block_spec
from sshsetup.openssh import EXAMPLE_HOSTS, NO_FETCH_ENV, effective_settings
from sshsetup.paths import Paths
from sshsetup.settings import BlockOptions, Settings
from sshsetup.sshconfig.block import BlockSpec

REPO_ROOT = Path(__file__).resolve().parent.parent
FIXTURE_CONFIGS = REPO_ROOT / "fixtures" / "configs"
TRAINING_HOST, MODEL_HOST = EXAMPLE_HOSTS
SSH = "ssh"
CLI_TIMEOUT_SECONDS = 60


@dataclass(frozen=True)
class CliResult:
    args: tuple[str, ...]
    returncode: int
    stdout: str
    stderr: str

    def __str__(self) -> str:
        return (
            f"sshsetup {' '.join(self.args)} -> {self.returncode}\n"
            f"--- stdout ---\n{self.stdout}--- stderr ---\n{self.stderr}"
        )


@dataclass(frozen=True)
class SshG:
    """``ssh -G`` for one host: exit status, effective settings (keyword -> values), stderr."""

    returncode: int
    settings: dict[str, list[str]]
    stderr: str

    def value(self, keyword: str) -> str:
        return self.settings[keyword][0]


def ssh_g(config: Path, host: str, env: Mapping[str, str] | None = None) -> SshG:
    """The real ``ssh -G -F config host``; the block's hook is told not to fetch anything."""
    run_env = dict(os.environ if env is None else env)
    run_env[NO_FETCH_ENV] = "1"
    run_env["SHELL"] = "/bin/sh"
    completed = subprocess.run(
        [SSH, "-G", "-F", str(config), host],
        capture_output=True,
        text=True,
        errors="surrogateescape",
        env=run_env,
        stdin=subprocess.DEVNULL,
        timeout=30,
    )
    return SshG(completed.returncode, effective_settings(completed.stdout), completed.stderr)


def run_sshsetup(
    env: Mapping[str, str], *args: str, input_text: str | None = None, cwd: Path | None = None
) -> CliResult:
    """``python -m sshsetup ARGS`` as a real process (stdin is not a terminal: no prompts)."""
    completed = subprocess.run(
        [sys.executable, "-m", "sshsetup", *args],
        capture_output=True,
        text=True,
        errors="surrogateescape",
        env=dict(env),
        input=input_text if input_text is not None else "",
        cwd=cwd or REPO_ROOT,
        timeout=CLI_TIMEOUT_SECONDS,
    )
    return CliResult(tuple(args), completed.returncode, completed.stdout, completed.stderr)


def changed_env(env: Mapping[str, str], changes: Mapping[str, str | None]) -> dict[str, str]:
    """A copy of ``env`` with ``changes`` applied (None removes a variable)."""
    result = dict(env)
    for name, value in changes.items():
        if value is None:
            result.pop(name, None)
        else:
            result[name] = value
    return result


@dataclass
class SetupHome:
    """A throwaway home directory with every sshsetup location inside it."""

    home: Path
    env: dict[str, str] = field(init=False)

    def __post_init__(self) -> None:
        self.ssh_dir.mkdir(parents=True, mode=0o700)
        env = {
            key: value
            for key, value in os.environ.items()
            if not key.startswith("SSHSETUP_") and key != "PYTHONPATH"
        }
        env.update(
            HOME=str(self.home),
            SHELL="/bin/sh",
            SSHSETUP_CONFIG_DIR=str(self.config_dir),
            SSHSETUP_STATE_DIR=str(self.state_dir),
            SSHSETUP_KEY_DIR=str(self.key_dir),
            PYTHONPATH=str(REPO_ROOT),
            NO_COLOR="1",
        )
        self.env = env

    @property
    def ssh_dir(self) -> Path:
        return self.home / ".ssh"

    @property
    def config(self) -> Path:
        return self.ssh_dir / "config"

    @property
    def config_dir(self) -> Path:
        return self.home / "sshsetup-config"

    @property
    def state_dir(self) -> Path:
        return self.home / "sshsetup-state"

    @property
    def key_dir(self) -> Path:
        return self.ssh_dir / "sshsetup"

    @property
    def paths(self) -> Paths:
        return Paths.from_environment(self.env)

    def run(self, *args: str, input_text: str | None = None) -> CliResult:
        return run_sshsetup(self.env, *args, input_text=input_text)

    def ssh_g(self, host: str, config: Path | None = None) -> SshG:
        return ssh_g(config or self.config, host, self.env)

    def spec(self, options: BlockOptions | None = None) -> BlockSpec:
        """The block this home's `sshsetup setup` would write, for the pure-level tests."""
        options = options or BlockOptions()
        return block_spec(self.paths, Settings(options=options), options, windows=False)

    def write_config(self, data: bytes, mode: int = 0o600) -> Path:
        self.config.write_bytes(data)
        self.config.chmod(mode)
        return self.config

    def install_fixture(self, name: str) -> bytes:
        """Copy fixtures/configs/NAME to ~/.ssh/config, ``@HOME@`` replaced by this home."""
        data = (FIXTURE_CONFIGS / name).read_bytes().replace(b"@HOME@", os.fsencode(self.home))
        self.write_config(data)
        return data


@pytest.fixture
def setup_home(tmp_path: Path) -> SetupHome:
    return SetupHome(tmp_path / "home")


@pytest.fixture
def make_setup_home(tmp_path: Path) -> Callable[[str], SetupHome]:
    """Homes with chosen directory names (spaces, non-ASCII...)."""

    def make(name: str) -> SetupHome:
        return SetupHome(tmp_path / name)

    return make


START_MARKER_PREFIX = b"# >>> sshsetup managed block"
END_MARKER_PREFIX = b"# <<< sshsetup managed block"


def block_span(data: bytes) -> tuple[int, int]:
    """0-based indexes of the (only) start and end marker lines, checked independently of
    sshsetup's own parser."""
    lines = data.splitlines()
    starts = [i for i, line in enumerate(lines) if line.strip().startswith(START_MARKER_PREFIX)]
    ends = [i for i, line in enumerate(lines) if line.strip().startswith(END_MARKER_PREFIX)]
    assert len(starts) == 1 and len(ends) == 1, f"expected one block, got {starts} {ends}"
    assert starts[0] < ends[0]
    return starts[0], ends[0]


def cut_block(data: bytes) -> bytes:
    """The bytes with the block's lines taken out: what "everything outside the block" is.

    A block added at the end of a file without a final newline carries no newline on its end
    marker; the newline before it then belongs to the block.
    """
    start, end = block_span(data)
    lines = data.splitlines(keepends=True)
    before, after = lines[:start], lines[end + 1 :]
    if not after and not lines[end].endswith(b"\n") and before:
        last = before[-1]
        before[-1] = last[:-2] if last.endswith(b"\r\n") else last[:-1]
    return b"".join(before) + b"".join(after)


def block_start_line(data: bytes) -> int:
    """1-based line number of the start marker."""
    return block_span(data)[0] + 1
