"""The Python the block runs the connect path with, and whether it can.

The interpreter must outlive virtual environments (docs/python-interpreters.md), so it is,
in this order:

1. the one given with ``setup --python PATH`` (remembered in the settings);
2. the base interpreter of the environment sshsetup runs in (a venv's ``home``), under its
   stable name (``stable_name``);
3. a ``python3`` or ``python`` on PATH that is a real binary (not a pyenv or asdf shim
   script) outside any virtual environment.

Before setup writes a block naming it, the interpreter runs the runtime's self-test
(``self_test``); a Python that cannot run it, or whose ``ssl`` finds no CA certificates,
is refused with the fix.
"""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from sshsetup.errors import BadInput
from sshsetup.runtime import SELF_TEST, Runtime

MINIMUM = (3, 10)
NAMES = ("python3", "python")
SELF_TEST_TIMEOUT_SECONDS = 60
# ELF, PE, Mach-O (32/64-bit, both byte orders) and universal Mach-O: a real interpreter.
_BINARY_MAGIC = (
    b"\x7fELF",
    b"MZ",
    b"\xfe\xed\xfa\xce",
    b"\xfe\xed\xfa\xcf",
    b"\xce\xfa\xed\xfe",
    b"\xcf\xfa\xed\xfe",
    b"\xca\xfe\xba\xbe",
)
# Homebrew keeps each version under Cellar/<formula>/<version>/ (gone after an upgrade) and
# links opt/<formula> to the current one (docs/python-interpreters.md#homebrew).
_CELLAR = re.compile(r"^(?P<prefix>.+)/Cellar/(?P<formula>[^/]+)/[^/]+/(?P<rest>.+)$")
PYTHON_OPTION = "--python"
CA_ENV = ("SSL_CERT_FILE", "SSL_CERT_DIR")  # ssl's own: where it looks for CA certificates
AUTO = "auto"  # `setup --python auto`: forget a remembered choice


@dataclass(frozen=True)
class Interpreter:
    path: Path
    origin: str  # how it was chosen: --python, base interpreter, PATH

    def __str__(self) -> str:
        return str(self.path)


def choose_interpreter(remembered: str | None, env: Mapping[str, str]) -> Interpreter:
    """The interpreter for the block (see the module docstring); BadInput if there is none."""
    if remembered:
        path = Path(remembered)
        if not path.is_file():
            raise BadInput(
                f"the Python chosen with {PYTHON_OPTION}, {path}, does not exist",
                hint=f"choose another with `sshsetup setup {PYTHON_OPTION} PATH`, or let "
                f"sshsetup choose with `{PYTHON_OPTION} {AUTO}`",
            )
        return Interpreter(path, PYTHON_OPTION)
    base = Path(getattr(sys, "_base_executable", "") or sys.executable)
    if base.is_file() and not in_virtualenv(base):
        return Interpreter(stable_name(base, env), "base interpreter")
    for candidate in _on_path(env):
        if not in_virtualenv(candidate):
            return Interpreter(candidate, "PATH")
    raise BadInput(
        "found no Python outside a virtual environment to run sshsetup's connect path with "
        f"(this one, {sys.executable}, lives in a virtual environment that may be deleted)",
        hint=f"install Python {MINIMUM[0]}.{MINIMUM[1]} or newer, or pass "
        f"`sshsetup setup {PYTHON_OPTION} /path/to/python3`",
    )


def stable_name(path: Path, env: Mapping[str, str]) -> Path:
    """The name of ``path`` that survives upgrades (docs/python-interpreters.md#stable-names):
    a ``python3``/``python`` on PATH outside a virtual environment (an activated venv's
    ``bin/python3`` is a link to the same file, and goes with the venv), else in its own
    directory, that is the same file; else Homebrew's ``opt/`` link for a Cellar path; else
    ``path`` itself."""
    for candidate in [*_on_path(env), *(path.parent / name for name in NAMES)]:
        if samefile(candidate, path) and not in_virtualenv(candidate):
            return candidate
    cellar = _CELLAR.match(path.as_posix())
    if cellar:
        linked = Path(f"{cellar['prefix']}/opt/{cellar['formula']}/{cellar['rest']}")
        if samefile(linked, path):
            return linked
    return path


def _on_path(env: Mapping[str, str]) -> list[Path]:
    """``python3`` and ``python`` on PATH that are real binaries (not shim scripts)."""
    import shutil

    found = []
    for name in NAMES:
        located = shutil.which(name, path=env.get("PATH"))
        if located and is_binary(Path(located)):
            found.append(Path(located))
    return found


def is_binary(path: Path) -> bool:
    """An executable file format, not a script such as pyenv's and asdf's shims
    (docs/python-interpreters.md#shims)."""
    try:
        with open(path, "rb") as handle:
            return handle.read(4).startswith(_BINARY_MAGIC)
    except OSError:
        return False


def in_virtualenv(path: Path) -> bool:
    """``path`` is the interpreter of a virtual environment (its ``pyvenv.cfg`` is beside it
    or one level up)."""
    return any((directory / "pyvenv.cfg").is_file() for directory in path.parents[:2])


def samefile(a: Path, b: Path) -> bool:
    try:
        return os.path.samefile(a, b)
    except OSError:
        return False


def keyring_site() -> Path | None:
    """The site directory keyring is imported from here: the connect path, which runs with
    -S under another interpreter, looks there first (connect.keyring_access)."""
    import importlib.util

    spec = importlib.util.find_spec("keyring")
    if spec is None or not spec.origin:
        return None
    return Path(spec.origin).parent.parent


@dataclass(frozen=True)
class SelfTest:
    """What ``<runtime>/hook.py --self-test`` found (sshsetup.connect.self_test)."""

    executable: str
    version: tuple[int, ...]
    import_errors: list[str]
    ca_certificates: int
    cafile: str | None
    capath: str | None
    capath_entries: int
    openssl: str


def self_test(interpreter: Interpreter, runtime: Runtime, env: Mapping[str, str]) -> SelfTest:
    """Run the runtime with ``interpreter`` in ``env`` (what ssh's hook and ProxyCommand would
    get); BadInput (with the fix) if it cannot serve. Writes nothing (``setup`` then marks
    the runtime checked; doctor runs it on every run)."""
    import subprocess

    argv = [str(interpreter.path), "-I", "-S", str(runtime.hook), SELF_TEST]
    other = f"or choose another Python: `sshsetup setup {PYTHON_OPTION} PATH`"
    try:
        completed = subprocess.run(
            argv,
            capture_output=True,
            text=True,
            errors="replace",
            env=dict(env),
            stdin=subprocess.DEVNULL,
            timeout=SELF_TEST_TIMEOUT_SECONDS,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        reason = exc.strerror if isinstance(exc, OSError) else "it did not answer in time"
        raise BadInput(f"cannot run {interpreter}: {reason}", hint=other) from None
    result = _parse(completed.stdout)
    if completed.returncode != 0 or result is None:
        said = (completed.stderr.strip().splitlines() or ["no output"])[-1]
        raise BadInput(f"{interpreter} cannot run sshsetup's runtime: {said}", hint=other)
    if result.version < MINIMUM:
        version = ".".join(map(str, result.version))
        raise BadInput(
            f"{interpreter} is Python {version}; sshsetup's connect path needs "
            f"{MINIMUM[0]}.{MINIMUM[1]} or newer",
            hint=f"install a newer Python, then run `sshsetup setup {PYTHON_OPTION} PATH`",
        )
    if result.import_errors:
        raise BadInput(
            f"{interpreter} cannot import sshsetup's connect path: {result.import_errors[0]}",
            hint=f"{other}; please report this",
        )
    if result.ca_certificates == 0 and result.capath_entries == 0:
        raise BadInput(
            f"{interpreter}'s ssl module finds no CA certificates (cafile {result.cafile}, "
            f"capath {result.capath}), so the ProxyCommand could not verify Baseten's proxy",
            hint=_ca_fix(interpreter, result, env),
        )
    return result


def _parse(stdout: str) -> SelfTest | None:
    import json

    try:
        data = json.loads(stdout.strip().splitlines()[-1])
        return SelfTest(
            executable=str(data["executable"]),
            version=tuple(int(part) for part in data["version"]),
            import_errors=[str(error) for error in data["import_errors"]],
            ca_certificates=int(data["ca_certificates"]),
            cafile=data["cafile"],
            capath=data["capath"],
            capath_entries=int(data["capath_entries"]),
            openssl=str(data["openssl"]),
        )
    except (ValueError, IndexError, KeyError, TypeError):
        return None


def _ca_fix(interpreter: Interpreter, result: SelfTest, env: Mapping[str, str]) -> str:
    """How to give this Python CA certificates (docs/python-interpreters.md#ca-certificates)."""
    bundle = "or point SSL_CERT_FILE at a CA bundle (e.g. the file `python3 -m certifi` prints)"
    pointing = [name for name in CA_ENV if env.get(name)]
    if pointing:  # the environment points ssl away from the system's certificates
        shown = ", ".join(f"{name}={env[name]}" for name in pointing)
        return f"unset {' '.join(pointing)}  ({shown}: no CA certificates there), {bundle}"
    if "/Library/Frameworks/Python.framework/" in str(interpreter.path):
        major_minor = ".".join(map(str, result.version[:2]))
        return (
            f'run "/Applications/Python {major_minor}/Install Certificates.command" '
            f"(python.org's installer leaves it to you), {bundle}"
        )
    return f"install your system's CA certificates (e.g. the ca-certificates package), {bundle}"
