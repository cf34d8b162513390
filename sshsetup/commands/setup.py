"""`sshsetup setup`: the key, and one managed block in the ssh config, idempotently."""

from __future__ import annotations

import os
import tempfile
import threading
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from sshsetup.block_plan import (
    aliases_after,
    block_spec,
    config_with_block,
    key_file_for,
    shadowing_lines,
)
from sshsetup.connect.atomic_write import ensure_private_dir
from sshsetup.connect.file_lock import file_lock
from sshsetup.errors import UserError
from sshsetup.exit_codes import ExitCode
from sshsetup.keypair import KeyPair, find_truss_key, generate_key_pair, load_key_pair
from sshsetup.openssh import EXAMPLE_HOSTS, OpenSSH, find_openssh
from sshsetup.output import emit_result, say
from sshsetup.paths import Paths
from sshsetup.prompts import Prompter
from sshsetup.settings import BlockOptions, Settings, load_settings, save_settings
from sshsetup.sshconfig.file import ConfigFile, read_config, replace_config, unified_diff
from sshsetup.sshconfig.lines import UTF8_BOM, encode, join_lines, split_lines
from sshsetup.sshconfig.placement import (
    find_truss_block,
    other_baseten_entries,
)
from sshsetup.sshconfig.splice import StrippedConfig, locate_block, strip_block


@dataclass(frozen=True)
class SetupRequest:
    forward_agent: bool | None = None
    add_keys_to_agent: bool | None = None
    use_keychain: bool | None = None
    refresh_margin: int | None = None
    replace_truss: bool = False
    reuse_truss_key: bool | None = None
    strip_bom: bool = False
    dry_run: bool = False
    assume_yes: bool = False
    json_output: bool = False


@dataclass
class Outcome:
    warnings: list[str] = field(default_factory=list)

    def warn(self, message: str) -> None:
        self.warnings.append(message)
        say(f"warning: {message}")


def run(
    paths: Paths,
    request: SetupRequest,
    prompter: Prompter | None = None,
    ssh: OpenSSH | None = None,
) -> int:
    prompter = prompter or Prompter.for_terminal(request.assume_yes)
    ssh = ssh if ssh is not None else find_openssh()
    if request.dry_run:
        return _setup(paths, request, prompter, ssh)
    with file_lock(paths.lock_file):
        return _setup(paths, request, prompter, ssh)


def _setup(paths: Paths, request: SetupRequest, prompter: Prompter, ssh: OpenSSH | None) -> int:
    outcome = Outcome()
    settings = load_settings(paths.settings_file)
    options = _chosen_options(settings.options, request)
    margin = (
        settings.refresh_margin_seconds
        if request.refresh_margin is None
        else request.refresh_margin
    )
    config = read_config(paths.ssh_config)
    text = _without_bom(config, request, prompter)
    source = str(paths.ssh_config)

    key, key_setting = _key_pair(paths, settings, request, prompter)
    new_settings = replace(
        settings, options=options, refresh_margin_seconds=margin, key_file=key_setting
    )
    spec = block_spec(paths, new_settings, options)
    stripped = _take_out_truss_block(strip_block(text, source), request, prompter, outcome)
    for notice in stripped.notices:
        outcome.warn(f"{source}: {notice}")
    installed = config_with_block(stripped, spec)
    new_text = installed.text
    old_data = config.data or b""
    new_data = encode(new_text)
    changed = new_data != old_data
    # ssh checks the candidate while the findings are worked out (independent work).
    validation = _Validation(ssh, paths, config, new_data) if changed and ssh else None
    _report_findings(new_text, source, outcome)
    if changed and options.use_keychain and ssh is not None and not ssh.understands_use_keychain():
        outcome.warn(
            "this OpenSSH is not Apple's build: it does not know UseKeychain, so the block's "
            "`IgnoreUnknown UseKeychain` makes it skip that line here (it only matters on a Mac "
            "sharing this file)"
        )
    result: dict[str, Any] = {
        "config": str(paths.ssh_config),
        "changed": changed,
        "dry_run": request.dry_run,
        "block_line": installed.block_line,
        "options": vars(options),
        "refresh_margin_seconds": margin,
        "key": {"path": str(key.private), "fingerprint": key.fingerprint, "created": key.created},
        "backup": None,
        "warnings": outcome.warnings,
    }
    if validation is not None:
        validation.wait()
    if request.dry_run:
        diff = unified_diff(paths.ssh_config, text if not config.has_bom else config.text, new_text)
        result["diff"] = diff
        emit_result(result, request.json_output, diff or "already up to date: nothing would change")
        return int(ExitCode.OK)

    if key.created:
        key = generate_key_pair(key.private)  # the dry-run pair above was never written
        result["key"]["fingerprint"] = key.fingerprint
    if changed:
        written, backup = replace_config(paths, config, new_data)
        result["backup"] = str(backup) if backup else None
        result["written"] = str(written)
    _save_settings_and_connect(paths, settings, new_settings)
    if changed:
        human = f"updated {paths.ssh_config}: the sshsetup block is at line {installed.block_line}"
        if result["backup"]:
            human += f"\nprevious version saved as {result['backup']}"
    else:
        human = f"{paths.ssh_config} is already up to date"
    emit_result(result, request.json_output, human)
    return int(ExitCode.OK)


def _chosen_options(remembered: BlockOptions, request: SetupRequest) -> BlockOptions:
    def pick(asked: bool | None, kept: bool) -> bool:
        return kept if asked is None else asked

    return BlockOptions(
        forward_agent=pick(request.forward_agent, remembered.forward_agent),
        add_keys_to_agent=pick(request.add_keys_to_agent, remembered.add_keys_to_agent),
        use_keychain=pick(request.use_keychain, remembered.use_keychain),
    )


def _without_bom(config: ConfigFile, request: SetupRequest, prompter: Prompter) -> str:
    if not config.has_bom:
        return config.text
    question = (
        f"{config.path} starts with a UTF-8 byte-order mark, which OpenSSH on Linux and macOS "
        "rejects (`line 1: Bad configuration option`). Remove it?"
    )
    if request.strip_bom or prompter.confirm(question, default=False):
        say(f"removing the UTF-8 byte-order mark from the start of {config.path}")
        return config.text[len(UTF8_BOM.decode()) :]
    raise UserError(
        f"{config.path} line 1: the file starts with a UTF-8 byte-order mark (Windows Notepad "
        "writes one); OpenSSH on Linux and macOS rejects it with "
        "`line 1: Bad configuration option`",
        hint="run again with --strip-bom to remove those three bytes (nothing else changes)",
    )


def _key_pair(
    paths: Paths, settings: Settings, request: SetupRequest, prompter: Prompter
) -> tuple[KeyPair, str | None]:
    """The key the block will use, and the settings value that records a reused one."""
    if settings.key_file and request.reuse_truss_key is not False:
        return load_key_pair(Path(settings.key_file)), settings.key_file
    if os.path.lexists(paths.key_file):
        return load_key_pair(paths.key_file), None
    truss_key = find_truss_key(paths.truss_key_dir)
    if truss_key is not None:
        reuse = request.reuse_truss_key
        if reuse is None:
            reuse = prompter.confirm(
                f"Reuse the key that `truss ssh setup` made ({truss_key})?", default=True
            )
        if reuse:
            return load_key_pair(truss_key), str(truss_key)
    return generate_key_pair(paths.key_file, dry_run=True), None


def _take_out_truss_block(
    stripped: StrippedConfig, request: SetupRequest, prompter: Prompter, outcome: Outcome
) -> StrippedConfig:
    lines = split_lines(stripped.text)
    truss = find_truss_block(lines)
    if truss is None:
        return stripped
    start, end = truss
    where = f"lines {lines[start].number}-{lines[end].number}"
    consent = request.replace_truss or prompter.confirm(
        f"Your ssh config has a block written by `truss ssh setup` ({where}). Replace it with "
        "sshsetup's?",
        default=False,
    )
    if not consent:
        outcome.warn(
            f"a block written by `truss ssh setup` is still in the config ({where}). sshsetup's "
            "block goes above it, so its settings win; but truss's Match hook still runs and "
            "signs a new certificate on every connection. Run again with --replace-truss to "
            "take it out"
        )
        return stripped
    say(f"taking out the block written by `truss ssh setup` ({where})")
    remaining = lines[:start] + lines[end + 1 :]
    position = stripped.position
    if position is None:
        position = start
    elif position > end:
        position -= end - start + 1
    return StrippedConfig(join_lines(remaining), position, stripped.notices)


def _report_findings(text: str, source: str, outcome: Outcome) -> None:
    lines = split_lines(text)
    location = locate_block(lines, source)
    assert location is not None
    for finding in shadowing_lines(lines, location.start):
        outcome.warn(f"{source} {finding.message}")
    for finding in aliases_after(lines, location.end):
        outcome.warn(f"{source} {finding.message}")
    outside = lines[: location.start] + lines[location.end + 1 :]
    truss = find_truss_block(outside)
    truss_lines = range(outside[truss[0]].number, outside[truss[1]].number + 1) if truss else ()
    block_end = lines[location.end].number
    for line in other_baseten_entries(outside):
        if line.number in truss_lines:
            continue
        winner = "the sshsetup block" if line.number > block_end else "that entry"
        outcome.warn(
            f"{source} line {line.number}: `{line.content.strip()}` also targets Baseten "
            f"hosts; for settings both give, {winner} wins (it comes first)"
        )


class _Validation:
    """``_validate`` in a background thread; ``wait()`` re-raises its error."""

    def __init__(self, ssh: OpenSSH, paths: Paths, config: ConfigFile, candidate: bytes) -> None:
        self._error: Exception | None = None
        self._thread = threading.Thread(target=self._run, args=(ssh, paths, config, candidate))
        self._thread.start()

    def _run(self, ssh: OpenSSH, paths: Paths, config: ConfigFile, candidate: bytes) -> None:
        try:
            _validate(ssh, paths, config, candidate)
        except Exception as exc:  # whatever it is, the install must not go ahead unchecked
            self._error = exc

    def wait(self) -> None:
        self._thread.join()
        if self._error is not None:
            raise self._error


def _validate(ssh: OpenSSH, paths: Paths, config: ConfigFile, candidate: bytes) -> None:
    """Install nothing that ssh rejects; if ssh already rejected the file, say so."""
    ensure_private_dir(paths.state_dir)
    with tempfile.TemporaryDirectory(dir=paths.state_dir, prefix="validate-") as directory:
        candidate_path = Path(directory) / "candidate-config"
        candidate_path.write_bytes(candidate)
        for host, result in zip(
            EXAMPLE_HOSTS, ssh.evaluate_each(EXAMPLE_HOSTS, candidate_path), strict=True
        ):
            if result.ok:
                continue
            if config.data is not None:
                before = ssh.evaluate(host, config.path)
                if not before.ok:
                    raise UserError(
                        f"ssh already rejects {config.path} as it is, before any change by "
                        f"sshsetup: {before.first_error}",
                        hint="fix that line first (ssh -G " + host + " shows the error), "
                        "then run sshsetup setup again",
                        exit_code=ExitCode.SSH_REJECTED,
                    )
            raise UserError(
                f"ssh would reject the config with sshsetup's block "
                f"({result.first_error.replace(str(candidate_path), str(config.path))}); "
                f"{config.path} was left unchanged",
                hint="run with --dry-run to see the change, and report this as a bug",
                exit_code=ExitCode.SSH_REJECTED,
            )


def _save_settings_and_connect(paths: Paths, old: Settings, new: Settings) -> None:
    from sshsetup.connect.installation import write_connect_settings

    if new != old or not paths.settings_file.exists():
        save_settings(paths.settings_file, new)
    write_connect_settings(paths, new.refresh_margin_seconds, key_file_for(paths, new))
