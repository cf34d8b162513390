"""`sshsetup agent add [KEY]`: load a key into the agent with the right per-OS flags, and
verify the agent lists it."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from sshsetup.agent.protocol import AgentError
from sshsetup.checks.agent import locate_agent, public_key_fingerprint, query_agent
from sshsetup.context import Context
from sshsetup.errors import BadInput, ChecksFailed
from sshsetup.exit_codes import ExitCode
from sshsetup.results import Outcome, Result

SSH_ADD_TIMEOUT_SECONDS = 300.0  # ssh-add may wait for a passphrase typed on the terminal


@dataclass(frozen=True)
class Request:
    key: Path | None = None


@dataclass(frozen=True)
class AgentAddResult(Result):
    key: Path
    command: list[str]
    ssh_add_output: str
    agent: str
    fingerprint: str | None
    listed: bool

    def text(self, colour: bool) -> str:
        text = f"{self.ssh_add_output}\n" if self.ssh_add_output else ""
        if self.listed:
            return text + f"the agent at {self.agent} now lists {self.key} ({self.fingerprint})"
        shown = self.fingerprint or "no .pub beside it"
        return text + f"ssh-add succeeded but {self.key} ({shown}) is not listed by the agent"


def run(ctx: Context, request: Request) -> Outcome[AgentAddResult]:
    platform = ctx.platform
    key_file = Path(request.key).expanduser() if request.key else ctx.paths.key_file
    if not key_file.is_file():
        raise BadInput(
            f"{key_file} does not exist or is not a file",
            hint="run `sshsetup setup` to create sshsetup's key, "
            "or name a key: sshsetup agent add ~/.ssh/id_ed25519",
        )
    location = locate_agent({}, platform.env, platform)
    if location.address is None:
        raise ChecksFailed(
            f"no agent to add {key_file} to: {location.problem}",
            hint=platform.no_agent_fix(platform.candidate_agent_sockets()),
        )
    argv = platform.ssh_add_argv(key_file)
    result = platform.runner(argv, timeout=SSH_ADD_TIMEOUT_SECONDS)
    output = (result.stderr + result.stdout).strip()
    if result.returncode != 0:
        last = output.splitlines()[-1] if output else f"exited with status {result.returncode}"
        problem = platform.private_key_problem(key_file)
        raise ChecksFailed(
            f"ssh-add could not load {key_file}: {last}",
            hint=problem.fix if problem else "run `sshsetup agent check` to see what is wrong",
        )
    fingerprint = public_key_fingerprint(key_file.with_name(key_file.name + ".pub"))
    try:
        identities = query_agent(location.address, platform)
    except AgentError as error:
        raise ChecksFailed(
            f"ssh-add loaded {key_file}, but the agent at {location.address} "
            f"cannot be listed: {error.message}",
            hint="run `sshsetup agent check`",
        ) from None
    listed = [identity.public_key_fingerprint for identity in identities]
    verified = fingerprint is not None and fingerprint in listed
    result_data = AgentAddResult(key_file, argv, output, location.address, fingerprint, verified)
    return Outcome(result_data, ExitCode.OK if verified else ExitCode.CHECK_FAIL)
