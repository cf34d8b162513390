"""`sshsetup agent add [KEY] [--yes]`: load a key into the agent with the right per-OS flags
(``--apple-use-keychain`` on macOS), and verify the agent lists it.

Without KEY it loads the key the user uses for git (checks.git_keys): what agent forwarding is
for is `git clone` inside the container, which needs the key GitHub knows
(docs/agent.md#the-key-github-knows). When there are several it asks which (``--yes``, or no
terminal: the first, the one ssh offers github.com first). sshsetup's own key is loaded only
when named: the certificate login reads it from disk and needs no agent.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from sshsetup.agent.keys import public_key_fingerprint
from sshsetup.agent.protocol import AgentError
from sshsetup.checks.agent import locate_agent, query_agent
from sshsetup.checks.git_keys import DEFAULT_KEY_NAMES, GitKey, git_keys
from sshsetup.context import Context
from sshsetup.errors import BadInput, ChecksFailed
from sshsetup.exit_codes import ExitCode
from sshsetup.platforms.base import Platform
from sshsetup.results import Outcome, Result

SSH_ADD_TIMEOUT_SECONDS = 300.0  # ssh-add may wait for a passphrase typed on the terminal
ALL = "all of them"


@dataclass(frozen=True)
class Request:
    key: Path | None = None


@dataclass(frozen=True)
class LoadedKey:
    key: Path
    why: str  # named on the command line, or why it is a key used for git
    command: list[str]
    ssh_add_output: str
    fingerprint: str | None
    listed: bool


@dataclass(frozen=True)
class AgentAddResult(Result):
    agent: str
    keys: list[LoadedKey]

    def text(self, colour: bool) -> str:
        lines = []
        for loaded in self.keys:
            if loaded.ssh_add_output:
                lines.append(loaded.ssh_add_output)
            if loaded.listed:
                lines.append(
                    f"the agent at {self.agent} now lists {loaded.key} ({loaded.fingerprint}; "
                    f"{loaded.why})"
                )
            else:
                shown = loaded.fingerprint or "no .pub beside it"
                lines.append(
                    f"ssh-add succeeded but {loaded.key} ({shown}) is not listed by the agent"
                )
        return "\n".join(lines)


def run(ctx: Context, request: Request) -> Outcome[AgentAddResult]:
    platform = ctx.platform
    keys = _keys(ctx, request)
    location = locate_agent({}, platform.env, platform)
    if location.address is None:
        raise ChecksFailed(
            f"no agent to add {keys[0].path} to: {location.problem}",
            hint=platform.no_agent_fix(platform.candidate_agent_sockets()),
        )
    added = [_add(platform, key) for key in keys]
    try:
        identities = query_agent(location.address, platform)
    except AgentError as error:
        raise ChecksFailed(
            f"ssh-add loaded {', '.join(str(key.path) for key in keys)}, but the agent at "
            f"{location.address} cannot be listed: {error.message}",
            hint="run `sshsetup agent check`",
        ) from None
    listed = {identity.public_key_fingerprint for identity in identities}
    loaded = [
        LoadedKey(key.path, key.why, argv, output, fingerprint, fingerprint in listed)
        for key, (argv, output, fingerprint) in zip(keys, added, strict=True)
    ]
    verified = all(key.listed for key in loaded)
    result = AgentAddResult(location.address, loaded)
    return Outcome(result, ExitCode.OK if verified else ExitCode.CHECK_FAIL)


def _keys(ctx: Context, request: Request) -> list[GitKey]:
    """The key named, else the key(s) used for git the user picks."""
    if request.key is not None:
        key_file = Path(request.key).expanduser()
        if not key_file.is_file():
            raise BadInput(
                f"{key_file} does not exist or is not a file",
                hint="name a private key file, e.g. sshsetup agent add ~/.ssh/id_ed25519",
            )
        return [GitKey(key_file, None, "named")]
    found = git_keys(ctx.openssh, ctx.paths)
    if not found:
        names = ", ".join(f"~/.ssh/{name}" for name in DEFAULT_KEY_NAMES)
        raise BadInput(
            f"found no key you use for git ({names}, or an IdentityFile for github.com in "
            f"{ctx.paths.ssh_config}) to load",
            hint="name the key GitHub knows: sshsetup agent add PATH (or make one: "
            "ssh-keygen -t ed25519, and add its .pub to GitHub)",
        )
    if len(found) == 1:
        return found
    options = [f"{key.path} ({key.why})" for key in found] + [ALL]
    chosen = ctx.prompter.choose("Load which key into the agent?", options, default=0)
    return found if chosen == len(found) else [found[chosen]]


def _add(platform: Platform, key: GitKey) -> tuple[list[str], str, str | None]:
    argv = platform.ssh_add_argv(key.path)
    result = platform.runner(argv, timeout=SSH_ADD_TIMEOUT_SECONDS)
    output = (result.stderr + result.stdout).strip()
    if result.returncode != 0:
        last = output.splitlines()[-1] if output else f"exited with status {result.returncode}"
        problem = platform.private_key_problem(key.path)
        raise ChecksFailed(
            f"ssh-add could not load {key.path}: {last}",
            hint=problem.fix if problem else "run `sshsetup agent check` to see what is wrong",
        )
    return argv, output, public_key_fingerprint(key.path.with_name(key.path.name + ".pub"))
