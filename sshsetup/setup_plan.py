"""What the block should say on this machine, and what the config looks like with it."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path, PurePath

from sshsetup.paths import Paths, is_windows
from sshsetup.settings import BlockOptions, Settings
from sshsetup.sshconfig.block import BlockSpec, render_block
from sshsetup.sshconfig.lines import ConfigLine
from sshsetup.sshconfig.placement import SECTION_KEYWORDS, SHADOWING_KEYWORDS, section_can_match
from sshsetup.sshconfig.splice import InstalledConfig, StrippedConfig, install_block


def connect_scripts() -> tuple[Path, Path]:
    import sshsetup.connect

    directory = Path(sshsetup.connect.__file__).resolve().parent
    return directory / "hook.py", directory / "proxy.py"


def key_file_for(paths: Paths, settings: Settings) -> Path:
    return Path(settings.key_file) if settings.key_file else paths.key_file


def block_spec(
    paths: Paths, settings: Settings, options: BlockOptions, windows: bool | None = None
) -> BlockSpec:
    hook, proxy = connect_scripts()
    return BlockSpec(
        python=PurePath(sys.executable),
        hook_script=hook,
        proxy_script=proxy,
        key_dir=paths.key_dir,
        key_file=key_file_for(paths, settings),
        cert_dir=paths.cert_dir,
        options=options,
        windows=is_windows() if windows is None else windows,
    )


def config_with_block(stripped: StrippedConfig, spec: BlockSpec) -> InstalledConfig:
    return install_block(
        stripped,
        lambda ignore_unknown, notes: render_block(spec, ignore_unknown, notes),
        spec.options.use_keychain,
    )


@dataclass(frozen=True)
class Finding:
    line: ConfigLine
    message: str


def shadowing_lines(lines: Sequence[ConfigLine], block_start: int) -> list[Finding]:
    """Lines above the block that set, for Baseten hosts, a keyword the block sets (A1, A3)."""
    findings: list[Finding] = []
    active = True  # global scope applies to every host
    for line in lines[:block_start]:
        keyword = line.keyword
        if keyword in SECTION_KEYWORDS:
            active = section_can_match(line)
        elif active and keyword in SHADOWING_KEYWORDS:
            findings.append(
                Finding(
                    line,
                    f"line {line.number}: `{line.content.strip()}` comes before the "
                    "block, so ssh uses it for Baseten hosts instead of the block's value",
                )
            )
        elif active and keyword == "include":
            findings.append(
                Finding(
                    line,
                    f"line {line.number}: `{line.content.strip()}` comes before the "
                    "block; anything the included files set for Baseten hosts wins over the block",
                )
            )
    return findings


def aliases_after(lines: Sequence[ConfigLine], block_end: int) -> list[Finding]:
    """`Host alias` + `HostName training-job-…` after the block: the block misses them (A7)."""
    from sshsetup.sshconfig.placement import BASETEN_HOST_GLOBS, globs_intersect

    findings = []
    for line in lines[block_end + 1 :]:
        if (
            "baseten" in line.content.lower()  # cheap pre-check before parsing the line
            and line.keyword == "hostname"
            and line.args
            and any(globs_intersect(line.args[0], glob) for glob in BASETEN_HOST_GLOBS)
        ):
            findings.append(
                Finding(
                    line,
                    f"line {line.number}: HostName {line.args[0]} is set after the "
                    "block, so the block does not apply to that alias; "
                    "move the alias above the block",
                )
            )
    return findings
