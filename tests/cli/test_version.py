"""`sshsetup --version`: the package's version, on stdout, exit 0."""

from __future__ import annotations

import re

from helpers import REPO_ROOT
from helpers.homes import Home

import sshsetup


def test_version_prints_the_package_version_and_exits_0(home: Home) -> None:
    result = home.run("--version")

    assert result.returncode == 0, result
    assert result.stdout == f"sshsetup {sshsetup.__version__}\n"
    assert result.stderr == ""
    declared = re.search(r'^version = "([^"]+)"$', (REPO_ROOT / "pyproject.toml").read_text(), re.M)
    assert declared is not None and sshsetup.__version__ == declared.group(1)


def test_version_needs_no_command_and_runs_none(home: Home) -> None:
    result = home.run("--version", "setup")

    assert result.returncode == 0, result
    assert result.stdout == f"sshsetup {sshsetup.__version__}\n"
    assert not home.config.exists() and not home.key_dir.exists()
