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

import functools
import re
from collections.abc import Sequence

ENCODING = "utf-8"
ERRORS = "surrogateescape"
UTF8_BOM = b"\xef\xbb\xbf"

_KEYWORD = re.compile(r"[ \t]*([A-Za-z][A-Za-z0-9]*)(?:[ \t]*=[ \t]*|[ \t]+|$)")


class ConfigLine:
    """One line: a plain slotted class, its keyword and arguments parsed only when asked for
    (a config can hold 100,000s of lines, and most questions only need the keyword)."""

    __slots__ = ("number", "content", "eol", "_keyword", "_args")

    def __init__(self, number: int, content: str, eol: str) -> None:
        self.number = number  # 1-based, as ssh counts them in its messages
        self.content = content  # without the end of line
        self.eol = eol  # "\n", "\r\n" or "" for a last line with no newline
        self._keyword: tuple[str | None, int] | None = None
        self._args: tuple[str, ...] | None = None

    def _key(self) -> tuple[int, str, str]:
        return (self.number, self.content, self.eol)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, ConfigLine) and self._key() == other._key()

    def __hash__(self) -> int:
        return hash(self._key())

    def __repr__(self) -> str:
        return f"ConfigLine({self.number!r}, {self.content!r}, {self.eol!r})"

    def _keyword_and_offset(self) -> tuple[str | None, int]:
        if self._keyword is None:
            self._keyword = parse_keyword(self.content)
        return self._keyword

    @property
    def keyword(self) -> str | None:
        """Lower-cased keyword, or None for a blank line or a comment."""
        return self._keyword_and_offset()[0]

    @property
    def value_offset(self) -> int:
        """Index in ``content`` where the first argument starts."""
        return self._keyword_and_offset()[1]

    @property
    def args(self) -> tuple[str, ...]:
        if self._args is None:
            self._args = tuple(split_arguments(self.content[self.value_offset :]))
        return self._args

    @property
    def text(self) -> str:
        return self.content + self.eol


def decode(data: bytes) -> str:
    return data.decode(ENCODING, ERRORS)


def encode(text: str) -> bytes:
    return text.encode(ENCODING, ERRORS)


@functools.lru_cache(maxsize=4)
def split_lines(text: str) -> tuple[ConfigLine, ...]:
    """Lines with their own end-of-line; ``"".join(l.text for l in lines) == text``.

    Only LF ends a line (a CR before it belongs to the CRLF ending), as for ssh. Cached:
    one command splits the same text several times (strip, place, report).
    """
    parts = text.split("\n")
    last = parts.pop()
    lines = [
        ConfigLine(number, part[:-1], "\r\n")
        if part.endswith("\r")
        else ConfigLine(number, part, "\n")
        for number, part in enumerate(parts, start=1)
    ]
    if last:
        lines.append(ConfigLine(len(lines) + 1, last, ""))
    return tuple(lines)


def join_lines(lines: Sequence[ConfigLine]) -> str:
    return "".join([line.content + line.eol for line in lines])


def dominant_eol(text: str) -> str:
    """The file's own line-ending style (CRLF when most lines use it), LF for a new file."""
    crlf = text.count("\r\n")
    lf = text.count("\n") - crlf
    return "\r\n" if crlf > lf else "\n"


def parse_keyword(content: str) -> tuple[str | None, int]:
    """(lower-cased keyword or None for blank/comment lines, where the value starts)."""
    stripped = content.lstrip(" \t")
    if not stripped or stripped[0] == "#":
        return None, len(content)
    match = _KEYWORD.match(content)
    if match is None:
        # Not a keyword ssh would accept; ssh itself will say so. Keep the whole word.
        word = stripped.split(None, 1)[0]
        return word.lower(), len(content) - len(stripped) + len(word)
    return match.group(1).lower(), match.end()


def split_arguments(text: str) -> list[str]:
    """Whitespace-separated words; double quotes group; a ``#`` word starts a comment."""
    if '"' not in text:
        words = [word for word in text.replace("\t", " ").split(" ") if word]
        comment = next((i for i, word in enumerate(words) if word.startswith("#")), len(words))
        return words[:comment]
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
