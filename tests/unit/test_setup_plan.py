"""The block setup plans for this machine (sshsetup.setup_plan): on Windows, a home and an
interpreter under paths with spaces are written by their 8.3 short names in the exec line."""

from __future__ import annotations

import io
from collections.abc import Callable, Sequence
from pathlib import Path

import pytest
from helpers.homes import Home

from sshsetup.connect.settings import BlockOptions, Settings
from sshsetup.context import Context
from sshsetup.interpreter import Interpreter
from sshsetup.platforms.windows import WindowsPlatform, short_path_name
from sshsetup.process import CommandResult
from sshsetup.prompts import Prompter
from sshsetup.setup_plan import block_spec, needs_short_name
from sshsetup.sshconfig.block import render_block


def short_name(part: str) -> str:
    """What NTFS makes of a long name: six characters, upper case, ``~1``."""
    return part.replace(" ", "").upper()[:6] + "~1"


class ShortNames(WindowsPlatform):
    """Windows as sshsetup sees it, with 8.3 names made up for the components asked for."""

    def short_path(self, path: Path, needs_it: Callable[[str], bool]) -> Path:
        return Path(*(short_name(part) if needs_it(part) else part for part in path.parts))


def windows_context(home: Home) -> Context:
    def runner(argv: Sequence[str], timeout: float = 0) -> CommandResult:
        raise AssertionError(f"no command may run: {argv}")

    env = {**home.env, "SYSTEMROOT": "C:\\WINDOWS"}
    return Context(
        env=env,
        paths=home.paths,
        prompter=Prompter(interactive=False),
        stdin=io.BytesIO(),
        _platform=ShortNames(runner, env),
    )


def test_windows_home_with_a_space_is_written_by_short_names(
    make_home: Callable[[str], Home],
) -> None:
    home = make_home("First Last")
    python = Path("/Program Files/Python 3.12/python.exe")
    spec = block_spec(
        windows_context(home), Settings(), BlockOptions(), Interpreter(python, "test")
    )
    assert spec.windows and spec.cmd == Path("C:\\WINDOWS") / "System32" / "cmd.exe"
    assert " " not in str(spec.python) + str(spec.hook_script) + str(spec.proxy_script)
    assert "FIRSTL~1" in str(spec.hook_script) and "PYTHON~1" in str(spec.python)
    lines = render_block(spec)
    exec_line = next(line for line in lines if line.startswith('Match host "training'))
    words = exec_line.split(' exec "', 1)[1][:-1].split(" ")
    assert not any('"' in word for word in words)
    assert str(spec.python).replace("/", "\\") in words
    assert str(spec.hook_script).replace("/", "\\") in words
    identity = next(line for line in lines if "IdentityFile" in line)
    assert identity == f'  IdentityFile "{home.key_file.as_posix()}"' and "First Last" in identity


def test_paths_without_spaces_are_kept_as_they_are(home: Home) -> None:
    python = Path("/usr/bin/python.exe")
    spec = block_spec(windows_context(home), Settings(), BlockOptions(), Interpreter(python, "t"))
    assert spec.python == python and spec.hook_script == home.paths.runtime_dir / "hook.py"


@pytest.mark.posix_only  # on Windows, tests/e2e/test_windows_home.py asks the real volume
def test_short_names_exist_only_on_windows(tmp_path: Path) -> None:
    spaced = tmp_path / "First Last" / "hook.py"
    spaced.parent.mkdir()
    assert short_path_name(spaced, needs_short_name) == spaced  # no short name to give here


def test_only_the_components_that_need_it_are_shortened() -> None:
    assert needs_short_name("First Last") and needs_short_name("a&b")
    assert not needs_short_name(".ssh") and not needs_short_name("python.exe")
