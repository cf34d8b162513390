"""`sshsetup status`: what is installed where, the options in effect, the key, the backup."""

from __future__ import annotations

from typing import Any

from sshsetup.block_plan import (
    aliases_after,
    block_spec,
    config_with_block,
    key_file_for,
    shadowing_lines,
)
from sshsetup.errors import UserError
from sshsetup.exit_codes import ExitCode
from sshsetup.keypair import load_key_pair
from sshsetup.output import emit_result
from sshsetup.paths import Paths
from sshsetup.settings import load_settings
from sshsetup.sshconfig.file import latest_backup, read_config
from sshsetup.sshconfig.lines import split_lines
from sshsetup.sshconfig.placement import find_truss_block, other_baseten_entries
from sshsetup.sshconfig.splice import locate_block, strip_block


def run(paths: Paths, json_output: bool) -> int:
    report = collect_status(paths)
    emit_result(report, json_output, _human(report))
    return int(ExitCode.OK)


def collect_status(paths: Paths) -> dict[str, Any]:
    settings = load_settings(paths.settings_file)
    config = read_config(paths.ssh_config)
    source = str(paths.ssh_config)
    lines = split_lines(config.text)
    location = locate_block(lines, source)
    block: dict[str, Any] | None = None
    findings: list[str] = []
    if location is not None:
        expected = config_with_block(
            strip_block(config.text, source), block_spec(paths, settings, settings.options)
        )
        block = {
            "first_line": lines[location.start].number,
            "last_line": lines[location.end].number,
            "current": expected.text == config.text,
        }
        findings = [f.message for f in shadowing_lines(lines, location.start)]
        findings += [f.message for f in aliases_after(lines, location.end)]
    truss = find_truss_block(lines)
    others = [
        {"line": line.number, "text": line.content.strip()}
        for index, line in enumerate(lines)
        if line in other_baseten_entries([line])
        and not (location and location.contains(index))
        and not (truss and truss[0] <= index <= truss[1])
    ]
    key_path = key_file_for(paths, settings)
    key: dict[str, Any] = {"path": str(key_path), "present": key_path.exists()}
    if key["present"]:
        try:
            pair = load_key_pair(key_path)
            key.update(type=pair.key_type, fingerprint=pair.fingerprint)
        except UserError as exc:
            key["problem"] = exc.message
    backup = latest_backup(paths)
    return {
        "config": source,
        "config_exists": config.exists,
        "installed": block is not None,
        "block": block,
        "options": vars(settings.options),
        "refresh_margin_seconds": settings.refresh_margin_seconds,
        "key": key,
        "backup": str(backup) if backup else None,
        "truss_block": (
            {"first_line": lines[truss[0]].number, "last_line": lines[truss[1]].number}
            if truss
            else None
        ),
        "other_baseten_entries": others,
        "findings": findings,
        "settings_file": str(paths.settings_file),
        "state_dir": str(paths.state_dir),
    }


def _human(report: dict[str, Any]) -> str:
    out = [
        f"config:   {report['config']}" + ("" if report["config_exists"] else " (does not exist)")
    ]
    block = report["block"]
    if block is None:
        out.append("block:    not installed (run `sshsetup setup`)")
    else:
        state = "current" if block["current"] else "out of date (run `sshsetup setup` to update it)"
        out.append(f"block:    lines {block['first_line']}-{block['last_line']}, {state}")
    enabled = [name for name, on in report["options"].items() if on]
    out.append(
        "options:  "
        + (", ".join(enabled) if enabled else "none (no ForwardAgent, AddKeysToAgent, UseKeychain)")
    )
    key = report["key"]
    if key["present"]:
        out.append(
            f"key:      {key['path']} {key.get('type', '')} "
            f"{key.get('fingerprint', key.get('problem', ''))}"
        )
    else:
        out.append(f"key:      {key['path']} (not created yet)")
    out.append(f"backup:   {report['backup'] or 'none yet'}")
    if report["truss_block"]:
        t = report["truss_block"]
        out.append(
            f"truss:    a `truss ssh setup` block at lines {t['first_line']}-{t['last_line']} "
            "(sshsetup setup --replace-truss takes it out)"
        )
    for entry in report["other_baseten_entries"]:
        out.append(f"other:    line {entry['line']}: {entry['text']} also targets Baseten hosts")
    out.extend(f"warning:  {finding}" for finding in report["findings"])
    return "\n".join(out)
