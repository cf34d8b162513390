"""Reads API keys from truss's ``~/.trussrc`` (never writes it), for users coming from truss.

The file is INI, one section per remote (docs/baseten-protocol.md#trussrc-api-keys;
fixtures/trussrc/SOURCES.md)::

    [baseten]
    remote_provider = baseten
    api_key = <key>
    remote_url = https://app.baseten.co

``USER_TRUSSRC_PATH`` overrides the location, as in truss. Newer truss versions may
move the key of a section marked ``auth_type = api_key`` into the OS keyring (service
``baseten-truss``, username = section, a JSON object with ``api_key``); such a section
is followed there. ``auth_type = oauth`` sections hold no API key.

Error messages name the file and the line, never a line's text: it may hold a key.
"""

from __future__ import annotations

import configparser
import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from sshsetup.baseten import TRUSS_KEYRING_SERVICE, TRUSSRC_ENV
from sshsetup.connect.keyring_access import get_password
from sshsetup.errors import BadInput, NotLoggedIn


@dataclass(frozen=True)
class TrussSection:
    name: str
    api_key: str | None  # None: no API key in this section (OAuth, or keyring entry missing)
    auth_type: str | None


def trussrc_path(home: str | Path, env: Mapping[str, str]) -> Path:
    override = env.get(TRUSSRC_ENV)
    return Path(override).expanduser() if override else Path(home) / ".trussrc"


def read_trussrc(path: Path, keyring_site: str | None = None) -> dict[str, TrussSection] | None:
    """All sections of the file (None when it does not exist), keys resolved (``keyring_site``:
    see connect.keyring_access)."""
    parser = configparser.ConfigParser(interpolation=None)  # no %-expansion inside keys
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) else "not UTF-8 text"
        raise BadInput(
            f"cannot read {path}: {reason}",
            hint=f"fix {path} (truss's config), or point {TRUSSRC_ENV} elsewhere",
        ) from None
    try:
        parser.read_string(text, source=str(path))
    except configparser.Error as exc:
        raise BadInput(
            f"{path}{_line_of(exc)}: not a valid INI file",
            hint="fix it with `truss login`, or log in with `sshsetup login`",
        ) from None
    return {name: _section(name, parser[name], keyring_site) for name in parser.sections()}


def find_section(sections: Mapping[str, TrussSection], remote: str) -> TrussSection | None:
    """The section for ``remote``: exact name first, else the one matching case-insensitively."""
    if remote in sections:
        return sections[remote]
    folded = [s for name, s in sections.items() if name.lower() == remote.lower()]
    return folded[0] if len(folded) == 1 else None


def _section(
    name: str, values: configparser.SectionProxy, keyring_site: str | None
) -> TrussSection:
    auth_type = values.get("auth_type")
    api_key = values.get("api_key") or None
    if api_key is None and auth_type == "api_key":
        api_key = _truss_keyring_api_key(name, keyring_site)
    return TrussSection(name=name, api_key=api_key, auth_type=auth_type)


def _truss_keyring_api_key(section: str, keyring_site: str | None) -> str | None:
    try:
        _, blob = get_password(TRUSS_KEYRING_SERVICE, section, keyring_site)
    except Exception:  # any backend failure: this source simply has no key
        return None
    if not blob:
        return None
    try:
        payload = json.loads(blob)
    except ValueError:
        return None
    key = payload.get("api_key") if isinstance(payload, dict) else None
    return key if isinstance(key, str) and key else None


def _line_of(exc: configparser.Error) -> str:
    lineno = getattr(exc, "lineno", None)
    if lineno is None and isinstance(exc, configparser.ParsingError) and exc.errors:
        lineno = exc.errors[0][0]
    return f" line {lineno}" if lineno else ""


def no_key_error(
    path: Path, remote: str, sections: Mapping[str, TrussSection] | None
) -> NotLoggedIn:
    """Why ``--from-trussrc`` found nothing to import (names sections, never values)."""
    if sections is None:
        return NotLoggedIn(
            f"{path} does not exist",
            hint=f"log in with `sshsetup login` instead, or set {TRUSSRC_ENV}",
        )
    section = find_section(sections, remote)
    if section is None:
        available = ", ".join(sorted(sections)) or "none"
        return NotLoggedIn(
            f"{path} has no section [{remote}] (sections: {available})",
            hint="choose one with --remote NAME",
        )
    if section.auth_type == "oauth":
        return NotLoggedIn(
            f"{path}: remote [{section.name}] signs in with OAuth and holds no API key",
            hint="create an API key in Baseten's settings and run `sshsetup login`",
        )
    return NotLoggedIn(
        f"{path}: section [{section.name}] has no api_key",
        hint="run `truss login` first, or `sshsetup login` with the key",
    )
