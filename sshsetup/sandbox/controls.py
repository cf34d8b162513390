"""Knobs and counters shared by the sandbox's API and proxy; every access is thread-safe."""

from __future__ import annotations

import secrets
import threading
from collections import Counter, deque

from sshsetup.sandbox.workloads import Workloads

FORCEABLE_STATUSES = (400, 401, 403, 404, 429, 500, 502, 503)
DEFAULT_CERT_VALIDITY_SECONDS = 3600
SHUTDOWN_POLL_SECONDS = 0.02  # how long stopping the API or the proxy waits for its thread
# Pending connections the API and the proxy let the kernel queue; socketserver's default of
# 5 makes a burst of parallel ssh wait for SYN retransmissions
# (docs/certificates.md#a-loopback-test-sshd).
LISTEN_BACKLOG = 256


class SandboxControls:
    """Read by request/session threads, set by tests and benchmarks at any time."""

    def __init__(
        self,
        *,
        cert_validity_seconds: int = DEFAULT_CERT_VALIDITY_SECONDS,
        api_latency_seconds: float = 0.0,
    ) -> None:
        self._lock = threading.Lock()
        self._counts: Counter[str] = Counter()
        self._forced: deque[int] = deque()
        self._headers: list[tuple[str | None, str | None]] = []  # version, auth scheme
        self._api_latency_seconds = api_latency_seconds
        self._cert_validity_seconds = cert_validity_seconds
        self._agent_forwarding = True
        self._refuse_jwt = False
        self._close_sessions_after_bytes: int | None = None
        self._proxy_idle_timeout_seconds: float | None = None
        self._proxy_forwarding = True
        self._ssh_enabled = True
        self._access_tokens: set[str] = set()
        self.workloads = Workloads()  # jobs, sessions, environments: tests change them here

    # --- counters ---------------------------------------------------------------------------

    def count(self, name: str) -> None:
        with self._lock:
            self._counts[name] += 1

    def calls(self, name: str) -> int:
        """How often ``name`` happened: an API endpoint (`search`, `sign_training`,
        `sign_model`, `environment`, `deployment`, `users_me`, `job`, `auth_codes`,
        `update_session`, `update_job_session`, `models`, `unknown`) or a proxy event
        (`proxy_session`, `proxy_refused`, `proxy_closed` (closed without a status byte while
        a session starts), `proxy_idle_closed`, `proxy_tls_failed`)."""
        with self._lock:
            return self._counts[name]

    def counts(self) -> dict[str, int]:
        with self._lock:
            return dict(self._counts)

    def api_calls(self) -> int:
        """Every request the signing API received, whatever its answer."""
        with self._lock:
            return sum(n for name, n in self._counts.items() if not name.startswith("proxy_"))

    def record_headers(self, client_version: str | None, scheme: str | None) -> None:
        """What an API request said about itself: X-Client-Version, the Authorization scheme."""
        with self._lock:
            self._headers.append((client_version, scheme))

    @property
    def client_versions(self) -> list[str | None]:
        """The X-Client-Version header of each API request (None when absent), in order."""
        with self._lock:
            return [version for version, _ in self._headers]

    @property
    def authorization_schemes(self) -> list[str | None]:
        """The Authorization scheme of each API request (`Api-Key`, `Bearer`, None)."""
        with self._lock:
            return [scheme for _, scheme in self._headers]

    def reset_counters(self) -> None:
        with self._lock:
            self._counts.clear()
            self._headers.clear()

    # --- credentials ------------------------------------------------------------------------

    def issue_access_token(self) -> str:
        """An OAuth access token the API accepts as `Authorization: Bearer` (as a baseten CLI
        profile holds one)."""
        token = "sandbox-oauth-" + secrets.token_urlsafe(24)
        with self._lock:
            self._access_tokens.add(token)
        return token

    def accepts_access_token(self, token: str) -> bool:
        with self._lock:
            return any(secrets.compare_digest(token, known) for known in self._access_tokens)

    @property
    def ssh_enabled(self) -> bool:
        """Whether the workspace may use SSH: when not, every sign request is refused (403) and
        the proxy refuses every session, as Baseten refuses a workspace support has not
        enabled."""
        with self._lock:
            return self._ssh_enabled

    @ssh_enabled.setter
    def ssh_enabled(self, value: bool) -> None:
        with self._lock:
            self._ssh_enabled = value

    # --- faults -----------------------------------------------------------------------------

    def fail_next(self, count: int, status: int) -> None:
        """Answer the next ``count`` API requests with ``status`` (and a JSON error)."""
        if status not in FORCEABLE_STATUSES:
            raise ValueError(f"status {status} is not one of {FORCEABLE_STATUSES}")
        with self._lock:
            self._forced.extend([status] * count)

    def take_forced_status(self) -> int | None:
        with self._lock:
            return self._forced.popleft() if self._forced else None

    @property
    def api_latency_seconds(self) -> float:
        with self._lock:
            return self._api_latency_seconds

    @api_latency_seconds.setter
    def api_latency_seconds(self, value: float) -> None:
        if value < 0:
            raise ValueError("latency cannot be negative")
        with self._lock:
            self._api_latency_seconds = value

    @property
    def refuse_jwt(self) -> bool:
        """When set, the proxy answers every handshake with a refusal status byte."""
        with self._lock:
            return self._refuse_jwt

    @refuse_jwt.setter
    def refuse_jwt(self, value: bool) -> None:
        with self._lock:
            self._refuse_jwt = value

    @property
    def close_sessions_after_bytes(self) -> int | None:
        """When set, the proxy ends each session after relaying this many bytes (both ways)."""
        with self._lock:
            return self._close_sessions_after_bytes

    @close_sessions_after_bytes.setter
    def close_sessions_after_bytes(self, value: int | None) -> None:
        if value is not None and value < 0:
            raise ValueError("byte limit cannot be negative")
        with self._lock:
            self._close_sessions_after_bytes = value

    @property
    def proxy_idle_timeout_seconds(self) -> float | None:
        """When set, the proxy closes a session that relayed nothing either way for this long
        (as load balancers and NAT devices drop idle connections)."""
        with self._lock:
            return self._proxy_idle_timeout_seconds

    @proxy_idle_timeout_seconds.setter
    def proxy_idle_timeout_seconds(self, value: float | None) -> None:
        if value is not None and value <= 0:
            raise ValueError("the idle timeout must be positive")
        with self._lock:
            self._proxy_idle_timeout_seconds = value

    @property
    def proxy_forwarding(self) -> bool:
        """When off, the proxy stops relaying, both ways, and keeps every connection open: a
        proxy or link that died without closing anything. On again, it resumes."""
        with self._lock:
            return self._proxy_forwarding

    @proxy_forwarding.setter
    def proxy_forwarding(self, value: bool) -> None:
        with self._lock:
            self._proxy_forwarding = value

    # --- what gets signed -------------------------------------------------------------------

    @property
    def cert_validity_seconds(self) -> int:
        with self._lock:
            return self._cert_validity_seconds

    @cert_validity_seconds.setter
    def cert_validity_seconds(self, value: int) -> None:
        if value < 1:
            raise ValueError("certificate validity must be at least one second")
        with self._lock:
            self._cert_validity_seconds = value

    @property
    def agent_forwarding(self) -> bool:
        """Whether new certificates carry `permit-agent-forwarding`."""
        with self._lock:
            return self._agent_forwarding

    @agent_forwarding.setter
    def agent_forwarding(self, value: bool) -> None:
        with self._lock:
            self._agent_forwarding = value
