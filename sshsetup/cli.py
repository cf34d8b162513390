"""The command line: parses arguments, builds one Context, runs the command, renders its result.

``dispatch`` is the only place a command runs and the only place errors are caught: an
``SshsetupError`` becomes its message and hint (and, with --json, one JSON object) and its
exit code; anything else is a bug, reported as such. Command modules are imported only
when they run, so ``sshsetup --help`` and cheap commands do not pay for the heavy ones
(cryptography, keyring, the sandbox).

Tests run the CLI in-process and hand it their own Context: the invocation's ``obj`` may be
a ``ContextFactory`` (``typer.testing.CliRunner().invoke(app, args, obj=factory)``).
"""

from __future__ import annotations

import importlib
import os
import sys
import traceback
from collections.abc import Mapping, Sequence
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn, Protocol

import typer
from typer.core import TyperGroup

from sshsetup import __version__
from sshsetup.baseten import SESSION_TRIGGERS
from sshsetup.waiting import DEFAULT_TIMEOUT_SECONDS

if TYPE_CHECKING:
    from sshsetup.context import Context
    from sshsetup.targets import Target


class ContextFactory(Protocol):
    def __call__(self, ssh_config: Path | None, assume_yes: bool) -> Context: ...


JSON_FLAG = "--json"


class _JsonUsageErrors(TyperGroup):
    """The app's root group: a usage error click finds (an unknown option, a missing
    argument) is one JSON object on stdout too when ``--json`` was given, as every other
    failure is (``dispatch``)."""

    def main(  # type: ignore[override]  # typer's signature, positional parameters named
        self,
        args: Sequence[str] | None = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: bool = True,
        **extra: Any,
    ) -> Any:
        argv = list(sys.argv[1:] if args is None else args)
        if not standalone_mode or JSON_FLAG not in argv:
            return super().main(argv, prog_name, complete_var, standalone_mode, **extra)
        try:
            code = super().main(argv, prog_name, complete_var, False, **extra)
        except Exception as exc:  # click's own exceptions: typer may vendor click
            message = getattr(exc, "format_message", None)
            if message is None:
                raise
            from sshsetup.errors import UsageError
            from sshsetup.results import render_error

            command = getattr(getattr(exc, "ctx", None), "command_path", "sshsetup")
            render_error(UsageError(message(), hint=f"see `{command} --help`"), True)
            raise SystemExit(getattr(exc, "exit_code", 2)) from None
        raise SystemExit(code if isinstance(code, int) else 0)


app = typer.Typer(
    cls=_JsonUsageErrors,
    name="sshsetup",
    help="Set up and diagnose SSH into Baseten training jobs and model deployments.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)

ConfigOption = typer.Option(
    None,
    "--config",
    help="The ssh config file to manage (default: the one ssh reads; setup remembers another).",
)
JsonOption = typer.Option(
    False, JSON_FLAG, help="Print one JSON object on stdout and nothing else."
)
DryRunOption = typer.Option(False, "--dry-run", help="Print a unified diff; write nothing.")
YesOption = typer.Option(False, "--yes", "-y", help="Never prompt; take each prompt's default.")


def dispatch(
    command: str,
    *,
    json_output: bool = False,
    config: Path | None = None,
    assume_yes: bool = False,
    **request: Any,
) -> NoReturn:
    """Run ``sshsetup.commands.<command>`` with a ``Request(**request)`` and exit."""
    from sshsetup.errors import SshsetupError
    from sshsetup.exit_codes import ExitCode

    try:
        from sshsetup.context import Context
        from sshsetup.output import colour_enabled
        from sshsetup.results import render

        module = importlib.import_module(f"sshsetup.commands.{command}")
        if _invocation.factory is not None:
            context = _invocation.factory(config, assume_yes)
        else:
            context = Context.from_environment(os.environ, config, assume_yes)
        _refresh_runtime(context)
        outcome = module.run(context, module.Request(**request))
        render(outcome, json_output, colour_enabled(sys.stdout))
        code = int(outcome.exit_code)
    except SshsetupError as error:
        from sshsetup.results import render_error

        render_error(error, json_output)
        code = int(error.exit_code)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        code = 130
    except BrokenPipeError:
        # stdout closed early (e.g. piped into `head`): nothing left to say.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        code = int(ExitCode.INTERNAL)
    except Exception as exc:  # a bug: say so, with what is needed to report it
        _report_bug(exc, json_output)
        code = int(ExitCode.INTERNAL)
    raise SystemExit(code)


def _refresh_runtime(context: Context) -> None:
    """An upgraded (or downgraded) sshsetup refreshes the runtime that ssh runs: one small
    read when it is current (sshsetup.runtime). A failure must not stop the command."""
    from sshsetup.errors import SshsetupError
    from sshsetup.runtime import Runtime, refresh_if_stale

    runtime = Runtime(context.paths.runtime_dir)
    try:
        refreshed = refresh_if_stale(runtime)
    except (OSError, SshsetupError) as exc:
        context.say(
            f"warning: could not refresh sshsetup's runtime in {runtime.directory} ({exc}); "
            "run `sshsetup setup`"
        )
        return
    if refreshed is not None:
        context.say(
            f"refreshed sshsetup's runtime in {runtime.directory}: "
            f"{refreshed.previous} -> {refreshed.name}"
        )


def _report_bug(exc: Exception, json_output: bool) -> None:
    from sshsetup.connect.environment import DEBUG_ENV
    from sshsetup.errors import InternalError
    from sshsetup.results import render_error

    error = InternalError(
        f"internal error: {type(exc).__name__}: {exc}",
        hint=f"re-run with {DEBUG_ENV}=1 for the traceback and report it",
    )
    if os.environ.get(DEBUG_ENV):
        traceback.print_exc()
    render_error(error, json_output)


class _Invocation:
    """What the app's callback learnt about this invocation, for ``dispatch``."""

    factory: ContextFactory | None = None


_invocation = _Invocation()


def _version(value: bool) -> None:
    if value:
        print(f"sshsetup {__version__}")
        raise typer.Exit()


@app.callback()
def main_options(
    context: typer.Context,
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Print the version and exit."
    ),
) -> None:
    """Set up and diagnose SSH into Baseten training jobs and model deployments."""
    _invocation.factory = context.obj


# --- setup / remove / status -------------------------------------------------------------


@app.command()
def setup(
    config: Path | None = ConfigOption,
    forward_agent: bool | None = typer.Option(
        None, "--forward-agent/--no-forward-agent", help="ForwardAgent yes for Baseten hosts."
    ),
    add_keys_to_agent: bool | None = typer.Option(
        None, "--add-keys-to-agent/--no-add-keys-to-agent", help="AddKeysToAgent yes."
    ),
    use_keychain: bool | None = typer.Option(
        None,
        "--use-keychain/--no-use-keychain",
        help="UseKeychain yes (macOS), always covered by IgnoreUnknown UseKeychain.",
    ),
    refresh_margin: int | None = typer.Option(
        None, "--refresh-margin", min=0, help="Seconds before expiry to renew a certificate."
    ),
    keepalive: str | None = typer.Option(
        None,
        "--keepalive",
        metavar="SECONDS|off",
        help="ServerAliveInterval for Baseten hosts (default 15; a dead link is noticed "
        "within 4 intervals); off: none.",
    ),
    migrate: bool = typer.Option(
        False,
        "--migrate",
        "--replace-truss",
        help="Take out the blocks written by `truss ssh setup` and `baseten ssh setup`.",
    ),
    reuse_truss_key: bool | None = typer.Option(
        None, "--reuse-truss-key/--no-reuse-truss-key", help="Reuse ~/.ssh/baseten's key."
    ),
    strip_bom: bool = typer.Option(
        False, "--strip-bom", help="Remove a UTF-8 byte-order mark that OpenSSH rejects."
    ),
    python: str | None = typer.Option(
        None,
        "--python",
        help="The Python (3.10+) that runs the connect path, remembered; `auto` lets sshsetup "
        "choose again (default: one outside any virtual environment).",
    ),
    print_block: bool = typer.Option(
        False, "--print-block", help="Print the block setup would write; write nothing."
    ),
    dry_run: bool = DryRunOption,
    yes: bool = YesOption,
    json_output: bool = JsonOption,
) -> None:
    """Write (or update) the managed block in the ssh config, the key and the runtime it uses."""
    dispatch(
        "setup",
        json_output=json_output,
        config=config,
        assume_yes=yes,
        forward_agent=forward_agent,
        add_keys_to_agent=add_keys_to_agent,
        use_keychain=use_keychain,
        refresh_margin=refresh_margin,
        keepalive=keepalive,
        migrate=migrate,
        reuse_truss_key=reuse_truss_key,
        strip_bom=strip_bom,
        dry_run=dry_run,
        python=python,
        print_block=print_block,
    )


@app.command()
def remove(
    config: Path | None = ConfigOption,
    purge: bool = typer.Option(
        False,
        "--purge",
        help="Also delete the key, certificates, sessions, runtime and settings.",
    ),
    dry_run: bool = DryRunOption,
    yes: bool = YesOption,
    json_output: bool = JsonOption,
) -> None:
    """Take the managed block out of the ssh config, and only the block."""
    dispatch(
        "remove", json_output=json_output, config=config, assume_yes=yes, purge=purge,
        dry_run=dry_run,
    )  # fmt: skip


@app.command()
def status(config: Path | None = ConfigOption, json_output: bool = JsonOption) -> None:
    """Show what is installed where, the options in effect, the key and the backup."""
    dispatch("status", json_output=json_output, config=config)


# --- agent ---------------------------------------------------------------------------------

agent_app = typer.Typer(
    help="Check the local ssh agent (why forwarding fails) and load keys into it.",
    no_args_is_help=True,
)
app.add_typer(agent_app, name="agent")


@agent_app.command("check")
def agent_check(
    host: str | None = typer.Argument(
        None,
        help="Evaluate IdentityAgent/IdentitiesOnly for this host "
        "(default: an example training host).",
    ),
    config: Path | None = ConfigOption,
    json_output: bool = JsonOption,
) -> None:
    """Find the agent the way ssh does, list its keys, and say exactly what to fix."""
    dispatch("agent_check", json_output=json_output, config=config, host=host)


@agent_app.command("add")
def agent_add(
    key: Path | None = typer.Argument(
        None, help="Private key file (default: the key you use for git, e.g. ~/.ssh/id_ed25519)."
    ),
    config: Path | None = ConfigOption,
    yes: bool = YesOption,
    json_output: bool = JsonOption,
) -> None:
    """Load a key into the agent (with --apple-use-keychain on macOS) and verify it is listed."""
    dispatch("agent_add", json_output=json_output, config=config, assume_yes=yes, key=key)


# --- credentials and remotes (login / logout / remote) -------------------------------------


class KeyStore(str, Enum):
    keyring = "keyring"
    file = "file"


RemoteOption = typer.Option(
    None, "--remote", help="The remote (Baseten environment) to use (default: the default remote)."
)


@app.command()
def login(
    remote: str | None = RemoteOption,
    api_key_stdin: bool = typer.Option(
        False, "--api-key-stdin", help="Read the API key from one line of standard input."
    ),
    from_trussrc: bool = typer.Option(
        False, "--from-trussrc", help="Import the remote's key from ~/.trussrc (USER_TRUSSRC_PATH)."
    ),
    from_baseten_cli: bool = typer.Option(
        False,
        "--from-baseten-cli",
        help="Import the API key of the baseten CLI's profile (BASETEN_PROFILE, else its current).",
    ),
    base_url: str | None = typer.Option(
        None, "--base-url", help="The remote's API base URL (else BASETEN_BASE_URL, else Baseten's)"
    ),
    make_default: bool = typer.Option(False, "--default", help="Make this the default remote."),
    store: KeyStore = typer.Option(
        KeyStore.keyring,
        "--store",
        help="keyring (default): the OS keyring. file: an UNENCRYPTED 0600 file, for machines "
        "without a keyring.",
    ),
    json_output: bool = JsonOption,
) -> None:
    """Store a Baseten API key (asked for without echo) in the OS keyring."""
    dispatch(
        "login",
        json_output=json_output,
        remote=remote,
        api_key_stdin=api_key_stdin,
        from_trussrc=from_trussrc,
        from_baseten_cli=from_baseten_cli,
        base_url=base_url,
        make_default=make_default,
        store=store.value,
    )


@app.command()
def logout(
    remote: str | None = RemoteOption,
    all_remotes: bool = typer.Option(False, "--all", help="Log out of every known remote."),
    json_output: bool = JsonOption,
) -> None:
    """Delete a stored API key (keyring and plaintext file; ~/.trussrc is never changed)."""
    dispatch("logout", json_output=json_output, remote=remote, all_remotes=all_remotes)


remote_app = typer.Typer(
    help="List remotes, choose the default one, set a remote's API base URL and proxy hosts.",
    no_args_is_help=True,
)
app.add_typer(remote_app, name="remote")


@remote_app.command("list")
def remote_list(json_output: bool = JsonOption) -> None:
    """Each remote with its API base URL and where its API key is found (never the key)."""
    dispatch("remote_list", json_output=json_output)


@remote_app.command("set-default")
def remote_set_default(
    name: str = typer.Argument(..., help="The remote hosts without a remote segment use."),
    json_output: bool = JsonOption,
) -> None:
    """Choose the default remote."""
    dispatch("remote_set_default", json_output=json_output, name=name)


@remote_app.command("set-url")
def remote_set_url(
    name: str = typer.Argument(..., help="The remote."),
    url: str | None = typer.Argument(None, help="Its API base URL, e.g. https://api.baseten.co."),
    unset: bool = typer.Option(False, "--unset", help="Forget the URL (BASETEN_BASE_URL applies)."),
    json_output: bool = JsonOption,
) -> None:
    """Set (or --unset) a remote's API base URL."""
    dispatch("remote_set_url", json_output=json_output, name=name, url=url, unset=unset)


@remote_app.command("allow-proxy")
def remote_allow_proxy(
    name: str = typer.Argument(..., help="The remote."),
    host: str = typer.Argument(..., help="The proxy's host name or IP (subdomains included)."),
    remove: bool = typer.Option(False, "--remove", help="Take HOST off the allow-list."),
    json_output: bool = JsonOption,
) -> None:
    """Allow (or --remove) an SSH proxy host outside the remote's API domain."""
    dispatch("remote_allow_proxy", json_output=json_output, name=name, host=host, remove=remove)


# --- certificates (cert fetch / refresh / status / prune) ----------------------------------

cert_app = typer.Typer(
    help="The per-host certificate cache: fetch, refresh, inspect, prune. "
    "Exit codes: 0 ok, 3 bad host or key, 6 not logged in, 7 API error, 8 network, 9 locked.",
    no_args_is_help=True,
)
app.add_typer(cert_app, name="cert")


@cert_app.command("fetch")
def cert_fetch(
    host: str = typer.Argument(..., help="e.g. training-job-<job_id>-<node>.ssh.baseten.co"),
    json_output: bool = JsonOption,
) -> None:
    """Sign a new certificate for HOST now (and cache its session), even if one is valid."""
    dispatch("cert_fetch", json_output=json_output, host=host)


@cert_app.command("refresh")
def cert_refresh(
    hosts: list[str] | None = typer.Argument(None, help="Hosts (default: every cached one)."),
    force: bool = typer.Option(False, "--force", help="Re-sign even certificates still valid."),
    json_output: bool = JsonOption,
) -> None:
    """Re-sign the certificates that are expiring, expired, or for another key."""
    dispatch("cert_refresh", json_output=json_output, hosts=tuple(hosts or ()), force=force)


@cert_app.command("status")
def cert_status(json_output: bool = JsonOption) -> None:
    """List cached certificates: key id, principals, validity, time left, extensions."""
    dispatch("cert_status", json_output=json_output)


@cert_app.command("prune")
def cert_prune(json_output: bool = JsonOption) -> None:
    """Delete expired (or unreadable) certificates and their sessions."""
    dispatch("cert_prune", json_output=json_output)


# --- interactive sessions of training jobs ---------------------------------------------------


@app.command()
def session(
    target: str = typer.Argument(
        ...,
        metavar="HOST|JOB_ID",
        help="A training job id, or a host such as training-job-<job_id>-<node>.ssh.baseten.co.",
    ),
    remote: str | None = RemoteOption,
    extend: int | None = typer.Option(
        None, "--extend", min=1, metavar="MINUTES", help="Add MINUTES to each session's expiry."
    ),
    trigger: str | None = typer.Option(
        None,
        "--trigger",
        metavar="|".join(SESSION_TRIGGERS),
        help="Change when the session starts (an on_startup session keeps its trigger).",
    ),
    json_output: bool = JsonOption,
) -> None:
    """Show a training job's state and interactive sessions; extend them or change the trigger."""
    dispatch(
        "session",
        json_output=json_output,
        target=target,
        remote=remote,
        extend=extend,
        trigger=trigger,
    )


# --- connecting: ssh, code, list -------------------------------------------------------------


def _listed_jobs(incomplete: str) -> list[tuple[str, str]]:
    """Job ids for shell completion: what the last `sshsetup list` found (no API call)."""
    from sshsetup.job_cache import read_jobs
    from sshsetup.paths import Paths

    listed = read_jobs(Paths.from_environment(os.environ).job_list_file)
    return [(job_id, about) for job_id, about in listed if job_id.startswith(incomplete)]


TargetArgument = typer.Argument(
    ...,
    metavar="TARGET",
    help="A training job id, a model id with --deployment, <env>.model-<model_id>, or a host "
    "name such as training-job-<job_id>-<node>.ssh.baseten.co.",
    autocompletion=_listed_jobs,
)
NodeOption = typer.Option(None, "--node", min=0, help="A training job's node (default 0).")
DeploymentOption = typer.Option(
    None, "--deployment", metavar="DEPLOYMENT_ID", help="TARGET is a model id: this deployment."
)
ReplicaOption = typer.Option(
    None, "--replica", metavar="REPLICA", help="With --deployment: one replica of it."
)
NoWaitOption = typer.Option(
    False, "--no-wait", help="Fail at once when the job or its session is not up yet."
)
TimeoutOption = typer.Option(
    DEFAULT_TIMEOUT_SECONDS,
    "--timeout",
    min=1,
    metavar="SECONDS",
    help="How long to wait for the job and its session.",
)
ConnectConfigOption = typer.Option(
    None,
    "--config",
    help="The ssh config to check and to give ssh as -F (default: ~/.ssh/config).",
)


def _target(
    text: str, node: int | None, deployment: str | None, replica: str | None, remote: str | None
) -> Target:
    from sshsetup.targets import Target

    return Target(text, node, deployment, replica, remote)


@app.command()
def ssh(
    target: str = TargetArgument,
    ssh_args: list[str] | None = typer.Argument(
        None,
        metavar="[-- SSH_ARGS...]",
        help="After --: ssh options and the remote command, as ssh takes them after the host.",
    ),
    node: int | None = NodeOption,
    deployment: str | None = DeploymentOption,
    replica: str | None = ReplicaOption,
    remote: str | None = RemoteOption,
    config: Path | None = ConnectConfigOption,
    forward_agent: bool = typer.Option(
        False, "--forward-agent", "-A", help="Forward the agent for this connection (ssh -A)."
    ),
    no_wait: bool = NoWaitOption,
    timeout: float = TimeoutOption,
) -> None:
    """Connect: wait until the job runs and its session takes connections, then become ssh.

    Checks that the sshsetup block is installed and current first. Exit status: ssh's; before
    ssh starts, sshsetup's own (no --json: the output is ssh's).
    """
    dispatch(
        "ssh",
        config=config,
        target=_target(target, node, deployment, replica, remote),
        forward_agent=forward_agent,
        wait=not no_wait,
        timeout_seconds=timeout,
        ssh_args=tuple(ssh_args or ()),
    )


@app.command()
def code(
    target: str = TargetArgument,
    path: str | None = typer.Argument(
        None,
        metavar="[PATH]",
        help="The folder to open (default: the job's working directory, else /).",
    ),
    cursor: bool = typer.Option(False, "--cursor", help="Open it in Cursor instead of VS Code."),
    node: int | None = NodeOption,
    deployment: str | None = DeploymentOption,
    replica: str | None = ReplicaOption,
    remote: str | None = RemoteOption,
    config: Path | None = typer.Option(
        None,
        "--config",
        help="The ssh config to check (default: ~/.ssh/config; the editor reads its "
        "remote.SSH.configFile).",
    ),
    no_wait: bool = NoWaitOption,
    timeout: float = TimeoutOption,
    json_output: bool = JsonOption,
) -> None:
    """Open TARGET in VS Code (or Cursor) over Remote-SSH, after the checks and wait of ssh."""
    dispatch(
        "code",
        json_output=json_output,
        config=config,
        target=_target(target, node, deployment, replica, remote),
        path=path,
        cursor=cursor,
        wait=not no_wait,
        timeout_seconds=timeout,
    )


@app.command("list")
def list_workloads(remote: str | None = RemoteOption, json_output: bool = JsonOption) -> None:
    """Training jobs running or starting, and model deployments, with the line to connect."""
    dispatch("list_workloads", json_output=json_output, remote=remote)


# --- sandbox -------------------------------------------------------------------------------


@app.command()
def sandbox(
    home: Path | None = typer.Option(
        None, "--home", help="The HOME to prepare for trying it (default: a temporary one)."
    ),
    json_output: bool = typer.Option(
        False, "--json", help="Print one JSON object (URLs, ports, env) as the first stdout line."
    ),
    cert_validity: int = typer.Option(
        3600, "--cert-validity", min=1, help="Seconds each signed certificate is valid."
    ),
    api_latency: int = typer.Option(
        0, "--api-latency", min=0, help="Milliseconds the API waits before each answer."
    ),
) -> None:
    """Run a throwaway Baseten on loopback (API, TLS proxy, real sshd) to try the flow.

    Runs until Ctrl-C, SIGTERM, or its standard input closes.
    """
    dispatch(
        "sandbox",
        json_output=json_output,
        home=home,
        announce_json=json_output,
        cert_validity_seconds=cert_validity,
        api_latency_ms=api_latency,
    )


# --- doctor --------------------------------------------------------------------------------


@app.command()
def doctor(
    host: str | None = typer.Argument(
        None,
        help="The host to check, as you type it after ssh (default: an example training host).",
    ),
    config: Path | None = ConfigOption,
    connect: bool = typer.Option(
        False, "--connect", help="Also connect to HOST (a real one) and check the agent there."
    ),
    remote: bool = typer.Option(False, "--remote", hidden=True, help="Old name of --connect."),
    check_github: bool = typer.Option(
        False,
        "--check-github",
        help="Also ask github.com (ssh -T git@github.com) whether it accepts a key in the agent.",
    ),
    json_output: bool = JsonOption,
) -> None:
    """Say why SSH or agent forwarding fails, check by check, with the exact fix.

    Exit codes: 0 all passed, 10 warnings, 11 at least one failure.
    """
    dispatch(
        "doctor",
        json_output=json_output,
        config=config,
        host=host,
        connect=connect or remote,
        check_github=check_github,
    )


COMPLETION_VARIABLE = "_SSHSETUP_COMPLETE"  # typer's, from the program name


def main() -> None:
    keep_only_the_command_asked_for(app, sys.argv[1:], os.environ)
    # One name however it was started (console script, python -m sshsetup): usage lines and
    # the shell completion's variable use it.
    app(prog_name="sshsetup")


def keep_only_the_command_asked_for(
    program: typer.Typer, args: Sequence[str], env: Mapping[str, str]
) -> None:
    """typer builds the parser of every command on each run (about 20 ms, as much as the
    work of `status`): when the first argument names a command, only that one is built.
    The program's own --help, a mistyped name and shell completion still see them all."""
    if not args or COMPLETION_VARIABLE in env:
        return
    commands = [
        info
        for info in program.registered_commands
        if args[0]
        == (info.name or typer.main.get_command_name(getattr(info.callback, "__name__", "")))
    ]
    groups = [info for info in program.registered_groups if args[0] == info.name]
    if commands or groups:
        program.registered_commands = commands
        program.registered_groups = groups
