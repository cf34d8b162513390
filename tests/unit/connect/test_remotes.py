"""Remotes and API base URLs (sshsetup.connect.remotes), read from a real settings.json."""

from __future__ import annotations

import pytest
from helpers.homes import Home

from sshsetup.baseten import DEFAULT_API_BASE_URL
from sshsetup.connect.remotes import (
    api_base_url,
    cleartext_warning,
    normalize_remote_name,
    remote_for_host,
    validate_base_url,
)
from sshsetup.connect.settings import Remote, Settings
from sshsetup.errors import BadInput
from sshsetup.settings_store import save_settings


def test_api_base_url_precedence(home: Home) -> None:
    paths = home.paths
    save_settings(
        paths.settings_file, Settings(remotes={"dev": Remote(base_url="https://dev.example/")})
    )
    env = {"BASETEN_BASE_URL": "http://127.0.0.1:8123/"}
    # 1. api_prefix from the host name wins over everything
    assert (
        api_base_url("dev", "mc-dev", paths.settings_file, env) == "https://api.mc-dev.baseten.co"
    )
    # 2. then the remote's configured base_url
    assert api_base_url("dev", None, paths.settings_file, env) == "https://dev.example"
    # 3. then BASETEN_BASE_URL
    assert api_base_url("baseten", None, paths.settings_file, env) == "http://127.0.0.1:8123"
    # 4. then Baseten's API
    assert (
        api_base_url("baseten", None, paths.settings_file, {})
        == DEFAULT_API_BASE_URL
        == "https://api.baseten.co"
    )


def test_api_prefix_with_dots_and_bad_prefix(home: Home) -> None:
    paths = home.paths
    assert api_base_url("x", "a.b-c", paths.settings_file, {}) == "https://api.a.b-c.baseten.co"
    with pytest.raises(BadInput, match="invalid api prefix"):
        api_base_url("x", "evil/path", paths.settings_file, {})


def test_remote_for_host_uses_the_hosts_remote_else_the_default(home: Home) -> None:
    paths = home.paths
    assert remote_for_host(None, paths.settings_file) == "baseten"
    save_settings(paths.settings_file, Settings(default_remote="staging"))
    assert remote_for_host(None, paths.settings_file) == "staging"
    assert remote_for_host("Dev", paths.settings_file) == "dev"


@pytest.mark.parametrize("name", ["", "-dev", "dev.x", "a b", "dev;rm", "x" * 64])
def test_invalid_remote_names(name: str) -> None:
    with pytest.raises(BadInput, match="invalid remote name"):
        normalize_remote_name(name)


@pytest.mark.parametrize(
    "url",
    [
        "api.baseten.co",
        "ftp://api.baseten.co",
        "https://",
        "https://u:p@api.example",
        "https://a?x=1",
    ],
)
def test_invalid_base_urls(url: str) -> None:
    with pytest.raises(BadInput):
        validate_base_url(url)


def test_cleartext_warning_only_off_loopback() -> None:
    assert cleartext_warning("http://127.0.0.1:8000") is None
    assert cleartext_warning("http://localhost:8000") is None
    assert cleartext_warning("https://api.example") is None
    warning = cleartext_warning("http://api.example")
    assert warning is not None and "unencrypted" in warning
