"""Checks of the managed block: present, current, not shadowed, alone; and whether HOST is
Baseten's."""

from collections.abc import Sequence

from sshsetup import __version__
from sshsetup.baseten import WORKLOADS, workload_matching
from sshsetup.check_ids import CheckId
from sshsetup.check_result import CheckResult, Status
from sshsetup.install_state import InstallState, OtherBlock
from sshsetup.results import jsonable
from sshsetup.runtime import version_of
from sshsetup.sshconfig.block import BlockSpec, block_directives
from sshsetup.sshconfig.keywords import CHECKED_KEYS, PROXY_COMMAND, normalised_value
from sshsetup.sshconfig.lines import split_arguments


def block_checks(state: InstallState) -> list[CheckResult]:
    """Present, current, not shadowed."""
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
        missing = CheckResult(CheckId.BLOCK_PRESENT, Status.FAIL, seen, fix, {"config": config})
        return [missing, other_clients_check(state)] if state.other_blocks else [missing]
    span = f"{config} lines {block.first_line}-{block.last_line}"
    results = [
        CheckResult(
            CheckId.BLOCK_PRESENT, Status.PASS, f"sshsetup block at {span}", details=jsonable(block)
        )
    ]
    if block.current:
        results.append(
            CheckResult(CheckId.BLOCK_CURRENT, Status.PASS, "the block is what setup writes")
        )
    else:
        results.append(
            CheckResult(
                CheckId.BLOCK_CURRENT,
                Status.WARN,
                f"the block at {span} differs from what `sshsetup setup` writes now "
                "(edited by hand, or Python or sshsetup moved)",
                "sshsetup setup  (rewrites the block; your other lines stay as they are)",
            )
        )
    results.append(other_clients_check(state))
    findings = list(state.findings)
    if findings:
        results.append(
            CheckResult(
                CheckId.BLOCK_SHADOWING,
                Status.WARN,
                "\n".join(f"{config} {finding}" for finding in findings),
                "move those lines below the block, or run `sshsetup setup` to place the block "
                "above them; the effective.* checks show which of them really win",
                {"findings": findings},
            )
        )
    else:
        results.append(
            CheckResult(
                CheckId.BLOCK_SHADOWING,
                Status.PASS,
                "no line above the block sets what the block sets",
            )
        )
    return results


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


def runtime_check(state: InstallState) -> CheckResult:
    """What the block runs: the interpreter and sshsetup's runtime, both present and current
    (docs/ssh-config.md#guarding-the-connect-path-against-a-missing-python)."""
    runtime = state.runtime
    details = jsonable(runtime)
    if runtime.python is None:
        return CheckResult(
            CheckId.BLOCK_RUNTIME,
            Status.FAIL,
            "no Python outside a virtual environment to run the connect path with",
            "sshsetup setup --python /path/to/python3",
            details,
        )
    if not runtime.python_present:
        return CheckResult(
            CheckId.BLOCK_RUNTIME,
            Status.FAIL,
            f"the Python the block runs, {runtime.python}, is missing: every ssh to a Baseten "
            "host stops with sshsetup's one-line message",
            "sshsetup setup  (chooses a Python again; or sshsetup setup --python PATH)",
            details,
        )
    if runtime.version is None or not runtime.complete:
        seen = "is not installed" if runtime.version is None else "is incomplete"
        return CheckResult(
            CheckId.BLOCK_RUNTIME,
            Status.FAIL,
            f"sshsetup's runtime in {runtime.directory} {seen}: every ssh to a Baseten host "
            "stops with sshsetup's one-line message",
            "sshsetup setup  (installs it again)",
            details,
        )
    if version_of(runtime.version) != __version__:
        return CheckResult(
            CheckId.BLOCK_RUNTIME,
            Status.WARN,
            f"sshsetup's runtime in {runtime.directory} is {runtime.version}, not this "
            f"sshsetup's {__version__} (refreshing it failed)",
            "sshsetup setup",
            details,
        )
    return CheckResult(
        CheckId.BLOCK_RUNTIME,
        Status.PASS,
        f"the block runs sshsetup's runtime in {runtime.directory} ({runtime.version}) "
        f"with {runtime.python}",
        details=details,
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


def not_baseten_check(host: str, hostname: str) -> CheckResult:
    globs = " or ".join(workload.host_glob for workload in WORKLOADS)
    return CheckResult(
        CheckId.HOST_BASETEN,
        Status.WARN,
        f"{host} (HostName {hostname}) is not a Baseten host ({globs}): the sshsetup block "
        "and its certificates do not apply to it",
        "give the host as you type it after ssh, e.g. training-job-<job_id>-<node>.ssh.baseten.co",
        {"hostname": hostname},
    )
