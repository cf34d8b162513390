"""`sshsetup agent check` and `sshsetup agent add`: the local agent, checked and loaded."""

from __future__ import annotations

import functools
import os
import sys
from pathlib import Path
from typing import Any

from sshsetup.agent.protocol import AgentError
from sshsetup.checks.agent import (
    collect_agent_checks,
    locate_agent,
    public_key_fingerprint,
    query_agent,
)
from sshsetup.checks.result import CheckResult, Status, exit_code_for, render_text
from sshsetup.errors import UserError
from sshsetup.exit_codes import ExitCode
from sshsetup.openssh import EXAMPLE_HOSTS, config_arguments, effective_settings, find_openssh
from sshsetup.output import colour_enabled, emit_result
from sshsetup.paths import Paths
from sshsetup.platforms import Platform, current_platform, platform_for, run_command

SSH_ADD_TIMEOUT_SECONDS = 300.0  # ssh-add may wait for a passphrase typed on the terminal


def evaluate_config(paths: Paths, host: str) -> tuple[dict[str, list[str]], CheckResult | None]:
    """``ssh -G host`` as keyword -> values, or a warning saying why it is not known."""
    openssh = find_openssh()
    if openssh is None:
        warning = CheckResult(
            "agent.ssh_config",
            Status.WARN,
            "no ssh on PATH: IdentityAgent and IdentitiesOnly from the config are unknown",
            "install the OpenSSH client",
        )
        return {}, warning
    result = openssh.run("-G", *config_arguments(paths.ssh_config), host)
    if not result.ok:
        warning = CheckResult(
            "agent.ssh_config",
            Status.WARN,
            f"ssh -G {host} failed ({result.first_error}): "
            "IdentityAgent from the config is unknown",
            "run `sshsetup doctor` to see why ssh rejects the config",
        )
        return {}, warning
    return effective_settings(result.stdout), None


def run_check(
    paths: Paths, host: str | None, json_output: bool, platform: Platform | None = None
) -> int:
    platform = platform or current_platform()
    target = host or EXAMPLE_HOSTS[0]
    effective, warning = evaluate_config(paths, target)
    results = ([warning] if warning else []) + collect_agent_checks(platform, paths, effective)
    code = exit_code_for(results)
    report = {
        "host": target,
        "platform": platform.name,
        "status": {ExitCode.OK: "pass", ExitCode.CHECK_WARN: "warn"}.get(code, "fail"),
        "checks": [result.to_dict() for result in results],
    }
    emit_result(report, json_output, render_text(results, colour_enabled(sys.stdout)))
    return int(code)


def run_add(
    paths: Paths, key: Path | None, json_output: bool, platform: Platform | None = None
) -> int:
    if platform is None:
        runner = functools.partial(run_command, timeout=SSH_ADD_TIMEOUT_SECONDS)
        platform = platform_for(current_platform().name, runner, os.environ)
    key_file = Path(key).expanduser() if key else paths.key_file
    if not key_file.is_file():
        raise UserError(
            f"{key_file} does not exist or is not a file",
            "run `sshsetup setup` to create sshsetup's key, "
            "or name a key: sshsetup agent add ~/.ssh/id_ed25519",
        )
    location = locate_agent({}, platform.env, platform)
    if location.address is None:
        raise UserError(
            f"no agent to add {key_file} to: {location.problem}",
            platform.no_agent_fix(platform.candidate_agent_sockets()),
            ExitCode.CHECK_FAIL,
        )
    argv = platform.ssh_add_argv(key_file)
    result = platform.runner(argv)
    output = (result.stderr + result.stdout).strip()
    if result.returncode != 0:
        first = (
            output.splitlines()[-1] if output else f"ssh-add exited with status {result.returncode}"
        )
        problem = platform.private_key_problem(key_file)
        hint = (
            problem.fix
            if problem
            else "run `sshsetup agent check` to see what is wrong with the agent"
        )
        raise UserError(f"ssh-add could not load {key_file}: {first}", hint, ExitCode.CHECK_FAIL)
    fingerprint = public_key_fingerprint(key_file.with_name(key_file.name + ".pub"))
    try:
        listed = [
            identity.public_key_fingerprint for identity in query_agent(location.address, platform)
        ]
    except AgentError as error:
        raise UserError(
            f"ssh-add loaded {key_file}, but the agent at {location.address} "
            f"cannot be listed: {error.message}",
            "run `sshsetup agent check`",
            ExitCode.CHECK_FAIL,
        ) from None
    verified = fingerprint is not None and fingerprint in listed
    report: dict[str, Any] = {
        "key": str(key_file),
        "command": argv,
        "ssh_add_output": output,
        "agent": location.address,
        "fingerprint": fingerprint,
        "listed": verified,
    }
    human = f"{output}\n" if output else ""
    if verified:
        human += f"the agent at {location.address} now lists {key_file} ({fingerprint})"
    else:
        shown = fingerprint or "no .pub beside it"
        human += f"ssh-add succeeded but {key_file} ({shown}) is not listed by the agent"
    emit_result(report, json_output, human)
    return int(ExitCode.OK if verified else ExitCode.CHECK_FAIL)
