"""What an ssh_config means for Baseten's hosts: which sections can match them, which lines
shadow the managed block, and which other tools' entries target them (pure text analysis).

ssh_config is first-value-wins (field guide A1): a line that sets a keyword for our hosts
before the managed block silently beats the block. The scan finds those lines so the
block can be placed above them, and so status and doctor can name them.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from sshsetup.sshconfig.block import FIRST_WINS_KEYWORDS, is_end_marker, is_start_marker
from sshsetup.sshconfig.lines import ConfigLine, pattern_list

BASETEN_HOST_GLOBS = ("training-job-*.ssh.baseten.co", "model-*.ssh.baseten.co")
ANY_BASETEN_SSH_GLOB = "*.ssh.baseten.co"

SHADOWING_KEYWORDS = FIRST_WINS_KEYWORDS
SECTION_KEYWORDS = frozenset({"host", "match"})

TRUSS_START_MARKER = "# --- baseten-ssh ---"
TRUSS_END_MARKER = "# --- end baseten-ssh ---"


def globs_intersect(first: str, second: str) -> bool:
    """Whether some hostname matches both ssh wildcard patterns (``*`` and ``?``)."""
    first, second = first.lower(), second.lower()
    first_is_literal = "*" not in first and "?" not in first
    if first_is_literal or ("*" not in second and "?" not in second):
        literal, pattern = (first, second) if first_is_literal else (second, first)
        return _literal_match(pattern, literal)
    if _literal_ends_clash(first, second):
        return False
    seen: set[tuple[int, int]] = set()
    pending = [(0, 0)]
    while pending:
        state = pending.pop()
        if state in seen:
            continue
        seen.add(state)
        i, j = state
        if i == len(first) and j == len(second):
            return True
        a = first[i] if i < len(first) else None
        b = second[j] if j < len(second) else None
        if a == "*":
            pending.append((i + 1, j))
        if b == "*":
            pending.append((i, j + 1))
        if a is None or b is None:
            continue
        if a in "*?" or b in "*?" or a == b:
            pending.append((i if a == "*" else i + 1, j if b == "*" else j + 1))
    return False


def _literal_ends_clash(first: str, second: str) -> bool:
    """Whether the fixed text before the first (after the last) wildcard already disagrees:
    every match of a pattern starts and ends with that text, so then no name matches both."""
    heads = [_head(first), _head(second)]
    length = min(map(len, heads))
    if heads[0][:length] != heads[1][:length]:
        return True
    tails = [_head(first[::-1]), _head(second[::-1])]
    length = min(map(len, tails))
    return tails[0][:length] != tails[1][:length]


def _head(pattern: str) -> str:
    ends = [index for index in (pattern.find("*"), pattern.find("?")) if index >= 0]
    return pattern[: min(ends)] if ends else pattern


def glob_covers(pattern: str, glob: str) -> bool:
    """Whether every hostname matching ``glob`` also matches ``pattern`` (sound, not complete).

    A ``pattern`` made of literals and ``*`` covers ``glob`` if it matches ``glob`` read as a
    literal string: each ``*`` of the glob is then absorbed by a ``*`` of the pattern.
    """
    if "?" in pattern:
        return False
    return _literal_match(pattern.lower(), glob.lower())


def _literal_match(pattern: str, text: str) -> bool:
    return fnmatch.fnmatchcase(text, pattern.replace("[", "[[]"))


def patterns_can_match(patterns: Sequence[str], globs: Iterable[str]) -> bool:
    """Host-style pattern list (``!`` negates) against the hosts described by ``globs``."""
    positives = [p for p in patterns if not p.startswith("!")]
    negatives = [p[1:] for p in patterns if p.startswith("!")]
    for glob in globs:
        if any(glob_covers(negative, glob) for negative in negatives):
            continue
        if any(globs_intersect(positive, glob) for positive in positives):
            return True
    return False


def section_can_match(line: ConfigLine, globs: Iterable[str] = BASETEN_HOST_GLOBS) -> bool:
    """Whether the Host or Match section that ``line`` opens can apply to a host in ``globs``.

    Conservative: criteria sshsetup cannot decide from text (exec, user, canonical...) count
    as "can match"; only host/originalhost patterns that cannot match rule a section out.
    """
    globs = tuple(globs)
    if line.keyword == "host":
        return patterns_can_match(pattern_list(line.args), globs)
    args = list(line.args)
    index = 0
    while index < len(args):
        criterion = args[index].lower()
        if criterion in ("all", "canonical", "final", "!canonical", "!final", "!all"):
            index += 1
            continue
        if index + 1 >= len(args):
            return True  # malformed: ssh will reject it; never place the block after it
        if criterion in ("host", "originalhost") and not patterns_can_match(
            pattern_list([args[index + 1]]), globs
        ):
            return False
        index += 2
    return True


@dataclass(frozen=True)
class Shadow:
    """A line that takes effect for Baseten's hosts ahead of wherever the block would go."""

    line: ConfigLine
    reason: str


def first_anchor(lines: Sequence[ConfigLine]) -> int | None:
    """Index of the line the managed block must go above, or None (append at the end).

    That is the first of: a section that can match our hosts; a global line that sets a
    first-wins keyword the block sets; a global Include (its files can hold either).
    """
    in_global = True
    for index, line in enumerate(lines):
        keyword = line.keyword
        if keyword in SECTION_KEYWORDS:
            in_global = False
            if section_can_match(line):
                return _above_leading_comments(lines, index)
        elif in_global and (keyword in SHADOWING_KEYWORDS or keyword == "include"):
            return _above_leading_comments(lines, index)
    return None


def _above_leading_comments(lines: Sequence[ConfigLine], index: int) -> int:
    """Keep a comment that directly precedes a section together with it, below the block."""
    while index > 0 and lines[index - 1].content.lstrip(" \t").startswith("#"):
        if _is_marker(lines[index - 1].content):
            break
        index -= 1
    return index


def _is_marker(content: str) -> bool:
    return is_start_marker(content) or is_end_marker(content)


def other_baseten_entries(lines: Sequence[ConfigLine]) -> list[ConfigLine]:
    """Host/Match lines (outside our block) that target *.ssh.baseten.co hosts."""
    return [
        line
        for line in lines
        if _may_target_baseten(line.content)
        and line.keyword in SECTION_KEYWORDS
        and _targets_baseten(line)
    ]


def _may_target_baseten(content: str) -> bool:
    """Cheap and sound pre-check: without a wildcard a pattern must name the domain."""
    return "*" in content or "?" in content or "baseten" in content.lower()


def _targets_baseten(line: ConfigLine) -> bool:
    if line.keyword == "host":
        patterns = pattern_list(line.args)
    else:
        args = list(line.args)
        patterns = [
            pattern
            for criterion, value in zip(args, args[1:], strict=False)
            if criterion.lower() in ("host", "originalhost")
            for pattern in pattern_list([value])
        ]
    positives = [p for p in patterns if not p.startswith("!")]
    return any(globs_intersect(p, ANY_BASETEN_SSH_GLOB) and p != "*" for p in positives)


def find_truss_block(lines: Sequence[ConfigLine]) -> tuple[int, int] | None:
    """First and last index of a block written by `truss ssh setup`, if complete."""
    marked = [i for i, line in enumerate(lines) if "baseten-ssh" in line.content]
    start = next((i for i in marked if lines[i].content.strip() == TRUSS_START_MARKER), None)
    if start is None:
        return None
    end = next(
        (i for i in marked if i > start and lines[i].content.strip() == TRUSS_END_MARKER), None
    )
    return None if end is None else (start, end)


def first_ignore_unknown(lines: Sequence[ConfigLine]) -> int | None:
    """Index of the first global IgnoreUnknown line, which is the only one that counts (A20)."""
    for index, line in enumerate(lines):
        if line.keyword in SECTION_KEYWORDS:
            return None
        if line.keyword == "ignoreunknown":
            return index
    return None
