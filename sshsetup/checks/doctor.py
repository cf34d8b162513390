"""The checks `sshsetup doctor` adds to the agent checks, as data.

Each function looks at what it is given (``ssh -G`` output, the config's text, a
certificate file, where the API key is found) and returns ``CheckResult``s with stable
ids, what was seen, and the exact fix. Running ssh and the remote probe is the command
module's business (``commands/doctor.py``); nothing here starts a process except
through the ``OpenSSH`` object it is handed, and nothing here ever signs a certificate.
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sshsetup.checks.result import CheckResult, Status
from sshsetup.connect.certfile import (
    USER_CERT,
    Certificate,
    CertificateError,
    format_time,
    parse_certificate,
    public_key_blob,
)
from sshsetup.keypair import fingerprint_of_blob
from sshsetup.openssh import OpenSSH
from sshsetup.process import CommandResult
from sshsetup.sshconfig.block import WORKLOADS, BlockSpec, render_block
from sshsetup.sshconfig.lines import ConfigLine, decode, split_lines
from sshsetup.sshconfig.origin import Origin
from sshsetup.sshconfig.placement import first_ignore_unknown

# The keywords doctor compares between ``ssh -G`` and the block, in the order it reports.
EFFECTIVE_KEYWORDS = (
    "user",
    "identityfile",
    "certificatefile",
    "proxycommand",
    "forwardagent",
    "identitiesonly",
    "addkeystoagent",
    "usekeychain",
)
ACCUMULATING_KEYWORDS = frozenset({"identityfile", "certificatefile"})  # field guide A2
PERMIT_AGENT_FORWARDING = "permit-agent-forwarding"
_SSH_ERROR_AT_LINE = re.compile(r"^(?P<file>.+?):? line (?P<line>\d+): (?P<message>.+)$")
_BAD_PERMISSIONS = re.compile(r"^Bad owner or permissions on (?P<file>.+)$")
_TRUE_WORDS = ("yes", "true")
_FALSE_WORDS = ("no", "false")

OriginLookup = Callable[[str], "Origin | None"]


def _normalised(keyword: str, value: str) -> str:
    """``ssh -G`` prints yes/true and no/false for the same setting (field guide B5)."""
    lowered = value.lower()
    if keyword in ("forwardagent", "identitiesonly", "addkeystoagent", "usekeychain"):
        if lowered in _TRUE_WORDS:
            return "yes"
        if lowered in _FALSE_WORDS:
            return "no"
    return value


def forwarding_on(effective: Mapping[str, list[str]]) -> bool:
    """ForwardAgent is on unless it is no/false (a path or $VAR also forwards, B6)."""
    values = effective.get("forwardagent") or ["no"]
    return values[0].lower() not in _FALSE_WORDS


# --- the OpenSSH client and whether it accepts the config -----------------------------------


def openssh_check(openssh: OpenSSH | None, version: str) -> CheckResult:
    if openssh is None:
        return CheckResult(
            "openssh.client",
            Status.FAIL,
            "no ssh on PATH",
            "install the OpenSSH client (Debian/Ubuntu: sudo apt-get install openssh-client; "
            "Windows: Add-WindowsCapability -Online -Name OpenSSH.Client~~~~0.0.1.0)",
        )
    return CheckResult(
        "openssh.client",
        Status.PASS,
        f"{openssh.executable}: {version or 'version unknown'}",
        details={"executable": openssh.executable, "version": version},
    )


@dataclass(frozen=True)
class SshComplaint:
    """The first line ssh printed when it rejected the config, and where it points."""

    message: str
    file: Path | None
    line: int | None


def ssh_complaint(result: CommandResult) -> SshComplaint:
    text = result.first_error
    at_line = _SSH_ERROR_AT_LINE.match(text)
    if at_line:
        return SshComplaint(text, Path(at_line["file"]), int(at_line["line"]))
    permissions = _BAD_PERMISSIONS.match(text)
    if permissions:
        return SshComplaint(text, Path(permissions["file"]), None)
    return SshComplaint(text, None, None)


def config_accepted_check(result: CommandResult, host: str, config: Path) -> CheckResult:
    if result.ok:
        return CheckResult("config.accepted", Status.PASS, f"ssh -G {host} accepts {config}")
    complaint = ssh_complaint(result)
    message = complaint.message
    details: dict[str, Any] = {"ssh_error": message, "file": None, "line": None}
    if complaint.file is not None:
        details.update(file=str(complaint.file), line=complaint.line)
    if message.startswith("Bad owner or permissions") and complaint.file is not None:
        fix = f"chmod go-w {complaint.file}  (and it must be owned by you or root)"
    elif "\\357\\273\\277" in message:
        fix = f"sshsetup setup --strip-bom  (removes the UTF-8 byte-order mark from {config})"
    elif complaint.line is not None:
        fix = (
            f"edit {complaint.file} line {complaint.line}: {_line_advice(message)}\n"
            "one bad line stops ssh for every host, not only Baseten's"
        )
    else:
        fix = f"run `ssh -G {host}` and correct what it names"
    return CheckResult(
        "config.accepted",
        Status.FAIL,
        f"ssh rejects the config: {message}",
        fix,
        details,
    )


def _line_advice(message: str) -> str:
    option = re.search(r"Bad configuration option: (\S+)", message)
    if option:
        return (
            f"remove or correct `{option.group(1)}` (if another ssh build needs it, put "
            f"`IgnoreUnknown {option.group(1)}` at the top of the file)"
        )
    return "correct the line ssh names"


def use_keychain_check(
    result: CommandResult,
    understands: bool,
    version: str,
    read_lines: Callable[[Path], list[ConfigLine]],
) -> CheckResult:
    """UseKeychain is Apple's; every other build stops at it unless IgnoreUnknown covers it."""
    complaint = ssh_complaint(result)
    rejected = not result.ok and "usekeychain" in complaint.message.lower()
    if not rejected:
        seen = (
            "ssh is Apple's build: UseKeychain is understood"
            if understands
            else f"ssh ({version}) is not Apple's, and no UseKeychain line reaches it "
            "unguarded by IgnoreUnknown"
        )
        return CheckResult("config.use_keychain", Status.PASS, seen, details={"apple": understands})
    where = (
        f"{complaint.file} line {complaint.line}" if complaint.file is not None else "the config"
    )
    fix = "put `IgnoreUnknown UseKeychain` above every Host/Match line of the file"
    if complaint.file is not None:
        lines = read_lines(complaint.file)
        first = first_ignore_unknown(lines)
        if first is not None:
            line = lines[first]
            fix = (
                f"extend the first IgnoreUnknown line, {complaint.file} line {line.number} "
                f"(`{line.content.strip()}`), to `{line.content.strip()},UseKeychain`: "
                "only the first IgnoreUnknown counts"
            )
        else:
            fix = f"add `IgnoreUnknown UseKeychain` as the first line of {complaint.file}"
    return CheckResult(
        "config.use_keychain",
        Status.FAIL,
        f"UseKeychain at {where}: ssh ({version}) is not Apple's build and rejects it "
        f"({complaint.message})",
        fix + "\n(or remove the UseKeychain line: only Apple's ssh uses it)",
        {"apple": understands, "file": str(complaint.file), "line": complaint.line},
    )


def read_config_lines(path: Path) -> list[ConfigLine]:
    try:
        return list(split_lines(decode(path.read_bytes())))
    except OSError:
        return []


# --- the managed block ----------------------------------------------------------------------


def block_checks(status: Mapping[str, Any]) -> list[CheckResult]:
    """From ``commands.status.collect_status``: present, current, not shadowed."""
    config = status["config"]
    block = status["block"]
    if block is None:
        fix = "sshsetup setup"
        if status.get("truss_block"):
            truss = status["truss_block"]
            fix = (
                "sshsetup setup --replace-truss  (takes out the `truss ssh setup` block at "
                f"lines {truss['first_line']}-{truss['last_line']})"
            )
        seen = (
            "no sshsetup block in "
            + config
            + ("" if status["config_exists"] else " (the file does not exist)")
        )
        return [CheckResult("block.present", Status.FAIL, seen, fix, {"config": config})]
    span = f"{config} lines {block['first_line']}-{block['last_line']}"
    results = [
        CheckResult("block.present", Status.PASS, f"sshsetup block at {span}", details=dict(block))
    ]
    if block["current"]:
        results.append(CheckResult("block.current", Status.PASS, "the block is what setup writes"))
    else:
        results.append(
            CheckResult(
                "block.current",
                Status.WARN,
                f"the block at {span} differs from what `sshsetup setup` writes now "
                "(edited by hand, or Python or sshsetup moved)",
                "sshsetup setup  (rewrites the block; your other lines stay as they are)",
            )
        )
    findings = list(status["findings"])
    if findings:
        results.append(
            CheckResult(
                "block.shadowing",
                Status.WARN,
                "\n".join(f"{config} {finding}" for finding in findings),
                "move those lines below the block, or run `sshsetup setup` to place the block "
                "above them; the effective.* checks show which of them really win",
                {"findings": findings},
            )
        )
    else:
        results.append(
            CheckResult(
                "block.shadowing", Status.PASS, "no line above the block sets what the block sets"
            )
        )
    return results


def workload_for(host: str) -> int | None:
    """Index into ``block.WORKLOADS`` of the section that serves ``host`` (None: neither)."""
    for index, workload in enumerate(WORKLOADS):
        if fnmatch.fnmatchcase(host.lower(), workload.host_glob):
            return index
    return None


def block_values(spec: BlockSpec, host: str) -> dict[str, str]:
    """keyword -> value as the block setup writes now sets it for ``host`` (as ssh -G prints)."""
    index = workload_for(host)
    if index is None:
        return {}
    lines = split_lines("\n".join(render_block(spec)))
    sections = [i for i, line in enumerate(lines) if line.keyword == "match"]
    start = sections[index] + 1
    end = sections[index + 1] if index + 1 < len(sections) else len(lines)
    values: dict[str, str] = {}
    for line in lines[start:end]:
        keyword = line.keyword
        if keyword is None or keyword not in EFFECTIVE_KEYWORDS:
            continue
        # ProxyCommand is taken raw, the rest of the line; the others are one argument.
        raw = line.content[line.value_offset :].strip()
        values[keyword] = raw if keyword == "proxycommand" else _normalised(keyword, line.args[0])
    return values


def not_baseten_check(host: str, hostname: str) -> CheckResult:
    globs = " or ".join(workload.host_glob for workload in WORKLOADS)
    return CheckResult(
        "host.baseten",
        Status.WARN,
        f"{host} (HostName {hostname}) is not a Baseten host ({globs}): the sshsetup block "
        "and its certificates do not apply to it",
        "give the host as you type it after ssh, e.g. training-job-<job_id>-<node>.ssh.baseten.co",
        {"hostname": hostname},
    )


# --- the effective settings -----------------------------------------------------------------


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
    for keyword in EFFECTIVE_KEYWORDS:
        actual = [_normalised(keyword, value) for value in effective.get(keyword, [])]
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
    check_id = f"effective.{keyword}"
    shown = ", ".join(actual) if actual else "(not set)"
    details: dict[str, Any] = {"effective": actual, "block": wanted}
    if keyword == "forwardagent" and wanted is None:
        return _forward_agent_not_in_block(host, actual, origin_of, details)
    if wanted is None:
        if keyword == "usekeychain" and not actual:
            return None  # not Apple's ssh, or nobody asked for it
        return CheckResult(
            check_id, Status.PASS, f"{shown} (the block does not set it)", details=details
        )
    if keyword in ACCUMULATING_KEYWORDS:
        if wanted in actual:
            return CheckResult(check_id, Status.PASS, shown, details=details)
        return _block_not_applied(check_id, host, keyword, shown, wanted, details)
    if keyword == "usekeychain" and not actual:
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
    status = Status.WARN if keyword == "addkeystoagent" else Status.FAIL
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
    check_id: str, host: str, keyword: str, shown: str, wanted: str, details: dict[str, Any]
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
    if value not in _FALSE_WORDS:
        origin = origin_of("forwardagent")
        where = f" (from {origin.describe()})" if origin else ""
        return CheckResult(
            "effective.forwardagent", Status.PASS, f"{value}{where}", details=details
        )
    origin = origin_of("forwardagent")
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
    return CheckResult("effective.forwardagent", Status.WARN, seen, fix, details)


# --- the certificate ------------------------------------------------------------------------


def certificate_checks(
    host: str, cert_file: Path, public_key_file: Path, now: float, forwarding_wanted: bool
) -> list[CheckResult]:
    fetch = f"sshsetup cert fetch {host}"
    try:
        data = cert_file.read_bytes()
    except FileNotFoundError:
        return [
            CheckResult(
                "certificate.present",
                Status.PASS,
                f"no certificate cached for {host} yet ({cert_file}): the first ssh to it "
                f"fetches one (or now: {fetch})",
                details={"file": str(cert_file), "present": False},
            )
        ]
    except OSError as exc:
        return [
            CheckResult(
                "certificate.present",
                Status.FAIL,
                f"cannot read {cert_file}: {exc.strerror}",
                f"chmod 600 {cert_file}",
                {"file": str(cert_file)},
            )
        ]
    try:
        certificate = parse_certificate(data)
    except CertificateError as exc:
        return [
            CheckResult(
                "certificate.present",
                Status.FAIL,
                f"{cert_file} is unusable: {exc}",
                f"rm {cert_file} && {fetch}",
                {"file": str(cert_file)},
            )
        ]
    details = certificate_details(certificate, cert_file)
    results = [
        CheckResult(
            "certificate.present",
            Status.PASS,
            f"{cert_file}: key id {certificate.key_id!r}, serial {certificate.serial}",
            details=details,
        ),
        _validity_check(certificate, now, fetch),
        _key_match_check(certificate, public_key_file, fetch),
        _forwarding_permit_check(certificate, forwarding_wanted, host, fetch),
    ]
    return results


def certificate_details(certificate: Certificate, cert_file: Path) -> dict[str, Any]:
    return {
        "file": str(cert_file),
        "present": True,
        "key_id": certificate.key_id,
        "serial": certificate.serial,
        "principals": list(certificate.principals),
        "valid_after": format_time(certificate.valid_after),
        "valid_before": format_time(certificate.valid_before),
        "extensions": sorted(certificate.extensions),
        "fingerprint": fingerprint_of_blob(certificate.public_key),
    }


def _validity_check(certificate: Certificate, now: float, fetch: str) -> CheckResult:
    after, before = format_time(certificate.valid_after), format_time(certificate.valid_before)
    window = f"valid from {after} to {before}"
    if certificate.cert_type != USER_CERT:
        return CheckResult(
            "certificate.validity",
            Status.FAIL,
            "it is a host certificate, not a user certificate",
            fetch,
        )
    if now < certificate.valid_after:
        return CheckResult(
            "certificate.validity",
            Status.WARN,
            f"not valid yet ({window}): this computer's clock or the signer's is off, and the "
            "server refuses it ('Certificate invalid: not yet valid')",
            f"check the clock (date -u), then: {fetch}",
        )
    if now >= certificate.valid_before:
        return CheckResult(
            "certificate.validity",
            Status.WARN,
            f"expired ({window}): the server refuses it; the connect hook fetches a new one on "
            "the next ssh only if it can reach the API with your API key",
            fetch,
        )
    left = int(certificate.valid_before - now)
    return CheckResult("certificate.validity", Status.PASS, f"{window} ({left} s left)")


def _key_match_check(certificate: Certificate, public_key_file: Path, fetch: str) -> CheckResult:
    certified = fingerprint_of_blob(certificate.public_key)
    try:
        key = public_key_blob(public_key_file.read_bytes())
    except (OSError, CertificateError) as exc:
        return CheckResult(
            "certificate.key",
            Status.FAIL,
            f"cannot read the public key {public_key_file} ({exc})",
            "sshsetup setup  (restores the key pair)",
        )
    mine = fingerprint_of_blob(key)
    if key != certificate.public_key:
        return CheckResult(
            "certificate.key",
            Status.WARN,
            f"the certificate is for another key ({certified}), not {public_key_file} ({mine}): "
            "ssh cannot use it with that key",
            fetch,
            {"certified": certified, "key": mine},
        )
    return CheckResult("certificate.key", Status.PASS, f"certifies {public_key_file} ({mine})")


def certificate_permits_forwarding(certificate: Certificate) -> bool:
    return PERMIT_AGENT_FORWARDING in certificate.extensions


def _forwarding_permit_check(
    certificate: Certificate, wanted: bool, host: str, fetch: str
) -> CheckResult:
    extensions = ", ".join(sorted(certificate.extensions)) or "none"
    if certificate_permits_forwarding(certificate):
        return CheckResult(
            "certificate.agent_forwarding",
            Status.PASS,
            f"permit-agent-forwarding is granted (extensions: {extensions})",
        )
    if not wanted:
        return CheckResult(
            "certificate.agent_forwarding",
            Status.PASS,
            f"no permit-agent-forwarding (extensions: {extensions}); ForwardAgent is off anyway",
        )
    return CheckResult(
        "certificate.agent_forwarding",
        Status.FAIL,
        f"ForwardAgent is on for {host} but the certificate lacks permit-agent-forwarding "
        f"(extensions: {extensions}): the server silently refuses to forward your agent",
        f"{fetch}  (a new certificate); if it still lacks permit-agent-forwarding, the workload "
        "does not allow forwarding: ask Baseten support",
        {"extensions": sorted(certificate.extensions)},
    )


# --- the API key ----------------------------------------------------------------------------


def api_key_check(remote: str, source: Any) -> CheckResult:
    """``source``: a ``credentials.KeySource`` (never the key itself)."""
    details = source.to_json()
    notes = "; ".join(source.notes)
    if source.source is None:
        return CheckResult(
            "credentials.api_key",
            Status.FAIL,
            f"no API key for remote {remote!r} (looked in the keyring, the plaintext key file, "
            "BASETEN_API_KEY and ~/.trussrc)"
            + (f"; {notes}" if notes else "")
            + ": new certificates cannot be fetched",
            f"sshsetup login --remote {remote}  (or set BASETEN_API_KEY)",
            details,
        )
    return CheckResult(
        "credentials.api_key",
        Status.PASS,
        f"API key for remote {remote!r} found in {source.source} ({source.location})",
        details=details,
    )


# --- the remote side (--remote) -------------------------------------------------------------

REMOTE_MARKER = "sshsetup-doctor:"
REMOTE_COMMAND = (
    f'echo "{REMOTE_MARKER}sock=$SSH_AUTH_SOCK"; '
    f'if [ -S "$SSH_AUTH_SOCK" ]; then echo "{REMOTE_MARKER}socket=yes"; fi; '
    "ssh-add -l 2>&1; "
    f'echo "{REMOTE_MARKER}rc=$?"'
)


@dataclass(frozen=True)
class RemoteProbe:
    """What ``ssh HOST REMOTE_COMMAND`` reported."""

    ssh_returncode: int
    stdout: str
    stderr: str

    def _value(self, name: str) -> str | None:
        prefix = f"{REMOTE_MARKER}{name}="
        for line in self.stdout.splitlines():
            if line.startswith(prefix):
                return line[len(prefix) :].strip()
        return None

    @property
    def reached(self) -> bool:
        return self._value("rc") is not None

    @property
    def socket(self) -> str:
        return self._value("sock") or ""

    @property
    def socket_exists(self) -> bool:
        return self._value("socket") == "yes"

    @property
    def ssh_add_rc(self) -> int | None:
        value = self._value("rc")
        return int(value) if value is not None and value.isdigit() else None

    @property
    def ssh_add_lines(self) -> list[str]:
        return [
            line
            for line in self.stdout.splitlines()
            if line.strip() and not line.startswith(REMOTE_MARKER)
        ]


def _by_id(results: Sequence[CheckResult]) -> dict[str, CheckResult]:
    return {result.id: result for result in results}


def remote_checks(
    host: str,
    probe: RemoteProbe,
    local: Sequence[CheckResult],
    forward_agent: bool,
    certificate_permits: bool | None,
) -> list[CheckResult]:
    """Which link of local agent -> ForwardAgent -> certificate/server -> remote agent broke."""
    if not probe.reached:
        errors = [line for line in probe.stderr.splitlines() if line.strip()]
        seen = errors[-1] if errors else f"ssh exited with status {probe.ssh_returncode}"
        return [
            CheckResult(
                "remote.connect",
                Status.FAIL,
                f"could not run a command on {host}: {seen}",
                f"fix the failing checks above, then see ssh's own account: ssh -v {host} true",
                {"ssh_returncode": probe.ssh_returncode, "stderr": probe.stderr[-2000:]},
            )
        ]
    results = [CheckResult("remote.connect", Status.PASS, f"ran a command on {host}")]
    results.append(_forwarding_link(host, probe, _by_id(local), forward_agent, certificate_permits))
    return results


def _forwarding_link(
    host: str,
    probe: RemoteProbe,
    local: Mapping[str, CheckResult],
    forward_agent: bool,
    certificate_permits: bool | None,
) -> CheckResult:
    details: dict[str, Any] = {
        "remote_ssh_auth_sock": probe.socket or None,
        "remote_ssh_add_rc": probe.ssh_add_rc,
        "remote_ssh_add": probe.ssh_add_lines,
    }

    def result(status: Status, link: str, seen: str, fix: str | None = None) -> CheckResult:
        return CheckResult("remote.agent_forwarding", status, seen, fix, {**details, "link": link})

    if not probe.socket:
        for agent_id in ("agent.location", "agent.reachable"):
            agent = local.get(agent_id)
            if agent is not None and agent.status is Status.FAIL:
                return result(
                    Status.FAIL,
                    "no_local_agent",
                    f"SSH_AUTH_SOCK is empty on {host}: ssh has no local agent to forward "
                    f"({agent.seen}), so it drops forwarding without a word",
                    agent.fix,
                )
        if not forward_agent:
            return result(
                Status.FAIL,
                "forward_agent_off",
                f"SSH_AUTH_SOCK is empty on {host}: ForwardAgent is off for it",
                f"sshsetup setup --forward-agent  (or, for one connection: ssh -A {host})",
            )
        if certificate_permits is False:
            return result(
                Status.FAIL,
                "certificate_refused",
                f"SSH_AUTH_SOCK is empty on {host}: the certificate lacks "
                "permit-agent-forwarding, so the server refused to forward the agent",
                f"sshsetup cert fetch {host}; if it still lacks permit-agent-forwarding, ask "
                "Baseten support",
            )
        return result(
            Status.FAIL,
            "server_refused",
            f"SSH_AUTH_SOCK is empty on {host}: the server refused agent forwarding "
            "(AllowAgentForwarding no, or it cannot create the socket)",
            f"ssh -v {host} true 2>&1 | grep -i agent  (shows the server's reason); "
            "report it to Baseten support",
        )
    rc = probe.ssh_add_rc
    if rc == 0:
        keys = probe.ssh_add_lines
        return result(
            Status.PASS,
            "keys_listed",
            f"the agent is forwarded to {host} ({probe.socket}) and lists "
            f"{len(keys)} key(s):\n  " + "\n  ".join(keys),
        )
    if rc == 1:
        empty = local.get("agent.identities")
        return result(
            Status.FAIL,
            "local_agent_empty",
            f"the agent is forwarded to {host} ({probe.socket}) but holds no keys",
            empty.fix if empty is not None and empty.fix else "ssh-add  (or: sshsetup agent add)",
        )
    if rc == 127:
        return result(
            Status.WARN,
            "remote_ssh_add_missing",
            f"the agent is forwarded to {host} ({probe.socket}), but ssh-add is not installed "
            "there to list its keys",
            f"install openssh-client on {host} to check the keys; git can already use them",
        )
    return result(
        Status.FAIL,
        "forwarded_socket_unusable",
        f"SSH_AUTH_SOCK on {host} is {probe.socket}, but ssh-add cannot use it (status {rc}: "
        + " ".join(probe.ssh_add_lines)
        + ")",
        f"reconnect (a stale socket from an earlier session?): ssh {host}",
    )
