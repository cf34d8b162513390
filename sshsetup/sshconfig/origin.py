"""Which file and line gave a keyword its effective value for a host (ssh_config is first-wins).

``ssh -G`` says *what* ssh will use; this says *where it came from*, following ``Include``
the way ssh does (globs in lexical order, relative paths under ~/.ssh for the user's config
and under /etc/ssh for the system one, conditional inside a Host/Match section).
Sections whose criteria cannot be decided from text (``Match exec``...) count as active.
"""

from __future__ import annotations

import glob
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from sshsetup.sshconfig.keywords import INCLUDE, is_section
from sshsetup.sshconfig.lines import ConfigLine, decode, split_lines
from sshsetup.sshconfig.patterns import section_can_match

SYSTEM_CONFIG = Path("/etc/ssh/ssh_config")
MAX_INCLUDE_DEPTH = 16  # as ssh's READCONF_MAX_DEPTH


@dataclass(frozen=True)
class Origin:
    path: Path
    line: ConfigLine

    def describe(self) -> str:
        return f"{self.path} line {self.line.number}: {self.line.content.strip()}"


def first_setting(
    keyword: str,
    host: str,
    user_config: Path,
    home: Path,
    system_config: Path | None = SYSTEM_CONFIG,
) -> Origin | None:
    """The first line ssh would take ``keyword`` from for ``host``, or None (a default)."""
    keyword = keyword.lower()
    for origin in active_lines(host, user_config, home, system_config):
        if origin.line.keyword == keyword:
            return origin
    return None


def active_lines(
    host: str, user_config: Path, home: Path, system_config: Path | None = SYSTEM_CONFIG
) -> Iterator[Origin]:
    """Every directive line that applies to ``host``, in the order ssh reads them."""
    yield from _walk(user_config, host, home / ".ssh", 0)
    if system_config is not None:
        yield from _walk(system_config, host, system_config.parent, 0)


def files_read(host: str, user_config: Path, home: Path) -> list[Path]:
    """``user_config`` and every file its ``Include`` lines pull in for ``host``, in the order
    ssh reads them (the files that exist and can be read)."""
    visited: list[Path] = []
    for _ in _walk(user_config, host, home / ".ssh", 0, visited):
        pass
    return visited


def _walk(
    path: Path, host: str, relative_to: Path, depth: int, visited: list[Path] | None = None
) -> Iterator[Origin]:
    if depth > MAX_INCLUDE_DEPTH:
        return
    try:
        lines = split_lines(decode(path.read_bytes()))
    except OSError:
        return
    if visited is not None:
        visited.append(path)
    active = True
    for line in lines:
        keyword = line.keyword
        if keyword is None:
            continue
        if is_section(keyword):
            active = section_can_match(line, [host])
            continue
        if not active:
            continue
        if keyword == INCLUDE.key:
            for argument in line.args:
                for included in _expand_include(argument, relative_to):
                    yield from _walk(included, host, relative_to, depth + 1, visited)
            continue
        yield Origin(path, line)


def _expand_include(argument: str, relative_to: Path) -> list[Path]:
    pattern = os.path.expanduser(argument)
    if not os.path.isabs(pattern):
        pattern = str(relative_to / pattern)
    return [Path(match) for match in sorted(glob.glob(pattern)) if os.path.isfile(match)]
