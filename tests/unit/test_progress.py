"""The progress line (sshsetup.progress): rewritten in place on a terminal, one row wide,
nothing at all when stderr is not a terminal."""

from __future__ import annotations

import io

import pytest

from sshsetup.progress import ProgressLine


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_on_a_terminal_each_state_replaces_the_last_and_the_end_leaves_one_line(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("COLUMNS", "200")
    stream = Terminal()
    line = ProgressLine(stream)

    line.show("job x is DEPLOYING; waiting", 1.2)
    line.show("job x is DEPLOYING; waiting", 2.6)
    line.finish("job x: ready after 3 s")

    assert stream.getvalue() == (
        "\r\x1b[Kjob x is DEPLOYING; waiting (1 s)"
        "\r\x1b[Kjob x is DEPLOYING; waiting (3 s)"
        "\r\x1b[Kjob x: ready after 3 s\n"
    )


def test_a_line_wider_than_the_terminal_is_cut_so_that_it_never_wraps(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("COLUMNS", "20")
    stream = Terminal()
    ProgressLine(stream).show("a rather long description of the state", 5)
    assert stream.getvalue() == "\r\x1b[Ka rather long de..."  # 19 columns


def test_without_a_terminal_nothing_is_written() -> None:
    stream = io.StringIO()
    line = ProgressLine(stream)
    line.show("waiting", 1)
    line.finish("ready")
    assert stream.getvalue() == "" and not line.enabled
