"""The effective settings for HOST (``ssh -G``) against the block's, each with its origin."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sshsetup.check_ids import CheckId, effective_check_id
from sshsetup.check_result import CheckResult, Status
from sshsetup.sshconfig.keywords import (
    ACCUMULATING_KEYS,
    ADD_KEYS_TO_AGENT,
    CHECKED_KEYS,
    FORWARD_AGENT,
    USE_KEYCHAIN,
    is_false,
    normalised_value,
)
from sshsetup.sshconfig.origin import Origin

OriginLookup = Callable[[str], "Origin | None"]


def forwarding_on(effective: Mapping[str, list[str]]) -> bool:
    """ForwardAgent is on unless it is no/false (a path or $VAR also forwards,
    docs/agent.md#forwardagent-values)."""
    values = effective.get(FORWARD_AGENT.key) or ["no"]
    return not is_false(values[0])


@dataclass(frozen=True)
class BlockSpan:
    config: Path
    first_line: int
    last_line: int

    def contains(self, origin: Origin) -> bool:
        return (
            origin.path == self.config and self.first_line <= origin.line.number <= self.last_line
        )


def effective_checks(
    host: str,
    effective: Mapping[str, list[str]],
    expected: Mapping[str, str],
    origin_of: OriginLookup,
    block: BlockSpan | None,
) -> list[CheckResult]:
    results = []
    for keyword in CHECKED_KEYS:
        actual = [normalised_value(keyword, value) for value in effective.get(keyword, [])]
        result = _effective_check(host, keyword, actual, expected.get(keyword), origin_of, block)
        if result is not None:
            results.append(result)
    return results


def _effective_check(
    host: str,
    keyword: str,
    actual: list[str],
    wanted: str | None,
    origin_of: OriginLookup,
    block: BlockSpan | None,
) -> CheckResult | None:
    check_id = effective_check_id(keyword)
    shown = ", ".join(actual) if actual else "(not set)"
    details: dict[str, Any] = {"effective": actual, "block": wanted}
    if keyword == FORWARD_AGENT.key and wanted is None:
        return _forward_agent_not_in_block(host, actual, origin_of, details)
    if wanted is None:
        if keyword == USE_KEYCHAIN.key and not actual:
            return None  # not Apple's ssh, or nobody asked for it
        return CheckResult(
            check_id, Status.PASS, f"{shown} (the block does not set it)", details=details
        )
    if keyword in ACCUMULATING_KEYS:
        if wanted in actual:
            return CheckResult(check_id, Status.PASS, shown, details=details)
        return _block_not_applied(check_id, host, keyword, shown, wanted, details)
    if keyword == USE_KEYCHAIN.key and not actual:
        return CheckResult(
            check_id,
            Status.PASS,
            "the block sets UseKeychain yes, which this (non-Apple) ssh ignores via IgnoreUnknown",
            details=details,
        )
    if actual and actual[0] == wanted:
        return CheckResult(check_id, Status.PASS, shown, details=details)
    origin = origin_of(keyword)
    if origin is None:
        return _block_not_applied(check_id, host, keyword, shown, wanted, details)
    details["origin"] = {"file": str(origin.path), "line": origin.line.number}
    keyword_name = origin.line.content.strip().split()[0]
    status = Status.WARN if keyword == ADD_KEYS_TO_AGENT.key else Status.FAIL
    if block is not None and block.contains(origin):
        return CheckResult(
            check_id,
            status,
            f"{keyword_name} is {shown} for {host}, set inside the sshsetup block at "
            f"{origin.describe()} (the block was edited; setup writes `{keyword_name} {wanted}`)",
            "sshsetup setup  (rewrites the block)",
            details,
        )
    return CheckResult(
        check_id,
        status,
        f"{keyword_name} is {shown} for {host}, not {wanted}: {origin.describe()} comes first "
        "and ssh keeps the first value it reads",
        f"edit {origin.path} line {origin.line.number}: delete it, move it below the sshsetup "
        "block, or keep it off Baseten's hosts (e.g. `Host * !*.ssh.baseten.co`)",
        details,
    )


def _block_not_applied(
    check_id: CheckId, host: str, keyword: str, shown: str, wanted: str, details: dict[str, Any]
) -> CheckResult:
    return CheckResult(
        check_id,
        Status.FAIL,
        f"{keyword} is {shown} for {host}, not the block's {wanted}: the block's "
        "`Match host … exec` did not apply to this host",
        f"sshsetup setup  (then check again: ssh -G {host} | grep -i {keyword})",
        details,
    )


def _forward_agent_not_in_block(
    host: str, actual: list[str], origin_of: OriginLookup, details: dict[str, Any]
) -> CheckResult:
    value = actual[0] if actual else "no"
    if not is_false(value):
        origin = origin_of(FORWARD_AGENT.key)
        where = f" (from {origin.describe()})" if origin else ""
        return CheckResult(
            CheckId.EFFECTIVE_FORWARDAGENT, Status.PASS, f"{value}{where}", details=details
        )
    origin = origin_of(FORWARD_AGENT.key)
    if origin is not None:
        details["origin"] = {"file": str(origin.path), "line": origin.line.number}
        seen = f"ForwardAgent is no for {host}, set by {origin.describe()}"
        fix = (
            f"edit {origin.path} line {origin.line.number} (delete it or keep it off Baseten's "
            "hosts), then: sshsetup setup --forward-agent"
        )
    else:
        seen = (
            f"ForwardAgent is no for {host} (nothing sets it, and the sshsetup block was set up "
            "without --forward-agent): your keys are not available on the remote side"
        )
        fix = f"sshsetup setup --forward-agent  (or, for one connection: ssh -A {host})"
    return CheckResult(CheckId.EFFECTIVE_FORWARDAGENT, Status.WARN, seen, fix, details)
