"""The command line: parses arguments, calls a command module, prints. Nothing else.

Command modules are imported inside each command so `sshsetup --help` and cheap
commands do not pay for the heavy ones (cryptography, keyring, the sandbox).
"""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from sshsetup.error_handler import error_handler

app = typer.Typer(
    name="sshsetup",
    help="Set up and diagnose SSH into Baseten training jobs and model deployments.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)

ConfigOption = typer.Option(
    None, "--config", help="The ssh config file to manage (default: ~/.ssh/config)."
)
JsonOption = typer.Option(False, "--json", help="Print one JSON object on stdout and nothing else.")
DryRunOption = typer.Option(False, "--dry-run", help="Print a unified diff; write nothing.")
YesOption = typer.Option(False, "--yes", "-y", help="Never prompt; take each prompt's default.")


def _paths(config: Optional[Path]):  # type: ignore[no-untyped-def]
    from sshsetup.paths import Paths

    return Paths.from_environment(ssh_config=config)


# --- setup / remove / status -------------------------------------------------------------


@app.command()
def setup(
    config: Optional[Path] = ConfigOption,
    forward_agent: Optional[bool] = typer.Option(
        None, "--forward-agent/--no-forward-agent", help="ForwardAgent yes for Baseten hosts."
    ),
    add_keys_to_agent: Optional[bool] = typer.Option(
        None, "--add-keys-to-agent/--no-add-keys-to-agent", help="AddKeysToAgent yes."
    ),
    use_keychain: Optional[bool] = typer.Option(
        None,
        "--use-keychain/--no-use-keychain",
        help="UseKeychain yes (macOS), always covered by IgnoreUnknown UseKeychain.",
    ),
    refresh_margin: Optional[int] = typer.Option(
        None, "--refresh-margin", min=0, help="Seconds before expiry to renew a certificate."
    ),
    replace_truss: bool = typer.Option(
        False, "--replace-truss", help="Take out a block written by `truss ssh setup`."
    ),
    reuse_truss_key: Optional[bool] = typer.Option(
        None, "--reuse-truss-key/--no-reuse-truss-key", help="Reuse ~/.ssh/baseten's key."
    ),
    strip_bom: bool = typer.Option(
        False, "--strip-bom", help="Remove a UTF-8 byte-order mark that OpenSSH rejects."
    ),
    dry_run: bool = DryRunOption,
    yes: bool = YesOption,
    json_output: bool = JsonOption,
) -> None:
    """Write (or update) the managed block in the ssh config, and the key it uses."""
    with error_handler():
        from sshsetup.commands import setup as command

        raise SystemExit(
            command.run(
                _paths(config),
                command.SetupRequest(
                    forward_agent=forward_agent,
                    add_keys_to_agent=add_keys_to_agent,
                    use_keychain=use_keychain,
                    refresh_margin=refresh_margin,
                    replace_truss=replace_truss,
                    reuse_truss_key=reuse_truss_key,
                    strip_bom=strip_bom,
                    dry_run=dry_run,
                    assume_yes=yes,
                    json_output=json_output,
                ),
            )
        )


@app.command()
def remove(
    config: Optional[Path] = ConfigOption,
    purge: bool = typer.Option(False, "--purge", help="Also delete the key and certificates."),
    dry_run: bool = DryRunOption,
    yes: bool = YesOption,
    json_output: bool = JsonOption,
) -> None:
    """Take the managed block out of the ssh config, and only the block."""
    with error_handler():
        from sshsetup.commands import remove as command

        raise SystemExit(
            command.run(_paths(config), purge=purge, dry_run=dry_run, json_output=json_output)
        )


@app.command()
def status(config: Optional[Path] = ConfigOption, json_output: bool = JsonOption) -> None:
    """Show what is installed where, the options in effect, the key and the backup."""
    with error_handler():
        from sshsetup.commands import status as command

        raise SystemExit(command.run(_paths(config), json_output=json_output))


def main() -> None:
    app()
