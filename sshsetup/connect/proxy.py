"""The block's ProxyCommand: ``main([key_dir, host])``, host = ssh's ``%h``, run by the
runtime's entry script ``proxy.py`` (sshsetup.runtime).

Takes the host's cached session (fetching one first if it is missing or expiring),
opens the TLS tunnel through Baseten's SSH proxy, presents the JWT, and relays ssh's
stdin/stdout until either side ends. Failures: one line on stderr, exit 1, no traceback.
"""

from __future__ import annotations

import os
import sys
import time

from sshsetup.baseten import HostName
from sshsetup.connect.arguments import host_and_installation
from sshsetup.connect.installation import Installation
from sshsetup.connect.relay import relay
from sshsetup.connect.report import report
from sshsetup.connect.session import Session, read_session
from sshsetup.connect.tunnel import ProxyError, TlsChannel, open_tunnel, tls_context

TYPE_CHECKING = False  # typing costs ~8 ms of imports; mypy still reads the block
if TYPE_CHECKING:
    from collections.abc import Mapping

FAILED = 1


def main(argv: list[str], env: Mapping[str, str]) -> int:
    try:
        return connect(argv, env)
    except KeyboardInterrupt:
        return FAILED
    except Exception as exc:  # a bug: one line, no traceback in the middle of ssh's output
        report(
            f"internal error in the ProxyCommand ({type(exc).__name__}: {exc})",
            hint="please report this",
        )
        return FAILED


def connect(argv: list[str], env: Mapping[str, str]) -> int:
    parsed = host_and_installation(argv, "proxy.py")
    if parsed is None:
        return FAILED
    host, installation = parsed
    session = cached_session(installation, host) or fetched_session(installation, host, env)
    if session is None:
        return FAILED
    try:
        channel = open_tunnel(session.proxy_address, session.jwt, tls_context(env))
    except ProxyError as exc:
        if not exc.refused:
            report(exc.message, exc.hint)
            return FAILED
        from sshsetup.connect.fetch import explain_refusal, forget_session

        forget_session(installation, host)  # a stale or revoked JWT: the next one fetches anew
        explained = explain_refusal(installation, host, env, exc)
        report(explained.message, explained.hint)
        return FAILED
    return relay_session(channel)


def cached_session(installation: Installation, host: HostName) -> Session | None:
    try:
        session = read_session(installation.session_file(host.cache_key))
    except (OSError, ValueError):
        return None
    if session is None or session.problem(time.time(), installation.refresh_margin_seconds):
        return None
    return session


def fetched_session(
    installation: Installation, host: HostName, env: Mapping[str, str]
) -> Session | None:
    from sshsetup.connect.fetch import ensure_session
    from sshsetup.errors import SshsetupError

    try:
        return ensure_session(installation, host, env)
    except SshsetupError as exc:
        report(f"cannot get a session for {host.name}: {exc.message}", exc.hint)
        return None


def relay_session(channel: TlsChannel) -> int:
    in_fd, out_fd = sys.stdin.fileno(), sys.stdout.fileno()
    if sys.platform == "win32":  # pragma: no cover - raw bytes, no newline translation
        import msvcrt

        msvcrt.setmode(in_fd, os.O_BINARY)
        msvcrt.setmode(out_fd, os.O_BINARY)
    try:
        relay(channel, in_fd, out_fd)
    except ProxyError as exc:
        report(exc.message, exc.hint)
        return FAILED
    finally:
        channel.sock.close()
    return 0
