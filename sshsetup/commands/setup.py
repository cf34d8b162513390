"""`sshsetup setup`: the key, and one managed block in the ssh config, idempotently."""

from __future__ import annotations

import contextlib
import tempfile
import threading
from dataclasses import dataclass, field, replace
from pathlib import Path

from sshsetup.baseten import EXAMPLE_HOSTS
from sshsetup.connect.file_lock import file_lock
from sshsetup.connect.private_files import ensure_private_dir
from sshsetup.connect.settings import BlockOptions, Settings, keepalive_from_text, load_settings
from sshsetup.context import Context
from sshsetup.errors import (
    BadInput,
    ConfigNotWritable,
    ConsentNeeded,
    InternalError,
    SshRejected,
)
from sshsetup.interpreter import (
    AUTO,
    choose_interpreter,
    in_virtualenv,
    keyring_site,
    self_test,
)
from sshsetup.keypair import KeyPair, find_truss_key, generate_key_pair, load_key_pair
from sshsetup.openssh import OpenSSH
from sshsetup.paths import FROM_OPTION, SSH_DEFAULT, Paths, config_note
from sshsetup.results import Outcome, Result
from sshsetup.runtime import Runtime
from sshsetup.runtime import install as install_runtime
from sshsetup.settings_store import save_settings
from sshsetup.setup_plan import (
    block_spec,
    config_with_block,
    installation_for,
    write_installation,
)
from sshsetup.sshconfig.file import (
    ConfigFile,
    NotWritable,
    read_config,
    replace_config,
    unified_diff,
)
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
    python: str | None = None  # --python PATH ("auto": let sshsetup choose again)
    print_block: bool = False


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
class RuntimeReport:
    directory: Path
    version: str | None  # the copy in use (v<version>-<hash>); None with --dry-run
    previous: str | None  # the copy in use before this run (None: there was none)
    python: Path  # the interpreter the block runs it with
    python_origin: str  # --python, base interpreter, PATH


@dataclass(frozen=True)
class SetupResult(Result):
    config: Path
    config_origin: str  # --config, SSHSETUP_SSH_CONFIG, remembered, default
    ssh_reads: Path  # the config ssh reads when given no -F
    created: bool  # the config file did not exist before
    changed: bool
    dry_run: bool
    block_line: int
    options: BlockOptions
    refresh_margin_seconds: int
    key: KeyReport
    runtime: RuntimeReport
    changes: list[str]  # remembered choices that this run changed, in words
    backup: Path | None
    written: Path | None  # the file really written (a symlink's target)
    diff: str | None  # with --dry-run
    block: str | None  # with --print-block
    notes: list[str]
    warnings: list[str]
    migrated: list[MigratedBlock]  # other clients' blocks taken out (--migrate)

    def text(self, colour: bool) -> str:
        if self.block is not None:
            return self.block
        if self.dry_run:
            return self.diff or "already up to date: nothing would change"
        if self.created:
            out = [f"created {self.config} with the sshsetup block (line {self.block_line})"]
        elif self.changed:
            out = [f"updated {self.config}: the sshsetup block is at line {self.block_line}"]
        else:
            out = [f"{self.config} is already up to date (the block is at line {self.block_line})"]
        if self.backup:
            out.append(f"previous version saved as {self.backup}")
        if self.key.created:
            out.append(f"made a key pair: {self.key.path} ({self.key.fingerprint})")
        out.extend(f"changed: {change}" for change in self.changes)
        runtime = self.runtime
        if runtime.version != runtime.previous:
            verb = "installed" if runtime.previous is None else "updated"
            out.append(
                f"{verb} sshsetup's runtime in {runtime.directory} ({runtime.version}), "
                f"run by {runtime.python}"
            )
        out.extend(f"note: {note}" for note in self.notes)
        return "\n".join(out)


@dataclass
class _Warnings:
    ctx: Context
    messages: list[str] = field(default_factory=list)

    def __call__(self, message: str) -> None:
        self.messages.append(message)
        self.ctx.say(f"warning: {message}")


def run(ctx: Context, request: Request) -> Outcome[SetupResult]:
    # A dry run writes nothing, so it needs no lock (and works while setup holds it).
    writes = not (request.dry_run or request.print_block)
    with file_lock(ctx.paths.lock_file) if writes else contextlib.nullcontext():
        return Outcome(_setup(ctx, request))


def _setup(ctx: Context, request: Request) -> SetupResult:
    paths = ctx.paths
    _check_config_directory(paths)
    # Before anything is read from or written to them (a run that writes nothing creates none).
    writes = not (request.dry_run or request.print_block)
    for directory in (paths.key_dir, paths.settings_dir, paths.state_dir):
        ensure_private_dir(directory, create=writes)
    warn = _Warnings(ctx)
    settings = load_settings(paths.settings_file)
    options = _chosen_options(settings.options, request)
    margin = (
        settings.refresh_margin_seconds
        if request.refresh_margin is None
        else request.refresh_margin
    )
    python_setting = _python_setting(settings.python, request.python)
    interpreter = choose_interpreter(python_setting, ctx.env)
    if in_virtualenv(interpreter.path):
        warn(
            f"{interpreter} lives in a virtual environment: deleting or rebuilding it breaks ssh "
            "to Baseten hosts (`sshsetup setup --python auto` chooses a Python outside one)"
        )
    config = read_config(paths.ssh_config)
    text = _without_bom(ctx, config, request)
    source = str(paths.ssh_config)

    key, key_setting = _key_pair(ctx, settings, request)
    new_settings = replace(
        settings,
        options=options,
        refresh_margin_seconds=margin,
        key_file=key_setting,
        python=python_setting,
        ssh_config=_remembered_config(paths, settings.ssh_config),
    )
    spec = block_spec(ctx, new_settings, options, interpreter)
    stripped, migrated = _take_out_client_blocks(ctx, strip_block(text, source), request, source)
    for notice in stripped.notices:
        warn(f"{source}: {notice}")
    installed = config_with_block(stripped, spec)
    new_text = installed.text
    new_data = encode(new_text)
    changed = new_data != (config.data or b"")
    block = _block_text(new_text, source)
    runtime = Runtime(paths.runtime_dir)
    result = SetupResult(
        config=paths.ssh_config,
        config_origin=paths.ssh_config_origin,
        ssh_reads=paths.ssh_reads,
        created=changed and not config.exists,
        changed=changed,
        dry_run=request.dry_run,
        block_line=installed.block_line,
        options=options,
        refresh_margin_seconds=margin,
        key=KeyReport(key.private, key.fingerprint, key.created),
        runtime=RuntimeReport(
            runtime.directory, None, runtime.current(), interpreter.path, interpreter.origin
        ),
        changes=_changes(settings, new_settings, paths),
        backup=None,
        written=None,
        diff=None,
        block=None,
        notes=[note for note in [config_note(paths)] if note],
        warnings=warn.messages,
        migrated=migrated,
    )
    if request.print_block:
        return replace(result, block=block)
    ssh = ctx.openssh
    # ssh checks the candidate while the findings are worked out (independent work).
    validation = _Validation(ssh, config, new_data) if changed and ssh else None
    _report_findings(new_text, source, warn)
    if changed and options.use_keychain and ssh is not None and not ssh.understands_use_keychain():
        warn(
            "this OpenSSH is not Apple's build: it does not know UseKeychain, so the block's "
            "`IgnoreUnknown UseKeychain` makes it skip that line here (it only matters on a Mac "
            "sharing this file)"
        )
    if validation is not None:
        validation.wait()
    if request.dry_run:
        before = text if not config.has_bom else config.text
        return replace(result, diff=unified_diff(paths.ssh_config, before, new_text))

    if key.created:
        key = generate_key_pair(key.private)  # the dry-run pair above was never written
        result = replace(result, key=KeyReport(key.private, key.fingerprint, True))
    runtime_installed = install_runtime(runtime)
    result = replace(result, runtime=replace(result.runtime, version=runtime_installed.name))
    installation = installation_for(paths, new_settings, interpreter.path, keyring_site())
    if runtime_installed.created or not runtime.checked(interpreter.path):
        self_test(interpreter, runtime, ctx.env)  # once, before a block names this Python
        runtime.mark_checked(interpreter.path)
    write_installation(paths, installation)
    if changed:
        try:
            written, backup = replace_config(paths, config, new_data)
        except NotWritable as exc:
            _save_settings(paths, settings, new_settings)
            raise _not_writable(paths, exc, block, installed.block_line) from None
        if not config.exists:  # remove deletes it again if nothing else is added to it
            new_settings = replace(new_settings, created_config=str(paths.ssh_config))
        result = replace(result, written=written, backup=backup)
    _save_settings(paths, settings, new_settings)
    return result


def _save_settings(paths: Paths, old: Settings, new: Settings) -> None:
    if new != old or not paths.settings_file.exists():
        save_settings(paths.settings_file, new)


def _check_config_directory(paths: Paths) -> None:
    """A config named by --config (or SSHSETUP_SSH_CONFIG) must be in a directory that
    exists: a typo must not create directories. ~/.ssh itself is created when missing."""
    directory = paths.ssh_config.parent
    if paths.ssh_config_origin != SSH_DEFAULT and not directory.is_dir():
        raise BadInput(
            f"the directory of {paths.ssh_config} does not exist ({directory})",
            hint=f"check the path, or create {directory} first",
        )


def _python_setting(remembered: str | None, asked: str | None) -> str | None:
    """The --python choice to remember: the one given now (absolute), else the one before."""
    if asked is None:
        return remembered
    if asked == AUTO:
        return None
    return str(Path(asked).expanduser().absolute())


def _remembered_config(paths: Paths, remembered: str | None) -> str | None:
    """--config is remembered unless it names the file ssh reads by itself."""
    if paths.ssh_config_origin != FROM_OPTION:
        return remembered
    chosen = paths.ssh_config.absolute()
    return None if chosen == paths.ssh_reads.absolute() else str(chosen)


def _changes(old: Settings, new: Settings, paths: Paths) -> list[str]:
    """The remembered choices this run changes, as a person would say them."""
    changes = []
    for name, before in vars(old.options).items():
        after = getattr(new.options, name)
        if after != before:
            changes.append(f"{name.replace('_', ' ')}: {'on' if after else 'off'}")
    if new.refresh_margin_seconds != old.refresh_margin_seconds:
        changes.append(
            f"refresh margin: {old.refresh_margin_seconds} s -> {new.refresh_margin_seconds} s"
        )
    if new.python != old.python:
        auto = "chosen by sshsetup"
        changes.append(f"python: {new.python or auto} (was {old.python or auto})")
    if new.ssh_config != old.ssh_config:
        kept = new.ssh_config or f"{paths.ssh_reads} (the file ssh reads)"
        changes.append(f"ssh config remembered: {kept}")
    return changes


def _block_text(text: str, source: str) -> str:
    lines = split_lines(text)
    location = locate_block(lines, source)
    if location is None:
        raise InternalError(  # the text was just made with the block in it
            f"{source}: the new text has no sshsetup block", hint="report this as a bug"
        )
    return "".join(line.text for line in lines[location.start : location.end + 1]).rstrip("\r\n")


def _not_writable(paths: Paths, exc: NotWritable, block: str, line: int) -> ConfigNotWritable:
    return ConfigNotWritable(
        f"cannot write {exc}; the key, the runtime and sshsetup's settings are in place, "
        "only the block is missing",
        hint=f"add the block below at line {line} of {paths.ssh_config} yourself (with "
        "home-manager: first in programs.ssh.extraConfig), or make the file writable and run "
        "`sshsetup setup` again; `sshsetup setup --print-block` prints it again",
        block=block,
    )


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

    def __init__(self, ssh: OpenSSH, config: ConfigFile, candidate: bytes) -> None:
        self._error: Exception | None = None
        self._thread = threading.Thread(target=self._run, args=(ssh, config, candidate))
        self._thread.start()

    def _run(self, ssh: OpenSSH, config: ConfigFile, candidate: bytes) -> None:
        try:
            _validate(ssh, config, candidate)
        except Exception as exc:  # whatever it is, the install must not go ahead unchecked
            self._error = exc

    def wait(self) -> None:
        self._thread.join()
        if self._error is not None:
            raise self._error


def _validate(ssh: OpenSSH, config: ConfigFile, candidate: bytes) -> None:
    """Install nothing that ssh rejects; if ssh already rejected the file, say so. The
    candidate goes to a private temporary directory (0700), not to sshsetup's state
    directory: a dry run creates no directory of sshsetup's."""
    with tempfile.TemporaryDirectory(prefix="sshsetup-validate-") as directory:
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
