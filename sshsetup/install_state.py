"""What is installed in the ssh config and beside it, as status and doctor report it."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from sshsetup.connect.settings import BlockOptions, Settings, load_settings
from sshsetup.context import Context
from sshsetup.errors import BadInput
from sshsetup.interpreter import choose_interpreter
from sshsetup.keypair import load_key_pair
from sshsetup.paths import Paths, config_note
from sshsetup.runtime import Runtime
from sshsetup.setup_plan import block_spec, config_with_block, recorded_python
from sshsetup.sshconfig.file import latest_backup, read_config
from sshsetup.sshconfig.lines import split_lines
from sshsetup.sshconfig.placement import (
    SSHSETUP,
    ManagedBlock,
    aliases_after,
    find_client_blocks,
    hosts_served,
    other_baseten_entries,
    shadowing_lines,
)
from sshsetup.sshconfig.splice import locate_block, strip_block


@dataclass(frozen=True)
class LineSpan:
    first_line: int
    last_line: int


@dataclass(frozen=True)
class BlockState(LineSpan):
    current: bool  # what `sshsetup setup` would write now
    serves: tuple[str, ...]  # the host globs it serves (not taken by a block above it)


@dataclass(frozen=True)
class OtherBlock(LineSpan):
    """A block written by one of Baseten's own clients."""

    client: str  # the command that wrote it
    serves: tuple[str, ...]  # the host globs it serves first (it comes before any other)


@dataclass(frozen=True)
class KeyState:
    path: Path
    present: bool
    type: str | None = None
    fingerprint: str | None = None
    problem: str | None = None


@dataclass(frozen=True)
class OtherEntry:
    line: int
    text: str


@dataclass(frozen=True)
class RuntimeState:
    directory: Path
    version: str | None  # the copy in use, v<version>-<hash> (None: no runtime installed)
    complete: bool  # entry scripts and the copy are all there
    python: Path | None  # the interpreter the block runs it with (as setup recorded it)
    python_present: bool


@dataclass(frozen=True)
class InstallState:
    config: Path
    config_origin: str  # --config, SSHSETUP_SSH_CONFIG, remembered, default
    ssh_reads: Path  # the config ssh reads when given no -F
    config_exists: bool
    installed: bool
    block: BlockState | None
    options: BlockOptions
    refresh_margin_seconds: int
    key: KeyState
    backup: Path | None
    other_blocks: tuple[OtherBlock, ...]
    other_baseten_entries: tuple[OtherEntry, ...]
    findings: tuple[str, ...]  # lines above the block that shadow it, aliases it misses
    runtime: RuntimeState
    notes: tuple[str, ...]  # e.g. which config ssh reads, when it is not this one
    settings_file: Path
    state_dir: Path


def read_install_state(ctx: Context) -> InstallState:
    paths = ctx.paths
    settings = load_settings(paths.settings_file)
    config = read_config(paths.ssh_config)
    source = str(paths.ssh_config)
    lines = split_lines(config.text)
    location = locate_block(lines, source)
    clients = find_client_blocks(lines)
    managed = list(clients)
    if location is not None:
        managed.append(ManagedBlock(SSHSETUP, location.start, location.end))
    served = hosts_served(lines, managed)
    block = None
    findings: list[str] = []
    notes = [note for note in [config_note(paths)] if note]
    if location is not None:
        try:
            interpreter = choose_interpreter(settings.python, ctx.env)
            expected = config_with_block(
                strip_block(config.text, source),
                block_spec(ctx, settings, settings.options, interpreter),
            ).text
        except BadInput as exc:  # no Python to write a block with: it cannot be current
            expected = None
            notes.append(f"{exc.message} ({exc.hint})")
        block = BlockState(
            lines[location.start].number,
            lines[location.end].number,
            expected == config.text,
            tuple(served[SSHSETUP]),
        )
        findings = [f.message for f in shadowing_lines(lines, location.start)]
        findings += [f.message for f in aliases_after(lines, location.end)]
    others = tuple(
        OtherEntry(line.number, line.content.strip())
        for index, line in enumerate(lines)
        if line in other_baseten_entries([line])
        and not any(managed_block.contains(index) for managed_block in managed)
    )
    return InstallState(
        config=paths.ssh_config,
        config_origin=paths.ssh_config_origin,
        ssh_reads=paths.ssh_reads,
        config_exists=config.exists,
        installed=block is not None,
        block=block,
        options=settings.options,
        refresh_margin_seconds=settings.refresh_margin_seconds,
        key=_key_state(settings.key_path(paths.key_file)),
        backup=latest_backup(paths),
        other_blocks=tuple(
            OtherBlock(
                lines[other.start].number,
                lines[other.end].number,
                other.client,
                tuple(served[other.client]),
            )
            for other in clients
        ),
        other_baseten_entries=others,
        findings=tuple(findings),
        runtime=runtime_state(paths, settings, ctx),
        notes=tuple(notes),
        settings_file=paths.settings_file,
        state_dir=paths.state_dir,
    )


def runtime_state(paths: Paths, settings: Settings, ctx: Context) -> RuntimeState:
    runtime = Runtime(paths.runtime_dir)
    python = recorded_python(paths)
    if python is None:
        try:
            python = choose_interpreter(settings.python, ctx.env).path
        except BadInput:
            python = None
    return RuntimeState(
        runtime.directory,
        runtime.current(),
        runtime.complete(),
        python,
        python is not None and python.is_file(),
    )


def _key_state(path: Path) -> KeyState:
    if not path.exists():
        return KeyState(path, False)
    try:
        pair = load_key_pair(path)
    except BadInput as exc:
        return KeyState(path, True, problem=exc.message)
    return KeyState(path, True, type=pair.key_type, fingerprint=pair.fingerprint)
