"""sshsetup's stable runtime: the connect path, copied where no Python environment moves it.

The block must keep working when the environment sshsetup was installed in is upgraded,
reinstalled or deleted, so it never names a file inside that environment. ``setup``
copies what the connect path imports into ``<key_dir>/runtime/`` (0700, the user's)::

    runtime/
      hook.py, proxy.py        small entry scripts, the same in every version: the block
                               names only these (and the interpreter)
      current                  the name of the copy in use, replaced atomically
      v<version>-<hash>/       one complete, byte-compiled copy: sshsetup/__init__.py and
                               the modules of RUNTIME_MODULES (the connect path's import
                               contract, pyproject.toml, is what makes that set complete)
      checked                  the interpreter and the copy that last passed the self-test
      .lock

An entry script reads ``current``, puts that copy first on ``sys.path`` and calls the
hook's or the ProxyCommand's ``main``. A copy is built in a temporary directory and renamed
into place, and ``current`` is replaced by rename, so a reader sees the old copy or the
new one, never a mix. The copy ``current`` named before a switch is kept (an ssh that read
the old pointer a moment ago may still be importing from it); older ones are removed.

Every sshsetup command compares ``current``'s version with its own and installs a new
copy when they differ (``refresh_if_stale``): one small read when nothing changed.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from sshsetup import __version__

# What the connect path imports besides the standard library: the import-linter contract
# "The connect path ... imports only the standard library, baseten, errors and itself"
# (pyproject.toml) lists exactly these as its sources, tests/unit/test_architecture.py
# checks that the two agree, and the copy holds these and nothing else.
RUNTIME_MODULES = ("sshsetup.connect", "sshsetup.baseten", "sshsetup.errors", "sshsetup.exit_codes")
HOOK = "hook.py"
PROXY = "proxy.py"
POINTER = "current"
CHECKED = "checked"
LOCK = ".lock"
SELF_TEST = "--self-test"
_TEMP_PREFIX = ".tmp-"
_INIT = "sshsetup/__init__.py"
_FILE_MODE = 0o600

# The entry scripts: the same in every version, and kept to what Python has imported before
# it runs a script (os, sys), so that the Match hook costs no more than the code it runs.
_ENTRY = """\
\"\"\"sshsetup's {role}, written by `sshsetup setup` (do not edit): runs the copy of
sshsetup's connect path that the file `{pointer}` beside it names.\"\"\"
import os
import sys

FAILED = {failed}


def report(problem):
    sys.stderr.write("sshsetup: %s (hint: %s)\\n" % (problem, "{fix}"))
    return FAILED


def run():
    here = os.path.dirname(os.path.abspath(__file__))
    if sys.version_info < (3, 10):
        return report("Python %d.%d cannot run sshsetup (3.10 or newer)" % sys.version_info[:2])
    try:
        with open(os.path.join(here, "{pointer}"), encoding="utf-8") as pointer:
            copy = os.path.join(here, pointer.read().strip())
    except OSError:
        copy = here
    if not os.path.isfile(os.path.join(copy, "sshsetup", "__init__.py")):
        {absent}
    sys.path.insert(0, copy)
{run}


sys.exit(run())
"""
_FIX = "run `sshsetup setup`; reinstall sshsetup first if that command is gone too"
_LOAD = """\
    try:
        from sshsetup.connect.{module} import main
    except Exception as exc:  # a damaged copy: one line, no traceback
        return report("cannot load sshsetup's runtime (%s: %s)" % (type(exc).__name__, exc))
    return main([os.path.dirname(here)] + sys.argv[1:], os.environ)"""
_SELF_TEST_RUN = f"""\
    if sys.argv[1:] == ["{SELF_TEST}"]:
        from sshsetup.connect.self_test import main

        return main(copy)
"""
ENTRY_SCRIPTS = {
    # The Match hook always exits 0, so that ssh applies the block; with no runtime at all
    # it says nothing: the ProxyCommand says what is missing, once.
    HOOK: _ENTRY.format(
        role="Match hook",
        pointer=POINTER,
        failed=0,
        fix=_FIX,
        absent="return FAILED",
        run=_SELF_TEST_RUN + _LOAD.format(module="hook"),
    ),
    PROXY: _ENTRY.format(
        role="ProxyCommand",
        pointer=POINTER,
        failed=1,
        fix=_FIX,
        absent='return report("sshsetup\'s runtime in %s is incomplete" % here)',
        run=_LOAD.format(module="proxy"),
    ),
}


@dataclass(frozen=True)
class Runtime:
    """The runtime directory (``Paths.runtime_dir``) and the files in it."""

    directory: Path

    @property
    def hook(self) -> Path:
        return self.directory / HOOK

    @property
    def proxy(self) -> Path:
        return self.directory / PROXY

    @property
    def pointer(self) -> Path:
        return self.directory / POINTER

    def current(self) -> str | None:
        """The name of the copy in use (``v<version>-<hash>``); None when none is installed."""
        text = _read(self.pointer)
        return (text or "").strip() or None

    def checked(self, python: Path) -> bool:
        """``python`` passed the self-test with the copy in use."""
        name = self.current()
        return name is not None and _read(self.directory / CHECKED) == f"{python}\n{name}\n"

    def mark_checked(self, python: Path) -> None:
        from sshsetup.connect.atomic_write import write_atomic

        text = f"{python}\n{self.current()}\n"
        write_atomic(self.directory / CHECKED, text.encode(), new_file_mode=_FILE_MODE)

    def complete(self) -> bool:
        """The entry scripts and the copy ``current`` names are all there."""
        name = self.current()
        return (
            name is not None
            and self.hook.is_file()
            and self.proxy.is_file()
            and (self.directory / name / "sshsetup" / "__init__.py").is_file()
        )


def _read(path: Path) -> str | None:
    try:
        with open(path, encoding="utf-8") as handle:
            return handle.read()
    except (OSError, UnicodeDecodeError):
        return None


def version_of(name: str) -> str:
    """``0.1.0`` from ``v0.1.0-<hash>``."""
    return name[1:].rpartition("-")[0]


def is_stale(runtime: Runtime) -> bool:
    """A runtime is installed and comes from another sshsetup version than this one."""
    name = runtime.current()
    return name is not None and version_of(name) != __version__


@dataclass(frozen=True)
class Source:
    """A copy of the connect path: files (relative path -> bytes), and its name."""

    files: dict[str, bytes]

    @property
    def version(self) -> str:
        """The ``__version__`` its ``sshsetup/__init__.py`` declares."""
        import re

        found = re.search(rb'^__version__ = "([^"]+)"$', self.files[_INIT], re.MULTILINE)
        if found is None:
            raise ValueError(f"{_INIT} declares no __version__")
        return found.group(1).decode()

    @property
    def name(self) -> str:
        """``v<version>-<hash of the files>``: two copies of one version can differ."""
        import hashlib

        digest = hashlib.sha256()
        for relative in sorted(self.files):
            data = self.files[relative]
            digest.update(f"{relative}\0{len(data)}\0".encode())
            digest.update(data)
        return f"v{self.version}-{digest.hexdigest()[:12]}"


def runtime_files() -> list[str]:
    """The copy's files, relative to the directory holding the ``sshsetup`` package."""
    package = Path(__file__).resolve().parent
    files = [_INIT]
    for module in RUNTIME_MODULES:
        relative = Path(*module.split("."))
        directory = package.parent / relative
        if directory.is_dir():
            files += sorted(
                path.relative_to(package.parent).as_posix()
                for path in directory.rglob("*.py")
                if "__pycache__" not in path.parts
            )
        else:
            files.append(relative.with_suffix(".py").as_posix())
    return files


def current_source() -> Source:
    root = Path(__file__).resolve().parent.parent
    return Source({relative: (root / relative).read_bytes() for relative in runtime_files()})


@dataclass(frozen=True)
class Installed:
    name: str  # the copy now in use
    previous: str | None  # the copy in use before (None: there was none)
    created: bool  # a new copy was written (False: the same one was already there)

    @property
    def changed(self) -> bool:
        return self.previous != self.name


def install(runtime: Runtime, source: Source | None = None) -> Installed:
    """Install ``source`` (default: this sshsetup's) and make it current."""
    from sshsetup.connect.atomic_write import write_atomic
    from sshsetup.connect.file_lock import file_lock
    from sshsetup.connect.private_files import ensure_private_dir

    source = source or current_source()
    name = source.name
    ensure_private_dir(runtime.directory)
    with file_lock(runtime.directory / LOCK):
        copy = runtime.directory / name
        created = not _intact(copy, source)
        if created:
            _build(runtime.directory, copy, source)
        for entry, text in ENTRY_SCRIPTS.items():
            path = runtime.directory / entry
            data = text.encode()
            if not path.is_file() or path.read_bytes() != data:
                write_atomic(path, data, new_file_mode=_FILE_MODE)
        previous = runtime.current()
        if previous != name:
            write_atomic(runtime.pointer, (name + "\n").encode(), new_file_mode=_FILE_MODE)
        _remove_old_copies(runtime.directory, keep={name, previous})
    return Installed(name, previous, created)


def _intact(copy: Path, source: Source) -> bool:
    try:
        return all(
            (copy / relative).read_bytes() == data for relative, data in source.files.items()
        )
    except OSError:
        return False


def _build(directory: Path, copy: Path, source: Source) -> None:
    """Write the copy in a temporary directory, compile it, and rename it into place."""
    import compileall
    import shutil

    from sshsetup.connect.private_files import ensure_private_dir

    temp = directory / f"{_TEMP_PREFIX}{os.getpid()}-{os.urandom(4).hex()}"
    try:
        for relative, data in source.files.items():
            target = temp / relative
            ensure_private_dir(target.parent)
            fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, _FILE_MODE)
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
        compileall.compile_dir(str(temp), quiet=2, stripdir=str(temp), prependdir=str(copy))
        if copy.exists():  # left by an interrupted run, or damaged: replaced whole
            shutil.rmtree(copy)
        os.replace(temp, copy)
    finally:
        if temp.exists():
            shutil.rmtree(temp, ignore_errors=True)


def _remove_old_copies(directory: Path, keep: set[str | None]) -> None:
    import shutil

    from sshsetup.connect.atomic_write import process_alive

    for entry in os.listdir(directory):
        path = directory / entry
        if entry.startswith(_TEMP_PREFIX):
            pid = entry[len(_TEMP_PREFIX) :].split("-", 1)[0]
            if pid.isdigit() and process_alive(int(pid), str(path)):
                continue
        elif not (entry.startswith("v") and path.is_dir()) or entry in keep:
            continue
        shutil.rmtree(path, ignore_errors=True)


def refresh_if_stale(runtime: Runtime) -> Installed | None:
    """Install this sshsetup's copy if the runtime comes from another version (None: it
    does not, or no runtime was ever installed)."""
    return install(runtime) if is_stale(runtime) else None
