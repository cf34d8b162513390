"""``proxy.accepts`` (``doctor HOST --connect``): Baseten's SSH proxy takes the session cached
for HOST, the handshake of the ProxyCommand without SSH after it
(docs/baseten-protocol.md#proxy-handshake). It never signs: with no usable session cached,
there is nothing to try, and the connection that follows fetches one as ssh would."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Mapping

from sshsetup.baseten import HostName
from sshsetup.check_ids import CheckId
from sshsetup.check_result import CheckResult, Status
from sshsetup.connect.fetch import explain_refusal
from sshsetup.connect.installation import Installation
from sshsetup.connect.session import read_session
from sshsetup.connect.tunnel import ProxyError, open_tunnel, tls_context


def proxy_check(installation: Installation, host: HostName, env: Mapping[str, str]) -> CheckResult:
    path = installation.session_file(host.cache_key)
    try:
        session = read_session(path)
    except (OSError, ValueError) as exc:
        session, problem = None, f"the cached session {path} is unusable ({exc})"
    else:
        problem = "no session is cached for it yet"
    if session is not None:
        expiring = session.problem(time.time(), installation.refresh_margin_seconds)
        if expiring is not None:
            session, problem = None, expiring
    if session is None:
        return CheckResult(
            CheckId.PROXY_ACCEPTS,
            Status.PASS,
            f"not tried for {host.name}: {problem} (doctor signs nothing; the connection below "
            "fetches one, as ssh would)",
            details={"tried": False, "session_file": path},
        )
    address = session.proxy_address
    details = {"tried": True, "proxy": address, "session_file": path}
    try:
        channel = open_tunnel(address, session.jwt, tls_context(env))
    except ProxyError as exc:
        if exc.refused:
            explained = explain_refusal(installation, host, env, exc)
            return CheckResult(
                CheckId.PROXY_ACCEPTS, Status.FAIL, explained.message, explained.hint, details
            )
        return CheckResult(CheckId.PROXY_ACCEPTS, Status.FAIL, exc.message, exc.hint, details)
    with contextlib.suppress(OSError):
        channel.sock.close()
    return CheckResult(
        CheckId.PROXY_ACCEPTS,
        Status.PASS,
        f"the SSH proxy at {address} accepts the session cached for {host.name} (TLS verified)",
        details=details,
    )
