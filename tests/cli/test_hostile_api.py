"""`sshsetup cert fetch` (and the Match hook) against a hostile signing API on loopback: every
wrong answer is exit 7 with what was wrong, nothing is cached, no credential is shown, no
lock outlives the deadline; and, as a property over API answers, never a traceback, never
a write outside the cache directories, never a secret on stdout or stderr."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.serialization import SSHCertificateType
from helpers.cli import CliResult
from helpers.homes import Home
from helpers.hostile_api import (
    API_KEY,
    MODEL_HOST,
    Answer,
    HostileApi,
    Seen,
    Signer,
    fake_jwt,
    json_answer,
)
from helpers.sandbox import run_connect
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sshsetup.connect.credentials import shares_secret
from sshsetup.runtime import Runtime

pytestmark = pytest.mark.posix_only  # file modes

SIGNER = Signer()
JWT = fake_jwt(subject="the-session-token-nobody-may-see")


def fetch(home: Home, *options: str) -> CliResult:
    return home.run("cert", "fetch", MODEL_HOST, *options)


def cached(home: Home) -> list[str]:
    """The certificates and sessions on disk (locks aside)."""
    paths = home.paths
    found = []
    for directory in (paths.cert_dir, paths.session_dir):
        if directory.exists():
            found += [p.name for p in directory.iterdir() if not p.name.endswith(".lock")]
    return sorted(found)


def assert_no_secret(result: CliResult) -> None:
    text = result.stdout + result.stderr
    for secret in (API_KEY, JWT):
        assert not shares_secret(text, secret), text
    assert "Traceback" not in text and "internal error" not in text


def sign_with(**certificate: Any) -> Callable[[Seen], Answer]:
    return lambda request: SIGNER.answer(request, jwt=JWT, **certificate)


@pytest.mark.parametrize(
    ("certificate", "fragment"),
    [
        ({"cert_type": SSHCertificateType.HOST}, "is a host certificate, not a user certificate"),
        ({"other_key": True}, "certifies the key SHA256:"),
        ({"starts_in": -3600, "ends_in": -10}, "expired at"),
        ({"starts_in": 600, "ends_in": 3600}, "is not valid before"),
        ({"principals": ("baseten",)}, "none of which is the login user 'app'"),
        ({"key_id": f"Api-Key {API_KEY}"}, "carries a credential in its key id"),
    ],
)
def test_a_wrong_certificate_exits_7_and_caches_nothing(
    hostile_home: Home, hostile_api: HostileApi, certificate: dict[str, Any], fragment: str
) -> None:
    hostile_api.respond = sign_with(**certificate)
    result = fetch(hostile_home)
    assert result.returncode == 7, result
    assert fragment in result.stderr
    assert "nothing was cached" in result.stderr
    assert cached(hostile_home) == []
    assert_no_secret(result)


def test_a_good_answer_is_cached_0600_and_a_subject_principal_counts(
    hostile_home: Home, hostile_api: HostileApi
) -> None:
    hostile_api.respond = sign_with(principals=("subject-m1",), proxy_address="127.0.0.1:9")
    result = fetch(hostile_home, "--json")
    assert result.returncode == 0, result
    assert json.loads(result.stdout)["principals"] == ["subject-m1"]
    assert cached(hostile_home) == [f"{MODEL_HOST}-cert.pub", f"{MODEL_HOST}.json"]
    session_file = hostile_home.paths.session_dir / f"{MODEL_HOST}.json"
    for path in (hostile_home.paths.cert_dir / f"{MODEL_HOST}-cert.pub", session_file):
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
    session = json.loads(session_file.read_text())
    assert abs(session["clock_offset"]) < 5  # measured from the answer's Date header


def test_a_foreign_proxy_is_refused_until_the_remote_allows_it(
    hostile_home: Home, hostile_api: HostileApi
) -> None:
    hostile_api.respond = sign_with(proxy_address="ssh.evil.example:443")
    refused = fetch(hostile_home)
    assert refused.returncode == 7, refused
    assert "sent the session to the proxy ssh.evil.example:443" in refused.stderr
    assert "only loopback addresses" in refused.stderr  # the API is on loopback
    assert "sshsetup remote allow-proxy baseten ssh.evil.example" in refused.stderr
    assert cached(hostile_home) == []

    allowed = hostile_home.run("remote", "allow-proxy", "baseten", "evil.example", "--json")
    assert allowed.returncode == 0, allowed
    result = json.loads(allowed.stdout)
    assert (result["allowed"], result["changed"], result["api_domain"]) == (True, True, None)
    assert result["allowed_proxy_hosts"] == ["evil.example"]
    assert fetch(hostile_home).returncode == 0
    assert len(cached(hostile_home)) == 2

    removed = hostile_home.run("remote", "allow-proxy", "baseten", "evil.example", "--remove")
    assert removed.returncode == 0, removed
    assert f"Forgot the cached sessions of {MODEL_HOST}" in removed.stdout
    assert cached(hostile_home) == [f"{MODEL_HOST}-cert.pub"]  # the next ssh checks again
    assert fetch(hostile_home).returncode == 7


def test_allow_proxy_is_idempotent_and_checks_its_host(hostile_home: Home) -> None:
    first = hostile_home.run("remote", "allow-proxy", "Dev", "Proxy.Example.com")
    again = hostile_home.run("remote", "allow-proxy", "dev", "proxy.example.com", "--json")
    assert first.returncode == again.returncode == 0
    assert "proxy host proxy.example.com now allowed" in first.stdout
    assert json.loads(again.stdout)["changed"] is False
    assert hostile_home.settings_json["remotes"]["dev"]["allowed_proxy_hosts"] == [  # type: ignore[index]
        "proxy.example.com"
    ]
    listed = json.loads(hostile_home.run("remote", "list", "--json").stdout)
    rows = {row["name"]: row for row in listed["remotes"]}
    assert rows["dev"]["allowed_proxy_hosts"] == ["proxy.example.com"]
    bad = hostile_home.run("remote", "allow-proxy", "dev", "https://proxy.example.com:443")
    assert bad.returncode == 3
    assert "is not a host name or IP address" in bad.stderr


@pytest.mark.parametrize(
    ("answer", "fragment"),
    [
        (Answer(302, b"", (("Location", "http://127.0.0.1:9/x?key=1"),)), "never follows"),
        (
            json_answer({"error": f"invalid API key: Api-Key {API_KEY}"}, 401),
            "rejected the API key",
        ),
        (Answer(body=b"[" * 200_000), "malformed answer"),
        (Answer(body=b'{"a":' * 50 + b"0" + b"}" * 50), "malformed answer"),
        (Answer(body=b"x" * (2 * 1024 * 1024), declare_length=False), "more than 1024 KiB"),
    ],
)
def test_hostile_answers_exit_7_without_a_secret(
    hostile_home: Home, hostile_api: HostileApi, answer: Answer, fragment: str
) -> None:
    hostile_api.respond = lambda request: answer
    for result in (fetch(hostile_home), fetch(hostile_home, "--json")):
        assert result.returncode == 7, result
        assert fragment in result.stderr
        assert_no_secret(result)
    assert cached(hostile_home) == []


def test_no_lock_outlives_the_deadline(hostile_home: Home, hostile_api: HostileApi) -> None:
    """Two connections to one host while the API trickles its answer: each gives up at the
    deadline (the whole request, not each read), so the second waits no longer than that."""
    hostile_api.respond = lambda request: json_answer({"pad": "x" * 500}, trickle_seconds=0.2)
    env = {**hostile_home.env, "SSHSETUP_API_TIMEOUT": "2"}
    entry = Runtime(hostile_home.paths.runtime_dir).hook
    started = time.monotonic()
    hooks = [
        subprocess.Popen(
            [sys.executable, "-I", "-S", str(entry), MODEL_HOST],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    outputs = [hook.communicate(timeout=60) for hook in hooks]
    elapsed = time.monotonic() - started
    assert elapsed < 2 * 2 + 5, elapsed  # 100 s if each read had its own timeout
    for hook, (stdout, stderr) in zip(hooks, outputs, strict=True):
        assert (hook.returncode, stdout) == (0, "")
        assert "did not answer within 2 s" in stderr
    hostile_api.respond = sign_with()
    quick = time.monotonic()
    assert run_connect(entry, MODEL_HOST, env).stderr == ""
    assert time.monotonic() - quick < 5  # the lock is free
    assert len(cached(hostile_home)) == 2


# --- properties over API answers --------------------------------------------------------------

SECRET_TEXT = st.sampled_from([API_KEY, f"Api-Key {API_KEY}", JWT, f"Bearer {JWT}", API_KEY[5:20]])
JSON_LEAVES = st.one_of(st.none(), st.booleans(), st.integers(), st.text(max_size=20), SECRET_TEXT)
JSON_TREES = st.recursive(
    JSON_LEAVES,
    lambda children: st.one_of(
        st.lists(children, max_size=4),
        st.dictionaries(
            st.sampled_from(["error", "detail", "message", "jwt", "proxy_address", "x"]),
            children,
            max_size=4,
        ),
    ),
    max_leaves=12,
)
CERTIFICATES = st.fixed_dictionaries(
    {},
    optional={
        "cert_type": st.sampled_from(list(SSHCertificateType)),
        "other_key": st.booleans(),
        "starts_in": st.integers(-(10**6), 10**6),
        "ends_in": st.integers(-(10**6), 10**6),
        "principals": st.lists(
            st.sampled_from(["app", "baseten", "m1", "x", API_KEY]), max_size=3
        ).map(tuple),
        "key_id": st.sampled_from(["k", f"Api-Key {API_KEY}", JWT]),
    },
)
SIGN_ANSWERS = st.fixed_dictionaries(
    {
        "certificate": CERTIFICATES,
        "jwt": st.sampled_from([JWT, "a.b.c", "", "x" * 5000]),
        "proxy_address": st.sampled_from(
            ["localhost:9", "127.0.0.1:22", "evil.example:443", f"{API_KEY}:443", "no-port", ""]
        ),
        "garbage_certificate": st.one_of(st.none(), SECRET_TEXT, st.text(max_size=40)),
    }
)
STATUSES = st.sampled_from([200, 201, 204, 301, 302, 307, 400, 401, 403, 404, 429, 500, 503])


@st.composite
def api_answers(draw: st.DrawFn) -> Callable[[Seen], Answer]:
    status = draw(STATUSES)
    date = draw(st.one_of(st.none(), st.floats(-(10**6), 10**6).map(lambda s: time.time() + s)))
    kind = draw(st.sampled_from(["sign", "json", "bytes"]))
    if kind == "sign":
        plan = draw(SIGN_ANSWERS)

        def respond(request: Seen) -> Answer:
            certificate = plan["garbage_certificate"]
            if certificate is None:
                certificate = SIGNER.certificate(request, **plan["certificate"])
            body = {"ssh_certificate": certificate, "jwt": plan["jwt"]}
            body["proxy_address"] = plan["proxy_address"]
            return json_answer(body, status, date=date)

        return respond
    if kind == "json":
        tree = draw(JSON_TREES)
        return lambda request: json_answer(tree, status, date=date)
    raw = draw(st.binary(max_size=200))
    return lambda request: Answer(status, raw, date=date)


def snapshot(root: Path) -> dict[str, bytes]:
    return {
        str(path.relative_to(root)): path.read_bytes()
        for path in sorted(root.rglob("*"))
        if path.is_file()
    }


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(respond=api_answers())
def test_any_api_answer_exits_cleanly_and_writes_only_the_cache(
    hostile_home: Home, hostile_api: HostileApi, respond: Callable[[Seen], Answer]
) -> None:
    hostile_api.respond = respond
    paths = hostile_home.paths
    before = snapshot(hostile_home.home)
    result = fetch(hostile_home)
    assert result.returncode in (0, 7, 8), result
    assert_no_secret(result)
    assert not result.traceback
    after = snapshot(hostile_home.home)
    changed = {name for name in before.keys() | after.keys() if before.get(name) != after.get(name)}
    cache = (paths.cert_dir, paths.session_dir)
    for name in changed:
        assert any((hostile_home.home / name).is_relative_to(d) for d in cache), name
    if result.returncode != 0:  # nothing cached, nothing replaced
        assert all(name.endswith(".lock") for name in changed), changed
    for directory in cache:
        for path in directory.glob("*") if directory.exists() else ():
            assert stat.S_IMODE(os.lstat(path).st_mode) == 0o600, path
