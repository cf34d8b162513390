"""The runtime: what the copy holds, how it is installed and switched, and when it is stale
(sshsetup.runtime), with real files."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

import sshsetup
from sshsetup import __version__
from sshsetup.runtime import (
    HOOK,
    PROXY,
    RUNTIME_MODULES,
    Runtime,
    Source,
    current_source,
    install,
    is_stale,
    refresh_if_stale,
    runtime_files,
    version_of,
)

PACKAGE = Path(sshsetup.__file__).parent


def older(version: str = "0.0.1") -> Source:
    """This sshsetup's copy as an older version of sshsetup would have made it."""
    files = dict(current_source().files)
    init = files["sshsetup/__init__.py"].replace(
        f'__version__ = "{__version__}"'.encode(), f'__version__ = "{version}"'.encode()
    )
    assert init != files["sshsetup/__init__.py"]
    files["sshsetup/__init__.py"] = init
    return Source(files)


def test_the_copy_holds_the_connect_path_and_nothing_else() -> None:
    expected = {"sshsetup/__init__.py"}
    for module in RUNTIME_MODULES:
        relative = Path(*module.split("."))
        if (PACKAGE.parent / relative).is_dir():
            expected |= {
                path.relative_to(PACKAGE.parent).as_posix()
                for path in (PACKAGE.parent / relative).rglob("*.py")
            }
        else:
            expected.add(relative.with_suffix(".py").as_posix())
    assert set(runtime_files()) == expected
    assert "sshsetup/connect/hook.py" in expected and "sshsetup/cli.py" not in expected


@pytest.mark.posix_only
def test_install_lays_out_a_private_compiled_copy(tmp_path: Path) -> None:
    runtime = Runtime(tmp_path / "runtime")
    installed = install(runtime)
    assert installed.created and installed.changed and installed.previous is None
    assert installed.name.startswith(f"v{__version__}-") and runtime.current() == installed.name
    assert runtime.complete()
    copy = runtime.directory / installed.name
    for directory in (runtime.directory, copy, copy / "sshsetup", copy / "sshsetup/connect"):
        assert stat.S_IMODE(directory.stat().st_mode) == 0o700
    for path in (runtime.hook, runtime.proxy, runtime.pointer, copy / "sshsetup/errors.py"):
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
    sources = [copy / relative for relative in runtime_files()]
    compiled = {path.name.split(".")[0] for path in copy.rglob("__pycache__/*.pyc")}
    assert compiled == {path.stem for path in sources}
    assert {entry.name for entry in runtime.directory.iterdir()} == {
        HOOK,
        PROXY,
        "current",
        ".lock",
        installed.name,
    }


@pytest.mark.posix_only
def test_installing_the_same_copy_again_changes_nothing(tmp_path: Path) -> None:
    runtime = Runtime(tmp_path / "runtime")
    first = install(runtime)
    before = {path: path.stat().st_mtime_ns for path in runtime.directory.rglob("*")}
    again = install(runtime)
    assert (again.name, again.previous, again.created, again.changed) == (
        first.name,
        first.name,
        False,
        False,
    )
    after = {path: path.stat().st_mtime_ns for path in runtime.directory.rglob("*")}
    assert after == before


def test_a_new_version_switches_the_pointer_and_keeps_only_the_previous_copy(
    tmp_path: Path,
) -> None:
    runtime = Runtime(tmp_path / "runtime")
    oldest = install(runtime, older("0.0.1")).name
    old = install(runtime, older("0.0.2")).name
    assert (runtime.directory / oldest).is_dir() and runtime.current() == old
    new = install(runtime)
    assert (new.previous, runtime.current()) == (old, new.name)
    assert (runtime.directory / old).is_dir()  # an ssh may have read the pointer just before
    assert not (runtime.directory / oldest).exists()


def test_a_damaged_copy_is_rebuilt(tmp_path: Path) -> None:
    runtime = Runtime(tmp_path / "runtime")
    name = install(runtime).name
    damaged = runtime.directory / name / "sshsetup" / "connect" / "hook.py"
    damaged.unlink()
    again = install(runtime)
    assert again.created and not again.changed and damaged.is_file()


@pytest.mark.posix_only  # Windows has no cheap liveness check: a temporary copy ages out
def test_a_temporary_copy_of_a_dead_installer_is_swept(tmp_path: Path) -> None:
    runtime = Runtime(tmp_path / "runtime")
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True).stdout.strip()  # fmt: skip
    leftover = runtime.directory / f".tmp-{dead}-0badc0de"
    leftover.mkdir(parents=True)
    (leftover / "half.py").write_text("")
    install(runtime)
    assert not leftover.exists()


def test_stale_means_installed_by_another_version(tmp_path: Path) -> None:
    runtime = Runtime(tmp_path / "runtime")
    assert not is_stale(runtime) and refresh_if_stale(runtime) is None  # never installed
    old = install(runtime, older("0.0.1")).name
    assert version_of(old) == "0.0.1" and is_stale(runtime)
    refreshed = refresh_if_stale(runtime)
    assert refreshed is not None and refreshed.previous == old
    assert not is_stale(runtime) and refresh_if_stale(runtime) is None


@pytest.mark.posix_only
def test_self_test_runs_the_copy_through_the_entry_script(tmp_path: Path) -> None:
    runtime = Runtime(tmp_path / "key_dir" / "runtime")
    install(runtime)
    result = subprocess.run(
        [sys.executable, "-I", "-S", str(runtime.hook), "--self-test"],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert result.returncode == 0 and '"import_errors": []' in result.stdout, result.stderr
    assert f'"executable": "{sys.executable}"' in result.stdout


@pytest.mark.posix_only
@pytest.mark.parametrize(("entry", "code"), [(HOOK, 0), (PROXY, 1)])
def test_entry_scripts_without_a_copy(tmp_path: Path, entry: str, code: int) -> None:
    """The hook stays silent and exits 0 (ssh applies the block); the ProxyCommand says in one
    line what is missing and how to get it back."""
    runtime = Runtime(tmp_path / "runtime")
    install(runtime)
    runtime.pointer.write_text("v9.9.9-gone\n")
    argv = [sys.executable, "-I", "-S", str(runtime.directory / entry), "training-job-a-0.x"]
    result = subprocess.run(
        argv, capture_output=True, text=True, stdin=subprocess.DEVNULL, timeout=60, check=False
    )
    assert (result.returncode, result.stdout) == (code, "")
    if entry == HOOK:
        assert result.stderr == ""
    else:
        assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr
        assert f"sshsetup's runtime in {runtime.directory} is incomplete" in result.stderr
        assert "run `sshsetup setup`" in result.stderr


def test_entry_scripts_are_the_same_in_every_version(tmp_path: Path) -> None:
    first, second = Runtime(tmp_path / "a"), Runtime(tmp_path / "b")
    install(first, older("0.0.1"))
    install(second)
    for entry in (HOOK, PROXY):
        assert (first.directory / entry).read_bytes() == (second.directory / entry).read_bytes()
    assert os.fspath(first.hook).endswith(HOOK)


def test_a_self_test_is_remembered_for_one_interpreter_and_one_copy(tmp_path: Path) -> None:
    runtime = Runtime(tmp_path / "runtime")
    install(runtime, older("0.0.1"))
    python = Path(sys.executable)
    assert not runtime.checked(python)
    runtime.mark_checked(python)
    assert runtime.checked(python) and not runtime.checked(tmp_path / "other-python")
    install(runtime)  # another copy: checked again before a block names it
    assert not runtime.checked(python)
