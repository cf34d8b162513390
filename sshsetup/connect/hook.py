"""The block's ``Match ... exec`` hook: ``main([key_dir, host])``, host = ssh's ``%h``, run
by the runtime's entry script ``hook.py`` (sshsetup.runtime).

Makes sure a usable certificate and session for the host are cached before ssh loads its
CertificateFile
(docs/ssh-config.md#produce-the-certificate-in-match-exec-not-the-proxycommand). ALWAYS exits 0
(a failing exec would make ssh skip the block and fail later with a misleading "Could not
resolve hostname"), never writes to stdout, and on failure writes one line to stderr, leaving
the ProxyCommand to fail with the real reason. ``SSHSETUP_NO_FETCH=1`` (sshsetup evaluating the
config with ``ssh -G``) means: do nothing.

Fast path, a cached certificate valid beyond the margin: a few file reads, built-in modules
only, no network. Everything for fetching is imported only when needed. An environment host
(``<env>.model-<model_id>``) has no such fast path: which deployment the environment serves is
asked on every connection (one API round-trip; the cache is reused while it is the same
deployment, docs/baseten-protocol.md#what-an-environment-connection-costs).
"""

from __future__ import annotations

import time

from sshsetup.baseten import ENVIRONMENT
from sshsetup.connect.arguments import host_and_installation
from sshsetup.connect.environment import NO_FETCH_ENV
from sshsetup.connect.report import report
from sshsetup.connect.session import host_problem

TYPE_CHECKING = False  # typing costs ~8 ms of imports; mypy still reads the block
if TYPE_CHECKING:
    from collections.abc import Mapping


def main(argv: list[str], env: Mapping[str, str]) -> int:
    try:
        ensure_certificate(argv, env)
    except KeyboardInterrupt:
        pass
    except Exception as exc:  # a bug: still never keep ssh from applying the block
        report(
            f"internal error in the Match hook ({type(exc).__name__}: {exc})",
            hint="`sshsetup cert fetch <host>` shows more; please report this",
        )
    return 0


def ensure_certificate(argv: list[str], env: Mapping[str, str]) -> None:
    if env.get(NO_FETCH_ENV) == "1":
        return
    parsed = host_and_installation(argv, "hook.py")
    if parsed is None:
        return
    host, installation = parsed
    if host.kind != ENVIRONMENT and host_problem(installation, host.cache_key, time.time()) is None:
        return
    from sshsetup.connect.fetch import ensure_host
    from sshsetup.errors import SshsetupError

    try:
        ensure_host(installation, host, env)
    except SshsetupError as exc:
        report(f"cannot get a certificate for {host.name}: {exc.message}", exc.hint)
