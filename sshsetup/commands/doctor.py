"""`sshsetup doctor [HOST] [--connect] [--check-github] [--json]`: every check, each after the
checks it needs (sshsetup.checks.graph), so that the first FAIL is the one to fix.

Which config ssh reads and whether it accepts it, the managed block and what it runs, the
effective settings for HOST (with the file and line that set each one), the certificate, the
credential and whether the API takes it, the workload's state, then the agent checks and the
key the user uses for git. Evaluating the config never signs anything (``OpenSSH.run`` sets
SSHSETUP_NO_FETCH=1); the API calls are read-only and share one deadline
(``SSHSETUP_API_TIMEOUT``); only ``--connect``, which connects for real, goes through the
connect path like any ssh. A broken input doctor can describe (a config that is a directory,
a bad API URL) is a FAIL line, and the checks go on.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from sshsetup.baseten import (
    EXAMPLE_HOSTS,
    HostName,
    HostNameError,
    check_characters,
    parse_host,
    workload_matching,
)
from sshsetup.check_ids import EFFECTIVE_CHECK_IDS, CheckId
from sshsetup.check_result import CheckResult, ChecksReport, Status, report
from sshsetup.checks.agent import collect_agent_checks
from sshsetup.checks.api import api_checks
from sshsetup.checks.block import (
    block_current_check,
    block_present_check,
    block_values,
    host_check,
    other_clients_check,
    shadowing_check,
    unreadable_config_check,
)
from sshsetup.checks.certificate import certificate_checks, certificate_permits_forwarding
from sshsetup.checks.config import (
    config_accepted_check,
    config_target_check,
    openssh_check,
    read_config_lines,
    use_keychain_check,
)
from sshsetup.checks.credentials import api_key_check
from sshsetup.checks.effective import BlockSpan, effective_checks, forwarding_on
from sshsetup.checks.git_keys import git_keys, github_check
from sshsetup.checks.graph import CERTIFICATE_CHECKS, CheckRun
from sshsetup.checks.proxy import proxy_check
from sshsetup.checks.remote import REMOTE_COMMAND, RemoteProbe, remote_checks
from sshsetup.checks.runtime import connect_runtime_check
from sshsetup.checks.workload import asks_about, workload_check
from sshsetup.connect.api import SigningClient, client_version_from_env, timeout_from_env
from sshsetup.connect.certfile import CertificateError, parse_certificate
from sshsetup.connect.credentials import look_up
from sshsetup.connect.environment import NO_FETCH_ENV
from sshsetup.connect.http import Deadline
from sshsetup.connect.remotes import api_base_url, remote_for_host
from sshsetup.connect.settings import Settings, load_settings
from sshsetup.context import Context
from sshsetup.errors import SshsetupError, UsageError
from sshsetup.install_state import InstallState, read_install_state
from sshsetup.interpreter import Interpreter
from sshsetup.openssh import OpenSSH, config_arguments, effective_settings
from sshsetup.process import run_command
from sshsetup.results import Outcome
from sshsetup.setup_plan import block_spec, installation_for
from sshsetup.sshconfig.origin import SYSTEM_CONFIG, Origin, first_setting

REMOTE_TIMEOUT_SECONDS = 45.0
CONNECT_TIMEOUT_SECONDS = 15
CONNECT_OPTION = "--connect"
BLOCK_DEPENDENTS = (
    CheckId.CONNECT_RUNTIME,
    CheckId.BLOCK_CURRENT,
    CheckId.BLOCK_OTHER_CLIENTS,
    CheckId.BLOCK_SHADOWING,
)


@dataclass(frozen=True)
class Request:
    host: str | None = None
    connect: bool = False  # also connect to HOST and look at the remote side
    check_github: bool = False  # also prove github.com accepts a key the agent holds


def run(ctx: Context, request: Request) -> Outcome[ChecksReport]:
    if request.connect and (request.host is None or request.host in EXAMPLE_HOSTS):
        given = f"{request.host} is an example, not a workload" if request.host else "no HOST"
        raise UsageError(
            f"doctor {CONNECT_OPTION} connects for real, and there is nothing to connect to: "
            f"{given}",
            hint=f"give the host you ssh to: sshsetup doctor "
            f"training-job-<job_id>-<node>.ssh.baseten.co {CONNECT_OPTION}",
        )
    host = request.host or EXAMPLE_HOSTS[0]
    check_characters(host)
    checks = _Doctor(ctx, host).collect(time.time(), request.connect, request.check_github)
    return report(host, ctx.platform.name, checks, doctor=True, remote=request.connect)


def collect(ctx: Context, host: str, now: float) -> list[CheckResult]:
    """The checks doctor runs without connecting, in report order."""
    return _Doctor(ctx, host).collect(now, connect=False, check_github=False)


class _Doctor:
    """One run of doctor for one host: the checks in order, each skipped when a check it
    needs failed (``CheckRun``), and what later checks use of earlier ones."""

    def __init__(self, ctx: Context, host: str) -> None:
        self.ctx = ctx
        self.host = host
        self.run = CheckRun()
        self.settings = _settings(ctx)
        self.installation = installation_for(ctx.paths, self.settings)
        self.effective: dict[str, list[str]] = {}
        self.state: InstallState | None = None
        self.client: SigningClient | None = None

    @property
    def target(self) -> str:
        """HOST after its HostName (as typed when ssh could not say)."""
        return (self.effective.get("hostname") or [self.host])[0].lower()

    @property
    def parsed(self) -> HostName | None:
        try:
            return parse_host(self.target)
        except HostNameError:
            return None

    def collect(self, now: float, connect: bool, check_github: bool) -> list[CheckResult]:
        ctx, run = self.ctx, self.run
        openssh = ctx.openssh
        version = openssh.version() if openssh else ""
        run.add(openssh_check(openssh, version))
        run.add(config_target_check(ctx.paths, self.host))
        run.step(
            [CheckId.CONFIG_ACCEPTED, CheckId.CONFIG_USE_KEYCHAIN], lambda: self._config(version)
        )
        self._block()
        run.step(self._effective_ids(), self._effective)
        run.step([CheckId.HOST_BASETEN], lambda: [host_check(self.host, self.target)])
        if workload_matching(self.target) is not None:
            run.step(
                [CheckId.CERTIFICATE_PRESENT, *CERTIFICATE_CHECKS], lambda: self._certificate(now)
            )
        self._api()
        git = git_keys(openssh, ctx.paths)
        collect_agent_checks(run, ctx.platform, ctx.paths, self.effective, git)
        if check_github:
            run.step(
                [CheckId.AGENT_GITHUB],
                lambda: [github_check(openssh, ctx.paths, ctx.platform, git)],
            )
        if connect:
            self._connect()
        return run.results()

    def _config(self, version: str) -> list[CheckResult]:
        openssh, paths = self.ctx.openssh, self.ctx.paths
        assert openssh is not None  # config.* need openssh.client
        evaluated = openssh.run("-G", *config_arguments(paths), self.host)
        if evaluated.ok:
            self.effective = effective_settings(evaluated.stdout)
        understands = evaluated.ok and openssh.understands_use_keychain()
        return [
            config_accepted_check(evaluated, self.host, paths.ssh_config),
            use_keychain_check(evaluated, understands, version, read_config_lines),
        ]

    def _block(self) -> None:
        run = self.run
        try:
            self.state = read_install_state(self.ctx)
        except SshsetupError as exc:  # the config cannot be read as one: say so, go on
            run.add(unreadable_config_check(self.ctx.paths.ssh_config, exc))
            run.step(BLOCK_DEPENDENTS, list)  # each a SKIP: needs block.present
            return
        state = self.state
        run.step([CheckId.BLOCK_PRESENT], lambda: [block_present_check(state)])
        run.step(
            [CheckId.CONNECT_RUNTIME],
            lambda: [connect_runtime_check(state.runtime, self.settings.python, self.ctx.env)],
        )
        run.step([CheckId.BLOCK_CURRENT], lambda: [block_current_check(state)])
        run.step([CheckId.BLOCK_OTHER_CLIENTS], lambda: [other_clients_check(state)])
        run.step([CheckId.BLOCK_SHADOWING], lambda: [shadowing_check(state)])

    def _effective_ids(self) -> tuple[CheckId, ...]:
        """The effective.* checks this machine reports (effective.usekeychain only where
        UseKeychain is asked for or in effect), so a SKIP names no check that never runs."""
        if self.settings.options.use_keychain or "usekeychain" in self.effective:
            return EFFECTIVE_CHECK_IDS
        return tuple(i for i in EFFECTIVE_CHECK_IDS if i is not CheckId.EFFECTIVE_USEKEYCHAIN)

    def _effective(self) -> list[CheckResult]:
        ctx, paths, state = self.ctx, self.ctx.paths, self.state
        python = state.runtime.python if state else None
        if not self.effective or state is None or python is None:
            return []
        block = state.block
        span = BlockSpan(paths.ssh_config, block.first_line, block.last_line) if block else None
        system_config = None if config_arguments(paths) else SYSTEM_CONFIG
        # The block as setup writes it with the interpreter it recorded.
        spec = block_spec(
            ctx, self.settings, self.settings.options, Interpreter(python, "recorded")
        )

        def origin_of(keyword: str) -> Origin | None:
            return first_setting(
                keyword, self.host, paths.ssh_config, paths.ssh_home, system_config
            )

        expected = block_values(spec, self.target)
        return effective_checks(self.host, self.effective, expected, origin_of, span)

    def _certificate(self, now: float) -> list[CheckResult]:
        forwarding = forwarding_on(self.effective) or self.settings.options.forward_agent
        return certificate_checks(
            self.target,
            Path(self.installation.cert_file(self.target)),
            Path(self.installation.public_key_file),
            now,
            forwarding,
        )

    def _api(self) -> None:
        """The credential, whether the API answers and takes it (one deadline for every
        request doctor makes), and the workload's state."""
        ctx, run, parsed = self.ctx, self.run, self.parsed
        paths = ctx.paths
        try:
            remote = remote_for_host(parsed.remote if parsed else None, paths.settings_file)
        except SshsetupError as exc:  # the settings cannot be read: no remote to look up
            run.add(CheckResult(CheckId.CREDENTIALS_API_KEY, Status.FAIL, exc.message, exc.hint))
            run.step([CheckId.API_CREDENTIALS, CheckId.WORKLOAD_STATE], list)
            return
        credential, source = look_up(remote, paths.credential_files, ctx.env)
        run.add(api_key_check(source))
        try:
            timeout = timeout_from_env(ctx.env)
            base_url = api_base_url(
                remote,
                parsed.api_prefix if parsed else None,
                paths.settings_file,
                ctx.env,
                credential.api_base_url if credential else None,
            )
            version = client_version_from_env(ctx.env)
        except SshsetupError as exc:
            unusable = CheckResult(CheckId.API_REACHABLE, Status.FAIL, exc.message, exc.hint)
            run.step([CheckId.API_REACHABLE, CheckId.API_CREDENTIALS], lambda: [unusable])
            return
        deadline = Deadline(timeout)
        if credential is not None:
            self.client = SigningClient(base_url, credential, remote, timeout, version)
            self.client.deadline = deadline
        run.step(
            [CheckId.API_REACHABLE, CheckId.API_CREDENTIALS],
            lambda: api_checks(base_url, self.client, deadline),
        )
        client = self.client
        if parsed is not None and asks_about(parsed) and client is not None:
            run.step([CheckId.WORKLOAD_STATE], lambda: [workload_check(client, parsed)])

    def _connect(self) -> None:
        run, parsed = self.run, self.parsed
        if parsed is not None:
            run.step(
                [CheckId.PROXY_ACCEPTS],
                lambda: [proxy_check(self.installation, parsed, self.ctx.env)],
            )
        run.step([CheckId.REMOTE_CONNECT, CheckId.REMOTE_AGENT_FORWARDING], self._remote)

    def _remote(self) -> list[CheckResult]:
        openssh = self.ctx.openssh
        if openssh is None:
            return [
                CheckResult(
                    CheckId.REMOTE_CONNECT,
                    Status.FAIL,
                    "no ssh on PATH to connect with",
                    "install the OpenSSH client",
                )
            ]
        probe = probe_remote(openssh, self.ctx, self.host)
        cert_file = Path(self.installation.cert_file(self.target))
        return remote_checks(
            self.host,
            probe,
            self.run.results(),
            forwarding_on(self.effective),
            _permits(cert_file),
        )


def _settings(ctx: Context) -> Settings:
    try:
        return load_settings(ctx.paths.settings_file)
    except SshsetupError:  # read_install_state meets it again: block.present says it
        return Settings()


def probe_remote(openssh: OpenSSH, ctx: Context, host: str) -> RemoteProbe:
    """Connect for real (the user's own config; no -A: what the user's ssh does)."""
    argv = [
        openssh.executable,
        *config_arguments(ctx.paths),
        "-T",
        "-o", "BatchMode=yes",
        "-o", f"ConnectTimeout={CONNECT_TIMEOUT_SECONDS}",
        host,
        REMOTE_COMMAND,
    ]  # fmt: skip
    env: Mapping[str, str] = {
        name: value for name, value in openssh.env.items() if name != NO_FETCH_ENV
    }
    result = run_command(argv, REMOTE_TIMEOUT_SECONDS, env)
    return RemoteProbe(result.returncode, result.stdout, result.stderr)


def _permits(cert_file: Path) -> bool | None:
    """Read after connecting: the connection may just have fetched the certificate."""
    try:
        return certificate_permits_forwarding(parse_certificate(cert_file.read_bytes()))
    except (OSError, CertificateError):
        return None
