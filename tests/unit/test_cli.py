"""`sshsetup.cli.main` builds the parser of the one command asked for; what the user sees does
not change (usage lines and errors are tested through real processes in tests/cli)."""

from __future__ import annotations

import subprocess
import sys

import pytest
import typer

from sshsetup.cli import COMPLETION_VARIABLE, keep_only_the_command_asked_for


def program() -> typer.Typer:
    app = typer.Typer()

    @app.callback()
    def top() -> None:
        pass

    @app.command()
    def status() -> None:
        pass

    @app.command("list")
    def list_workloads() -> None:
        pass

    @app.command()
    def allow_proxy() -> None:
        pass

    cert = typer.Typer()

    @cert.command()
    def fetch() -> None:
        pass

    app.add_typer(cert, name="cert")
    return app


def names(app: typer.Typer) -> set[str]:
    return set(typer.main.get_command(app).commands)  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("args", "kept"),
    [
        (["status", "--json"], {"status"}),
        (["list"], {"list"}),
        (["allow-proxy"], {"allow-proxy"}),
        (["cert", "fetch", "HOST"], {"cert"}),
    ],
)
def test_only_the_command_asked_for_is_built(args: list[str], kept: set[str]) -> None:
    app = program()
    keep_only_the_command_asked_for(app, args, {})
    assert names(app) == kept


@pytest.mark.parametrize(
    ("args", "env"),
    [
        ([], {}),
        (["--help"], {}),
        (["statu"], {}),  # a typo: the error offers the commands that exist
        (["status"], {COMPLETION_VARIABLE: "bash_complete"}),
    ],
)
def test_the_whole_program_otherwise(args: list[str], env: dict[str, str]) -> None:
    app = program()
    keep_only_the_command_asked_for(app, args, env)
    assert names(app) == {"status", "list", "allow-proxy", "cert"}


def test_a_mistyped_command_is_still_told_the_ones_that_exist() -> None:
    typo = subprocess.run(
        [sys.executable, "-m", "sshsetup", "statu"], capture_output=True, text=True, check=False
    )
    assert typo.returncode == 2 and "Did you mean 'status'" in typo.stderr
