"""The lossless line model of an ssh config (sshsetup.sshconfig.lines)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sshsetup.sshconfig.lines import (
    ConfigLine,
    decode,
    dominant_eol,
    encode,
    join_lines,
    pattern_list,
    split_lines,
)


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=400))
def test_any_bytes_survive_decode_split_join_encode(data: bytes) -> None:
    assert encode(join_lines(split_lines(decode(data)))) == data


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("a\nb\n", [("a", "\n"), ("b", "\n")]),
        ("a\r\nb", [("a", "\r\n"), ("b", "")]),
        ("\n\n", [("", "\n"), ("", "\n")]),
        ("x\ry\n", [("x\ry", "\n")]),  # a lone CR is content, as for ssh
        ("", []),
    ],
)
def test_split_lines_keeps_each_line_ending(text: str, expected: list[tuple[str, str]]) -> None:
    lines = split_lines(text)
    assert [(line.content, line.eol) for line in lines] == expected
    assert [line.number for line in lines] == list(range(1, len(expected) + 1))


@pytest.mark.parametrize(
    ("content", "keyword", "args"),
    [
        ("Host foo bar", "host", ("foo", "bar")),
        ("  HOST\tfoo", "host", ("foo",)),
        ("User=me", "user", ("me",)),
        ("User = me", "user", ("me",)),
        ('\tIdentityFile "/a b/c d"', "identityfile", ("/a b/c d",)),
        ('Match host "a,b" exec "x y"', "match", ("host", "a,b", "exec", "x y")),
        ("ServerAliveInterval 30 # keepalive", "serveraliveinterval", ("30",)),
        ("# a comment", None, ()),
        ("   ", None, ()),
        ("  # indented comment", None, ()),
    ],
)
def test_parse_directive(content: str, keyword: str | None, args: tuple[str, ...]) -> None:
    line = ConfigLine(1, content, "\n")
    assert line.keyword == keyword
    assert line.args == args


def test_value_offset_points_at_first_argument() -> None:
    for content in ("IgnoreUnknown Foo", "IgnoreUnknown=Foo", "  IgnoreUnknown =\tFoo"):
        line = split_lines(content)[0]
        assert content[line.value_offset :] == "Foo"


@pytest.mark.parametrize(
    ("text", "eol"),
    [("", "\n"), ("a\n", "\n"), ("a\r\nb\r\nc\n", "\r\n"), ("a\r\nb\nc\n", "\n"), ("a", "\n")],
)
def test_dominant_eol(text: str, eol: str) -> None:
    assert dominant_eol(text) == eol


def test_pattern_list_splits_host_words_and_match_commas() -> None:
    assert pattern_list(("a", "b,c", "!d")) == ["a", "b", "c", "!d"]
