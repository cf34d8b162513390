"""Reading the connect path's small JSON files without importing ``json``.

``import json`` pulls in ``re`` and ``enum``: about 10 ms, as much as a bare Python
start, on every ssh run. CPython's C scanner (``_json``) parses the same documents
with no imports; ``json`` is the fallback where ``_json`` is missing (other Pythons)
and the error path (the C scanner imports ``json.decoder`` to raise its error).
"""

from __future__ import annotations

from sshsetup.connect.private_files import read_private

TYPE_CHECKING = False  # typing itself costs ~8 ms of imports; mypy still reads the block
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any

try:
    from _json import make_scanner as _make_c_scanner
except ImportError:  # pragma: no cover - CPython always has _json
    _make_c_scanner = None  # type: ignore[assignment,misc]


class _ScannerContext:
    """The attributes json.JSONDecoder gives the C scanner, with json.loads' defaults."""

    strict = True
    object_hook = None
    object_pairs_hook = None
    parse_float = float
    parse_int = int
    memo: dict[str, str] = {}

    @staticmethod
    def parse_constant(name: str) -> float:
        return float(name.lower().replace("infinity", "inf"))


_scan: Callable[[str, int], tuple[Any, int]] | None = None
if _make_c_scanner is not None:
    _scan = _make_c_scanner(_ScannerContext())  # type: ignore[arg-type]
_WHITESPACE = " \t\n\r"


def loads(text: str) -> Any:
    """Like ``json.loads`` for a str; raises ValueError on invalid JSON."""
    if _scan is None:  # pragma: no cover - see _make_c_scanner
        import json

        return json.loads(text)
    start = len(text) - len(text.lstrip(_WHITESPACE))
    try:
        value, end = _scan(text, start)
    except StopIteration as stop:
        raise ValueError(f"invalid JSON at character {stop.value}") from None
    if text[end:].strip(_WHITESPACE):
        raise ValueError(f"invalid JSON: extra data at character {end}")
    return value


def read_object(path: str, *, private: bool = False) -> dict[str, Any] | None:
    """The JSON object in ``path``; None if the file is missing; ValueError if it is not one.

    ``private``: a session's file, never read through a link (private_files)."""
    try:
        if private:
            raw = read_private(path)
        else:
            with open(path, "rb") as handle:
                raw = handle.read()
    except FileNotFoundError:
        return None
    try:
        value = loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise ValueError("not UTF-8 text") from None
    if not isinstance(value, dict):
        raise ValueError("expected a JSON object")
    return value
