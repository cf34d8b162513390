"""`sshsetup doctor [HOST] [--json] [--remote]`: every check, in the order ssh needs them.

OpenSSH and the config, the managed block, the effective settings for HOST (with the
file and line that set each one), the certificate, the API key, then the agent checks.
Evaluating the config never signs anything (``OpenSSH.run`` sets SSHSETUP_NO_FETCH=1);
only ``--remote``, which connects for real, goes through the connect path like any ssh.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from sshsetup.baseten import HostNameError, check_characters, parse_host
from sshsetup.block_plan import block_spec, key_file_for
from sshsetup.checks.agent import collect_agent_checks
from sshsetup.checks.doctor import (
    REMOTE_COMMAND,
    BlockSpan,
    RemoteProbe,
    api_key_check,
    block_checks,
    block_values,
    certificate_checks,
    certificate_permits_forwarding,
    config_accepted_check,
    effective_checks,
    forwarding_on,
    not_baseten_check,
    openssh_check,
    read_config_lines,
    remote_checks,
    use_keychain_check,
    workload_for,
)
from sshsetup.checks.result import CheckResult, Status, exit_code_for, render_text
from sshsetup.commands.status import collect_status
from sshsetup.connect.certfile import CertificateError, parse_certificate
from sshsetup.errors import UserError
from sshsetup.exit_codes import ExitCode
from sshsetup.openssh import (
    EXAMPLE_HOSTS,
    NO_FETCH_ENV,
    OpenSSH,
    config_arguments,
    effective_settings,
    find_openssh,
)
from sshsetup.output import colour_enabled, emit_result
from sshsetup.paths import Paths
from sshsetup.platforms import Platform, current_platform
from sshsetup.process import run_command
from sshsetup.settings import load_settings
from sshsetup.sshconfig.origin import SYSTEM_CONFIG, Origin, first_setting

REMOTE_TIMEOUT_SECONDS = 45.0
CONNECT_TIMEOUT_SECONDS = 15


def collect_doctor_checks(
    paths: Paths,
    host: str,
    platform: Platform,
    env: Mapping[str, str],
    openssh: OpenSSH | None,
    now: float | None = None,
) -> list[CheckResult]:
    return _collect(paths, host, platform, env, openssh, now)[0]


def _collect(
    paths: Paths,
    host: str,
    platform: Platform,
    env: Mapping[str, str],
    openssh: OpenSSH | None,
    now: float | None = None,
) -> tuple[list[CheckResult], dict[str, list[str]]]:
    """The checks, and ``ssh -G HOST`` as keyword -> values (empty when ssh rejected it)."""
    now = time.time() if now is None else now
    settings = load_settings(paths.settings_file)
    version = openssh.version() if openssh else ""
    results = [openssh_check(openssh, version)]
    effective: dict[str, list[str]] = {}
    if openssh is not None:
        config_args = config_arguments(paths.ssh_config)
        evaluated = openssh.run("-G", *config_args, host)
        results.append(config_accepted_check(evaluated, host, paths.ssh_config))
        understands = evaluated.ok and openssh.understands_use_keychain()
        results.append(use_keychain_check(evaluated, understands, version, read_config_lines))
        if evaluated.ok:
            effective = effective_settings(evaluated.stdout)
    status = collect_status(paths)
    results.extend(block_checks(status))
    target = (effective.get("hostname") or [host])[0].lower()
    if effective:
        block = status["block"]
        span = (
            BlockSpan(paths.ssh_config, block["first_line"], block["last_line"]) if block else None
        )
        system_config = None if config_arguments(paths.ssh_config) else SYSTEM_CONFIG
        expected = block_values(block_spec(paths, settings, settings.options), target)

        def origin_of(keyword: str) -> Origin | None:
            return first_setting(keyword, host, paths.ssh_config, paths.home, system_config)

        results.extend(effective_checks(host, effective, expected, origin_of, span))
    forwarding = forwarding_on(effective) or settings.options.forward_agent
    key_file = key_file_for(paths, settings)
    public_key = key_file.with_name(key_file.name + ".pub")
    if workload_for(target) is None:
        results.append(not_baseten_check(host, target))
    else:
        results.extend(
            certificate_checks(
                target, paths.cert_dir / f"{target}-cert.pub", public_key, now, forwarding
            )
        )
    results.append(_api_key_result(target, paths, env))
    results.extend(collect_agent_checks(platform, paths, effective))
    return results, effective


def _api_key_result(host: str, paths: Paths, env: Mapping[str, str]) -> CheckResult:
    from sshsetup.connect.credentials import api_key_source
    from sshsetup.connect.remotes import remote_for_host

    try:
        host_remote = parse_host(host).remote
    except HostNameError:
        host_remote = None
    remote = remote_for_host(host_remote, paths, env)
    return api_key_check(remote, api_key_source(remote, paths, env))


def probe_remote(openssh: OpenSSH, paths: Paths, host: str) -> RemoteProbe:
    """Connect for real (the user's own config; no -A: what the user's ssh does)."""
    argv = [
        openssh.executable,
        *config_arguments(paths.ssh_config),
        "-T",
        "-o", "BatchMode=yes",
        "-o", f"ConnectTimeout={CONNECT_TIMEOUT_SECONDS}",
        host,
        REMOTE_COMMAND,
    ]  # fmt: skip
    env = {name: value for name, value in openssh.env.items() if name != NO_FETCH_ENV}
    result = run_command(argv, REMOTE_TIMEOUT_SECONDS, env)
    return RemoteProbe(result.returncode, result.stdout, result.stderr)


def _certificate_permits(cert_file: Path) -> bool | None:
    """Read after connecting: the connection may just have fetched the certificate."""
    try:
        return certificate_permits_forwarding(parse_certificate(cert_file.read_bytes()))
    except (OSError, CertificateError):
        return None


def run(
    paths: Paths,
    host: str | None,
    json_output: bool,
    remote: bool = False,
    platform: Platform | None = None,
    env: Mapping[str, str] | None = None,
) -> int:
    env = os.environ if env is None else env
    platform = platform or current_platform(env)
    target = host or EXAMPLE_HOSTS[0]
    try:
        check_characters(target)
    except HostNameError as exc:
        raise UserError(exc.message, hint="give a host name as you type it after `ssh`") from None
    openssh = find_openssh(env)
    results, effective = _collect(paths, target, platform, env, openssh)
    if remote:
        results.extend(_remote_results(paths, target, openssh, effective, results))
    code = exit_code_for(results)
    report: dict[str, Any] = {
        "host": target,
        "platform": platform.name,
        "remote": remote,
        "status": {ExitCode.OK: "pass", ExitCode.CHECK_WARN: "warn"}.get(code, "fail"),
        "summary": _counts(results),
        "checks": [result.to_dict() for result in results],
    }
    emit_result(report, json_output, _human(target, results))
    return int(code)


def _remote_results(
    paths: Paths,
    host: str,
    openssh: OpenSSH | None,
    effective: Mapping[str, list[str]],
    local: Sequence[CheckResult],
) -> list[CheckResult]:
    if openssh is None:
        return [
            CheckResult(
                "remote.connect",
                Status.FAIL,
                "no ssh on PATH to connect with",
                "install the OpenSSH client",
            )
        ]
    probe = probe_remote(openssh, paths, host)
    target = (effective.get("hostname") or [host])[0].lower()
    permits = _certificate_permits(paths.cert_dir / f"{target}-cert.pub")
    return remote_checks(host, probe, local, forwarding_on(effective), permits)


def _counts(results: Sequence[CheckResult]) -> dict[str, int]:
    return {status.value: sum(1 for r in results if r.status is status) for status in Status}


def _human(host: str, results: Sequence[CheckResult]) -> str:
    counts = _counts(results)
    summary = (
        f"doctor for {host}: {counts['pass']} passed, {counts['warn']} warning(s), "
        f"{counts['fail']} failed"
    )
    return render_text(results, colour_enabled(sys.stdout)) + "\n\n" + summary
