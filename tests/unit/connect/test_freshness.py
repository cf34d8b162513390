"""The refresh rule (sshsetup.connect.freshness): when a cached certificate must be fetched
again, on real certificates, and as properties over lifetimes, margins and clock skew."""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from pathlib import Path

from helpers.certs import make_key_pair, sign_with_cryptography, write_ca
from hypothesis import given, settings
from hypothesis import strategies as st

from sshsetup.connect.certfile import USER_CERT, Certificate, parse_certificate, public_key_blob
from sshsetup.connect.freshness import VALID, certificate_problem, validity
from sshsetup.connect.session import Session


def test_usability_rules(tmp_path: Path) -> None:
    ca = write_ca(tmp_path / "ca")
    key = make_key_pair(tmp_path / "id")
    other = make_key_pair(tmp_path / "other")
    mine = public_key_blob((tmp_path / "id.pub").read_text())
    now = int(time.time())

    def problem(after: int, before: int, margin: int = 300, signed: object = key) -> str | None:
        text = sign_with_cryptography(ca, signed, valid_after=after, valid_before=before)  # type: ignore[arg-type]
        return certificate_problem(parse_certificate(text), now, margin, mine)

    assert problem(now - 60, now + 3600) is None
    assert "expires in 200 s (refresh margin 300 s)" in str(problem(now - 3600, now + 200))
    assert "expired at" in str(problem(now - 3600, now - 1))
    # valid_before is exclusive (docs/certificates.md#certificate-line-and-blob-layout)
    assert "expired at" in str(problem(now - 3600, now))
    assert "not valid yet" in str(problem(now + 60, now + 3600))
    assert problem(now, now + 3600) is None  # valid_after is inclusive
    assert "different public key" in str(problem(now - 60, now + 3600, signed=other))
    # A certificate living no longer than the margin: half its lifetime counts instead.
    assert problem(now - 10, now + 110, margin=300) is None
    assert "expires in 50 s" in str(problem(now - 70, now + 50, margin=300))


# --- the rule as properties: lifetimes, margins, clock skew -----------------------------------

LIFETIMES = st.integers(min_value=10, max_value=30 * 24 * 3600)
MARGINS = st.integers(min_value=0, max_value=24 * 3600)
BACKDATES = st.integers(min_value=0, max_value=3600)  # how far the signer backdates valid_after
SKEWS = st.floats(min_value=-7 * 24 * 3600, max_value=7 * 24 * 3600)  # local minus signer
DELAYS = st.floats(min_value=0, max_value=0.9)  # signing -> Date header -> receipt
SIGNED_AT = 1_700_000_000


@dataclass(frozen=True)
class Fetch:
    """One fetch as the client records it: the certificate, and the session's clock facts."""

    certificate: Certificate
    session: Session


def fetch(lifetime: int, backdate: int, skew: float, answer_delay: float, transit: float) -> Fetch:
    """The signer signs at SIGNED_AT, answers ``answer_delay`` later (the Date header has
    whole seconds), the answer arrives ``transit`` later, on a clock ``skew`` ahead."""
    certificate = Certificate(
        key_type="ssh-ed25519-cert-v01@openssh.com",
        nonce=b"",
        public_key=b"key",
        serial=1,
        cert_type=USER_CERT,
        key_id="k",
        principals=("baseten",),
        valid_after=SIGNED_AT - backdate,
        valid_before=SIGNED_AT + lifetime,
        critical_options={},
        extensions={},
        signature_key=b"ca",
        comment="",
    )
    date_header = math.floor(SIGNED_AT + answer_delay)
    received = SIGNED_AT + answer_delay + transit + skew
    session = Session(
        "jwt", "localhost:1", received, SIGNED_AT + lifetime, clock_offset=received - date_header
    )
    return Fetch(certificate, session)


def problems(fetched: Fetch, local_now: float, margin: int) -> tuple[str | None, str | None]:
    """What the hook's rule says at ``local_now``: (certificate problem, session problem)."""
    session = fetched.session
    certificate = certificate_problem(
        fetched.certificate,
        session.signer_time(local_now),
        margin,
        b"key",
        session.signer_time(session.fetched_at),
    )
    return certificate, session.problem(local_now, margin)


FETCHES = st.builds(fetch, LIFETIMES, BACKDATES, SKEWS, DELAYS, DELAYS)


def lifetime_of(fetched: Fetch) -> int:
    return fetched.certificate.valid_before - SIGNED_AT


@settings(max_examples=400, deadline=None)
@given(FETCHES, MARGINS, st.floats(0, 0.45))
def test_a_certificate_just_fetched_is_never_expiring(
    fetched: Fetch, margin: int, later: float
) -> None:
    """N connections that start together sign once (the ones waiting on the lock find the
    first one's certificate fresh), and the next connection reuses it: for at least the
    first ~half of its life, whatever the lifetime (>= 10 s), margin and clock skew."""
    received = fetched.session.fetched_at
    signer_now = fetched.session.signer_time(received)
    assert validity(fetched.certificate, signer_now) == VALID
    for elapsed in (0.0, later * (lifetime_of(fetched) - 2 * 2)):
        assert problems(fetched, received + elapsed, margin) == (None, None)


@settings(max_examples=300, deadline=None)
@given(FETCHES, MARGINS, st.floats(0, 10 * 24 * 3600))
def test_an_expiring_certificate_stays_expiring_until_refetched(
    fetched: Fetch, margin: int, step: float
) -> None:
    expires_locally = fetched.session.fetched_at + lifetime_of(fetched)  # at most this late
    certificate, session = problems(fetched, expires_locally, margin)
    assert certificate is not None and session is not None  # never kept past its end
    assert all(problems(fetched, expires_locally + step, margin))


@settings(max_examples=300, deadline=None)
@given(LIFETIMES, MARGINS, SKEWS)
def test_the_margin_is_at_most_half_the_life_left_at_the_fetch(
    lifetime: int, margin: int, skew: float
) -> None:
    fetched = fetch(lifetime, 60, skew, 0.0, 0.0)
    received = fetched.session.fetched_at
    renew_at = received + lifetime - min(margin, lifetime / 2)
    assert problems(fetched, renew_at - 1.5, margin) == (None, None)
    assert problems(fetched, renew_at + 1.5, margin)[0] is not None
