"""A local stand-in for Baseten: signing API, TLS proxy and a real sshd, all on loopback.

    with Sandbox(tmp_path / "sandbox") as sandbox:
        env = sandbox.client_env(home)   # HOME, SSL_CERT_FILE, BASETEN_BASE_URL, BASETEN_API_KEY…
        sandbox.controls.fail_next(1, 401)

Everything it creates lives under its directory; `stop()` (or leaving the `with`) ends
every thread and process it started.
"""

from __future__ import annotations

import secrets
import threading
from pathlib import Path
from types import TracebackType
from typing import TypeVar

from sshsetup.sandbox.api import SigningApi, SigningPolicy
from sshsetup.sandbox.ca import CertificateAuthority
from sshsetup.sandbox.controls import DEFAULT_CERT_VALIDITY_SECONDS, SandboxControls
from sshsetup.sandbox.proxy import TlsProxy
from sshsetup.sandbox.sshd import SshServer, local_user, login_users, running_as_root
from sshsetup.sandbox.tls import TlsFiles, create_tls_files

PROXY_HOST = "localhost"  # what the server certificate names and clients verify

__all__ = ["Sandbox", "SandboxControls"]

_T = TypeVar("_T")


class Sandbox:
    def __init__(
        self,
        directory: Path,
        *,
        api_key: str | None = None,
        cert_validity_seconds: int = DEFAULT_CERT_VALIDITY_SECONDS,
        api_latency_seconds: float = 0.0,
    ) -> None:
        self.directory = Path(directory)
        self.api_key = api_key or "sandbox-" + secrets.token_urlsafe(24)
        self.controls = SandboxControls(
            cert_validity_seconds=cert_validity_seconds, api_latency_seconds=api_latency_seconds
        )
        self.ca = CertificateAuthority()
        self._jwt_secret = secrets.token_bytes(32)
        self._stopping = threading.Event()
        self._tls_files: TlsFiles | None = None
        self._sshd: SshServer | None = None
        self._proxy: TlsProxy | None = None
        self._api: SigningApi | None = None

    # --- lifecycle --------------------------------------------------------------------------

    def __enter__(self) -> Sandbox:
        return self.start()

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    def start(self) -> Sandbox:
        """Start sshd, the proxy and the API; returns once all three are listening."""
        try:
            self.directory.mkdir(mode=0o700, parents=True, exist_ok=True)
            self.ca.write_public_key(self.ca_public_key_file)
            self._tls_files = create_tls_files(self.directory)
            self._sshd = SshServer(self.directory / "sshd", self.ca_public_key_file)
            self._sshd.start()
            self._proxy = TlsProxy(
                self._tls_files.server_context(),
                self.controls,
                self._jwt_secret,
                ("127.0.0.1", self._sshd.port),
            )
            self._proxy.start()
            policy = SigningPolicy(
                api_key=self.api_key,
                jwt_secret=self._jwt_secret,
                proxy_address=f"{PROXY_HOST}:{self._proxy.port}",
                extra_principals=() if running_as_root() else (local_user(),),
            )
            self._api = SigningApi(self.ca, self.controls, policy, self._stopping)
            self._api.up()
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self) -> None:
        """Idempotent; ends sshd (and its sessions), the proxy's and the API's threads."""
        self._stopping.set()
        if self._api is not None:
            self._api.down()
        if self._proxy is not None:
            self._proxy.close()
            self._proxy = None
        if self._sshd is not None:
            self._sshd.stop()

    # --- what clients need ------------------------------------------------------------------

    @property
    def api_url(self) -> str:
        return self._running(self._api).url

    @property
    def proxy_port(self) -> int:
        return self._running(self._proxy).port

    @property
    def proxy_address(self) -> str:
        return f"{PROXY_HOST}:{self.proxy_port}"

    @property
    def sshd_port(self) -> int:
        return self._running(self._sshd).port

    @property
    def ca_public_key_file(self) -> Path:
        return self.directory / "user_ca.pub"

    @property
    def ca_public_key(self) -> str:
        return self.ca.public_key_line

    @property
    def host_public_key(self) -> str:
        """The sshd's host key (`ssh-ed25519 AAAA…`), for a known_hosts line."""
        return self._running(self._sshd).host_public_key

    @property
    def ssl_cert_file(self) -> Path:
        """PEM of the CA that signed the proxy's certificate: the value for SSL_CERT_FILE."""
        return self._running(self._tls_files).ca_file

    @property
    def login_users(self) -> tuple[str, ...]:
        """Who the sshd can log in: `baseten` and `app` as root, else only the local user."""
        return login_users()

    def sshd_log(self) -> str:
        return self._running(self._sshd).log_text()

    def client_env(self, home: Path) -> dict[str, str]:
        """The environment a client in ``home`` needs to use this sandbox."""
        return {
            "HOME": str(home),
            "SSL_CERT_FILE": str(self.ssl_cert_file),
            "BASETEN_BASE_URL": self.api_url,
            "BASETEN_API_KEY": self.api_key,
            "SSHSETUP_CONFIG_DIR": str(home / ".config" / "sshsetup"),
            "SSHSETUP_STATE_DIR": str(home / ".local" / "state" / "sshsetup"),
            # The sandbox's ssh config includes this file (sandbox.home): not the one ssh
            # reads by itself, which belongs to the user.
            "SSHSETUP_SSH_CONFIG": str(home / ".ssh" / "config"),
        }

    # --- faults -----------------------------------------------------------------------------

    def api_down(self) -> None:
        """Stop the API listening: clients get `connection refused`."""
        self._running(self._api).down()

    def api_up(self) -> None:
        self._running(self._api).up()

    @staticmethod
    def _running(component: _T | None) -> _T:
        if component is None:
            raise RuntimeError("the sandbox is not started")
        return component
