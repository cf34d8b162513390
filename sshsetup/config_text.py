"""A faithful, lossless reading of an ssh_config file as text (no disk access).

The file is decoded with ``surrogateescape`` so that any byte sequence, valid
UTF-8 or not, survives a decode/encode round trip unchanged. Each line keeps its
own end-of-line sequence, so LF, CRLF and a missing final newline are preserved.

Tokenising follows OpenSSH's readconf.c closely enough for what sshsetup needs
to know: the keyword (case-insensitive, ``Keyword value`` or ``Keyword=value``)
and the arguments (double quotes group words). Only the lines sshsetup reasons
about (Host, Match, Include, IgnoreUnknown and the keywords its block sets) need
their arguments understood; every other line is carried through untouched.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cached_property

ENCODING = "utf-8"
ERRORS = "surrogateescape"
UTF8_BOM = b"\xef\xbb\xbf"

_KEYWORD = re.compile(r"[ \t]*([A-Za-z][A-Za-z0-9]*)(?:[ \t]*=[ \t]*|[ \t]+|$)")
_LINE = re.compile(r"([^\n]*?)(\r?\n|$)")


@dataclass(frozen=True)
class ConfigLine:
    number: int  # 1-based, as ssh counts them in its messages
    content: str  # without the end of line
    eol: str  # "\n", "\r\n" or "" for a last line with no newline

    @cached_property
    def _parsed(self) -> tuple[str | None, tuple[str, ...], int]:
        return parse_directive(self.content)

    @property
    def keyword(self) -> str | None:
        """Lower-cased keyword, or None for a blank line or a comment."""
        return self._parsed[0]

    @property
    def args(self) -> tuple[str, ...]:
        return self._parsed[1]

    @property
    def value_offset(self) -> int:
        """Index in ``content`` where the first argument starts."""
        return self._parsed[2]

    @property
    def text(self) -> str:
        return self.content + self.eol


def decode(data: bytes) -> str:
    return data.decode(ENCODING, ERRORS)


def encode(text: str) -> bytes:
    return text.encode(ENCODING, ERRORS)


def split_lines(text: str) -> list[ConfigLine]:
    """Lines with their own end-of-line; ``"".join(l.text for l in lines) == text``."""
    lines: list[ConfigLine] = []
    position = 0
    number = 0
    while position < len(text):
        match = _LINE.match(text, position)
        assert match is not None  # the pattern always matches (both groups may be empty)
        number += 1
        lines.append(ConfigLine(number, match.group(1), match.group(2)))
        position = match.end()
    return lines


def join_lines(lines: list[ConfigLine] | list[str]) -> str:
    return "".join(line if isinstance(line, str) else line.text for line in lines)


def dominant_eol(lines: list[ConfigLine]) -> str:
    """The file's own line-ending style (CRLF when most lines use it), LF for a new file."""
    crlf = sum(1 for line in lines if line.eol == "\r\n")
    lf = sum(1 for line in lines if line.eol == "\n")
    return "\r\n" if crlf > lf else "\n"


def parse_directive(content: str) -> tuple[str | None, tuple[str, ...], int]:
    stripped = content.lstrip(" \t")
    if not stripped or stripped.startswith("#"):
        return None, (), len(content)
    match = _KEYWORD.match(content)
    if match is None:
        # Not a keyword ssh would accept; ssh itself will say so. Keep the whole word.
        word = stripped.split(None, 1)[0]
        return word.lower(), tuple(split_arguments(stripped[len(word) :])), len(content)
    return match.group(1).lower(), tuple(split_arguments(content[match.end() :])), match.end()


def split_arguments(text: str) -> list[str]:
    """Whitespace-separated words; double quotes group; a ``#`` word starts a comment."""
    args: list[str] = []
    position = 0
    length = len(text)
    while position < length:
        while position < length and text[position] in " \t":
            position += 1
        if position >= length:
            break
        if text[position] == "#":
            break
        word: list[str] = []
        while position < length and text[position] not in " \t":
            char = text[position]
            if char == '"':
                closing = text.find('"', position + 1)
                if closing < 0:
                    word.append(text[position + 1 :])
                    position = length
                    break
                word.append(text[position + 1 : closing])
                position = closing + 1
            else:
                word.append(char)
                position += 1
        args.append("".join(word))
    return args


def pattern_list(args: tuple[str, ...] | list[str]) -> list[str]:
    """Patterns from Host arguments (whitespace-separated) or a Match pattern-list (commas)."""
    return [pattern for arg in args for pattern in arg.split(",") if pattern]
