"""`sshsetup remote set-default NAME`: the remote for hosts that do not name one.

A remote must be known first: in the settings (``login``, ``remote set-url``), or with a
credential some source has for it (``BASETEN_API_KEY``, the baseten CLI's profile, a
``~/.trussrc`` section); a typo must not send every host without a remote nowhere."""

from __future__ import annotations

from dataclasses import dataclass, replace

from sshsetup.connect.credentials import api_key_source
from sshsetup.connect.remotes import normalize_remote_name
from sshsetup.connect.settings import DEFAULT_REMOTE, load_settings
from sshsetup.context import Context
from sshsetup.errors import BadInput
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
    known = set(load_settings(ctx.paths.settings_file).remotes) | {DEFAULT_REMOTE}
    credential = api_key_source(remote, ctx.paths.credential_files, ctx.env).source
    if remote not in known and credential is None:
        raise BadInput(
            f"remote {remote!r} is unknown: it has no API URL in sshsetup's settings and no "
            f"credential anywhere (known: {', '.join(sorted(known))})",
            hint=f"add it first: `sshsetup login --remote {remote}` (with `--base-url URL` for "
            "an API other than Baseten's), then set it as default; `sshsetup remote list` "
            "shows the known ones",
        )
    settings = edit_settings(ctx.paths, lambda s: replace(s, default_remote=remote))
    if credential is None:
        ctx.say(
            f"note: no API key found for remote {remote!r}; run `sshsetup login --remote {remote}`"
        )
    return Outcome(SetDefaultResult(settings.default_remote))
