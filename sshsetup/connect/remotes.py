"""Remotes: named Baseten environments, each with its own API key and optional API base URL.

A hostname names its remote (``training-job-J-N.<remote>[.<api_prefix>].ssh.baseten.co``);
without one, the default remote (``settings.default_remote``) applies. Names are
lower-case DNS labels, because ssh lower-cases the host name it hands to the hook.

The REST API base for a host (docs/baseten-protocol.md#rest-base-url-rule, plus per-remote
configuration):

1. ``https://api.<api_prefix>.baseten.co`` when the hostname has an api_prefix;
2. else the remote's configured ``base_url`` (``sshsetup login --base-url``,
   ``sshsetup remote set-url``);
3. else, when the credential is a baseten CLI profile's, the API that profile belongs to
   (its ``remote_url``, docs/baseten-protocol.md#go-cli-api-base-url);
4. else env ``BASETEN_BASE_URL``;
5. else ``https://api.baseten.co``.

Lean on purpose (stdlib only): the connect path calls it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from urllib.parse import urlsplit

from sshsetup.baseten import BASE_URL_ENV, DEFAULT_API_BASE_URL, api_base_for_prefix
from sshsetup.connect.settings import load_settings
from sshsetup.errors import BadInput

_REMOTE_NAME = re.compile(r"[a-z0-9](?:[a-z0-9_-]{0,61}[a-z0-9])?")
_API_PREFIX = re.compile(r"[a-z0-9](?:[a-z0-9.-]*[a-z0-9])?")
LOOPBACK_HOSTS = ("localhost", "127.0.0.1", "::1")


def normalize_remote_name(name: str) -> str:
    """``name`` lower-cased; BadInput unless it is a DNS label (it appears in host names)."""
    folded = name.strip().lower()
    if not _REMOTE_NAME.fullmatch(folded):
        raise BadInput(
            f"invalid remote name {name!r}",
            hint="use letters, digits, '-' or '_' (it becomes part of the ssh host name)",
        )
    return folded


def validate_base_url(url: str) -> str:
    """``url`` without a trailing slash; BadInput unless it is a plain http(s) URL."""
    parts = urlsplit(url.strip())
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise BadInput(
            f"invalid API base URL {url!r}",
            hint="give an http(s) URL such as https://api.baseten.co",
        )
    if parts.username or parts.password or parts.query or parts.fragment:
        raise BadInput(
            "the API base URL must not carry credentials, a query or a fragment",
            hint="give only scheme, host, port and path, e.g. https://api.baseten.co",
        )
    return url.strip().rstrip("/")


def cleartext_warning(url: str) -> str | None:
    """A warning for http:// to anything but loopback (the API key would cross the network)."""
    parts = urlsplit(url)
    if parts.scheme != "http" or parts.hostname in LOOPBACK_HOSTS:
        return None
    return f"warning: {url} is plain http: the API key would cross the network unencrypted"


def api_base_url(
    remote: str,
    api_prefix: str | None,
    settings_file: Path,
    env: Mapping[str, str],
    credential_api: str | None = None,
) -> str:
    """The REST API base for a host of ``remote`` (see the module docstring for the order);
    ``credential_api``: the API the credential belongs to (a baseten CLI profile's)."""
    if api_prefix:
        if not _API_PREFIX.fullmatch(api_prefix.lower()):
            raise BadInput(
                f"invalid api prefix {api_prefix!r} in the host name",
                hint="letters, digits, '-' and '.' only, as in job-J-0.dev.mc-dev.ssh.baseten.co",
            )
        return api_base_for_prefix(api_prefix)
    configured = load_settings(settings_file).remotes.get(remote)
    if configured is not None and configured.base_url:
        return configured.base_url.rstrip("/")
    if credential_api:
        return credential_api
    from_env = env.get(BASE_URL_ENV, "").strip()
    return from_env.rstrip("/") if from_env else DEFAULT_API_BASE_URL


def allowed_proxy_hosts(remote: str, settings_file: Path) -> list[str]:
    """The proxy hosts the user allowed for ``remote`` (``sshsetup remote allow-proxy``)."""
    configured = load_settings(settings_file).remotes.get(remote)
    return list(configured.allowed_proxy_hosts) if configured is not None else []


def remote_for_host(host_remote: str | None, settings_file: Path) -> str:
    """The remote a host belongs to: the one it names, else the default remote."""
    if host_remote:
        return normalize_remote_name(host_remote)
    return load_settings(settings_file).default_remote
