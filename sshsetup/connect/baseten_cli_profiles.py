"""Credentials of the Go CLI ``baseten`` (its profiles), read-only, for the credential lookup.

The CLI keeps named profiles in ``auth.json`` (``$BASETEN_CONFIG_DIR``, else ``baseten/`` in
the OS's user config directory as Go's ``os.UserConfigDir`` finds it) and each profile's secret
in the OS keyring (service ``baseten-profile``, account = the profile name), or in auth.json
itself when it had no keyring (docs/baseten-protocol.md#go-cli-profiles-and-keyring). The
profile used is the one ``BASETEN_PROFILE`` names, else the file's ``current`` one; its
``remote_url`` gives the API (docs/baseten-protocol.md#go-cli-api-base-url).

- an ``api_key`` profile's key is sent as ``Authorization: Api-Key``;
- an ``oauth`` profile's access token as ``Authorization: Bearer``, only while it is valid
  (with the CLI's own 10-second margin); sshsetup never refreshes it (the CLI does, on its
  next run), so an expired one is a clear "run `baseten auth login`".

Secrets never appear in a message or a ``repr``. Stdlib only (keyring through
``keyring_access``): the connect path calls it when it fetches.
"""

from __future__ import annotations

import base64
import binascii
import json
import os
import re
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from sshsetup.baseten import (
    CLI_AUTH_FILE_NAME,
    CLI_CONFIG_DIR_ENV,
    CLI_CONFIG_DIR_NAME,
    CLI_DEFAULT_REMOTE_URL,
    CLI_KEYRING_SERVICE,
    CLI_KNOWN_API_HOSTS,
    CLI_MANAGEMENT_API_ENV,
    CLI_PROFILE_ENV,
    CLI_REMOTE_URL_ENV,
)
from sshsetup.connect import jsonfile
from sshsetup.connect.keyring_access import get_password

API_KEY = "api_key"
OAUTH = "oauth"
EXPIRY_MARGIN_SECONDS = 10.0  # golang.org/x/oauth2 treats a token as expired this early
RELOGIN = "run `baseten auth login`"
# go-keyring's encodings of a secret in the macOS keychain (zalando/go-keyring, keyring_darwin.go)
_GO_KEYRING_BASE64 = "go-keyring-base64:"
_GO_KEYRING_HEX = "go-keyring-encoded:"
_RFC3339 = re.compile(
    r"(\d{4})-(\d\d)-(\d\d)[Tt](\d\d):(\d\d):(\d\d)(?:\.(\d+))?(?:([Zz])|([+-])(\d\d):(\d\d))"
)


class ProfileProblem(Exception):
    """The selected profile cannot give a credential; the message says why (never a secret)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class ProfileCredential:
    profile: str
    auth_type: str  # API_KEY or OAUTH
    secret: str = field(repr=False)
    expires_at: float | None  # an OAuth access token's expiry (None: none recorded)
    api_base_url: str
    stored_in: str  # the keyring backend, or the auth.json path

    @property
    def scheme(self) -> str:
        """The Authorization scheme the Go CLI sends this secret with."""
        return "Bearer" if self.auth_type == OAUTH else "Api-Key"


def config_dir(env: Mapping[str, str], platform: str = sys.platform) -> str | None:
    """The CLI's config directory, as ``$BASETEN_CONFIG_DIR`` or Go's ``os.UserConfigDir``
    (Linux and BSD: ``$XDG_CONFIG_HOME`` if absolute, else ``$HOME/.config``; macOS:
    ``$HOME/Library/Application Support``; Windows: ``%AppData%``) + ``baseten``.
    None where Go finds none (the CLI then has no profiles either)."""
    explicit = env.get(CLI_CONFIG_DIR_ENV)
    if explicit:
        return explicit
    if platform == "win32":
        base = env.get("AppData") or env.get("APPDATA") or ""
    elif platform == "darwin":
        home = env.get("HOME")
        base = os.path.join(home, "Library", "Application Support") if home else ""
    else:
        xdg = env.get("XDG_CONFIG_HOME")
        if xdg:
            base = xdg if os.path.isabs(xdg) else ""  # Go refuses a relative one
        else:
            home = env.get("HOME")
            base = os.path.join(home, ".config") if home else ""
    return os.path.join(base, CLI_CONFIG_DIR_NAME) if base else None


def auth_file(env: Mapping[str, str]) -> str | None:
    directory = config_dir(env)
    return os.path.join(directory, CLI_AUTH_FILE_NAME) if directory else None


def profile_credential(
    env: Mapping[str, str], now: float, keyring_site: str | None = None
) -> ProfileCredential | None:
    """The selected profile's credential; None when the CLI has no profile to offer (no
    auth.json, or none selected and no current one); ProfileProblem when the selected one
    cannot be used."""
    path = auth_file(env)
    if path is None:
        return None
    data = _read_auth_file(path)
    if data is None:
        return None
    profiles = data.get("profiles")
    if not isinstance(profiles, dict):
        profiles = {}
    chosen = env.get(CLI_PROFILE_ENV) or data.get("current")
    if not chosen or not isinstance(chosen, str):
        return None
    how = f"{CLI_PROFILE_ENV}={chosen}" if env.get(CLI_PROFILE_ENV) else "its `current`"
    profile = profiles.get(chosen)
    if not isinstance(profile, dict):
        raise ProfileProblem(
            f"{path} has no profile {chosen!r} (chosen by {how}); {RELOGIN}, or name another "
            f"profile in {CLI_PROFILE_ENV}"
        )
    where = f"baseten CLI profile {chosen!r}"
    auth_type = profile.get("auth_type")
    api_base_url = management_api_url(_remote_url(profile, env), env, where)
    secret, stored_in = _secret(chosen, profile, path, keyring_site)
    if auth_type == API_KEY:
        key = _text(secret)
        if not key:
            raise ProfileProblem(f"{where}: no API key in {stored_in}; {RELOGIN}")
        return ProfileCredential(chosen, API_KEY, key, None, api_base_url, stored_in)
    if auth_type == OAUTH:
        token, expires_at = _oauth_token(secret, where, stored_in)
        if expires_at is not None and expires_at - EXPIRY_MARGIN_SECONDS <= now:
            raise ProfileProblem(
                f"{where}: its OAuth access token expired at {_format(expires_at)} "
                "(sshsetup does not refresh it); " + RELOGIN
            )
        return ProfileCredential(chosen, OAUTH, token, expires_at, api_base_url, stored_in)
    raise ProfileProblem(f"{where} in {path}: unknown auth_type {auth_type!r}; {RELOGIN}")


def management_api_url(remote_url: str, env: Mapping[str, str], where: str) -> str:
    """The management API the Go CLI talks to for ``remote_url``: a known remote's API host,
    else ``api.`` + the remote's host without ``app.``; ``BASETEN_MANAGEMENT_API_URL_OVERRIDE``
    replaces scheme and host (docs/baseten-protocol.md#go-cli-api-base-url)."""
    parts = urlsplit(remote_url)
    if not parts.scheme or not parts.netloc or parts.path not in ("", "/") or parts.query:
        raise ProfileProblem(f"{where}: remote_url {remote_url!r} is not a Baseten app URL")
    remote = f"{parts.scheme}://{parts.netloc}"
    scheme = parts.scheme
    host = CLI_KNOWN_API_HOSTS.get(remote) or "api." + parts.netloc.removeprefix("app.")
    override = env.get(CLI_MANAGEMENT_API_ENV)
    if override:
        forced = urlsplit(override)
        if not forced.scheme or not forced.netloc:
            raise ProfileProblem(f"{CLI_MANAGEMENT_API_ENV}={override!r} is not a URL")
        scheme, host = forced.scheme, forced.netloc
    return f"{scheme}://{host}"


def _remote_url(profile: Mapping[str, object], env: Mapping[str, str]) -> str:
    value = profile.get("remote_url")
    if isinstance(value, str) and value:
        return value
    return env.get(CLI_REMOTE_URL_ENV) or CLI_DEFAULT_REMOTE_URL


def _read_auth_file(path: str) -> dict[str, object] | None:
    try:
        return jsonfile.read_object(path)
    except OSError as exc:
        raise ProfileProblem(f"cannot read {path}: {exc.strerror}") from None
    except ValueError as exc:
        raise ProfileProblem(f"{path} is unusable ({exc})") from None


def _secret(
    name: str, profile: Mapping[str, object], path: str, keyring_site: str | None
) -> tuple[object, str]:
    """The profile's secret (keyring first, as the CLI reads it; then auth.json's insecure
    copy) and where it was."""
    found = _keyring_secret(name, keyring_site)
    if found is not None:
        return found
    if profile.get("auth_type") == OAUTH:
        return profile.get("oauth_credential"), path
    return profile.get("api_key"), path


def _keyring_secret(name: str, keyring_site: str | None) -> tuple[str, str] | None:
    """The CLI's keyring entry, read through Python's keyring: go-keyring names a Windows
    credential ``service:account`` and stores UTF-8 there
    (docs/baseten-protocol.md#go-cli-keyring-entries-read-from-python)."""
    service = f"{CLI_KEYRING_SERVICE}:{name}" if sys.platform == "win32" else CLI_KEYRING_SERVICE
    try:
        where, value = get_password(service, name, keyring_site)
    except Exception:  # no keyring, a locked one, a failing backend: auth.json may still have it
        return None
    if not value:
        return None
    return decode_go_keyring(value, sys.platform), f"keyring ({where})"


def decode_go_keyring(value: str, platform: str) -> str:
    """The secret go-keyring stored, from what Python's keyring reads back."""
    try:
        if value.startswith(_GO_KEYRING_BASE64):
            return base64.b64decode(value[len(_GO_KEYRING_BASE64) :], validate=True).decode()
        if value.startswith(_GO_KEYRING_HEX):
            return bytes.fromhex(value[len(_GO_KEYRING_HEX) :]).decode()
    except (ValueError, binascii.Error, UnicodeDecodeError):
        return value
    if platform == "win32" and not value.isascii():
        # keyring decoded go-keyring's UTF-8 bytes as UTF-16: undo that.
        try:
            return value.encode("utf-16-le").decode("utf-8")
        except (UnicodeEncodeError, UnicodeDecodeError):
            return value
    return value


def _text(secret: object) -> str:
    return secret.strip() if isinstance(secret, str) else ""


def _oauth_token(secret: object, where: str, stored_in: str) -> tuple[str, float | None]:
    credential = secret
    if isinstance(secret, str):
        try:
            credential = json.loads(secret)
        except ValueError:
            credential = None
    token = credential.get("access_token") if isinstance(credential, dict) else None
    if not isinstance(token, str) or not token.strip():
        raise ProfileProblem(f"{where}: no OAuth access token in {stored_in}; {RELOGIN}")
    expiry = credential.get("expiry") if isinstance(credential, dict) else None
    return token.strip(), parse_rfc3339(expiry) if isinstance(expiry, str) else None


def parse_rfc3339(text: str) -> float | None:
    """Seconds since the epoch of a Go ``time.Time`` in JSON (RFC 3339, up to nanoseconds);
    None for Go's zero time (``0001-01-01T00:00:00Z``: an access token without expiry) or
    anything unreadable."""
    import calendar

    match = _RFC3339.fullmatch(text.strip())
    if match is None:
        return None
    year, month, day, hour, minute, second = (int(match.group(i)) for i in range(1, 7))
    if year <= 1:
        return None
    fraction = float("0." + match.group(7)) if match.group(7) else 0.0
    seconds = calendar.timegm((year, month, day, hour, minute, second, 0, 0, 0)) + fraction
    if match.group(9):
        offset = int(match.group(10)) * 3600 + int(match.group(11)) * 60
        seconds -= offset if match.group(9) == "+" else -offset
    return seconds


def _format(seconds: float) -> str:
    import time

    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(seconds))
