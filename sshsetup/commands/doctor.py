"""`sshsetup doctor [HOST] [--json] [--remote]`: every check, in the order ssh needs them.

OpenSSH and the config, the managed block, the effective settings for HOST (with the
file and line that set each one), the certificate, the credential, the workload's state,
then the agent checks. Evaluating the config never signs anything (``OpenSSH.run`` sets
SSHSETUP_NO_FETCH=1); the workload's state is read-only (the job search, the environment
lookup); only ``--remote``, which connects for real, goes through the connect path like any ssh.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
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
from sshsetup.check_ids import CheckId
from sshsetup.check_result import CheckResult, ChecksReport, Status, report
from sshsetup.checks.agent import collect_agent_checks
from sshsetup.checks.block import block_checks, block_values, not_baseten_check, runtime_check
from sshsetup.checks.certificate import certificate_checks, certificate_permits_forwarding
from sshsetup.checks.config import (
    config_accepted_check,
    openssh_check,
    read_config_lines,
    use_keychain_check,
)
from sshsetup.checks.credentials import api_key_check
from sshsetup.checks.effective import BlockSpan, effective_checks, forwarding_on
from sshsetup.checks.remote import REMOTE_COMMAND, RemoteProbe, remote_checks
from sshsetup.checks.workload import workload_check
from sshsetup.connect.certfile import CertificateError, parse_certificate
from sshsetup.connect.credentials import api_key_source
from sshsetup.connect.environment import NO_FETCH_ENV
from sshsetup.connect.remotes import remote_for_host
from sshsetup.connect.settings import load_settings
from sshsetup.context import Context
from sshsetup.install_state import read_install_state
from sshsetup.interpreter import Interpreter
from sshsetup.openssh import OpenSSH, config_arguments, effective_settings
from sshsetup.paths import config_note
from sshsetup.process import run_command
from sshsetup.results import Outcome
from sshsetup.setup_plan import block_spec, installation_for
from sshsetup.sshconfig.origin import SYSTEM_CONFIG, Origin, first_setting

REMOTE_TIMEOUT_SECONDS = 45.0
CONNECT_TIMEOUT_SECONDS = 15


@dataclass(frozen=True)
class Request:
    host: str | None = None
    connect: bool = False  # also connect to HOST and look at the remote side


def run(ctx: Context, request: Request) -> Outcome[ChecksReport]:
    host = request.host or EXAMPLE_HOSTS[0]
    check_characters(host)
    checks, effective = collect(ctx, host, time.time())
    if request.connect:
        checks.extend(_remote_results(ctx, host, effective, checks))
    return report(host, ctx.platform.name, checks, doctor=True, remote=request.connect)


def collect(ctx: Context, host: str, now: float) -> tuple[list[CheckResult], dict[str, list[str]]]:
    """The checks, and ``ssh -G HOST`` as keyword -> values (empty when ssh rejected it)."""
    paths = ctx.paths
    settings = load_settings(paths.settings_file)
    openssh = ctx.openssh
    version = openssh.version() if openssh else ""
    results = [openssh_check(openssh, version)]
    effective: dict[str, list[str]] = {}
    if openssh is not None:
        evaluated = openssh.run("-G", *config_arguments(paths), host)
        results.append(config_accepted_check(evaluated, host, paths.ssh_config, config_note(paths)))
        understands = evaluated.ok and openssh.understands_use_keychain()
        results.append(use_keychain_check(evaluated, understands, version, read_config_lines))
        if evaluated.ok:
            effective = effective_settings(evaluated.stdout)
    state = read_install_state(ctx)
    results.extend(block_checks(state))
    if state.block is not None:
        results.append(runtime_check(state))
    target = (effective.get("hostname") or [host])[0].lower()
    python = state.runtime.python  # the one the block was written with, as setup recorded it
    if effective and python is not None:
        block = state.block
        span = BlockSpan(paths.ssh_config, block.first_line, block.last_line) if block else None
        system_config = None if config_arguments(paths) else SYSTEM_CONFIG
        interpreter = Interpreter(python, "recorded")
        spec = block_spec(ctx, settings, settings.options, interpreter)

        def origin_of(keyword: str) -> Origin | None:
            return first_setting(keyword, host, paths.ssh_config, paths.ssh_home, system_config)

        expected = block_values(spec, target)
        results.extend(effective_checks(host, effective, expected, origin_of, span))
    forwarding = forwarding_on(effective) or settings.options.forward_agent
    installation = installation_for(paths, settings)
    if workload_matching(target) is None:
        results.append(not_baseten_check(host, target))
    else:
        results.extend(
            certificate_checks(
                target,
                Path(installation.cert_file(target)),
                Path(installation.public_key_file),
                now,
                forwarding,
            )
        )
    try:
        parsed: HostName | None = parse_host(target)
    except HostNameError:
        parsed = None
    remote = remote_for_host(parsed.remote if parsed else None, paths.settings_file)
    results.append(api_key_check(api_key_source(remote, paths.credential_files, ctx.env)))
    workload = workload_check(installation, parsed, ctx.env) if parsed else None
    if workload is not None:
        results.append(workload)
    results.extend(collect_agent_checks(ctx.platform, paths, effective))
    return results, effective


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
    env = {name: value for name, value in openssh.env.items() if name != NO_FETCH_ENV}
    result = run_command(argv, REMOTE_TIMEOUT_SECONDS, env)
    return RemoteProbe(result.returncode, result.stdout, result.stderr)


def _remote_results(
    ctx: Context,
    host: str,
    effective: Mapping[str, list[str]],
    local: Sequence[CheckResult],
) -> list[CheckResult]:
    openssh = ctx.openssh
    if openssh is None:
        return [
            CheckResult(
                CheckId.REMOTE_CONNECT,
                Status.FAIL,
                "no ssh on PATH to connect with",
                "install the OpenSSH client",
            )
        ]
    probe = probe_remote(openssh, ctx, host)
    target = (effective.get("hostname") or [host])[0].lower()
    settings = load_settings(ctx.paths.settings_file)
    cert_file = Path(installation_for(ctx.paths, settings).cert_file(target))
    return remote_checks(host, probe, local, forwarding_on(effective), _permits(cert_file))


def _permits(cert_file: Path) -> bool | None:
    """Read after connecting: the connection may just have fetched the certificate."""
    try:
        return certificate_permits_forwarding(parse_certificate(cert_file.read_bytes()))
    except (OSError, CertificateError):
        return None
