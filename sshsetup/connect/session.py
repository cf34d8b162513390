"""The per-host session cache and the freshness check: the Match hook's fast path.

A host is ready to connect when its certificate (``<cert_dir>/<host>-cert.pub``) is
valid beyond the refresh margin for the current public key, and its session
(``<session_dir>/<host>.json``: JWT and proxy address) is present and not expiring.
Reading both costs a few file reads and no imports beyond the built-in modules.
"""

from __future__ import annotations

from sshsetup.connect import jsonfile
from sshsetup.connect.certfile import (
    CertificateError,
    capped_margin,
    parse_certificate,
    public_key_blob,
)

TYPE_CHECKING = False  # typing costs ~8 ms of imports; mypy still reads the block
if TYPE_CHECKING:
    from sshsetup.connect.installation import ConnectSettings


class Session:
    __slots__ = ("jwt", "proxy_address", "fetched_at", "jwt_expires_at")

    def __init__(
        self, jwt: str, proxy_address: str, fetched_at: float, jwt_expires_at: float | None
    ) -> None:
        self.jwt = jwt
        self.proxy_address = proxy_address
        self.fetched_at = fetched_at
        self.jwt_expires_at = jwt_expires_at

    def to_json(self) -> dict[str, object]:
        return {
            "jwt": self.jwt,
            "proxy_address": self.proxy_address,
            "fetched_at": self.fetched_at,
            "jwt_expires_at": self.jwt_expires_at,
        }

    def problem(self, now: float, margin: float) -> str | None:
        """Why the session should be fetched again, or None if its JWT is usable."""
        if self.jwt_expires_at is None:
            return None
        effective = capped_margin(margin, self.jwt_expires_at - self.fetched_at)
        if now >= self.jwt_expires_at - effective:
            return f"the session's token expires in {int(self.jwt_expires_at - now)} s"
        return None


def read_session(path: str) -> Session | None:
    """The cached session; None if there is none; ValueError if the file is unusable."""
    data = jsonfile.read_object(path)
    if data is None:
        return None
    jwt = data.get("jwt")
    proxy_address = data.get("proxy_address")
    fetched_at = data.get("fetched_at")
    expires = data.get("jwt_expires_at")
    if not (isinstance(jwt, str) and jwt and isinstance(proxy_address, str) and proxy_address):
        raise ValueError("no JWT or proxy address in it")
    if not isinstance(fetched_at, (int, float)) or not (
        expires is None or isinstance(expires, (int, float))
    ):
        raise ValueError("fetched_at or jwt_expires_at is not a number")
    expires_at = None if expires is None else float(expires)
    return Session(jwt, proxy_address, float(fetched_at), expires_at)


def session_problem(settings: ConnectSettings, cache_key: str, now: float) -> str | None:
    """Why the host's cached session cannot be used, or None."""
    path = settings.session_file(cache_key)
    try:
        session = read_session(path)
    except (OSError, ValueError) as exc:
        return f"the cached session {path} is unusable ({exc})"
    if session is None:
        return "no cached session"
    return session.problem(now, settings.refresh_margin_seconds)


def certificate_problem(settings: ConnectSettings, cache_key: str, now: float) -> str | None:
    """Why the host's cached certificate cannot be used, or None."""
    path = settings.cert_file(cache_key)
    try:
        with open(path, "rb") as handle:
            certificate = parse_certificate(handle.read())
    except FileNotFoundError:
        return "no cached certificate"
    except OSError as exc:
        return f"cannot read the cached certificate {path} ({exc.strerror})"
    except CertificateError as exc:
        return f"the cached certificate {path} is unusable ({exc})"
    try:
        with open(settings.public_key_file, "rb") as handle:
            public_key = public_key_blob(handle.read())
    except (OSError, CertificateError) as exc:
        return f"cannot read the public key {settings.public_key_file} ({exc})"
    return certificate.problem(now, settings.refresh_margin_seconds, public_key)


def host_problem(settings: ConnectSettings, cache_key: str, now: float) -> str | None:
    """Why the host needs a fetch before connecting (certificate first), or None."""
    problem = certificate_problem(settings, cache_key, now)
    return problem or session_problem(settings, cache_key, now)
