"""Putting the managed block into a config text, and taking it out again (pure text).

Invariants (property-tested):
- ``remove_block(install_block(text, ...)) == text`` for any text without a block;
- installing twice gives the same text as installing once;
- every byte outside the block is preserved; the block uses the file's own line endings;
- a file without a final newline still has none after the block is added at its end
  (the block's end marker then carries no newline, which is how removal knows the
  newline before the block belongs to the block).
"""

from __future__ import annotations

import fnmatch
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from sshsetup.errors import BadInput
from sshsetup.sshconfig.block import (
    IGNORE_UNKNOWN_NOTE,
    MARKER_TEXT,
    is_end_marker,
    is_start_marker,
)
from sshsetup.sshconfig.keywords import IGNORE_UNKNOWN, USE_KEYCHAIN, is_section
from sshsetup.sshconfig.lines import ConfigLine, dominant_eol, join_lines, split_lines
from sshsetup.sshconfig.placement import first_anchor

# (IgnoreUnknown value the block provides, notes of extended user lines) -> block lines
BlockRenderer = Callable[[str | None, list[str]], list[str]]


@dataclass(frozen=True)
class BlockLocation:
    start: int  # index of the start marker line
    end: int  # index of the end marker line

    def contains(self, index: int) -> bool:
        return self.start <= index <= self.end


@dataclass
class StrippedConfig:
    """The config as it would be without the managed block."""

    text: str
    position: int | None  # line index where the block stood, None if there was none
    notices: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class InstalledConfig:
    text: str
    block_line: int  # 1-based line number of the start marker


def locate_block(lines: Sequence[ConfigLine], source: str) -> BlockLocation | None:
    candidates = [(i, line) for i, line in enumerate(lines) if MARKER_TEXT in line.content]
    starts = [i for i, line in candidates if is_start_marker(line.content)]
    ends = [i for i, line in candidates if is_end_marker(line.content)]
    if not starts and not ends:
        return None
    hint = (
        "edit the file so that exactly one start marker is followed by one end marker "
        "(or delete both and the lines between them), then run sshsetup again"
    )
    if len(starts) > 1 or len(ends) > 1:
        numbers = ", ".join(str(lines[i].number) for i in sorted(starts + ends))
        raise BadInput(
            f"{source}: more than one sshsetup block (marker lines {numbers})", hint=hint
        )
    if not ends:
        raise BadInput(
            f"{source} line {lines[starts[0]].number}: sshsetup start marker without its "
            "end marker",
            hint=hint,
        )
    if not starts:
        raise BadInput(
            f"{source} line {lines[ends[0]].number}: sshsetup end marker without its start marker",
            hint=hint,
        )
    if ends[0] < starts[0]:
        raise BadInput(
            f"{source} line {lines[ends[0]].number}: sshsetup end marker before its start "
            f"marker (line {lines[starts[0]].number})",
            hint=hint,
        )
    return BlockLocation(starts[0], ends[0])


def strip_block(text: str, source: str) -> StrippedConfig:
    """The text as it was before sshsetup added its block (and its IgnoreUnknown edit)."""
    lines = split_lines(text)
    location = locate_block(lines, source)
    if location is None:
        return StrippedConfig(text, None)
    before: Sequence[ConfigLine] = lines[: location.start]
    after = lines[location.end + 1 :]
    block = lines[location.start : location.end + 1]
    if not after and block[-1].eol == "" and before:
        # Added at the end of a file that had no final newline: that newline is ours.
        last = before[-1]
        before = [*before[:-1], ConfigLine(last.number, last.content, "")]
    stripped = join_lines(before) + join_lines(after)
    notices: list[str] = []
    for line in block:
        if line.content.startswith(IGNORE_UNKNOWN_NOTE):
            stripped, notice = _revert_ignore_unknown(stripped, line.content)
            if notice:
                notices.append(notice)
    return StrippedConfig(stripped, location.start, notices)


def install_block(
    stripped: StrippedConfig,
    render: BlockRenderer,
    use_keychain: bool,
) -> InstalledConfig:
    """Insert the rendered block: in place of the old one, else above the first anchor."""
    text = stripped.text
    lines: Sequence[ConfigLine] = split_lines(text)
    position = stripped.position
    if position is None:
        anchor = first_anchor(lines)
        position = len(lines) if anchor is None else anchor
    ignore_unknown: str | None = None
    notes: list[str] = []
    if use_keychain:
        lines, ignore_unknown, notes = _cover_use_keychain(lines, position)
    block = render(ignore_unknown, notes)
    eol = dominant_eol(text)
    before = lines[:position]
    after = lines[position:]
    if after or not before or before[-1].eol:
        rendered = "".join(line + eol for line in block)
        new_text = join_lines(before) + rendered + join_lines(after)
    else:
        # The file ends without a newline: keep it that way (see the module docstring).
        new_text = join_lines(before) + eol + eol.join(block)
    return InstalledConfig(new_text, block_line=position + 1)


def _covers(patterns: str, keyword: str) -> bool:
    return any(
        fnmatch.fnmatchcase(keyword.lower(), pattern.lower())
        for pattern in patterns.split(",")
        if pattern
    )


def _cover_use_keychain(
    lines: Sequence[ConfigLine], position: int
) -> tuple[list[ConfigLine], str | None, list[str]]:
    """Make ``UseKeychain`` an ignored keyword wherever ssh reads the block
    (docs/ssh-config.md#ignoreunknown-covers-only-what-follows-it).

    Only the first IgnoreUnknown ssh reads counts, and an unknown keyword is fatal even in a
    section that does not apply. So each IgnoreUnknown above the block that can come first
    for some host is extended (recorded in the block, so remove can restore it): those in
    sections, up to and including the first global one. Unless there is a global one above,
    the block provides its own for every host, merged with the user's next one, which it
    would otherwise hide.
    """
    new_lines = list(lines)
    notes: list[str] = []
    global_above = False
    in_global = True
    for index in range(position):
        line = lines[index]
        if is_section(line.keyword):
            in_global = False
        if line.keyword != IGNORE_UNKNOWN.key:
            continue
        value = line.args[0] if line.args else ""
        if not _covers(value, USE_KEYCHAIN.name):
            extended = _extend_value(line, "," + USE_KEYCHAIN.name)
            notes.append(IGNORE_UNKNOWN_NOTE + json.dumps([line.content, extended]))
            new_lines[index] = ConfigLine(line.number, extended, line.eol)
        if in_global:
            global_above = True
            break
    if global_above:
        return new_lines, None, notes
    later = next(
        (
            line.args[0]
            for line in lines[position:]
            if line.keyword == IGNORE_UNKNOWN.key and line.args
        ),
        None,
    )
    name = USE_KEYCHAIN.name
    if later is None:
        return new_lines, name, notes
    return new_lines, later if _covers(later, name) else f"{name},{later}", notes


def _extend_value(line: ConfigLine, addition: str) -> str:
    content = line.content
    start = line.value_offset
    if content[start:].startswith('"'):
        closing = content.find('"', start + 1)
        end = closing if closing > 0 else len(content)
    else:
        end = start
        while end < len(content) and content[end] not in " \t":
            end += 1
    return content[:end] + addition + content[end:]


def _revert_ignore_unknown(text: str, note_line: str) -> tuple[str, str | None]:
    try:
        original, extended = json.loads(note_line[len(IGNORE_UNKNOWN_NOTE) :])
    except (ValueError, TypeError):
        return text, "the block's IgnoreUnknown record is damaged; the line was left as it is"
    lines = list(split_lines(text))
    for index, line in enumerate(lines):
        if line.keyword == IGNORE_UNKNOWN.key and line.content == extended:
            lines[index] = ConfigLine(line.number, original, line.eol)
            return join_lines(lines), None
    return text, (
        f"the IgnoreUnknown line sshsetup extended ({extended.strip()!r}) was edited or removed "
        "since; left as it is"
    )
