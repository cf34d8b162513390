"""ssh host patterns (``*``, ``?``, ``!``) reasoned about as sets of host names (pure).

Whether two wildcard patterns can match a common name, whether one covers another, and
whether a Host or Match section can apply to Baseten's hosts
(docs/ssh-config.md#host-patterns-negation-and-case).
"""

from __future__ import annotations

import fnmatch
from collections.abc import Iterable, Sequence

from sshsetup.baseten import HOST_GLOBS
from sshsetup.sshconfig.keywords import HOST
from sshsetup.sshconfig.lines import ConfigLine, pattern_list

HOST_CRITERIA = ("host", "originalhost")  # the Match criteria that take host patterns


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


def section_can_match(line: ConfigLine, globs: Iterable[str] = HOST_GLOBS) -> bool:
    """Whether the Host or Match section that ``line`` opens can apply to a host in ``globs``.

    Conservative: criteria sshsetup cannot decide from text (exec, user, canonical...) count
    as "can match"; only host/originalhost patterns that cannot match rule a section out.
    """
    globs = tuple(globs)
    if line.keyword == HOST.key:
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
        if criterion in HOST_CRITERIA and not patterns_can_match(
            pattern_list([args[index + 1]]), globs
        ):
            return False
        index += 2
    return True
