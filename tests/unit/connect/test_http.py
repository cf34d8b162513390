"""The API transport (sshsetup.connect.http, through connect.api's SigningClient) against a
hostile API on loopback: no redirect followed, no credential in any message, bounded bodies,
one deadline for the whole request, malformed answers as ApiError."""

from __future__ import annotations

import json
import time

import pytest
from helpers.hostile_api import MODEL_HOST, Answer, HostileApi, Seen, fake_jwt, json_answer

from sshsetup.baseten import parse_host
from sshsetup.connect import http
from sshsetup.connect.api import SigningClient
from sshsetup.connect.credentials import Credential, KeySource, shares_secret
from sshsetup.errors import ApiError, NetworkError, SshsetupError

KEY = "k3yAbCdEf.0123456789SECRETabcdefGHIJ"
HOST = parse_host(MODEL_HOST)
PUBLIC_KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIE1x user@host"


def credential(secret: str = KEY, scheme: str = "Api-Key") -> Credential:
    return Credential(secret, scheme, KeySource("dev", "env", "BASETEN_API_KEY"))


def sign(api: HostileApi, timeout: float = 5.0, bearer: str | None = None) -> object:
    used = credential(bearer, "Bearer") if bearer else credential()
    return SigningClient(api.url, used, "dev", timeout).sign(HOST, PUBLIC_KEY)


def failure(api: HostileApi, timeout: float = 5.0) -> SshsetupError:
    with pytest.raises(SshsetupError) as caught:
        sign(api, timeout)
    error = caught.value
    text = error.message + error.hint
    assert not shares_secret(text, KEY), text
    return error


@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
def test_a_redirect_is_refused_and_the_target_never_sees_a_credential(status: int) -> None:
    with HostileApi() as target, HostileApi() as api:
        location = f"{target.url}/steal?token={KEY}"
        api.respond = lambda request: Answer(status, b"", (("Location", location),))
        error = failure(api)
        assert isinstance(error, ApiError)
        assert f"HTTP {status}, redirecting to {target.url}/steal?…" in error.message
        assert "never follows a redirect" in error.message
        assert "sshsetup remote set-url dev" in error.hint
        assert target.requests() == []  # not contacted at all, so never given a credential
        assert [r.headers["Authorization"] for r in api.requests()] == [f"Api-Key {KEY}"]


@pytest.mark.parametrize(
    "body",
    [
        {"error": f"invalid API key: Api-Key {KEY}"},
        {"detail": f"key {KEY} is revoked"},
        {"message": f"bad key {KEY[:12]}..."},  # an echo of a piece of the key
        [f"Authorization: Api-Key {KEY}"],
    ],
)
def test_an_error_body_echoing_the_key_is_redacted(body: object) -> None:
    with HostileApi(lambda request: json_answer(body, 401)) as api:
        error = failure(api)
    assert isinstance(error, ApiError)
    assert "rejected the API key of remote 'dev' from BASETEN_API_KEY (HTTP 401:" in error.message
    assert error.hint.startswith("set BASETEN_API_KEY to a valid API key")
    assert http.REDACTED in error.message


def test_bearer_credentials_are_opaque_and_redacted_too() -> None:
    token = "eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJ1c2VyIn0.c2lnbmF0dXJlc2lnbmF0dXJl"
    with HostileApi(lambda request: json_answer({"error": f"expired: {token}"}, 403)) as api:
        with pytest.raises(ApiError) as caught:
            sign(api, bearer=token)
        assert api.requests()[0].headers["Authorization"] == f"Bearer {token}"
    assert not shares_secret(caught.value.message, token)


def test_error_text_is_truncated_and_on_one_line() -> None:
    with HostileApi(lambda request: json_answer({"error": "x\n" * 5000}, 400)) as api:
        error = failure(api)
    assert "\n" not in error.message
    assert len(error.message) < http.MAX_MESSAGE + 200


def test_a_declared_huge_body_is_refused_without_reading_it() -> None:
    huge = Answer(declare_length=False, headers=(("Content-Length", str(400 * 1024 * 1024)),))
    with HostileApi(lambda request: huge) as api:
        started = time.monotonic()
        error = failure(api)
    assert isinstance(error, ApiError)
    assert "more than 1024 KiB" in error.message
    assert time.monotonic() - started < 2


def test_an_undeclared_body_over_the_cap_stops_the_reading() -> None:
    body = b"[" + b"1," * (http.MAX_BODY_BYTES // 2 + 10) + b"1]"
    with HostileApi(lambda request: Answer(body=body, declare_length=False)) as api:
        error = failure(api)
    assert isinstance(error, ApiError)
    assert "more than 1024 KiB" in error.message


def test_a_trickled_body_ends_at_the_deadline() -> None:
    trickle = json_answer({"jwt": "x" * 100}, trickle_seconds=0.2)
    with HostileApi(lambda request: trickle) as api:
        started = time.monotonic()
        error = failure(api, timeout=1.0)
        elapsed = time.monotonic() - started
    assert isinstance(error, NetworkError)
    assert "did not answer within 1 s" in error.message
    assert elapsed < 1.8, elapsed  # the whole request, not each read


def test_trickled_headers_end_at_the_deadline() -> None:
    raw = b"HTTP/1.1 200 OK\r\n" + b"X-Slow: " + b"a" * 200 + b"\r\n\r\n{}"
    with HostileApi(lambda request: Answer(raw=raw, trickle_seconds=0.1)) as api:
        started = time.monotonic()
        error = failure(api, timeout=1.0)
        assert time.monotonic() - started < 1.8
    assert isinstance(error, NetworkError)


@pytest.mark.parametrize(
    ("body", "why"),
    [
        (b"[" * 100_000 + b"]" * 100_000, "it is not JSON"),  # RecursionError in the parser
        (b'{"a":' * 40 + b"1" + b"}" * 40, "its JSON is nested deeper than 32 levels"),
        (b"<html>gateway</html>", "it is not JSON"),
        (b"\xff\xfe\x00garbage", "it is not JSON"),
    ],
)
def test_malformed_or_too_deep_json_is_a_malformed_answer(body: bytes, why: str) -> None:
    with HostileApi(lambda request: Answer(body=body)) as api:
        error = failure(api)
    assert isinstance(error, ApiError)  # exit 7, never an internal error
    assert f"malformed answer from the API at {api.url[7:]}: {why}" in error.message


def test_json_nested_within_the_cap_is_read() -> None:
    nested: object = "end"
    for _ in range(http.MAX_JSON_DEPTH - 1):
        nested = [nested]
    with HostileApi(lambda request: json_answer({"deep": nested})) as api:
        error = failure(api)  # parsed fine; it just lacks the certificate
    assert "answered without 'ssh_certificate'" in error.message


def test_an_answer_that_is_not_http_is_malformed_and_a_hangup_is_a_network_error() -> None:
    with HostileApi(lambda request: Answer(raw=b"SSH-2.0-OpenSSH_9.2\r\n\r\n")) as api:
        assert "not a valid HTTP answer" in failure(api).message
    with HostileApi(lambda request: Answer(raw=b"")) as api:
        hangup = failure(api)
    assert isinstance(hangup, NetworkError)
    assert "closed the connection before answering completely" in hangup.message


def test_the_signers_date_comes_back_with_the_answer() -> None:
    answer = {"ssh_certificate": "c", "jwt": fake_jwt(), "proxy_address": "localhost:1"}
    with HostileApi(lambda request: json_answer(answer, date=1_000_000_000.0)) as api:
        signed = sign(api)
    assert signed.server_date == 1_000_000_000.0  # type: ignore[attr-defined]


def test_requests_carry_the_client_version_and_json() -> None:
    def echo(request: Seen) -> Answer:
        return json_answer({"error": "no"}, 400)

    with HostileApi(echo) as api:
        failure(api)
        (request,) = api.requests()
    assert request.headers["X-Client-Version"]
    assert request.headers["Content-Type"] == "application/json"
    assert request.json == {"public_key": PUBLIC_KEY}


@pytest.mark.parametrize(
    ("text", "kept", "gone"),
    [
        (f"Api-Key {KEY} is invalid", "Api-Key [redacted] is invalid", KEY),
        ("Bearer abc.def.ghi", "Bearer [redacted]", "abc.def"),
        ('{"api_key": "xyz123secret"}', '"api_key": "[redacted]', "xyz123secret"),
        ("token=0123456789abcdef0123456789abcdef", "token=[redacted]", "0123456789abcdef"),
        ("job abc123 not found on api.staging.baseten.co", "job abc123 not found", None),
        ("sk_live_4eC39HqLyjWDarjtT1zdp7dc leaked", "[redacted] leaked", "4eC39HqLy"),
        ("deadbeef" * 5, "[redacted]", "deadbeef"),
    ],
)
def test_redact_removes_what_looks_like_a_credential(
    text: str, kept: str, gone: str | None
) -> None:
    redacted = http.redact(text)
    assert kept in redacted
    if gone:
        assert gone not in redacted


def test_redact_removes_every_piece_of_a_known_secret() -> None:
    secret = "plainlowercasesecretvalue"  # nothing a pattern would catch
    text = f"echo: {secret[3:15]} and {secret}"
    assert not shares_secret(http.redact(text, [secret]), secret)
    assert json.dumps(http.redact("ok")) == '"ok"'


@pytest.mark.parametrize(
    ("url", "proxy"),
    [("http://127.0.0.1:99999", ""), ("http://127.0.0.1:notaport", ""), ("https://a.b", "x:y:z")],
)
def test_an_unusable_api_or_proxy_url_is_bad_input(
    url: str, proxy: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    if proxy:
        monkeypatch.setenv("HTTPS_PROXY", f"http://{proxy}")
    client = SigningClient(url, credential(), "dev", 5)
    with pytest.raises(SshsetupError) as caught:
        client.sign(HOST, PUBLIC_KEY)
    assert caught.value.exit_code == 3
    assert "cannot use the API URL" in caught.value.message
