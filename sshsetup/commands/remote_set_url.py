"""`sshsetup remote set-url NAME [URL | --unset]`: a remote's API base URL."""

from __future__ import annotations

from dataclasses import dataclass

from sshsetup.connect.remotes import (
    api_base_url,
    cleartext_warning,
    normalize_remote_name,
    validate_base_url,
)
from sshsetup.context import Context
from sshsetup.errors import UsageError
from sshsetup.results import Outcome, Result
from sshsetup.settings_store import edit_settings, with_remote


@dataclass(frozen=True)
class Request:
    name: str
    url: str | None = None
    unset: bool = False


@dataclass(frozen=True)
class SetUrlResult(Result):
    remote: str
    base_url: str | None
    api_base_url: str

    def text(self, colour: bool) -> str:
        return f"Remote {self.remote}: API {self.api_base_url}"


def run(ctx: Context, request: Request) -> Outcome[SetUrlResult]:
    if (request.url is None) == (not request.unset):
        raise UsageError(
            "give either a URL or --unset",
            hint="e.g. `sshsetup remote set-url staging https://api.staging.example`",
        )
    remote = normalize_remote_name(request.name)
    base_url = validate_base_url(request.url) if request.url is not None else None
    edit_settings(ctx.paths, lambda settings: with_remote(settings, remote, base_url))
    effective = api_base_url(remote, None, ctx.paths.settings_file, ctx.env)
    warning = cleartext_warning(effective)
    if warning:
        ctx.say(warning)
    return Outcome(SetUrlResult(remote, base_url, effective))
