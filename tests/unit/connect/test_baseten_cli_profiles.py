"""Credentials of the Go CLI `baseten` (sshsetup.connect.baseten_cli_profiles), read as the CLI
leaves them: real auth.json files, secrets in a real keyring backend (keyrings.alt's
PlaintextKeyring, chosen with PYTHON_KEYRING_BACKEND), lookups in a fresh process of the home
(docs/baseten-protocol.md#go-cli-profiles-and-keyring)."""

from __future__ import annotations

import base64
import time
from pathlib import Path

import pytest
from helpers.baseten_cli import (
    api_key_profile,
    go_time,
    oauth_profile,
    write_profiles,
)
from helpers.homes import Home

from sshsetup.connect.baseten_cli_profiles import (
    ProfileProblem,
    config_dir,
    decode_go_keyring,
    management_api_url,
    parse_rfc3339,
)

PROFILE_KEY = "sk-profile.PROFILESOURCE0004"
OTHER_KEY = "sk-profile.OTHERPROFILE0005"
ACCESS_TOKEN = "eyJhbGciOi.oauth-access.TOKEN0006"
API = "https://api.sandbox.test"


def resolve(home: Home, **changes: str | None) -> dict[str, object]:
    return home.resolve("baseten", changes)


# --- the lookup ----------------------------------------------------------------------------


def test_api_key_profile_from_the_keyring_is_sent_as_api_key(home: Home) -> None:
    write_profiles(home, {"alice": api_key_profile(home, "alice", PROFILE_KEY)}, current="alice")

    found = resolve(home)

    assert (found["key"], found["scheme"], found["source"]) == (
        PROFILE_KEY,
        "Api-Key",
        "baseten-cli",
    )
    assert found["profile"] == "alice" and found["credential_type"] == "api_key"
    assert "keyrings.alt.file.PlaintextKeyring" in str(found["location"])
    assert found["api_base_url"] == API  # remote_url https://app.sandbox.test


def test_api_key_kept_in_auth_json_itself_is_found_too(home: Home) -> None:
    profile = api_key_profile(home, "alice", PROFILE_KEY, in_file=True)
    path = write_profiles(home, {"alice": profile}, current="alice")

    found = resolve(home)

    assert found["key"] == PROFILE_KEY and f"secret in {path}" in str(found["location"])


def test_unexpired_oauth_token_is_sent_as_bearer_with_its_expiry(home: Home) -> None:
    expires = time.time() + 3600
    profile = oauth_profile(home, "alice@example.com", ACCESS_TOKEN, expires)
    write_profiles(home, {"alice@example.com": profile}, current="alice@example.com")

    found = resolve(home)

    assert (found["key"], found["scheme"]) == (ACCESS_TOKEN, "Bearer")
    assert found["credential_type"] == "oauth"
    assert found["expires_at"] == pytest.approx(expires, abs=0.01)


@pytest.mark.parametrize("seconds_left", [-60, 5])  # expired, or inside the CLI's 10 s margin
def test_expired_oauth_token_is_not_used_and_says_to_log_in_again(
    home: Home, seconds_left: int
) -> None:
    profile = oauth_profile(home, "alice", ACCESS_TOKEN, time.time() + seconds_left)
    write_profiles(home, {"alice": profile}, current="alice")

    found = resolve(home)

    assert found["key"] is None and found["source"] is None
    (note,) = found["notes"]  # type: ignore[misc]
    assert "OAuth access token expired" in note and "baseten auth login" in note
    assert ACCESS_TOKEN not in str(found)


def test_baseten_profile_selects_a_profile_other_than_the_current_one(home: Home) -> None:
    profiles = {
        "alice": api_key_profile(home, "alice", PROFILE_KEY),
        "bob": api_key_profile(home, "bob", OTHER_KEY, remote_url="https://app.staging.baseten.co"),
    }
    write_profiles(home, profiles, current="alice")

    found = resolve(home, BASETEN_PROFILE="bob")

    assert (found["key"], found["profile"]) == (OTHER_KEY, "bob")
    assert found["api_base_url"] == "https://api.staging.baseten.co"


def test_missing_profile_is_a_note_naming_it(home: Home) -> None:
    write_profiles(home, {"alice": api_key_profile(home, "alice", PROFILE_KEY)}, current="alice")

    found = resolve(home, BASETEN_PROFILE="carol")

    assert found["key"] is None
    (note,) = found["notes"]  # type: ignore[misc]
    assert "no profile 'carol'" in note and "BASETEN_PROFILE=carol" in note


def test_no_auth_json_or_no_current_profile_is_simply_no_source(home: Home) -> None:
    assert resolve(home)["notes"] == []
    write_profiles(home, {"alice": api_key_profile(home, "alice", PROFILE_KEY)}, current=None)
    found = resolve(home)
    assert (found["key"], found["source"], found["notes"]) == (None, None, [])


def test_baseten_config_dir_overrides_the_user_config_dir(home: Home, tmp_path: Path) -> None:
    elsewhere = tmp_path / "cli-config"
    profile = api_key_profile(home, "alice", PROFILE_KEY)
    write_profiles(home, {"alice": profile}, current="alice", config_dir=elsewhere)

    assert resolve(home)["key"] is None
    assert resolve(home, BASETEN_CONFIG_DIR=str(elsewhere))["key"] == PROFILE_KEY


def test_sshsetups_own_stores_and_the_env_key_come_before_the_profile_and_trussrc_after(
    home: Home,
) -> None:
    write_profiles(home, {"alice": api_key_profile(home, "alice", PROFILE_KEY)}, current="alice")
    home.install_trussrc("single-remote.trussrc")
    assert resolve(home)["source"] == "baseten-cli"  # before ~/.trussrc
    assert resolve(home, BASETEN_API_KEY="sk-env.ENV0007")["source"] == "env"
    login = home.run("login", "--api-key-stdin", input_text="sk-keyring.KEYRING0008\n")
    assert login.returncode == 0
    assert resolve(home)["source"] == "keyring"


def test_an_unusable_profile_falls_through_to_trussrc_with_a_note(home: Home) -> None:
    profile = oauth_profile(home, "alice", ACCESS_TOKEN, time.time() - 1)
    write_profiles(home, {"alice": profile}, current="alice")
    home.install_trussrc("single-remote.trussrc")

    found = resolve(home)

    assert found["source"] == "trussrc"
    assert any("baseten auth login" in note for note in found["notes"])  # type: ignore[attr-defined]


def test_management_api_override_replaces_the_profiles_api(home: Home) -> None:
    write_profiles(home, {"alice": api_key_profile(home, "alice", PROFILE_KEY)}, current="alice")

    found = resolve(home, BASETEN_MANAGEMENT_API_URL_OVERRIDE="http://127.0.0.1:8123/ignored")

    assert found["api_base_url"] == "http://127.0.0.1:8123"


# --- the pieces ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("platform", "env", "expected"),
    [
        ("linux", {"XDG_CONFIG_HOME": "/x/cfg", "HOME": "/h"}, "/x/cfg/baseten"),
        ("linux", {"HOME": "/h"}, "/h/.config/baseten"),
        ("linux", {"XDG_CONFIG_HOME": "relative", "HOME": "/h"}, None),  # Go refuses it
        ("freebsd13", {"HOME": "/h"}, "/h/.config/baseten"),
        (
            "darwin",
            {"XDG_CONFIG_HOME": "/x/cfg", "HOME": "/h"},
            "/h/Library/Application Support/baseten",
        ),
        ("linux", {"BASETEN_CONFIG_DIR": "/explicit", "HOME": "/h"}, "/explicit"),
        ("linux", {}, None),
    ],
)
def test_config_dir_is_gos_user_config_dir(
    platform: str, env: dict[str, str], expected: str | None
) -> None:
    assert config_dir(env, platform) == expected


def test_config_dir_on_windows_is_appdata() -> None:
    found = config_dir({"AppData": r"C:\Users\a\AppData\Roaming"}, "win32")
    assert found is not None and found.endswith("baseten")
    assert found.startswith(r"C:\Users\a\AppData\Roaming")


@pytest.mark.parametrize(
    ("remote_url", "api"),
    [
        ("https://app.baseten.co", "https://api.baseten.co"),
        ("https://app.baseten.co/", "https://api.baseten.co"),
        ("https://app.staging.baseten.co", "https://api.staging.baseten.co"),
        ("https://app.dev.baseten.co", "https://api.mc-dev.baseten.co"),
        ("http://localhost:8000", "http://api.localhost:8000"),
        ("https://app.example.com:8443", "https://api.example.com:8443"),
        ("https://baseten.internal", "https://api.baseten.internal"),
    ],
)
def test_a_remote_url_maps_to_the_api_the_go_cli_uses(remote_url: str, api: str) -> None:
    assert management_api_url(remote_url, {}, "profile") == api


@pytest.mark.parametrize("remote_url", ["app.baseten.co", "https://app.baseten.co/x", ""])
def test_a_remote_url_that_is_not_an_app_url_is_a_problem(remote_url: str) -> None:
    with pytest.raises(ProfileProblem):
        management_api_url(remote_url, {}, "profile 'p'")


def test_go_keyring_encodings_are_undone() -> None:
    secret = '{"access_token": "t"}'
    encoded = base64.b64encode(secret.encode()).decode()
    assert decode_go_keyring("go-keyring-base64:" + encoded, "darwin") == secret
    assert decode_go_keyring("go-keyring-encoded:" + secret.encode().hex(), "darwin") == secret
    as_utf16 = b"sk-even-length-key".decode("utf-16-le")  # keyring's reading on Windows
    assert decode_go_keyring(as_utf16, "win32") == "sk-even-length-key"
    assert decode_go_keyring("sk-plain", "linux") == "sk-plain"
    assert decode_go_keyring("go-keyring-base64:not base64!", "darwin").startswith("go-keyring")


def test_go_times_are_read_to_the_second_with_zones_and_the_zero_time_means_none() -> None:
    assert parse_rfc3339("2026-08-01T12:00:00Z") == 1785585600
    assert parse_rfc3339(go_time(1785585600.25)) == pytest.approx(1785585600.25)
    assert parse_rfc3339("2026-08-01T14:00:00.123456789+02:00") == pytest.approx(1785585600.123)
    assert parse_rfc3339("0001-01-01T00:00:00Z") is None
    assert parse_rfc3339("yesterday") is None
