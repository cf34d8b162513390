"""The one renderer (sshsetup.results): text or one JSON object on stdout, errors on stderr
(and, with --json, as one JSON object on stdout too), to the streams of the moment."""

from __future__ import annotations

import io
import json
from contextlib import redirect_stderr, redirect_stdout
from dataclasses import dataclass
from enum import Enum
from pathlib import Path

from sshsetup.errors import BadInput, NotLoggedIn
from sshsetup.results import Outcome, Result, jsonable, render, render_error


class Colour(Enum):
    RED = "red"


@dataclass(frozen=True)
class Inner:
    path: Path
    colour: Colour


@dataclass(frozen=True)
class Sample(Result):
    name: str
    missing: str | None
    inner: Inner
    tags: frozenset[str]

    def text(self, colour: bool) -> str:
        return f"sample {self.name}"


@dataclass(frozen=True)
class OneLine(Result):
    one_line_json = True

    name: str
    values: list[int]

    def text(self, colour: bool) -> str:
        return self.name


SAMPLE = Sample("x", None, Inner(Path("/a/b"), Colour.RED), frozenset({"b", "a"}))


def test_jsonable_keeps_every_field_paths_as_text_enums_by_value_sets_sorted() -> None:
    assert jsonable(SAMPLE) == {
        "name": "x",
        "missing": None,
        "inner": {"path": "/a/b", "colour": "red"},
        "tags": ["a", "b"],
    }


def test_render_writes_to_the_stdout_of_the_moment() -> None:
    text, document = io.StringIO(), io.StringIO()
    with redirect_stdout(text):
        render(Outcome(SAMPLE), json_output=False, colour=False)
    with redirect_stdout(document):
        render(Outcome(SAMPLE), json_output=True, colour=False)

    assert text.getvalue() == "sample x\n"
    assert json.loads(document.getvalue()) == jsonable(SAMPLE)


def test_a_one_line_result_is_one_json_line() -> None:
    out = io.StringIO()
    render(Outcome(OneLine("y", [1, 2])), json_output=True, colour=False, out=out)

    first, rest = out.getvalue().split("\n", 1)
    assert json.loads(first) == {"name": "y", "values": [1, 2]}
    assert rest == ""


def test_an_error_is_message_and_hint_on_stderr_and_with_json_one_object_on_stdout() -> None:
    out, err = io.StringIO(), io.StringIO()
    render_error(NotLoggedIn("no API key", hint="sshsetup login"), True, out=out, err=err)

    assert err.getvalue() == "error: no API key\n  hint: sshsetup login\n"
    assert json.loads(out.getvalue()) == {
        "ok": False,
        "error": {"message": "no API key", "hint": "sshsetup login", "exit_code": 6},
    }
    quiet = io.StringIO()
    render_error(BadInput("bad", hint="fix it"), False, out=quiet, err=io.StringIO())
    assert quiet.getvalue() == ""


def test_render_error_writes_to_the_streams_of_the_moment() -> None:
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        render_error(BadInput("bad", hint="fix it"), True)

    assert err.getvalue() == "error: bad\n  hint: fix it\n"
    assert json.loads(out.getvalue())["error"]["exit_code"] == 3
