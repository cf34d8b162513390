"""`sshsetup cert fetch|refresh|status|prune`: the per-host certificate cache by hand.

Exit codes: 0 success; 3 bad host name or unusable key/settings; 6 no API key;
7 the API answered with an error; 8 the API could not be reached; 9 the host's lock
is held too long. ``refresh`` tries every host and exits with the first failure's code.
"""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

from sshsetup.connect.certfile import (
    FOREVER,
    Certificate,
    CertificateError,
    format_time,
    parse_certificate,
)
from sshsetup.connect.fetch import (
    cached_hosts,
    ensure_host,
    orphan_sessions,
    parse_host_or_error,
    remove_host,
)
from sshsetup.connect.installation import ConnectSettings
from sshsetup.connect.session import certificate_problem, read_session
from sshsetup.errors import UserError
from sshsetup.exit_codes import ExitCode
from sshsetup.output import emit_result, say
from sshsetup.paths import Paths
from sshsetup.settings import load_settings


def connect_settings(paths: Paths) -> ConnectSettings:
    """The connect path's view of this installation, from the tool's own settings."""
    settings = load_settings(paths.settings_file)
    key_file = Path(settings.key_file) if settings.key_file else paths.key_file
    return ConnectSettings.from_paths(paths, settings.refresh_margin_seconds, key_file)


def run_fetch(paths: Paths, host_text: str, json_output: bool) -> int:
    settings = connect_settings(paths)
    host = parse_host_or_error(host_text)
    outcome = ensure_host(settings, host, os.environ, force=True)
    entry = describe(host.name, outcome.certificate, time.time())
    emit_result(
        entry,
        json_output,
        f"fetched a certificate for {host.name}: valid until "
        f"{entry['valid_before']} ({_duration(entry['seconds_left'])} left)",
    )
    return int(ExitCode.OK)


def run_refresh(paths: Paths, hosts: list[str], force: bool, json_output: bool) -> int:
    settings = connect_settings(paths)
    names = hosts or cached_hosts(settings)
    parsed = [parse_host_or_error(name) for name in names]  # all bad names before any fetch
    results: list[dict[str, Any]] = []
    exit_code = ExitCode.OK
    for host in parsed:
        try:
            outcome = ensure_host(settings, host, os.environ, force=force)
        except UserError as exc:
            say(f"{host.name}: {exc.render()}")
            results.append({"host": host.name, "refreshed": False, "error": exc.message})
            if exit_code == ExitCode.OK:
                exit_code = exc.exit_code
            continue
        action = "refreshed" if outcome.fetched else "still valid"
        reason = f" ({outcome.reason})" if outcome.reason else ""
        say(f"{host.name}: {action}{reason}")
        results.append(
            {
                "host": host.name,
                "refreshed": outcome.fetched,
                "reason": outcome.reason,
                "valid_before": format_time(outcome.certificate.valid_before),
            }
        )
    if not parsed:
        say("no cached certificates to refresh")
    emit_result({"hosts": results}, json_output)
    return int(exit_code)


def run_status(paths: Paths, json_output: bool) -> int:
    settings = connect_settings(paths)
    now = time.time()
    entries = [_status_entry(settings, name, now) for name in cached_hosts(settings)]
    human = "\n".join(_status_lines(entry) for entry in entries) or "no cached certificates"
    emit_result(
        {"refresh_margin_seconds": settings.refresh_margin_seconds, "hosts": entries},
        json_output,
        human,
    )
    return int(ExitCode.OK)


def run_prune(paths: Paths, json_output: bool) -> int:
    """Drop expired (and unreadable) certificates with their sessions, and orphan sessions."""
    settings = connect_settings(paths)
    now = time.time()
    pruned: list[dict[str, Any]] = []
    for name in cached_hosts(settings):
        why = _prune_reason(settings, name, now)
        if why:
            pruned.append({"host": name, "reason": why, "removed": remove_host(settings, name)})
    for name in orphan_sessions(settings):
        try:
            session = read_session(settings.session_file(name))
        except (OSError, ValueError):
            session = None
        if session is None or session.problem(now, 0) is not None:
            reason = "session without a certificate"
            pruned.append({"host": name, "reason": reason, "removed": remove_host(settings, name)})
    human = "\n".join(f"removed {item['host']} ({item['reason']})" for item in pruned)
    emit_result({"pruned": pruned}, json_output, human or "nothing to prune")
    return int(ExitCode.OK)


def describe(host: str, certificate: Certificate, now: float) -> dict[str, Any]:
    """What `cert status` shows for one certificate."""
    if certificate.valid_before == FOREVER:
        left: int | None = None
    else:
        left = max(0, int(certificate.valid_before - now))
    return {
        "host": host,
        "key_id": certificate.key_id,
        "serial": certificate.serial,
        "principals": list(certificate.principals),
        "valid_after": format_time(certificate.valid_after),
        "valid_before": format_time(certificate.valid_before),
        "seconds_left": left,
        "extensions": sorted(certificate.extensions),
        "critical_options": {
            name: value.decode("utf-8", "replace")
            for name, value in certificate.critical_options.items()
        },
    }


def _status_entry(settings: ConnectSettings, name: str, now: float) -> dict[str, Any]:
    path = settings.cert_file(name)
    try:
        certificate = parse_certificate(Path(path).read_bytes())
    except (OSError, CertificateError) as exc:
        return {"host": name, "state": "unreadable", "problem": str(exc), "path": path}
    entry = describe(name, certificate, now)
    problem = certificate_problem(settings, name, now)
    entry["state"] = "valid" if problem is None else "needs refresh"
    entry["problem"] = problem
    entry["path"] = path
    try:
        session = read_session(settings.session_file(name))
    except (OSError, ValueError):
        session = None
    entry["session"] = session is not None and session.problem(now, 0) is None
    return entry


def _status_lines(entry: dict[str, Any]) -> str:
    if entry["state"] == "unreadable":
        return f"{entry['host']}\n  unreadable: {entry['problem']}"
    principals = ", ".join(entry["principals"]) or "(any)"
    lines = [
        f"{entry['host']}  [{entry['state']}]",
        f"  key id:     {entry['key_id']}",
        f"  principals: {principals}",
        f"  valid:      {entry['valid_after']} to {entry['valid_before']}"
        f" ({_duration(entry['seconds_left'])} left)",
        f"  extensions: {', '.join(entry['extensions']) or '(none)'}",
    ]
    if entry["critical_options"]:
        options = ", ".join(f"{k}={v}" for k, v in entry["critical_options"].items())
        lines.append(f"  critical:   {options}")
    if entry["problem"]:
        lines.append(f"  problem:    {entry['problem']}")
    if not entry["session"]:
        lines.append("  session:    none cached (the next connection fetches one)")
    return "\n".join(lines)


def _prune_reason(settings: ConnectSettings, name: str, now: float) -> str | None:
    try:
        certificate = parse_certificate(Path(settings.cert_file(name)).read_bytes())
    except CertificateError as exc:
        return f"unreadable: {exc}"
    except OSError:
        return None
    if now >= certificate.valid_before:
        return f"expired at {format_time(certificate.valid_before)}"
    return None


def _duration(seconds: int | None) -> str:
    if seconds is None:
        return "forever"
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours}h{minutes:02d}m"
    return f"{minutes}m{secs:02d}s" if minutes else f"{secs}s"
