"""`sshsetup remote allow-proxy NAME HOST [--remove]`: a proxy host a remote's signing API
may send sessions to, besides the API's own domain (connect/proxy_policy.py).

Removing an entry also forgets the cached sessions whose proxy it covers, so the next
connection to those hosts fetches a new session, whose proxy address is checked again.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, replace

from sshsetup.certs.installed import current_installation
from sshsetup.connect.installation import Installation, host_of_session_file
from sshsetup.connect.proxy_policy import api_domain, normalize_allowed_host, on_allow_list
from sshsetup.connect.remotes import api_base_url, normalize_remote_name
from sshsetup.connect.session import read_session
from sshsetup.connect.settings import Remote, Settings
from sshsetup.connect.tunnel import ProxyError, split_address
from sshsetup.context import Context
from sshsetup.results import Outcome, Result
from sshsetup.settings_store import edit_settings


@dataclass(frozen=True)
class Request:
    name: str
    host: str
    remove: bool = False


@dataclass(frozen=True)
class AllowProxyResult(Result):
    remote: str
    host: str
    allowed: bool  # whether HOST is on the allow-list now
    changed: bool
    api_base_url: str
    api_domain: str | None  # allowed without a list entry (None: the API is loopback)
    allowed_proxy_hosts: list[str]
    forgotten_sessions: list[str]  # hosts whose cached session pointed at a removed entry

    def text(self, colour: bool) -> str:
        if self.allowed:
            verb = "now allowed" if self.changed else "already allowed"
        else:
            verb = "no longer allowed" if self.changed else "was not on the allow-list"
        default = self.api_domain or "loopback addresses"
        listed = ", ".join(self.allowed_proxy_hosts) or "(none)"
        lines = [
            f"Remote {self.remote}: proxy host {self.host} {verb}.",
            f"Proxies allowed for {self.api_base_url}: {default} (its domain), and {listed}",
        ]
        if self.forgotten_sessions:
            lines.append("Forgot the cached sessions of " + ", ".join(self.forgotten_sessions))
        return "\n".join(lines)


def run(ctx: Context, request: Request) -> Outcome[AllowProxyResult]:
    remote = normalize_remote_name(request.name)
    host = normalize_allowed_host(request.host)
    before: list[str] = []

    def change(settings: Settings) -> Settings:
        entry = settings.remotes.get(remote, Remote())
        before.extend(entry.allowed_proxy_hosts)
        hosts = [h for h in entry.allowed_proxy_hosts if h != host]
        if not request.remove:
            hosts.append(host)
        remotes = {**settings.remotes, remote: replace(entry, allowed_proxy_hosts=sorted(hosts))}
        return replace(settings, remotes=remotes)

    settings = edit_settings(ctx.paths, change)
    allowed_hosts = settings.remotes[remote].allowed_proxy_hosts
    changed = sorted(before) != allowed_hosts
    api = api_base_url(remote, None, ctx.paths.settings_file, ctx.env)
    forgotten: list[str] = []
    if request.remove and changed:
        forgotten = _forget_sessions(current_installation(ctx.paths), host)
    return Outcome(
        AllowProxyResult(
            remote=remote,
            host=host,
            allowed=not request.remove,
            changed=changed,
            api_base_url=api,
            api_domain=api_domain(api),
            allowed_proxy_hosts=allowed_hosts,
            forgotten_sessions=forgotten,
        )
    )


def _forget_sessions(installation: Installation, removed: str) -> list[str]:
    """Delete the cached sessions whose proxy host the ``removed`` entry covers."""
    try:
        names = sorted(os.listdir(installation.session_dir))
    except FileNotFoundError:
        return []
    forgotten = []
    for cache_key in filter(None, map(host_of_session_file, names)):
        path = installation.session_file(cache_key)
        try:
            session = read_session(path)
            if session is None:
                continue
            proxy_host, _ = split_address(session.proxy_address)
        except (OSError, ValueError, ProxyError):
            continue
        if on_allow_list(proxy_host, [removed]):
            os.unlink(path)
            forgotten.append(cache_key)
    return forgotten
