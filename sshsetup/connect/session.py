"""A host's cached session and certificate, and whether they are fresh: the hook's fast path.

A host is ready to connect when its certificate is valid beyond the refresh margin for the
current public key, and its session (JWT and proxy address) is present and not expiring
(``freshness`` holds the rule; ``installation`` the file layout). The session also records
when it was fetched and how far this computer's clock was from the signer's then, so both
are judged on the signer's clock from the moment of the fetch. Reading both costs a few
file reads (never through a link: private_files) and no imports beyond the built-in modules.
"""

from __future__ import annotations

from sshsetup.connect import jsonfile
from sshsetup.connect.certfile import CertificateError, parse_certificate, public_key_blob
from sshsetup.connect.freshness import certificate_problem, token_problem
from sshsetup.connect.private_files import read_private

TYPE_CHECKING = False  # typing costs ~8 ms of imports on the connect path; mypy reads this
if TYPE_CHECKING:
    from sshsetup.connect.installation import Installation


class Session:
    __slots__ = (
        "jwt",
        "proxy_address",
        "fetched_at",
        "jwt_expires_at",
        "deployment",
        "clock_offset",
    )

    def __init__(
        self,
        jwt: str,
        proxy_address: str,
        fetched_at: float,
        jwt_expires_at: float | None,
        deployment: str | None = None,
        clock_offset: float = 0.0,
    ) -> None:
        self.jwt = jwt
        self.proxy_address = proxy_address
        self.fetched_at = fetched_at  # this computer's clock
        self.jwt_expires_at = jwt_expires_at  # the signer's clock
        self.deployment = deployment  # an environment host's: the deployment it was signed for
        self.clock_offset = clock_offset  # this computer's clock minus the signer's, at the fetch

    def to_json(self) -> dict[str, object]:
        return {
            "jwt": self.jwt,
            "proxy_address": self.proxy_address,
            "fetched_at": self.fetched_at,
            "jwt_expires_at": self.jwt_expires_at,
            "deployment": self.deployment,
            "clock_offset": self.clock_offset,
        }

    def signer_time(self, local: float) -> float:
        """A time of this computer's clock on the signer's clock."""
        return local - self.clock_offset

    def problem(self, now: float, margin: float) -> str | None:
        """Why the session should be fetched again, or None if its JWT is usable."""
        return token_problem(
            self.jwt_expires_at, self.signer_time(self.fetched_at), self.signer_time(now), margin
        )


def read_session(path: str) -> Session | None:
    """The cached session; None if there is none; ValueError if the file is unusable."""
    data = jsonfile.read_object(path, private=True)
    if data is None:
        return None
    jwt = data.get("jwt")
    proxy_address = data.get("proxy_address")
    fetched_at = data.get("fetched_at")
    expires = data.get("jwt_expires_at")
    deployment = data.get("deployment")
    offset = data.get("clock_offset", 0.0)
    if not (isinstance(jwt, str) and jwt and isinstance(proxy_address, str) and proxy_address):
        raise ValueError("no JWT or proxy address in it")
    if not (
        isinstance(fetched_at, (int, float))
        and isinstance(offset, (int, float))
        and (expires is None or isinstance(expires, (int, float)))
    ):
        raise ValueError("fetched_at, jwt_expires_at or clock_offset is not a number")
    expires_at = None if expires is None else float(expires)
    deployment = deployment if isinstance(deployment, str) and deployment else None
    return Session(jwt, proxy_address, float(fetched_at), expires_at, deployment, float(offset))


def _cached_session(installation: Installation, cache_key: str) -> tuple[Session | None, str]:
    """The host's cached session, or None and why there is none usable."""
    path = installation.session_file(cache_key)
    try:
        session = read_session(path)
    except (OSError, ValueError) as exc:
        return None, f"the cached session {path} is unusable ({exc})"
    return session, "no cached session"


def session_problem(
    installation: Installation, cache_key: str, now: float, deployment: str | None = None
) -> str | None:
    """Why the host's cached session cannot be used, or None. ``deployment``: the one an
    environment host must reach now (a session signed for another is no use)."""
    session, missing = _cached_session(installation, cache_key)
    if session is None:
        return missing
    return _usable(session, installation, now, deployment)


def _usable(
    session: Session, installation: Installation, now: float, deployment: str | None
) -> str | None:
    if deployment is not None:
        from sshsetup.connect.model_environment import moved

        problem = moved(session.deployment, deployment)
        if problem is not None:
            return problem
    return session.problem(now, installation.refresh_margin_seconds)


def cached_certificate_problem(
    installation: Installation, cache_key: str, now: float, session: Session | None = None
) -> str | None:
    """Why the host's cached certificate cannot be used, or None.

    ``session``: the host's cached session, whose fetch time and clock offset the rule
    uses (None: judged on this computer's clock, its life counted from valid_after)."""
    path = installation.cert_file(cache_key)
    try:
        certificate = parse_certificate(read_private(path))
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
    margin = installation.refresh_margin_seconds
    if session is None:
        return certificate_problem(certificate, now, margin, public_key)
    signer_now, fetched_at = session.signer_time(now), session.signer_time(session.fetched_at)
    return certificate_problem(certificate, signer_now, margin, public_key, fetched_at)


def host_problem(
    installation: Installation, cache_key: str, now: float, deployment: str | None = None
) -> str | None:
    """Why the host needs a fetch before connecting (certificate first), or None."""
    session, missing = _cached_session(installation, cache_key)
    problem = cached_certificate_problem(installation, cache_key, now, session)
    if problem is not None or session is None:
        return problem or missing
    return _usable(session, installation, now, deployment)
