"""The sandbox's JWTs (sshsetup.sandbox.jwt): expiry and signature are checked."""

from __future__ import annotations

import pytest

from sshsetup.sandbox import jwt


def test_jwt_expiry_and_signature_are_checked() -> None:
    token = jwt.encode({"sub": "x", "exp": 1000}, b"secret")
    assert jwt.decode(token, b"secret", now=999)["sub"] == "x"
    with pytest.raises(jwt.InvalidToken, match="expired"):
        jwt.decode(token, b"secret", now=1000)
    with pytest.raises(jwt.InvalidToken, match="signature"):
        jwt.decode(token, b"other", now=999)
