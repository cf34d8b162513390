"""``<key_dir>/connect.json``: where the connect path finds everything, written by setup.

The Match hook and the ProxyCommand get only ``<key_dir>`` from ssh; this file tells them
where the key, the certificates, the sessions and the tool's settings are, so they need
neither the environment sshsetup ran in nor platformdirs. The cache layout (which file
holds a host's certificate, session, lock) is written here once. Lean on purpose: plain
strings and os.path (pathlib imports ``re``).
"""

from __future__ import annotations

import os

from sshsetup.connect import jsonfile
from sshsetup.errors import BadInput

FILE_NAME = "connect.json"
VERSION = 2
SETTINGS_FILE_NAME = "settings.json"
PLAINTEXT_KEYS_FILE_NAME = "api-keys.plaintext.json"
CERT_FILE_SUFFIX = "-cert.pub"  # the block's CertificateFile is <cert_dir>/%h-cert.pub
SESSION_FILE_SUFFIX = ".json"
_PATH_FIELDS = ("key_file", "cert_dir", "session_dir", "settings_dir", "state_dir")
# Recorded by setup, optional: the interpreter the block runs the connect path with (for
# status and doctor), and the site directory where keyring was importable (the connect
# path runs with -S and, once that environment is gone, falls back to the OS's own tools).
_OPTIONAL_FIELDS = ("python", "keyring_site")
_REWRITE_HINT = "run `sshsetup setup` to write it again"


class InstallationError(BadInput):
    """connect.json is missing or unusable."""

    def __init__(self, message: str, hint: str = _REWRITE_HINT) -> None:
        super().__init__(message, hint)


class Installation:
    __slots__ = (*_PATH_FIELDS, *_OPTIONAL_FIELDS, "refresh_margin_seconds", "key_dir")

    def __init__(
        self,
        key_dir: str,
        key_file: str,
        cert_dir: str,
        session_dir: str,
        settings_dir: str,
        state_dir: str,
        refresh_margin_seconds: int,
        python: str | None = None,
        keyring_site: str | None = None,
    ) -> None:
        self.key_dir = key_dir
        self.key_file = key_file
        self.cert_dir = cert_dir
        self.session_dir = session_dir
        self.settings_dir = settings_dir
        self.state_dir = state_dir
        self.refresh_margin_seconds = refresh_margin_seconds
        self.python = python
        self.keyring_site = keyring_site

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Installation) and self.to_json() == other.to_json()

    @property
    def public_key_file(self) -> str:
        return self.key_file + ".pub"

    @property
    def settings_file(self) -> str:
        return os.path.join(self.settings_dir, SETTINGS_FILE_NAME)

    @property
    def plaintext_keys_file(self) -> str:
        return os.path.join(self.settings_dir, PLAINTEXT_KEYS_FILE_NAME)

    def cert_file(self, cache_key: str) -> str:
        """What the block's ``CertificateFile`` expands to for the host ``cache_key``."""
        return os.path.join(self.cert_dir, cache_key + CERT_FILE_SUFFIX)

    def session_file(self, cache_key: str) -> str:
        return os.path.join(self.session_dir, cache_key + SESSION_FILE_SUFFIX)

    def lock_file(self, cache_key: str) -> str:
        return os.path.join(self.session_dir, cache_key + ".lock")

    def project_file(self, cache_key: str) -> str:
        """A training job's project id: the next fetch for the job needs no search."""
        return os.path.join(self.session_dir, cache_key + ".project")

    def host_files(self, cache_key: str) -> tuple[str, ...]:
        """Everything cached for one host (its lock aside)."""
        return (
            self.cert_file(cache_key),
            self.session_file(cache_key),
            self.project_file(cache_key),
        )

    def to_json(self) -> dict[str, object]:
        data: dict[str, object] = {"version": VERSION}
        data.update({name: getattr(self, name) for name in _PATH_FIELDS})
        data["refresh_margin_seconds"] = self.refresh_margin_seconds
        data.update({name: getattr(self, name) for name in _OPTIONAL_FIELDS})
        return data


def host_of_cert_file(name: str) -> str | None:
    """The host a file name in the certificate directory belongs to (None: not a cert)."""
    if name.endswith(CERT_FILE_SUFFIX) and not name.startswith("."):
        return name[: -len(CERT_FILE_SUFFIX)]
    return None


def host_of_session_file(name: str) -> str | None:
    if name.endswith(SESSION_FILE_SUFFIX) and not name.startswith("."):
        return name[: -len(SESSION_FILE_SUFFIX)]
    return None


def load_installation(key_dir: str) -> Installation:
    path = os.path.join(key_dir, FILE_NAME)
    try:
        data = jsonfile.read_object(path)
    except OSError as exc:
        raise InstallationError(f"cannot read {path}: {exc.strerror}") from None
    except ValueError as exc:
        raise InstallationError(f"{path} is corrupt ({exc})") from None
    if data is None:
        raise InstallationError(f"{path} is missing")
    if data.get("version") != VERSION:
        raise InstallationError(
            f"{path} has version {data.get('version')!r}; this sshsetup reads version {VERSION}"
        )
    values = {name: data.get(name) for name in _PATH_FIELDS}
    optional = {name: data.get(name) for name in _OPTIONAL_FIELDS}
    margin = data.get("refresh_margin_seconds")
    if (
        not all(isinstance(value, str) and value for value in values.values())
        or not all(value is None or isinstance(value, str) for value in optional.values())
        or not (isinstance(margin, int) and margin >= 0)
    ):
        raise InstallationError(f"{path} lacks a field or has one of the wrong type")
    return Installation(
        key_dir=key_dir,
        key_file=str(values["key_file"]),
        cert_dir=str(values["cert_dir"]),
        session_dir=str(values["session_dir"]),
        settings_dir=str(values["settings_dir"]),
        state_dir=str(values["state_dir"]),
        refresh_margin_seconds=margin,
        python=optional["python"] or None,
        keyring_site=optional["keyring_site"] or None,
    )
