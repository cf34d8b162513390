"""What commands return, and the one place that prints it (text on a terminal, or --json).

Every command returns an ``Outcome`` holding a typed ``Result`` (a dataclass) and the exit
code. ``render`` prints it: ``--json`` gives one JSON object on stdout (the dataclass's
fields, recursively, under their own names), otherwise the result's own text. Errors are
rendered here too, so every ``--json`` run prints exactly one object, failures included.
"""

from __future__ import annotations

import dataclasses
import json
import sys
from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass
from enum import Enum
from pathlib import PurePath
from typing import Any, Generic, TextIO, TypeVar

from sshsetup.errors import SshsetupError
from sshsetup.exit_codes import ExitCode


class Result(ABC):
    """A command's data. Subclasses are dataclasses; ``text`` says it in prose."""

    one_line_json = False  # --json prints it on one line (a stream's first line, e.g.)

    @abstractmethod
    def text(self, colour: bool) -> str:
        """The result for a person (empty: print nothing)."""

    def to_json(self) -> dict[str, Any]:
        value = jsonable(self)
        assert isinstance(value, dict)
        return value


ResultT = TypeVar("ResultT", bound=Result)


@dataclass(frozen=True)
class Outcome(Generic[ResultT]):
    result: ResultT
    exit_code: ExitCode = ExitCode.OK
    rendered: bool = False  # the command printed its result itself, as it went


def jsonable(value: Any) -> Any:
    """``value`` as JSON data: its own ``to_json()`` if it has one, else dataclasses by field,
    paths as text, enums by value."""
    custom = getattr(type(value), "to_json", None)
    if custom is not None and custom is not Result.to_json:
        return value.to_json()
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: jsonable(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, Enum):
        return jsonable(value.value)
    if isinstance(value, PurePath):
        return str(value)
    if isinstance(value, Mapping):
        return {str(key): jsonable(item) for key, item in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        items = [jsonable(item) for item in value]
        return sorted(items) if isinstance(value, (set, frozenset)) else items
    return value


def render(
    outcome: Outcome[Any], json_output: bool, colour: bool, out: TextIO | None = None
) -> None:
    """Print the result: its JSON (--json) or its text. ``out``: stdout at the time."""
    if outcome.rendered:
        return
    out = out or sys.stdout
    if json_output:
        indent = None if outcome.result.one_line_json else 2
        out.write(json.dumps(outcome.result.to_json(), indent=indent, sort_keys=True) + "\n")
    else:
        text = outcome.result.text(colour)
        if text:
            out.write(text + "\n")
    out.flush()


def render_error(
    error: SshsetupError,
    json_output: bool,
    out: TextIO | None = None,
    err: TextIO | None = None,
) -> None:
    """The message and hint on stderr; with --json also one object on stdout."""
    err = err or sys.stderr
    err.write(error.render() + "\n")
    err.flush()
    if json_output:
        document = {
            "ok": False,
            "error": {
                "message": error.message,
                "hint": error.hint,
                "exit_code": int(error.exit_code),
            },
        }
        out = out or sys.stdout
        out.write(json.dumps(document, indent=2, sort_keys=True) + "\n")
        out.flush()
