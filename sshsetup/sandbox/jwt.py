"""HS256 JSON Web Tokens (RFC 7519), just what the sandbox's API and proxy exchange."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from typing import Any

HEADER = {"alg": "HS256", "typ": "JWT"}


class InvalidToken(ValueError):
    """Malformed, wrongly signed or expired."""


def _b64encode(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _b64decode(text: str) -> bytes:
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (ValueError, TypeError) as exc:
        raise InvalidToken("bad base64url") from exc


def _signature(signing_input: bytes, secret: bytes) -> bytes:
    return hmac.new(secret, signing_input, hashlib.sha256).digest()


def encode(claims: dict[str, Any], secret: bytes) -> str:
    header = _b64encode(json.dumps(HEADER, separators=(",", ":")).encode())
    payload = _b64encode(json.dumps(claims, separators=(",", ":"), sort_keys=True).encode())
    signing_input = f"{header}.{payload}".encode()
    return f"{header}.{payload}.{_b64encode(_signature(signing_input, secret))}"


def decode(token: str, secret: bytes, now: float | None = None) -> dict[str, Any]:
    """The claims of a token signed with ``secret`` whose `exp` is still ahead."""
    parts = token.split(".")
    if len(parts) != 3:
        raise InvalidToken("not three dot-separated parts")
    header_text, payload_text, signature_text = parts
    expected = _signature(f"{header_text}.{payload_text}".encode(), secret)
    if not hmac.compare_digest(expected, _b64decode(signature_text)):
        raise InvalidToken("bad signature")
    try:
        header = json.loads(_b64decode(header_text))
        claims = json.loads(_b64decode(payload_text))
    except ValueError as exc:
        raise InvalidToken("header or payload is not JSON") from exc
    if not isinstance(header, dict) or header.get("alg") != "HS256":
        raise InvalidToken("algorithm is not HS256")
    if not isinstance(claims, dict):
        raise InvalidToken("payload is not a JSON object")
    expires = claims.get("exp")
    if not isinstance(expires, (int, float)):
        raise InvalidToken("no exp claim")
    if (time.time() if now is None else now) >= expires:
        raise InvalidToken("expired")
    return claims
