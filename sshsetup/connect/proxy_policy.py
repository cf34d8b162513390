"""Where a signing answer's ``proxy_address`` may send the session
(docs/baseten-protocol.md#where-the-proxy-address-may-point).

Host keys are not checked on Baseten's path (trust rests on the proxy's TLS certificate and
the JWT), so the proxy address decides who receives the SSH session, and with ForwardAgent
the user's agent. It is accepted only when its host is

- in the remote's API domain: for an API under ``baseten.co`` (``api.baseten.co``,
  ``api.<prefix>.baseten.co``), ``baseten.co`` and its subdomains; for another API host,
  that host without its first label (``api.example.com`` -> ``example.com``) and its
  subdomains;
- loopback (``localhost``, ``127.0.0.0/8``, ``::1``), only when the API itself is loopback
  (the sandbox, a local test server);
- or in the remote's allow-list (``sshsetup remote allow-proxy REMOTE HOST``): an entry
  allows that host and its subdomains, an IP address only itself.

Anything else is refused with the address and the command that allows it.
"""

from __future__ import annotations

import ipaddress
import urllib.parse
from collections.abc import Iterable, Sequence

from sshsetup.baseten import BASETEN_DOMAIN
from sshsetup.connect.http import redact
from sshsetup.errors import ApiError, BadInput

LOOPBACK_NAMES = ("localhost",)
ALLOW_COMMAND = "sshsetup remote allow-proxy"


def check_proxy_address(
    address: str,
    api_base_url: str,
    allowed: Sequence[str],
    remote: str,
    secrets: Iterable[str] = (),
) -> None:
    """ApiError unless the signing answer's ``address`` may be used (see the module doc)."""
    from sshsetup.connect.tunnel import ProxyError, split_address

    try:
        host, _ = split_address(address)
    except ProxyError as exc:
        raise ApiError(
            f"the signing API at {api_base_url} returned an unusable proxy address "
            f"({redact(exc.message, secrets)})",
            hint="report this to Baseten support",
        ) from None
    if host_allowed(host, api_base_url, allowed):
        return
    shown = redact(address, secrets)
    domain = api_domain(api_base_url)
    default = "only loopback addresses" if domain is None else f"hosts in {domain}"
    raise ApiError(
        f"the signing API at {api_base_url} sent the session to the proxy {shown}, outside "
        f"what remote {remote!r} allows ({default}, and its allow-list); nothing was cached",
        hint=f"if you trust that proxy: `{ALLOW_COMMAND} {remote} {redact(host, secrets)}`",
    )


def host_allowed(host: str, api_base_url: str, allowed: Sequence[str]) -> bool:
    if on_allow_list(host, allowed):
        return True
    name = host.lower().rstrip(".")
    domain = api_domain(api_base_url)
    return is_loopback(name) if domain is None else _in_domain(name, domain)


def on_allow_list(host: str, allowed: Sequence[str]) -> bool:
    """Whether an allow-list entry covers ``host`` (itself, or a domain above it)."""
    name = host.lower().rstrip(".")
    return any(_in_domain(name, entry) for entry in allowed)


def api_domain(api_base_url: str) -> str | None:
    """The domain whose hosts may be proxies for this API; None for a loopback API (then
    only loopback proxies are)."""
    api_host = (urllib.parse.urlsplit(api_base_url).hostname or "").lower().rstrip(".")
    if is_loopback(api_host):
        return None
    if _in_domain(api_host, BASETEN_DOMAIN):
        return BASETEN_DOMAIN
    labels = api_host.split(".")
    if _ip(api_host) is not None or len(labels) <= 2:
        return api_host
    return ".".join(labels[1:])


def is_loopback(host: str) -> bool:
    address = _ip(host)
    if address is not None:
        return address.is_loopback
    return host in LOOPBACK_NAMES or host.endswith(".localhost")


def normalize_allowed_host(text: str) -> str:
    """An allow-list entry: a host name or IP address, lower-cased; BadInput otherwise."""
    host = text.strip().lower().rstrip(".")
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
    if _ip(host) is not None:
        return host
    labels = host.split(".")
    valid = all(
        0 < len(label) <= 63
        and label[0] != "-"
        and label[-1] != "-"
        and all(char.isascii() and (char.isalnum() or char == "-") for char in label)
        for label in labels
    )
    if not host or not valid:
        raise BadInput(
            f"{text!r} is not a host name or IP address",
            hint="give the proxy's host without port or scheme, e.g. ssh-proxy.example.com",
        )
    return host


def _in_domain(host: str, domain: str) -> bool:
    if _ip(domain) is not None:
        return host == domain
    return host == domain or host.endswith("." + domain)


def _ip(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(text)
    except ValueError:
        return None
