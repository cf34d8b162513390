"""`sshsetup setup`: the key, and one managed block in the ssh config, idempotently."""

from __future__ import annotations

import contextlib
import tempfile
import threading
from dataclasses import dataclass, field, replace
from pathlib import Path

from sshsetup.baseten import EXAMPLE_HOSTS
from sshsetup.connect.atomic_write import ensure_private_dir
from sshsetup.connect.file_lock import file_lock
from sshsetup.connect.settings import BlockOptions, Settings, keepalive_from_text, load_settings
from sshsetup.context import Context
from sshsetup.errors import ConsentNeeded, InternalError, SshRejected
from sshsetup.keypair import KeyPair, find_truss_key, generate_key_pair, load_key_pair
from sshsetup.openssh import OpenSSH
from sshsetup.results import Outcome, Result
from sshsetup.settings_store import save_settings
from sshsetup.setup_plan import (
    block_spec,
    config_with_block,
    installation_for,
    write_installation,
)
from sshsetup.sshconfig.file import ConfigFile, read_config, replace_config, unified_diff
from sshsetup.sshconfig.lines import UTF8_BOM, encode, join_lines, split_lines
from sshsetup.sshconfig.placement import (
    ManagedBlock,
    aliases_after,
    find_client_blocks,
    first_anchor,
    hosts_served,
    other_baseten_entries,
    shadowing_lines,
)
from sshsetup.sshconfig.splice import StrippedConfig, locate_block, strip_block


@dataclass(frozen=True)
class Request:
    forward_agent: bool | None = None
    add_keys_to_agent: bool | None = None
    use_keychain: bool | None = None
    refresh_margin: int | None = None
    keepalive: str | None = None  # seconds between keepalives, or "off"
    migrate: bool = False  # take out the blocks of `truss ssh setup` and `baseten ssh setup`
    reuse_truss_key: bool | None = None
    strip_bom: bool = False
    dry_run: bool = False


@dataclass(frozen=True)
class KeyReport:
    path: Path
    fingerprint: str
    created: bool


@dataclass(frozen=True)
class MigratedBlock:
    client: str  # the command that wrote it
    first_line: int  # where it stood in the file before
    last_line: int


@dataclass(frozen=True)
class SetupResult(Result):
    config: Path
    changed: bool
    dry_run: bool
    block_line: int
    options: BlockOptions
    refresh_margin_seconds: int
    key: KeyReport
    backup: Path | None
    written: Path | None  # the file really written (a symlink's target)
    diff: str | None  # with --dry-run
    warnings: list[str]
    migrated: list[MigratedBlock]  # other clients' blocks taken out (--migrate)

    def text(self, colour: bool) -> str:
        if self.dry_run:
            return self.diff or "already up to date: nothing would change"
        if not self.changed:
            return f"{self.config} is already up to date"
        text = f"updated {self.config}: the sshsetup block is at line {self.block_line}"
        if self.backup:
            text += f"\nprevious version saved as {self.backup}"
        return text


@dataclass
class _Warnings:
    ctx: Context
    messages: list[str] = field(default_factory=list)

    def __call__(self, message: str) -> None:
        self.messages.append(message)
        self.ctx.say(f"warning: {message}")


def run(ctx: Context, request: Request) -> Outcome[SetupResult]:
    # A dry run writes nothing, so it needs no lock (and works while setup holds it).
    with contextlib.nullcontext() if request.dry_run else file_lock(ctx.paths.lock_file):
        return Outcome(_setup(ctx, request))


def _setup(ctx: Context, request: Request) -> SetupResult:
    paths = ctx.paths
    warn = _Warnings(ctx)
    settings = load_settings(paths.settings_file)
    options = _chosen_options(settings.options, request)
    margin = (
        settings.refresh_margin_seconds
        if request.refresh_margin is None
        else request.refresh_margin
    )
    config = read_config(paths.ssh_config)
    text = _without_bom(ctx, config, request)
    source = str(paths.ssh_config)

    key, key_setting = _key_pair(ctx, settings, request)
    new_settings = replace(
        settings, options=options, refresh_margin_seconds=margin, key_file=key_setting
    )
    spec = block_spec(paths, new_settings, options, ctx.windows)
    stripped, migrated = _take_out_client_blocks(ctx, strip_block(text, source), request, source)
    for notice in stripped.notices:
        warn(f"{source}: {notice}")
    installed = config_with_block(stripped, spec)
    new_text = installed.text
    new_data = encode(new_text)
    changed = new_data != (config.data or b"")
    ssh = ctx.openssh
    # ssh checks the candidate while the findings are worked out (independent work).
    validation = _Validation(ssh, ctx, config, new_data) if changed and ssh else None
    _report_findings(new_text, source, warn)
    if changed and options.use_keychain and ssh is not None and not ssh.understands_use_keychain():
        warn(
            "this OpenSSH is not Apple's build: it does not know UseKeychain, so the block's "
            "`IgnoreUnknown UseKeychain` makes it skip that line here (it only matters on a Mac "
            "sharing this file)"
        )
    if validation is not None:
        validation.wait()
    result = SetupResult(
        config=paths.ssh_config,
        changed=changed,
        dry_run=request.dry_run,
        block_line=installed.block_line,
        options=options,
        refresh_margin_seconds=margin,
        key=KeyReport(key.private, key.fingerprint, key.created),
        backup=None,
        written=None,
        diff=None,
        warnings=warn.messages,
        migrated=migrated,
    )
    if request.dry_run:
        before = text if not config.has_bom else config.text
        return replace(result, diff=unified_diff(paths.ssh_config, before, new_text))

    if key.created:
        key = generate_key_pair(key.private)  # the dry-run pair above was never written
        result = replace(result, key=KeyReport(key.private, key.fingerprint, True))
    if changed:
        written, backup = replace_config(paths, config, new_data)
        result = replace(result, written=written, backup=backup)
    if new_settings != settings or not paths.settings_file.exists():
        save_settings(paths.settings_file, new_settings)
    write_installation(paths, installation_for(paths, new_settings))
    return result


def _chosen_options(remembered: BlockOptions, request: Request) -> BlockOptions:
    def pick(asked: bool | None, kept: bool) -> bool:
        return kept if asked is None else asked

    return BlockOptions(
        forward_agent=pick(request.forward_agent, remembered.forward_agent),
        add_keys_to_agent=pick(request.add_keys_to_agent, remembered.add_keys_to_agent),
        use_keychain=pick(request.use_keychain, remembered.use_keychain),
        keepalive_seconds=remembered.keepalive_seconds
        if request.keepalive is None
        else keepalive_from_text(request.keepalive),
    )


def _without_bom(ctx: Context, config: ConfigFile, request: Request) -> str:
    if not config.has_bom:
        return config.text
    question = (
        f"{config.path} starts with a UTF-8 byte-order mark, which OpenSSH on Linux and macOS "
        "rejects (`line 1: Bad configuration option`). Remove it?"
    )
    if request.strip_bom or ctx.prompter.confirm(question, default=False):
        ctx.say(f"removing the UTF-8 byte-order mark from the start of {config.path}")
        return config.text[len(UTF8_BOM.decode()) :]
    raise ConsentNeeded(
        f"{config.path} line 1: the file starts with a UTF-8 byte-order mark (Windows Notepad "
        "writes one); OpenSSH on Linux and macOS rejects it with "
        "`line 1: Bad configuration option`",
        hint="run again with --strip-bom to remove those three bytes (nothing else changes)",
    )


def _key_pair(ctx: Context, settings: Settings, request: Request) -> tuple[KeyPair, str | None]:
    """The key the block will use, and the settings value that records a reused one."""
    paths = ctx.paths
    if settings.key_file and request.reuse_truss_key is not False:
        return load_key_pair(Path(settings.key_file)), settings.key_file
    if paths.key_file.exists() or paths.key_file.is_symlink():
        return load_key_pair(paths.key_file), None
    truss_key = find_truss_key(paths.truss_key_dir)
    if truss_key is not None:
        reuse = request.reuse_truss_key
        if reuse is None:
            reuse = ctx.prompter.confirm(
                f"Reuse the key that `truss ssh setup` made ({truss_key})?", default=True
            )
        if reuse:
            return load_key_pair(truss_key), str(truss_key)
    return generate_key_pair(paths.key_file, dry_run=True), None


_SWITCH_BACK_NOTE = (
    "note: `baseten ssh setup` refuses to write its block while any other Host or Match line "
    "targets *.ssh.baseten.co (sshsetup's block included); to switch back to the baseten CLI, "
    "run `sshsetup remove`, then `baseten ssh setup`"
)


def _take_out_client_blocks(
    ctx: Context, stripped: StrippedConfig, request: Request, source: str
) -> tuple[StrippedConfig, list[MigratedBlock]]:
    """Take out the blocks Baseten's own clients wrote, with consent; without it, refuse
    (docs/reference-clients.md#coexisting-with-basetens-clients)."""
    lines = list(split_lines(stripped.text))
    blocks = find_client_blocks(lines)
    if not blocks:
        return stripped, []
    found = [
        MigratedBlock(block.client, lines[block.start].number, lines[block.end].number)
        for block in blocks
    ]
    served = hosts_served(lines, blocks)
    described = " and ".join(
        f"`{block.client}` (lines {block.first_line}-{block.last_line}, serving "
        f"{', '.join(served[block.client]) or 'no host: a block above serves them all'})"
        for block in found
    )
    plural = "blocks" if len(found) > 1 else "a block"
    consent = request.migrate or ctx.prompter.confirm(
        f"Your ssh config has {plural} written by {described}. Take {_them(found)} out, so "
        "that sshsetup's block alone serves Baseten's hosts?",
        default=False,
    )
    if not consent:
        raise ConsentNeeded(
            f"{source} has {plural} written by {described}, which also serve Baseten's hosts; "
            "sshsetup does not add its block beside another client's (both hooks would run on "
            f"every connection, and the first block would win); {source} was left unchanged",
            hint="run `sshsetup setup --migrate` to take them out and install sshsetup's block "
            "(`sshsetup remove` later takes out only sshsetup's), or delete them yourself",
        )
    for taken in found:
        ctx.say(
            f"taking out the block written by `{taken.client}` "
            f"(lines {taken.first_line}-{taken.last_line})"
        )
    position = stripped.position
    for block in reversed(blocks):
        lines = [*lines[: block.start], *lines[block.end + 1 :]]
        position = _position_after_cut(position, block)
    if position is None:
        # sshsetup's block takes the first one's place, unless something above must not
        # shadow it (docs/ssh-config.md#put-the-managed-block-above-any-catch-all-host).
        anchor = first_anchor(lines)
        position = blocks[0].start if anchor is None else min(anchor, blocks[0].start)
    if any(block.client == "baseten ssh setup" for block in blocks):
        ctx.say(_SWITCH_BACK_NOTE)
    return StrippedConfig(join_lines(lines), position, stripped.notices), found


def _them(found: list[MigratedBlock]) -> str:
    return "them" if len(found) > 1 else "it"


def _position_after_cut(position: int | None, block: ManagedBlock) -> int | None:
    """Where sshsetup's old block stood once ``block`` is cut (None: it had none)."""
    if position is None or position <= block.start:
        return position
    return position - (block.end - block.start + 1)


def _report_findings(text: str, source: str, warn: _Warnings) -> None:
    lines = split_lines(text)
    location = locate_block(lines, source)
    if location is None:
        raise InternalError(  # the text was just made with the block in it
            f"{source}: the new text has no sshsetup block", hint="report this as a bug"
        )
    for finding in shadowing_lines(lines, location.start):
        warn(f"{source} {finding.message}")
    for finding in aliases_after(lines, location.end):
        warn(f"{source} {finding.message}")
    outside = lines[: location.start] + lines[location.end + 1 :]
    block_end = lines[location.end].number
    for line in other_baseten_entries(outside):
        winner = "the sshsetup block" if line.number > block_end else "that entry"
        warn(
            f"{source} line {line.number}: `{line.content.strip()}` also targets Baseten "
            f"hosts; for settings both give, {winner} wins (it comes first)"
        )


class _Validation:
    """``_validate`` in a background thread; ``wait()`` re-raises its error."""

    def __init__(self, ssh: OpenSSH, ctx: Context, config: ConfigFile, candidate: bytes) -> None:
        self._error: Exception | None = None
        self._thread = threading.Thread(target=self._run, args=(ssh, ctx, config, candidate))
        self._thread.start()

    def _run(self, ssh: OpenSSH, ctx: Context, config: ConfigFile, candidate: bytes) -> None:
        try:
            _validate(ssh, ctx.paths.state_dir, config, candidate)
        except Exception as exc:  # whatever it is, the install must not go ahead unchecked
            self._error = exc

    def wait(self) -> None:
        self._thread.join()
        if self._error is not None:
            raise self._error


def _validate(ssh: OpenSSH, state_dir: Path, config: ConfigFile, candidate: bytes) -> None:
    """Install nothing that ssh rejects; if ssh already rejected the file, say so."""
    ensure_private_dir(state_dir)
    with tempfile.TemporaryDirectory(dir=state_dir, prefix="validate-") as directory:
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
                    raise SshRejected(
                        f"ssh already rejects {config.path} as it is, before any change by "
                        f"sshsetup: {before.first_error}",
                        hint="fix that line first (ssh -G " + host + " shows the error), "
                        "then run sshsetup setup again",
                    )
            raise SshRejected(
                f"ssh would reject the config with sshsetup's block "
                f"({result.first_error.replace(str(candidate_path), str(config.path))}); "
                f"{config.path} was left unchanged",
                hint="run with --dry-run to see the change, and report this as a bug",
            )
