"""End to end: a workstation whose only credential is the Go CLI's profile (no `sshsetup login`),
against the sandbox: the real ssh, hook and ProxyCommand sign with it; status, doctor and
`login --from-baseten-cli` say where it came from and never show it
(docs/baseten-protocol.md#go-cli-profiles-and-keyring)."""

from __future__ import annotations

import json
import time

import pytest
from helpers.baseten_cli import api_key_profile, oauth_profile, write_profiles
from helpers.homes import Home
from helpers.sandbox import Workstation

from sshsetup.sandbox import Sandbox

pytestmark = [pytest.mark.linux_only, pytest.mark.e2e]

HOST = "training-job-cli-0.ssh.baseten.co"
PROFILE = "alice@example.com"


def profile_station(home: Home, sandbox: Sandbox) -> Workstation:
    """Set up, not logged in; the profile's API (its remote_url) pointed at the sandbox."""
    home.env["BASETEN_MANAGEMENT_API_URL_OVERRIDE"] = sandbox.api_url
    station = Workstation(home, sandbox)
    done = station.sshsetup("setup", "--yes")
    assert done.returncode == 0, done.stderr
    return station


def test_an_oauth_profile_signs_with_a_bearer_token_and_is_named_never_shown(
    home: Home, sandbox: Sandbox
) -> None:
    token = sandbox.controls.issue_access_token()
    profile = oauth_profile(home, PROFILE, token, time.time() + 3600)
    write_profiles(home, {PROFILE: profile}, current=PROFILE)
    station = profile_station(home, sandbox)

    done = station.ssh(HOST, "true")

    assert done.returncode == 0, done.stderr
    assert set(sandbox.controls.authorization_schemes) == {"Bearer"}
    status = station.sshsetup("status")
    assert f"OAuth access token of baseten CLI profile '{PROFILE}'" in status.stdout
    assert "valid until" in status.stdout
    doctor = json.loads(
        station.sshsetup("doctor", "--json", "--config", str(home.config), HOST).stdout
    )
    checks = {check["id"]: check for check in doctor["checks"]}
    assert checks["credentials.api_key"]["status"] == "pass"
    assert checks["credentials.api_key"]["details"]["profile"] == PROFILE
    assert checks["workload.state"]["status"] == "pass"  # asked with the same token
    for output in (done.stderr, status.stdout, status.stderr, json.dumps(doctor)):
        assert token not in output


def test_an_expired_oauth_profile_says_to_log_in_with_the_baseten_cli(
    home: Home, sandbox: Sandbox
) -> None:
    token = sandbox.controls.issue_access_token()
    write_profiles(
        home, {PROFILE: oauth_profile(home, PROFILE, token, time.time() - 60)}, current=PROFILE
    )
    station = profile_station(home, sandbox)

    done = station.ssh(HOST, "true")
    fetched = station.sshsetup("cert", "fetch", HOST)

    assert done.returncode != 0 and "Traceback" not in done.stderr
    assert "OAuth access token expired" in done.stderr and "baseten auth login" in done.stderr
    assert fetched.returncode == 6 and "baseten auth login" in fetched.stderr
    assert sandbox.controls.api_calls() == 0
    assert token not in done.stderr + fetched.stderr


def test_login_from_baseten_cli_imports_an_api_key_profile_into_sshsetups_keyring(
    home: Home, sandbox: Sandbox
) -> None:
    profiles = {"work": api_key_profile(home, "work", sandbox.api_key)}
    write_profiles(home, profiles, current="work")
    station = profile_station(home, sandbox)

    login = station.sshsetup("login", "--from-baseten-cli", "--json")

    assert login.returncode == 0, login.stderr
    result = json.loads(login.stdout)
    assert (result["key_from"], result["key_origin"]) == (
        "baseten-cli",
        "baseten CLI profile 'work'",
    )
    assert result["api_base_url"] == sandbox.api_url  # the profile's API, kept for the remote
    assert home.keyring_entry("baseten") == sandbox.api_key
    assert sandbox.api_key not in login.stdout + login.stderr
    assert station.ssh(HOST, "true").returncode == 0
    assert set(sandbox.controls.authorization_schemes) == {"Api-Key"}


def test_login_from_baseten_cli_refuses_an_oauth_profile(home: Home, sandbox: Sandbox) -> None:
    token = sandbox.controls.issue_access_token()
    write_profiles(
        home, {PROFILE: oauth_profile(home, PROFILE, token, time.time() + 3600)}, current=PROFILE
    )
    station = profile_station(home, sandbox)

    login = station.sshsetup("login", "--from-baseten-cli")

    assert login.returncode == 3
    assert "signs in with OAuth" in login.stderr and "hint:" in login.stderr
    assert home.keyring_entry("baseten") is None
    assert token not in login.stderr
