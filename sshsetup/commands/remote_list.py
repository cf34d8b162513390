"""`sshsetup remote list`: each remote, its API base URL, and where its key is found."""

from __future__ import annotations

from dataclasses import dataclass

from sshsetup.connect.credentials import LOOKUP_ORDER, KeySource, api_key_source
from sshsetup.connect.remotes import api_base_url
from sshsetup.connect.settings import Remote, load_settings
from sshsetup.context import Context
from sshsetup.credentials.remotes_known import known_remotes
from sshsetup.results import Outcome, Result


@dataclass(frozen=True)
class Request:
    pass


@dataclass(frozen=True)
class RemoteRow:
    name: str
    default: bool
    base_url: str | None  # configured for this remote (None: BASETEN_BASE_URL or Baseten's)
    api_base_url: str  # in effect
    allowed_proxy_hosts: list[str]  # besides the API's domain (remote allow-proxy)
    api_key: KeySource


@dataclass(frozen=True)
class RemoteListResult(Result):
    default_remote: str
    lookup_order: list[str]
    remotes: list[RemoteRow]

    def text(self, colour: bool) -> str:
        lines = []
        for row in self.remotes:
            marker = "*" if row.default else " "
            key = row.api_key
            found = f"{key.source} ({key.location})" if key.source else "none"
            proxies = "".join(f"; proxy {host} allowed" for host in row.allowed_proxy_hosts)
            lines.append(f"{marker} {row.name}: API {row.api_base_url}; key: {found}{proxies}")
        return "\n".join(lines)


def run(ctx: Context, request: Request) -> Outcome[RemoteListResult]:
    paths = ctx.paths
    settings = load_settings(paths.settings_file)
    rows = [
        RemoteRow(
            name=name,
            default=name == settings.default_remote,
            base_url=settings.remotes.get(name, Remote()).base_url,
            api_base_url=api_base_url(name, None, paths.settings_file, ctx.env),
            allowed_proxy_hosts=settings.remotes.get(name, Remote()).allowed_proxy_hosts,
            api_key=api_key_source(
                name, paths.credential_files, ctx.env, settings.api_key_in_keyring(name)
            ),
        )
        for name in known_remotes(paths, settings, ctx.say)
    ]
    return Outcome(RemoteListResult(settings.default_remote, list(LOOKUP_ORDER), rows))
