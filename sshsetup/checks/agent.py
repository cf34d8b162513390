"""The agent checks as data: where ssh finds its agent, whether it answers, what it holds,
whether the keys on disk are usable. Each check yields a ``CheckResult`` with a stable id.

``collect_agent_checks`` is the entry point (``sshsetup agent check`` and ``doctor`` use it).
The OS, the environment, the command runner and the effective config (``ssh -G`` output) are
all passed in; nothing here looks them up.
"""

from __future__ import annotations

import re
import socket
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sshsetup.agent.keys import public_key_fingerprint
from sshsetup.agent.protocol import (
    DEFAULT_TIMEOUT_SECONDS,
    AgentError,
    Identity,
    is_windows_pipe,
    list_identities,
    parse_ssh_add_list,
)
from sshsetup.check_ids import CheckId
from sshsetup.check_result import CheckResult, Status
from sshsetup.checks.git_keys import GitKey, load_fix
from sshsetup.checks.graph import CheckRun
from sshsetup.paths import Paths
from sshsetup.platforms.base import Platform, agent_kind

# sshd's MaxAuthTries is 6; more keys than this risk the cut-off
# (docs/ssh-config.md#identitiesonly-and-too-many-authentication-failures).
TOO_MANY_KEYS = 5
_ENV_REFERENCE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")


@dataclass(frozen=True)
class AgentLocation:
    """Where ssh will look for its agent. ``address`` None: nowhere (see ``problem``)."""

    address: str | None
    source: str  # IdentityAgent, SSH_AUTH_SOCK, the Windows default pipe, or nothing
    problem: str | None = None


def _first(effective: Mapping[str, list[str]], keyword: str) -> str | None:
    values = effective.get(keyword)
    return values[0] if values else None


def expand_identity_agent(
    value: str, env: Mapping[str, str], home: Path
) -> tuple[str | None, str | None]:
    """(path, problem) for an IdentityAgent value as ssh expands it (``~``, ``${VAR}``)."""
    missing = [name for name in _ENV_REFERENCE.findall(value) if name not in env]
    if missing:
        return None, f"IdentityAgent {value} names ${{{missing[0]}}}, which is not set"
    expanded = _ENV_REFERENCE.sub(lambda match: env[match.group(1)], value)
    if expanded == "~" or expanded.startswith("~/"):
        expanded = str(home) + expanded[1:]
    return expanded, None


def locate_agent(
    effective: Mapping[str, list[str]], env: Mapping[str, str], platform: Platform
) -> AgentLocation:
    """IdentityAgent first, then SSH_AUTH_SOCK, then the OS default
    (docs/agent.md#finding-the-agent-socket)."""
    identity_agent = _first(effective, "identityagent")
    if identity_agent and identity_agent != "SSH_AUTH_SOCK":
        if identity_agent.lower() == "none":
            return AgentLocation(None, "IdentityAgent", "IdentityAgent none turns the agent off")
        if identity_agent.startswith("$") and not identity_agent.startswith("${"):
            name = identity_agent[1:]
            if not env.get(name):
                return AgentLocation(
                    None, "IdentityAgent", f"IdentityAgent {identity_agent}: {name} is not set"
                )
            return AgentLocation(env[name], f"IdentityAgent {identity_agent}")
        path, problem = expand_identity_agent(identity_agent, env, platform.home)
        return AgentLocation(path, "IdentityAgent", problem)
    if env.get("SSH_AUTH_SOCK"):
        return AgentLocation(env["SSH_AUTH_SOCK"], "SSH_AUTH_SOCK")
    fallback = platform.agent_fallback()
    if fallback:
        return AgentLocation(fallback, "the Windows default pipe (SSH_AUTH_SOCK unset)")
    return AgentLocation(None, "nothing", "SSH_AUTH_SOCK is not set and no IdentityAgent applies")


def location_check(location: AgentLocation, platform: Platform) -> CheckResult:
    if location.address is None:
        candidates = platform.candidate_agent_sockets()
        if location.problem and location.problem.startswith("IdentityAgent none"):
            fix = "remove `IdentityAgent none` for this host from your ssh config"
        elif location.problem and location.problem.startswith("IdentityAgent"):
            fix = "set the variable IdentityAgent names, or change IdentityAgent in your ssh config"
        else:
            fix = platform.no_agent_fix(candidates)
        return CheckResult(
            CheckId.AGENT_LOCATION,
            Status.FAIL,
            f"no agent configured: {location.problem}",
            fix,
            {"address": None, "source": location.source, "candidates": candidates},
        )
    kind = agent_kind(location.address)
    return CheckResult(
        CheckId.AGENT_LOCATION,
        Status.PASS,
        f"ssh uses the agent at {location.address} (from {location.source}; {kind})",
        details={"address": location.address, "source": location.source, "kind": kind},
    )


def query_agent(
    address: str, platform: Platform, timeout: float = DEFAULT_TIMEOUT_SECONDS
) -> list[Identity]:
    """The agent protocol directly; ``ssh-add -l`` only where a Unix socket cannot be opened."""
    if is_windows_pipe(address) or hasattr(socket, "AF_UNIX"):
        return list_identities(address, timeout)
    result = platform.runner(["ssh-add", "-l"])
    return parse_ssh_add_list(*result)


def _unreachable_fix(error: AgentError, address: str, platform: Platform) -> str:
    if error.kind in ("missing", "refused", "not_socket"):
        return platform.unreachable_agent_fix(address, error.kind)
    if error.kind == "permission":
        return (
            "the socket belongs to another user (sudo?): run as yourself, "
            "or unset SSH_AUTH_SOCK and start your own agent"
        )
    if error.kind == "timeout":
        return "the agent is hung: stop that agent process and start a new one"
    return (
        f"something other than an ssh agent answers at {address}: point SSH_AUTH_SOCK at your agent"
    )


def reachability_check(
    location: AgentLocation, platform: Platform, timeout: float
) -> tuple[CheckResult, list[Identity] | None]:
    address = location.address or ""
    unusable = platform.unusable_agent_address(address)
    if unusable:
        fix = platform.unreachable_agent_fix(address, "unusable")
        return CheckResult(
            CheckId.AGENT_REACHABLE, Status.FAIL, unusable, fix, {"reason": "unusable"}
        ), None
    try:
        identities = query_agent(address, platform, timeout)
    except AgentError as error:
        result = CheckResult(
            CheckId.AGENT_REACHABLE,
            Status.FAIL,
            error.message,
            _unreachable_fix(error, address, platform),
            {"reason": error.kind},
        )
        return result, None
    count = len(identities)
    seen = f"the agent at {address} answers and holds {count} key{'s' if count != 1 else ''}"
    return CheckResult(
        CheckId.AGENT_REACHABLE, Status.PASS, seen, details={"keys": count}
    ), identities


def public_keys_on_disk(paths: Paths) -> dict[str, Path]:
    """fingerprint -> .pub file, for ~/.ssh/*.pub and the sshsetup key (certificates excluded)."""
    candidates = sorted(paths.ssh_dir.glob("*.pub")) if paths.ssh_dir.is_dir() else []
    candidates.append(paths.public_key_file)
    found: dict[str, Path] = {}
    for path in candidates:
        fingerprint = public_key_fingerprint(path)
        if fingerprint:
            found.setdefault(fingerprint, path)
    return found


def describe_identity(identity: Identity, on_disk: Mapping[str, Path]) -> dict[str, Any]:
    match = on_disk.get(identity.public_key_fingerprint)
    return {
        "type": identity.key_type,
        "fingerprint": identity.fingerprint,
        "comment": identity.comment,
        "certificate": identity.is_certificate,
        "matches": str(match) if match else None,
    }


def identities_check(
    identities: Sequence[Identity], paths: Paths, platform: Platform, git: Sequence[GitKey]
) -> CheckResult:
    """The keys in the agent, and whether one of them is a key the user uses for git: what
    forwarding is for (docs/agent.md#the-key-github-knows)."""
    loaded = {identity.public_key_fingerprint for identity in identities}
    git_loaded = [key for key in git if key.fingerprint in loaded]
    details: dict[str, Any] = {
        "keys": [],
        "git_keys": [str(key.path) for key in git],
        "git_keys_loaded": [str(key.path) for key in git_loaded],
    }
    if not identities:
        return CheckResult(
            CheckId.AGENT_IDENTITIES,
            Status.FAIL,
            "the agent holds no keys, so nothing can be forwarded "
            "(ssh-add -l: The agent has no identities.)",
            load_fix(platform, git),
            details,
        )
    on_disk = public_keys_on_disk(paths)
    keys = [describe_identity(identity, on_disk) for identity in identities]
    details["keys"] = keys
    listing = f"{len(keys)} key(s) in the agent:\n" + "\n".join(
        f"  {key['type']} {key['fingerprint']} {key['comment']}"
        + (f" (matches {key['matches']})" if key["matches"] else " (no key file on disk)")
        for key in keys
    )
    if git and not git_loaded:
        names = ", ".join(str(key.path) for key in git)
        ours = str(paths.public_key_file)
        baseten = (
            f"\n({ours} is sshsetup's key: the certificate login reads it from disk, and "
            "GitHub does not know it)"
            if any(key["matches"] == ours for key in keys)
            else ""
        )
        return CheckResult(
            CheckId.AGENT_IDENTITIES,
            Status.FAIL,
            f"{listing}\nnone of them is a key you use for git ({names}): inside the "
            "container `git clone git@github.com:…` fails with Permission denied (publickey)"
            + baseten,
            load_fix(platform, git),
            details,
        )
    if git_loaded:
        key = git_loaded[0]
        said = f"{key.path} ({key.why}) is in it: git inside the container can use it"
    else:
        said = (
            "no key file for git found to compare with (~/.ssh/id_ed25519, id_ecdsa, id_rsa, "
            "or the IdentityFile for github.com): make sure the key GitHub knows is among these"
        )
    return CheckResult(CheckId.AGENT_IDENTITIES, Status.PASS, f"{listing}\n{said}", details=details)


def key_count_check(
    identities: Sequence[Identity], effective: Mapping[str, list[str]]
) -> CheckResult:
    count = len(identities)
    identities_only = (_first(effective, "identitiesonly") or "no").lower()
    details = {"keys": count, "identitiesonly": identities_only}
    if count > TOO_MANY_KEYS and identities_only != "yes":
        return CheckResult(
            CheckId.AGENT_KEY_COUNT,
            Status.WARN,
            f"the agent holds {count} keys and IdentitiesOnly is {identities_only}: "
            "ssh offers them "
            "one by one and servers stop at 6 ('Too many authentication failures')",
            "add `IdentitiesOnly yes` to this host's entry in your ssh config "
            "(sshsetup's block can set it), or remove unused keys: ssh-add -d <key file>",
            details,
        )
    return CheckResult(
        CheckId.AGENT_KEY_COUNT,
        Status.PASS,
        f"{count} key(s), IdentitiesOnly {identities_only}",
        details=details,
    )


def private_key_files(paths: Paths) -> list[Path]:
    """Private keys whose public half sits beside them in ~/.ssh, and the sshsetup key."""
    found = []
    if paths.ssh_dir.is_dir():
        for public in sorted(paths.ssh_dir.glob("*.pub")):
            private = public.with_suffix("")
            if not public.name.endswith("-cert.pub") and private.is_file():
                found.append(private)
    if paths.key_file.is_file() and paths.key_file not in found:
        found.append(paths.key_file)
    return found


def file_permission_check(
    check_id: CheckId, files: Sequence[Path], platform: Platform, private: bool
) -> CheckResult:
    judge = platform.private_key_problem if private else platform.config_file_problem
    problems = [problem for problem in (judge(path) for path in files) if problem]
    details = {"files": [str(path) for path in files], "problems": [str(p.path) for p in problems]}
    if problems:
        return CheckResult(
            check_id,
            Status.FAIL,
            "\n".join(problem.seen for problem in problems),
            "\n".join(problem.fix for problem in problems),
            details,
        )
    what = "private key" if private else "config file"
    return CheckResult(
        check_id, Status.PASS, f"{len(files)} {what}(s) checked, permissions ok", details=details
    )


def collect_agent_checks(
    run: CheckRun,
    platform: Platform,
    paths: Paths,
    effective: Mapping[str, list[str]],
    git: Sequence[GitKey],
    timeout: float = DEFAULT_TIMEOUT_SECONDS,
) -> None:
    """Every agent check, into ``run``. ``effective`` is ``ssh -G HOST`` as keyword ->
    values; ``git``: the keys the user uses for git (checks.git_keys)."""
    location = locate_agent(effective, platform.env, platform)
    run.add(location_check(location, platform))
    found: list[list[Identity]] = []

    def reach() -> list[CheckResult]:
        result, identities = reachability_check(location, platform, timeout)
        found.extend([identities] if identities is not None else [])
        return [result]

    run.step([CheckId.AGENT_REACHABLE], reach)
    run.step(
        [CheckId.AGENT_IDENTITIES, CheckId.AGENT_KEY_COUNT],
        lambda: [
            identities_check(found[0], paths, platform, git),
            key_count_check(found[0], effective),
        ],
    )
    run.add(
        file_permission_check(
            CheckId.KEYS_PERMISSIONS, private_key_files(paths), platform, private=True
        )
    )
    config_files = [paths.ssh_config] if paths.ssh_config.is_file() else []
    run.add(
        file_permission_check(CheckId.CONFIG_PERMISSIONS, config_files, platform, private=False)
    )
    run.add(*platform.system_checks(effective))
