"""HTTP for the API calls of the connect path and ``sshsetup cert``, on ``http.client``.

What it promises (docs/baseten-protocol.md#what-the-client-accepts-from-the-api):

- **No credential to a redirect.** A 3xx answer comes back as a ``Reply`` with its
  ``location``; nothing is ever re-sent anywhere (the caller refuses it).
- **One deadline per request.** Connecting, TLS, headers and body together must finish in
  the ``Deadline``; a watchdog thread cuts the socket when it passes, so a body trickled one
  byte at a time ends too. (Name resolution is left to the system resolver's own timeout.)
- **Bounded answers.** At most ``MAX_BODY_BYTES`` are read; JSON deeper than
  ``MAX_JSON_DEPTH`` or not JSON at all is a malformed answer (ApiError, exit 7).
- **Opaque credentials.** The caller passes the whole ``Authorization`` value
  (``Api-Key …``, ``Bearer …``); ``redact`` removes it, and anything else that looks like a
  secret, from every text of the API's that is shown or logged.

Proxies from the environment (``HTTPS_PROXY``, ``NO_PROXY``...) are honoured as by urllib.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import re
import socket
import ssl
import threading
import time
import urllib.parse
import urllib.request
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from sshsetup.connect.environment import API_TIMEOUT_ENV
from sshsetup.errors import ApiError, BadInput, NetworkError

MAX_BODY_BYTES = 1024 * 1024
MAX_JSON_DEPTH = 32
MAX_MESSAGE = 300
READ_SIZE = 64 * 1024
_WATCHDOG_POLL_SECONDS = 0.05
REDACTED = "[redacted]"
_TLS_HINT = (
    "Python could not verify the API's TLS certificate: point SSL_CERT_FILE at a CA bundle "
    "(e.g. the file `python -m certifi` prints), or install your system's CA certificates"
)
# What looks like a secret in free text: a credential after its scheme or name, a JWT, and
# long runs of token characters mixing upper case, lower case and digits, or long hex.
_SECRET_PATTERNS = (
    re.compile(r"(?i)\b(api-key|bearer|basic)(\s+)[^\s,;'\"]+"),
    re.compile(r"(?i)\b(api[_-]?key|token|secret|password|jwt)(\"?\s*[:=]\s*\"?)[^\s,;'\"}]+"),
    re.compile(r"eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*"),
    re.compile(r"(?=[A-Za-z0-9_+/=-]*[a-z])(?=[A-Za-z0-9_+/=-]*[A-Z])(?=[A-Za-z0-9_+/=-]*\d)"
               r"[A-Za-z0-9_+/=-]{20,}"),
    re.compile(r"[0-9a-fA-F]{32,}"),
)  # fmt: skip
_KNOWN_SECRET_WINDOW = 8  # no run of this many characters of a known secret survives


class TransportError(NetworkError):
    """The request got no HTTP answer; ``stage`` says where it stopped: ``dns`` (the name did
    not resolve), ``tcp`` (no connection), ``tls`` (no trusted TLS session), ``timeout`` (no
    complete answer in time), ``closed`` (the connection ended before the answer did)."""

    def __init__(self, message: str, hint: str, stage: str) -> None:
        super().__init__(message, hint)
        self.stage = stage


class Deadline:
    """A point in time every step of a request must finish by."""

    __slots__ = ("seconds", "_end")

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self._end = time.monotonic() + seconds

    def remaining(self) -> float:
        return self._end - time.monotonic()

    @property
    def expired(self) -> bool:
        return self.remaining() <= 0


@dataclass(frozen=True)
class Reply:
    """A complete HTTP answer, whatever its status."""

    status: int
    reason: str
    body: bytes
    location: str | None  # where a 3xx pointed (never followed)
    server_date: float | None  # the Date header, seconds since the epoch on the server's clock


def send(
    method: str,
    url: str,
    *,
    authorization: str | None,
    deadline: Deadline,
    body: bytes | None = None,
    headers: Mapping[str, str] | None = None,
) -> Reply:
    """One request, no redirect followed, answer read to the end within ``deadline``;
    ``authorization`` None sends no credential at all."""
    parts = urllib.parse.urlsplit(url)
    where = parts.netloc
    try:
        connection, target = _connection(parts, deadline)
    except ValueError as exc:  # a port that is no number, a proxy URL that is no URL
        raise BadInput(
            f"cannot use the API URL {redact(url)} ({exc})",
            hint="check the remote's API URL (`sshsetup remote list`), BASETEN_BASE_URL and "
            "HTTPS_PROXY",
        ) from None
    watchdog = _Watchdog(connection, deadline)
    all_headers = dict(headers or {})
    if authorization is not None:
        all_headers["Authorization"] = authorization
    if body is not None:
        all_headers["Content-Length"] = str(len(body))
    try:
        connection.request(method, target, body=body, headers=all_headers)
        watchdog.sock = connection.sock  # the answer may outlive the connection's reference
        response = connection.getresponse()
        data = _read_capped(response, where)
        if deadline.expired:  # the watchdog may have cut the body short
            raise TimeoutError
        return Reply(
            response.status,
            response.reason,
            data,
            response.getheader("Location"),
            _server_date(response.getheader("Date")),
        )
    except (OSError, http.client.HTTPException) as exc:
        raise _failure(exc, where, deadline) from None
    except ValueError as exc:  # http.client refuses what cannot go on the wire
        raise BadInput(
            f"cannot send a request to the API at {where} ({redact(str(exc))})",
            hint="check the remote's API URL (`sshsetup remote list`) and BASETEN_BASE_URL",
        ) from None
    finally:
        watchdog.done.set()
        connection.close()


def parse_json(reply: Reply, where: str) -> Any:
    """The reply's body as JSON; ApiError ("malformed answer") when it is not usable JSON."""
    try:
        value = json.loads(reply.body)
    except (ValueError, RecursionError):
        raise _malformed(where, "it is not JSON") from None
    if _depth_exceeds(value, MAX_JSON_DEPTH):
        raise _malformed(where, f"its JSON is nested deeper than {MAX_JSON_DEPTH} levels")
    return value


def error_message(reply: Reply, secrets: Iterable[str]) -> str:
    """The API's own words about an error (JSON error/detail/message, or a list's first
    item), redacted and truncated; the HTTP reason when there are none."""
    try:
        body = parse_json(reply, "")
    except ApiError:
        body = None
    message: Any = None
    if isinstance(body, dict):
        message = body.get("error") or body.get("detail") or body.get("message")
    elif isinstance(body, list) and body:
        message = body[0]
    text = str(message) if message else (reply.reason or "no details")
    return redact(text, secrets)


def redact(text: str, secrets: Iterable[str] = ()) -> str:
    """``text`` on one line, without the known ``secrets`` (nor any 8-character piece of
    one) or anything that looks like a credential, at most MAX_MESSAGE characters."""
    text = " ".join(text.split())[: MAX_MESSAGE * 4]
    text = _without_known(text, [secret for secret in secrets if secret])
    for pattern in _SECRET_PATTERNS:
        text = pattern.sub(_replacement, text)
    return text if len(text) <= MAX_MESSAGE else text[: MAX_MESSAGE - 3] + "..."


def public_location(location: str) -> str:
    """Where a redirect pointed, without user info, query or fragment (they may hold tokens)."""
    parts = urllib.parse.urlsplit(location)
    host = parts.hostname or ""
    if parts.port:
        host += f":{parts.port}"
    shown = f"{parts.scheme}://{host}{parts.path}" if parts.scheme else parts.path
    return shown + ("?…" if parts.query else "")


def _replacement(match: re.Match[str]) -> str:
    if match.lastindex:  # a name and its separator, then the secret
        return match.group(1) + match.group(2) + REDACTED
    return REDACTED


def _without_known(text: str, secrets: list[str]) -> str:
    windows = {
        secret[i : i + _KNOWN_SECRET_WINDOW]
        for secret in secrets
        for i in range(max(1, len(secret) - _KNOWN_SECRET_WINDOW + 1))
    }
    if not windows:
        return text
    hidden = [False] * len(text)
    for window in windows:
        start = text.find(window)
        while start >= 0:
            hidden[start : start + len(window)] = [True] * len(window)
            start = text.find(window, start + 1)
    pieces = []
    for index, char in enumerate(text):
        if not hidden[index]:
            pieces.append(char)
        elif index == 0 or not hidden[index - 1]:
            pieces.append(REDACTED)
    return "".join(pieces)


def _depth_exceeds(value: Any, limit: int) -> bool:
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            children: Iterable[Any] = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        if depth > limit:
            return True
        stack.extend((child, depth + 1) for child in children)
    return False


def _connection(
    parts: urllib.parse.SplitResult, deadline: Deadline
) -> tuple[http.client.HTTPConnection, str]:
    """A connection for the URL (through the environment's proxy, if any) and the request
    target to send it."""
    host, port = parts.hostname or "", parts.port
    target = parts.path or "/"
    if parts.query:
        target += "?" + parts.query
    timeout = max(deadline.remaining(), 0.001)
    proxy = _proxy_for(parts.scheme, host)
    if parts.scheme == "https":
        context = ssl.create_default_context()
        if proxy is None:
            return http.client.HTTPSConnection(host, port, timeout=timeout, context=context), target
        tunnel = http.client.HTTPSConnection(
            proxy.hostname or "", proxy.port, timeout=timeout, context=context
        )
        tunnel.set_tunnel(host, port, headers=_proxy_headers(proxy))
        return tunnel, target
    if proxy is None:
        return http.client.HTTPConnection(host, port, timeout=timeout), target
    # A plain-http API through a proxy: the proxy gets the absolute URL.
    forward = http.client.HTTPConnection(proxy.hostname or "", proxy.port, timeout=timeout)
    return forward, urllib.parse.urlunsplit(parts._replace(fragment=""))


def _proxy_for(scheme: str, host: str) -> urllib.parse.SplitResult | None:
    proxies = urllib.request.getproxies()
    proxy = proxies.get(scheme)
    if not proxy or urllib.request.proxy_bypass(host):
        return None
    if "://" not in proxy:
        proxy = "http://" + proxy
    parts = urllib.parse.urlsplit(proxy)
    parts.port  # noqa: B018 (raises ValueError for a port that is no number)
    return parts


def _proxy_headers(proxy: urllib.parse.SplitResult) -> dict[str, str]:
    if proxy.username is None:
        return {}
    import base64

    user = urllib.parse.unquote(proxy.username)
    password = urllib.parse.unquote(proxy.password or "")
    token = base64.b64encode(f"{user}:{password}".encode()).decode()
    return {"Proxy-Authorization": f"Basic {token}"}


class _Watchdog:
    """Shuts the request's socket at the deadline, and again until the request gives up:
    it may be between sockets (connecting, starting TLS), and once the answer's headers are
    in, only ``sock`` still reaches the socket the body comes from."""

    def __init__(self, connection: http.client.HTTPConnection, deadline: Deadline) -> None:
        self.connection = connection
        self.deadline = deadline
        self.sock: socket.socket | None = None
        self.done = threading.Event()
        threading.Thread(target=self._run, name="api-deadline", daemon=True).start()

    def _run(self) -> None:
        if self.done.wait(max(self.deadline.remaining(), 0)):
            return
        while not self.done.is_set():
            for sock in (self.connection.sock, self.sock):
                if sock is not None:
                    with contextlib.suppress(OSError):
                        sock.shutdown(socket.SHUT_RDWR)
            self.done.wait(_WATCHDOG_POLL_SECONDS)


def _read_capped(response: http.client.HTTPResponse, where: str) -> bytes:
    declared = response.getheader("Content-Length")
    if declared and declared.strip().isdigit() and int(declared) > MAX_BODY_BYTES:
        raise _too_large(where)
    chunks = []
    size = 0
    while chunk := response.read(READ_SIZE):
        size += len(chunk)
        if size > MAX_BODY_BYTES:
            raise _too_large(where)
        chunks.append(chunk)
    return b"".join(chunks)


def _server_date(value: str | None) -> float | None:
    if not value:
        return None
    import email.utils

    parsed = email.utils.parsedate_tz(value)
    return None if parsed is None else float(email.utils.mktime_tz(parsed))


def _too_large(where: str) -> ApiError:
    return ApiError(
        f"the API at {where} answered with more than {MAX_BODY_BYTES // 1024} KiB; "
        "sshsetup stopped reading",
        hint="check the remote's API URL (`sshsetup remote list`) and BASETEN_BASE_URL",
    )


def _malformed(where: str, why: str) -> ApiError:
    return ApiError(
        f"malformed answer from the API at {where}: {why}",
        hint="check the remote's API URL (`sshsetup remote list`) and BASETEN_BASE_URL; "
        "if it is right, update sshsetup or report this",
    )


def _failure(exc: BaseException, where: str, deadline: Deadline) -> ApiError | NetworkError:
    """What a failed request becomes: a timeout once the deadline passed, else by cause."""
    if deadline.expired or isinstance(exc, (socket.timeout, TimeoutError)):
        return TransportError(
            f"the API at {where} did not answer within {deadline.seconds:g} s",
            f"check your network, or allow longer with {API_TIMEOUT_ENV}=<seconds>",
            "timeout",
        )
    if isinstance(exc, ssl.SSLCertVerificationError):
        return TransportError(
            f"TLS verification of the API at {where} failed ({exc.verify_message or exc})",
            _TLS_HINT,
            "tls",
        )
    if isinstance(exc, ssl.SSLError):
        return TransportError(
            f"TLS with the API at {where} failed ({exc.reason or exc})", _TLS_HINT, "tls"
        )
    if isinstance(exc, socket.gaierror):
        return TransportError(
            f"cannot resolve the API's host name {where} ({exc.strerror or exc})",
            "check the remote's API URL (`sshsetup remote list`), BASETEN_BASE_URL and your "
            "network's DNS",
            "dns",
        )
    if isinstance(exc, ConnectionRefusedError):
        return TransportError(
            f"the API at {where} refused the connection",
            "check the remote's API URL and BASETEN_BASE_URL; is the service up?",
            "tcp",
        )
    if isinstance(exc, (http.client.RemoteDisconnected, http.client.IncompleteRead)):
        return TransportError(
            f"the API at {where} closed the connection before answering completely",
            "try again; if it persists, check the remote's API URL",
            "closed",
        )
    if isinstance(exc, http.client.HTTPException):
        return _malformed(where, "it is not a valid HTTP answer")
    text = getattr(exc, "strerror", None) or str(exc) or type(exc).__name__
    return TransportError(
        f"cannot reach the API at {where} ({text})",
        "check your network connection and the remote's API URL",
        "tcp",
    )
