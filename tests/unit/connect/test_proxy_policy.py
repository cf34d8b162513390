"""Where a signing answer may send the session (sshsetup.connect.proxy_policy)."""

from __future__ import annotations

import pytest

from sshsetup.connect.proxy_policy import (
    api_domain,
    check_proxy_address,
    host_allowed,
    normalize_allowed_host,
)
from sshsetup.errors import ApiError, BadInput

BASETEN = "https://api.baseten.co"


@pytest.mark.parametrize(
    ("host", "api", "allowed"),
    [
        ("baseten.co", BASETEN, True),
        ("ssh.baseten.co", BASETEN, True),
        ("proxy.us-east-1.ssh.baseten.co", BASETEN, True),
        ("SSH.Baseten.Co.", BASETEN, True),
        ("evilbaseten.co", BASETEN, False),
        ("baseten.co.evil.example", BASETEN, False),
        ("127.0.0.1", BASETEN, False),  # loopback only for a loopback API
        ("localhost", BASETEN, False),
        ("10.1.2.3", BASETEN, False),
        ("ssh.baseten.co", "https://api.mc-dev.baseten.co", True),  # api_prefix hosts too
        ("proxy.example.com", "https://api.example.com", True),
        ("example.com", "https://api.example.com", True),
        ("example.org", "https://api.example.com", False),
        ("localhost", "http://127.0.0.1:8000", True),
        ("127.0.0.7", "http://localhost:8000", True),
        ("::1", "http://[::1]:8000", True),
        ("ssh.baseten.co", "http://127.0.0.1:8000", False),
        ("10.0.0.5", "http://10.0.0.5:8000", True),
        ("10.0.0.6", "http://10.0.0.5:8000", False),
    ],
)
def test_the_default_is_the_api_domain_and_loopback_only_for_loopback(
    host: str, api: str, allowed: bool
) -> None:
    assert host_allowed(host, api, []) is allowed


def test_allow_list_entries_cover_subdomains_and_ips_only_themselves() -> None:
    entries = ["proxy.corp.example", "203.0.113.9"]
    assert host_allowed("proxy.corp.example", BASETEN, entries)
    assert host_allowed("eu.proxy.corp.example", BASETEN, entries)
    assert not host_allowed("corp.example", BASETEN, entries)
    assert host_allowed("203.0.113.9", BASETEN, entries)
    assert not host_allowed("1.203.0.113.9", BASETEN, entries)
    assert host_allowed("proxy.corp.example", "http://127.0.0.1:1", entries)


def test_api_domains() -> None:
    assert api_domain(BASETEN) == "baseten.co"
    assert api_domain("https://api.staging.baseten.co/") == "baseten.co"
    assert api_domain("https://api.example.co.uk") == "example.co.uk"
    assert api_domain("https://example.com") == "example.com"
    assert api_domain("http://localhost:8080") is None


def test_a_refusal_names_the_address_and_the_one_command_that_allows_it() -> None:
    with pytest.raises(ApiError) as caught:
        check_proxy_address("evil.example.net:443", BASETEN, [], "dev")
    assert "sent the session to the proxy evil.example.net:443" in caught.value.message
    assert "hosts in baseten.co" in caught.value.message
    assert (
        caught.value.hint
        == "if you trust that proxy: `sshsetup remote allow-proxy dev evil.example.net`"
    )


def test_a_refusal_never_shows_a_secret_hidden_in_the_address() -> None:
    secret = "SuperSecretApiKeyValue123"
    with pytest.raises(ApiError) as caught:
        check_proxy_address(f"{secret}.example.net:443", BASETEN, [], "dev", [secret])
    assert "Secret" not in caught.value.message + caught.value.hint


@pytest.mark.parametrize("address", ["no-port", "host:", "host:99999", "[::1", ":443"])
def test_a_malformed_address_is_an_api_error(address: str) -> None:
    with pytest.raises(ApiError, match="unusable proxy address"):
        check_proxy_address(address, BASETEN, [], "dev")


def test_allow_list_entries_are_hosts() -> None:
    assert normalize_allowed_host(" Proxy.Example.COM. ") == "proxy.example.com"
    assert normalize_allowed_host("[::1]") == "::1"
    for bad in ("proxy.example.com:443", "https://proxy", "-a.example", "a..b", "", "bad host"):
        with pytest.raises(BadInput):
            normalize_allowed_host(bad)
