"""The keys the user uses for git, which are the keys agent forwarding is for: Baseten's
documented scenario is `git clone git@github.com:…` inside the container, which needs the
key GitHub knows in the local agent, not the key Baseten signs
(docs/agent.md#the-key-github-knows).

They are, in this order: the IdentityFile that ``ssh -G`` resolves for github.com, gitlab.com
and bitbucket.org with the user's config (the hook is told not to fetch: ``OpenSSH.run``),
then the default keys ``~/.ssh/id_ed25519``, ``id_ecdsa`` and ``id_rsa``; only files that
exist, never sshsetup's own key.
"""

from __future__ import annotations

import getpass
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from sshsetup.agent.keys import public_key_fingerprint
from sshsetup.check_ids import CheckId
from sshsetup.check_result import CheckResult, Status
from sshsetup.openssh import OpenSSH, config_arguments, effective_settings
from sshsetup.paths import Paths
from sshsetup.platforms.base import Platform

GIT_HOSTS = ("github.com", "gitlab.com", "bitbucket.org")
GIT_LOGIN = "git"  # the account every one of them logs git in as
DEFAULT_KEY_NAMES = ("id_ed25519", "id_ecdsa", "id_rsa")
# What ``ssh -G`` lists when nothing sets IdentityFile: ssh's defaults, not the user's choice.
SSH_DEFAULT_IDENTITIES = frozenset(
    f"~/.ssh/{name}"
    for name in ("id_rsa", "id_ecdsa", "id_ecdsa_sk", "id_ed25519", "id_ed25519_sk", "id_xmss",
                 "id_dsa")
)  # fmt: skip
_TOKEN = re.compile(r"%.")


@dataclass(frozen=True)
class GitKey:
    path: Path  # the private key file
    fingerprint: str | None  # of the .pub beside it (None: no readable .pub)
    why: str  # "IdentityFile for github.com", "a default key"


def git_keys(openssh: OpenSSH | None, paths: Paths) -> list[GitKey]:
    """The key files the user's git hosts use, most likely first (see the module docstring)."""
    found: dict[Path, str] = {}
    if openssh is not None:
        for host in GIT_HOSTS:
            evaluated = openssh.run("-G", *config_arguments(paths), f"{GIT_LOGIN}@{host}")
            if not evaluated.ok:
                continue
            for value in effective_settings(evaluated.stdout).get("identityfile", []):
                path = expand_identity_file(value, host, paths.home)
                if path is not None and value not in SSH_DEFAULT_IDENTITIES:
                    found.setdefault(path, f"IdentityFile for {host}")
    for name in DEFAULT_KEY_NAMES:
        found.setdefault(paths.ssh_dir / name, "a default key")
    ours = {os.path.realpath(paths.key_file)}
    return [
        GitKey(path, public_key_fingerprint(path.with_name(path.name + ".pub")), why)
        for path, why in found.items()
        if path.is_file() and os.path.realpath(path) not in ours
    ]


def expand_identity_file(value: str, host: str, home: Path) -> Path | None:
    """An IdentityFile value as ssh expands it (``~``, ``%d``, ``%h``, ``%r``, ``%u``,
    ``%%``); None for ``none`` or a token that depends on the connection."""
    if value.lower() == "none":
        return None
    tokens = {"%d": str(home), "%h": host, "%r": GIT_LOGIN, "%u": getpass.getuser(), "%%": "%"}
    unknown = [token for token in _TOKEN.findall(value) if token not in tokens]
    if unknown:
        return None
    expanded = _TOKEN.sub(lambda match: tokens[match.group(0)], value)
    if expanded == "~" or expanded.startswith("~/"):
        expanded = str(home) + expanded[1:]
    return Path(expanded)


GITHUB = "github.com"
GITHUB_TIMEOUT_SECONDS = 45.0
_ACCEPTED = re.compile(r"Server accepts key: (?P<key>.+)$")


def github_check(
    openssh: OpenSSH | None, paths: Paths, platform: Platform, git: Sequence[GitKey]
) -> CheckResult:
    """``ssh -T git@github.com`` offering the agent's keys only, with the user's config for
    everything else (docs/agent.md#proving-github-accepts-the-agents-key): the key files ssh
    would otherwise add are turned off (``IdentityFile none``), and ssh's own account of the
    key the server accepted says whether it came from the agent."""
    if openssh is None:
        return CheckResult(
            CheckId.AGENT_GITHUB, Status.WARN, "no ssh on PATH to ask github.com with", None
        )
    result = openssh.run(
        "-T", "-v", *config_arguments(paths),
        "-o", "BatchMode=yes", "-o", "IdentitiesOnly=no", "-o", "IdentityFile=none",
        "-o", "ConnectTimeout=15", f"{GIT_LOGIN}@{GITHUB}",
        timeout=GITHUB_TIMEOUT_SECONDS,
    )  # fmt: skip
    lines = [line.strip() for line in result.stderr.splitlines() if line.strip()]
    accepted = [m["key"] for m in (_ACCEPTED.search(line) for line in lines) if m]
    said = [line for line in lines if not line.startswith("debug")]
    details = {"accepted": accepted, "ssh": said[-5:], "returncode": result.returncode}
    if accepted and any("Authenticated to" in line for line in lines):
        key = accepted[-1]
        if key.endswith(" agent"):
            greeting = next((line for line in said if line.startswith("Hi ")), "")
            return CheckResult(
                CheckId.AGENT_GITHUB,
                Status.PASS,
                f"{GITHUB} accepts a key from the agent ({key.removesuffix(' agent')})"
                + (f": {greeting}" if greeting else ""),
                details=details,
            )
        return CheckResult(
            CheckId.AGENT_GITHUB,
            Status.FAIL,
            f"{GITHUB} accepted {key}, which ssh read from disk, not from the agent: "
            "forwarding does not carry it into the container",
            load_fix(platform, git),
            details,
        )
    if any("Permission denied" in line for line in lines):
        return CheckResult(
            CheckId.AGENT_GITHUB,
            Status.FAIL,
            f"{GITHUB} refused every key the agent offered: none of them is registered with "
            "your GitHub account",
            "load the key GitHub knows: "
            + load_fix(platform, git)
            + "\nor add the .pub of a key in the agent to GitHub (Settings > SSH and GPG keys)",
            details,
        )
    last = said[-1] if said else f"ssh exited with status {result.returncode}"
    return CheckResult(
        CheckId.AGENT_GITHUB,
        Status.WARN,
        f"could not ask {GITHUB}: {last}",
        f"ssh -T {GIT_LOGIN}@{GITHUB}  (shows what stops it: network, proxy, or a host key "
        "to accept)",
        details,
    )


def load_fix(platform: Platform, git: Sequence[GitKey]) -> str:
    """The command that loads the key the user uses for git (never sshsetup's own key)."""
    if not git:
        return (
            "ssh-add <the key GitHub knows>  (no key for git found in ~/.ssh: make one with "
            "`ssh-keygen -t ed25519` and add its .pub to GitHub, Settings > SSH and GPG keys)"
        )
    first = git[0]
    fix = platform.empty_agent_fix(first.path)
    fix += f"\n{first.path} is the key you use for git ({first.why})"
    others = [str(key.path) for key in git[1:]]
    if others:
        fix += "; others: " + ", ".join(others)
    return fix
