"""`sshsetup remote set-default NAME`: the remote for hosts that do not name one."""

from __future__ import annotations

from dataclasses import dataclass, replace

from sshsetup.connect.credentials import api_key_source
from sshsetup.connect.remotes import normalize_remote_name
from sshsetup.context import Context
from sshsetup.results import Outcome, Result
from sshsetup.settings_store import edit_settings


@dataclass(frozen=True)
class Request:
    name: str


@dataclass(frozen=True)
class SetDefaultResult(Result):
    default_remote: str

    def text(self, colour: bool) -> str:
        return f"Default remote: {self.default_remote}"


def run(ctx: Context, request: Request) -> Outcome[SetDefaultResult]:
    remote = normalize_remote_name(request.name)
    settings = edit_settings(ctx.paths, lambda s: replace(s, default_remote=remote))
    if api_key_source(remote, ctx.paths.credential_files, ctx.env).source is None:
        ctx.say(
            f"note: no API key found for remote {remote!r}; run `sshsetup login --remote {remote}`"
        )
    return Outcome(SetDefaultResult(settings.default_remote))
