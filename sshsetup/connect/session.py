"""A host's cached session and certificate, and whether they are fresh: the hook's fast path.

A host is ready to connect when its certificate is valid beyond the refresh margin for the
current public key, and its session (JWT and proxy address) is present and not expiring
(``freshness`` holds the rule; ``installation`` the file layout). Reading both costs a few
file reads and no imports beyond the built-in modules.
"""

from __future__ import annotations

from sshsetup.connect import jsonfile
from sshsetup.connect.certfile import CertificateError, parse_certificate, public_key_blob
from sshsetup.connect.freshness import certificate_problem, token_problem

TYPE_CHECKING = False  # typing costs ~8 ms of imports on the connect path; mypy reads this
if TYPE_CHECKING:
    from sshsetup.connect.installation import Installation


class Session:
    __slots__ = ("jwt", "proxy_address", "fetched_at", "jwt_expires_at", "deployment")

    def __init__(
        self,
        jwt: str,
        proxy_address: str,
        fetched_at: float,
        jwt_expires_at: float | None,
        deployment: str | None = None,
    ) -> None:
        self.jwt = jwt
        self.proxy_address = proxy_address
        self.fetched_at = fetched_at
        self.jwt_expires_at = jwt_expires_at
        self.deployment = deployment  # an environment host's: the deployment it was signed for

    def to_json(self) -> dict[str, object]:
        return {
            "jwt": self.jwt,
            "proxy_address": self.proxy_address,
            "fetched_at": self.fetched_at,
            "jwt_expires_at": self.jwt_expires_at,
            "deployment": self.deployment,
        }

    def problem(self, now: float, margin: float) -> str | None:
        """Why the session should be fetched again, or None if its JWT is usable."""
        return token_problem(self.jwt_expires_at, self.fetched_at, now, margin)


def read_session(path: str) -> Session | None:
    """The cached session; None if there is none; ValueError if the file is unusable."""
    data = jsonfile.read_object(path)
    if data is None:
        return None
    jwt = data.get("jwt")
    proxy_address = data.get("proxy_address")
    fetched_at = data.get("fetched_at")
    expires = data.get("jwt_expires_at")
    deployment = data.get("deployment")
    if not (isinstance(jwt, str) and jwt and isinstance(proxy_address, str) and proxy_address):
        raise ValueError("no JWT or proxy address in it")
    if not isinstance(fetched_at, (int, float)) or not (
        expires is None or isinstance(expires, (int, float))
    ):
        raise ValueError("fetched_at or jwt_expires_at is not a number")
    expires_at = None if expires is None else float(expires)
    deployment = deployment if isinstance(deployment, str) and deployment else None
    return Session(jwt, proxy_address, float(fetched_at), expires_at, deployment)


def session_problem(
    installation: Installation, cache_key: str, now: float, deployment: str | None = None
) -> str | None:
    """Why the host's cached session cannot be used, or None. ``deployment``: the one an
    environment host must reach now (a session signed for another is no use)."""
    path = installation.session_file(cache_key)
    try:
        session = read_session(path)
    except (OSError, ValueError) as exc:
        return f"the cached session {path} is unusable ({exc})"
    if session is None:
        return "no cached session"
    if deployment is not None:
        from sshsetup.connect.model_environment import moved

        problem = moved(session.deployment, deployment)
        if problem is not None:
            return problem
    return session.problem(now, installation.refresh_margin_seconds)


def cached_certificate_problem(
    installation: Installation, cache_key: str, now: float
) -> str | None:
    """Why the host's cached certificate cannot be used, or None."""
    path = installation.cert_file(cache_key)
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
        with open(installation.public_key_file, "rb") as handle:
            public_key = public_key_blob(handle.read())
    except (OSError, CertificateError) as exc:
        return f"cannot read the public key {installation.public_key_file} ({exc})"
    return certificate_problem(certificate, now, installation.refresh_margin_seconds, public_key)


def host_problem(
    installation: Installation, cache_key: str, now: float, deployment: str | None = None
) -> str | None:
    """Why the host needs a fetch before connecting (certificate first), or None."""
    problem = cached_certificate_problem(installation, cache_key, now)
    return problem or session_problem(installation, cache_key, now, deployment)
