"""The Go CLI's credentials as it leaves them on disk: ``auth.json`` and its keyring entries
(docs/baseten-protocol.md#go-cli-profiles-and-keyring), written by hand for the tests.

Secrets go into the home's real keyring file (keyrings.alt's PlaintextKeyring, service
``baseten-profile``, account = the profile name), or into auth.json's own fields, as the CLI
does without a keyring. Times are written as Go writes a ``time.Time`` (RFC 3339, nanoseconds).
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

from helpers.homes import Home

KEYRING_SERVICE = "baseten-profile"
APP_URL = "https://app.sandbox.test"  # a remote_url; its API is pointed at the sandbox


def go_time(seconds: float) -> str:
    """``seconds`` as Go's encoding/json writes a time.Time in UTC."""
    whole = int(seconds)
    nanos = int(round((seconds - whole) * 1e9))
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(whole)) + f".{nanos:09d}Z"


def oauth_secret(access_token: str, expires_at: float) -> str:
    """What the CLI stores for an OAuth profile."""
    return json.dumps(
        {
            "access_token": access_token,
            "refresh_token": "refresh-" + access_token[-6:],
            "expiry": go_time(expires_at),
        }
    )


def write_profiles(
    home: Home,
    profiles: dict[str, dict[str, Any]],
    current: str | None,
    config_dir: Path | None = None,
) -> Path:
    """auth.json under ``config_dir`` (default: where the CLI looks on Linux, in the home's
    XDG_CONFIG_HOME); returns its path."""
    directory = config_dir or Path(home.env["XDG_CONFIG_HOME"]) / "baseten"
    directory.mkdir(parents=True, exist_ok=True, mode=0o700)
    data: dict[str, Any] = {"version": 1, "profiles": profiles}
    if current is not None:
        data["current"] = current
    path = directory / "auth.json"
    path.write_text(json.dumps(data, indent=2) + "\n")
    path.chmod(0o600)
    return path


def api_key_profile(
    home: Home, name: str, api_key: str, *, in_file: bool = False, remote_url: str = APP_URL
) -> dict[str, Any]:
    """An API-key profile; its key in the keyring, or in the profile itself (``in_file``)."""
    profile: dict[str, Any] = {"remote_url": remote_url, "auth_type": "api_key"}
    if in_file:
        profile["api_key"] = api_key
    else:
        home.put_keyring_entry(name, api_key, KEYRING_SERVICE)
    return profile


def oauth_profile(
    home: Home, name: str, access_token: str, expires_at: float, remote_url: str = APP_URL
) -> dict[str, Any]:
    home.put_keyring_entry(name, oauth_secret(access_token, expires_at), KEYRING_SERVICE)
    return {"remote_url": remote_url, "auth_type": "oauth"}
