"""Running the sshsetup CLI: in-process (most tests) or as a real process.

``run_in_process`` invokes the typer app with typer's CliRunner and hands it a Context built
from the given environment (``sshsetup.cli`` accepts a context factory as the invocation's
``obj``): stdout and stderr are captured separately, stdin is the given bytes, the prompter
never asks (every prompt takes its default, as without a terminal). While the command runs,
``os.environ`` is exactly that environment too (as in a process started with it), plus
``SSHSETUP_DEBUG=1`` so that an unexpected exception prints its traceback into the captured
stderr. A command that hands the process over to another program (`sshsetup ssh` execs ssh)
never does so in-process: the program and its arguments are recorded in ``handed_over`` and
the run ends with exit status 0. Each run is also written to the test's own stderr (pytest
shows it when the test fails), so a failure shows where it happened, not just an exit code.

``run_process`` is ``python -m sshsetup`` as a real process, for what needs one (signals,
a terminal, several processes at once).
"""

from __future__ import annotations

import io
import os
import subprocess
import sys
import traceback
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import NoReturn

from helpers import REPO_ROOT
from sshsetup.connect.environment import DEBUG_ENV

CLI_TIMEOUT_SECONDS = 60


@dataclass(frozen=True)
class CliResult:
    args: tuple[str, ...]
    returncode: int
    stdout: str
    stderr: str
    traceback: str = ""  # an exception that escaped the CLI (in-process runs only)
    handed_over: tuple[str, ...] | None = None  # (executable, *argv) it would have exec'd

    def __str__(self) -> str:
        text = (
            f"sshsetup {' '.join(self.args)} -> {self.returncode}\n"
            f"--- stdout ---\n{self.stdout}--- stderr ---\n{self.stderr}"
        )
        if self.traceback:
            text += f"--- exception ---\n{self.traceback}"
        if self.handed_over:
            text += f"--- handed over to ---\n{' '.join(self.handed_over)}\n"
        return text


def ok(result: CliResult) -> CliResult:
    """``result`` succeeded, without a traceback."""
    assert result.returncode == 0, str(result)
    assert "Traceback" not in result.stderr
    return result


def failed(result: CliResult, code: int, *fragments: str) -> None:
    """``result`` failed with ``code``: a message and a hint holding ``fragments``, no bug."""
    assert result.returncode == code, str(result)
    assert "Traceback" not in result.stderr and "internal error" not in result.stderr
    assert "error: " in result.stderr and "hint: " in result.stderr
    for fragment in fragments:
        assert fragment in result.stderr, str(result)


def changed_env(env: Mapping[str, str], changes: Mapping[str, str | None]) -> dict[str, str]:
    """A copy of ``env`` with ``changes`` applied (None removes a variable)."""
    result = dict(env)
    for name, value in changes.items():
        if value is None:
            result.pop(name, None)
        else:
            result[name] = value
    return result


def run_in_process(env: Mapping[str, str], *args: str, stdin: bytes | str = b"") -> CliResult:
    """``sshsetup ARGS`` in this process, in ``env``; see the module docstring."""
    from typer.testing import CliRunner

    from sshsetup.cli import app
    from sshsetup.context import Context
    from sshsetup.paths import Paths
    from sshsetup.prompts import Prompter

    data = stdin.encode() if isinstance(stdin, str) else stdin
    command_env = dict(env)
    handed_over: list[str] = []

    def record_hand_over(executable: str, argv: Sequence[str], env: Mapping[str, str]) -> NoReturn:
        handed_over.extend([executable, *argv])
        raise SystemExit(0)

    def context(ssh_config: Path | None, assume_yes: bool) -> Context:
        _forget_keyring_backend()
        return Context(
            env=command_env,
            paths=Paths.from_environment(command_env, ssh_config),
            prompter=Prompter(interactive=False),
            stdin=io.BytesIO(data),
            hand_over=record_hand_over,
        )

    environ: dict[str, str | None] = {name: None for name in os.environ if name not in env}
    environ.update(command_env)
    environ[DEBUG_ENV] = "1"
    try:
        runner = CliRunner(mix_stderr=False)  # click < 8.2 mixes stderr into stdout by default
    except TypeError:
        runner = CliRunner()  # click >= 8.2 always keeps them apart
    result = runner.invoke(app, list(args), obj=context, env=environ, input=data)
    escaped = ""
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        escaped = "".join(traceback.format_exception(result.exception))
    ran = CliResult(
        tuple(args),
        result.exit_code,
        result.stdout,
        result.stderr,
        escaped,
        tuple(handed_over) if handed_over else None,
    )
    print(ran, file=sys.stderr)  # the test's captured stderr: shown if the test fails
    return ran


def _forget_keyring_backend() -> None:
    """Make keyring choose its backend again from the (new) environment, as a new process
    would: it caches the backend, and the viable backends, on first use."""
    if "keyring.core" not in sys.modules:
        return
    import keyring.backend
    import keyring.core

    keyring.core._keyring_backend = None
    if hasattr(keyring.backend.get_all_keyring, "saved_result"):  # jaraco.functools.once
        keyring.backend.get_all_keyring.reset()


def run_process(
    env: Mapping[str, str],
    *args: str,
    input_text: str | None = None,
    cwd: Path | None = None,
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
