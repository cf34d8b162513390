"""sshsetup installed the ways a user installs it, away from this checkout: a wheel built
from a copy of the working tree into throwaway virtual environments, and a copy of the
package that declares another version."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from helpers import REPO_ROOT

PIP_TIMEOUT_SECONDS = 300
# What a wheel is built from; copied, so that the build never writes into the checkout.
SOURCE_FILES = ("pyproject.toml", "README.md", "sshsetup")


def build_wheel(directory: Path) -> Path:
    """A wheel of the working tree, built in a copy of it."""
    source = directory / "source"
    source.mkdir()
    for name in SOURCE_FILES:
        if (REPO_ROOT / name).is_dir():
            ignore = shutil.ignore_patterns("__pycache__")
            shutil.copytree(REPO_ROOT / name, source / name, ignore=ignore)
        else:
            shutil.copy2(REPO_ROOT / name, source / name)
    build = [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(directory)]
    subprocess.run(
        [*build, str(source)], check=True, capture_output=True, timeout=PIP_TIMEOUT_SECONDS
    )
    (wheel,) = directory.glob("sshsetup-*.whl")
    return wheel


@dataclass(frozen=True)
class Venv:
    """A virtual environment with sshsetup installed in it, and only there: its dependencies
    come from this interpreter's site-packages (``--system-site-packages``, ``--no-deps``), so
    nothing but the wheel's build backend is ever downloaded."""

    directory: Path

    @property
    def sshsetup(self) -> Path:
        return self.directory / "bin" / "sshsetup"

    def run(
        self, env: dict[str, str], *args: str, input_text: str = ""
    ) -> subprocess.CompletedProcess[str]:
        """The venv's own `sshsetup` command, from outside the checkout, PYTHONPATH unset, as
        in an activated venv (its bin first on PATH, so its python3 is the first one found)."""
        clean = {name: value for name, value in env.items() if name != "PYTHONPATH"}
        clean["PATH"] = os.pathsep.join([str(self.sshsetup.parent), env.get("PATH", "")])
        clean["VIRTUAL_ENV"] = str(self.directory)
        return subprocess.run(
            [str(self.sshsetup), *args], capture_output=True, text=True, env=clean,
            input=input_text, cwd=self.directory.parent, timeout=120, check=False,
        )  # fmt: skip


def make_venv(directory: Path, wheel: Path) -> Venv:
    subprocess.run(
        [sys.executable, "-m", "venv", "--system-site-packages", str(directory)],
        check=True, capture_output=True, timeout=PIP_TIMEOUT_SECONDS,
    )  # fmt: skip
    subprocess.run(
        [str(directory / "bin" / "python"), "-m", "pip", "install", "-q", "--no-deps", str(wheel)],
        check=True, capture_output=True, timeout=PIP_TIMEOUT_SECONDS,
    )  # fmt: skip
    return Venv(directory)


def package_of_version(directory: Path, version: str) -> Path:
    """A copy of the sshsetup package that declares ``version``; returns what to put on
    PYTHONPATH to run it."""
    copy = directory / "sshsetup"
    shutil.copytree(REPO_ROOT / "sshsetup", copy, ignore=shutil.ignore_patterns("__pycache__"))
    init = copy / "__init__.py"
    text = init.read_text()
    line = next(line for line in text.splitlines() if line.startswith("__version__ = "))
    init.write_text(text.replace(line, f'__version__ = "{version}"'))
    return directory
