"""Checks of the managed block: present, current, not shadowed, alone; and whether HOST is
Baseten's."""

from collections.abc import Sequence
from pathlib import Path

from sshsetup.baseten import WORKLOADS, workload_matching
from sshsetup.check_ids import CheckId
from sshsetup.check_result import CheckResult, Status
from sshsetup.errors import SshsetupError
from sshsetup.install_state import InstallState, OtherBlock
from sshsetup.results import jsonable
from sshsetup.sshconfig.block import BlockSpec, block_directives
from sshsetup.sshconfig.keywords import CHECKED_KEYS, PROXY_COMMAND, normalised_value
from sshsetup.sshconfig.lines import split_arguments


def block_present_check(state: InstallState) -> CheckResult:
    config = str(state.config)
    block = state.block
    if block is None:
        fix = "sshsetup setup"
        if state.other_blocks:
            fix = "sshsetup setup --migrate  (takes out " + _describe(state.other_blocks) + ")"
        seen = (
            "no sshsetup block in "
            + config
            + ("" if state.config_exists else " (the file does not exist)")
        )
        return CheckResult(CheckId.BLOCK_PRESENT, Status.FAIL, seen, fix, {"config": config})
    return CheckResult(
        CheckId.BLOCK_PRESENT,
        Status.PASS,
        f"sshsetup block at {_span(state)}",
        details=jsonable(block),
    )


def unreadable_config_check(config: Path, problem: SshsetupError) -> CheckResult:
    """The config (or sshsetup's settings) cannot be read as one (a directory, unreadable,
    broken markers): said instead of the block, with the fix, and the other checks go on."""
    return CheckResult(
        CheckId.BLOCK_PRESENT,
        Status.FAIL,
        f"cannot look for the sshsetup block: {problem.message}",
        problem.hint,
        {"config": str(config)},
    )


def block_current_check(state: InstallState) -> CheckResult:
    if state.block is not None and state.block.current:
        return CheckResult(CheckId.BLOCK_CURRENT, Status.PASS, "the block is what setup writes")
    return CheckResult(
        CheckId.BLOCK_CURRENT,
        Status.WARN,
        f"the block at {_span(state)} differs from what `sshsetup setup` writes now "
        "(edited by hand, or Python or sshsetup moved)",
        "sshsetup setup  (rewrites the block; your other lines stay as they are)",
    )


def shadowing_check(state: InstallState) -> CheckResult:
    findings = list(state.findings)
    if findings:
        return CheckResult(
            CheckId.BLOCK_SHADOWING,
            Status.WARN,
            "\n".join(f"{state.config} {finding}" for finding in findings),
            "move those lines below the block, or run `sshsetup setup` to place the block "
            "above them; the effective.* checks show which of them really win",
            {"findings": findings},
        )
    return CheckResult(
        CheckId.BLOCK_SHADOWING, Status.PASS, "no line above the block sets what the block sets"
    )


def _span(state: InstallState) -> str:
    block = state.block
    lines = f" lines {block.first_line}-{block.last_line}" if block is not None else ""
    return f"{state.config}{lines}"


def other_clients_check(state: InstallState) -> CheckResult:
    """Blocks of `truss ssh setup` or `baseten ssh setup` beside sshsetup's, and which block
    serves which hosts (docs/reference-clients.md#coexisting-with-basetens-clients)."""
    others = state.other_blocks
    if not others:
        return CheckResult(
            CheckId.BLOCK_OTHER_CLIENTS,
            Status.PASS,
            "no block of `truss ssh setup` or `baseten ssh setup` in " + str(state.config),
        )
    ours = state.block.serves if state.block else ()
    lines = [
        f"{state.config}: {_describe((other,))} serves "
        + (", ".join(other.serves) or "no host (a block above it serves them all)")
        + "; its Match exec still runs on every connection to those hosts"
        for other in others
    ]
    lines.append("the sshsetup block serves " + (", ".join(ours) or "no host"))
    lost = any(other.serves for other in others)
    return CheckResult(
        CheckId.BLOCK_OTHER_CLIENTS,
        Status.FAIL if lost else Status.WARN,
        "\n".join(lines),
        f"sshsetup setup --migrate  (takes out {_describe(others)})",
        {"other_blocks": jsonable(others)},
    )


def _describe(others: Sequence[OtherBlock]) -> str:
    return " and ".join(
        f"the `{other.client}` block at lines {other.first_line}-{other.last_line}"
        for other in others
    )


def block_values(spec: BlockSpec, hostname: str) -> dict[str, str]:
    """keyword -> value as the block setup writes now sets it for ``hostname``, as ``ssh -G``
    prints it (empty: no section of the block serves that host)."""
    workload = workload_matching(hostname)
    if workload is None:
        return {}
    values = {}
    for keyword, written in block_directives(spec, workload):
        if keyword.key not in CHECKED_KEYS:
            continue
        # ProxyCommand is taken raw, the rest of the line; the others are one argument.
        value = written if keyword is PROXY_COMMAND else split_arguments(written)[0]
        values[keyword.key] = normalised_value(keyword.key, value)
    return values


def host_check(host: str, hostname: str) -> CheckResult:
    """Whether HOST (after its HostName) is one of Baseten's: the block and its certificates
    apply only then."""
    workload = workload_matching(hostname)
    details = {"hostname": hostname}
    if workload is not None:
        shown = host if host == hostname else f"{host} (HostName {hostname})"
        return CheckResult(
            CheckId.HOST_BASETEN,
            Status.PASS,
            f"{shown} is a Baseten host ({workload.host_glob})",
            details=details,
        )
    globs = " or ".join(workload.host_glob for workload in WORKLOADS)
    return CheckResult(
        CheckId.HOST_BASETEN,
        Status.WARN,
        f"{host} (HostName {hostname}) is not a Baseten host ({globs}): the sshsetup block "
        "and its certificates do not apply to it",
        "give the host as you type it after ssh, e.g. training-job-<job_id>-<node>.ssh.baseten.co",
        details,
    )
