"""Which Python the block runs, and the self-test that refuses one that cannot serve
(sshsetup.interpreter), with real files, real interpreters and stand-in ones."""

from __future__ import annotations

import json
import os
import shutil
import sys
from pathlib import Path

import pytest

from sshsetup.errors import BadInput
from sshsetup.interpreter import (
    Interpreter,
    choose_interpreter,
    in_virtualenv,
    is_binary,
    self_test,
    stable_name,
)
from sshsetup.runtime import Runtime, install

pytestmark = pytest.mark.posix_only

REAL_PYTHON = Path(os.path.realpath(sys.executable))


def executable(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    path.chmod(0o755)
    return path


def answering(path: Path, answer: dict[str, object]) -> Path:
    """A stand-in interpreter that answers the self-test with ``answer``."""
    return executable(path, f"#!/bin/sh\nprintf '%s\\n' '{json.dumps(answer)}'\n")


SELF_TEST_ANSWER = {
    "executable": "/x/python3",
    "version": [3, 12, 1],
    "import_errors": [],
    "ca_certificates": 140,
    "cafile": "/etc/ssl/cert.pem",
    "capath": None,
    "capath_entries": 0,
    "openssl": "OpenSSL 3.0.2",
}


@pytest.fixture
def runtime(tmp_path: Path) -> Runtime:
    installed = Runtime(tmp_path / "runtime")
    install(installed)
    return installed


def test_a_remembered_choice_wins_and_must_exist(tmp_path: Path) -> None:
    chosen = executable(tmp_path / "bin" / "python3", "")
    assert choose_interpreter(str(chosen), {"PATH": ""}) == Interpreter(chosen, "--python")
    with pytest.raises(BadInput) as raised:
        choose_interpreter(str(tmp_path / "gone" / "python3"), {"PATH": ""})
    assert "does not exist" in raised.value.message and "--python auto" in raised.value.hint


def test_outside_a_venv_the_base_interpreter_is_named_by_its_stable_name() -> None:
    chosen = choose_interpreter(None, {"PATH": ""})
    assert chosen.origin == "base interpreter"
    assert os.path.samefile(chosen.path, REAL_PYTHON)
    assert chosen.path.name in ("python3", "python") or chosen.path == REAL_PYTHON
    assert not in_virtualenv(chosen.path)


def test_a_python3_on_path_that_is_the_same_file_is_preferred(tmp_path: Path) -> None:
    linked = tmp_path / "bin" / "python3"
    linked.parent.mkdir()
    linked.symlink_to(REAL_PYTHON)
    assert stable_name(REAL_PYTHON, {"PATH": str(linked.parent)}) == linked


def test_an_activated_venvs_python3_is_not_the_stable_name(tmp_path: Path) -> None:
    """An activated venv puts its bin/python3 (a link to the base interpreter) first on PATH:
    naming it would break ssh when the venv goes."""
    venv = tmp_path / "venv"
    (venv / "bin").mkdir(parents=True)
    (venv / "pyvenv.cfg").write_text(f"home = {REAL_PYTHON.parent}\n")
    (venv / "bin" / "python3").symlink_to(REAL_PYTHON)
    named = stable_name(REAL_PYTHON, {"PATH": str(venv / "bin")})
    assert named != venv / "bin" / "python3" and os.path.samefile(named, REAL_PYTHON)
    assert not in_virtualenv(named)


def test_a_shim_script_on_path_is_not_an_interpreter(tmp_path: Path) -> None:
    shim = executable(tmp_path / "shims" / "python3", '#!/usr/bin/env bash\nexec python3 "$@"\n')
    assert not is_binary(shim) and is_binary(REAL_PYTHON)
    assert stable_name(REAL_PYTHON, {"PATH": str(shim.parent)}) != shim


def test_a_versioned_name_gives_way_to_python3_in_its_directory(tmp_path: Path) -> None:
    directory = tmp_path / "usr" / "bin"
    directory.mkdir(parents=True)
    versioned = directory / "python3.11"
    shutil.copy(REAL_PYTHON, versioned)
    (directory / "python3").symlink_to("python3.11")
    assert stable_name(versioned, {"PATH": ""}) == directory / "python3"


def test_a_homebrew_cellar_path_becomes_its_opt_link(tmp_path: Path) -> None:
    prefix = tmp_path / "homebrew"
    cellar = prefix / "Cellar" / "python@3.12" / "3.12.4" / "bin"
    cellar.mkdir(parents=True)
    shutil.copy(REAL_PYTHON, cellar / "python3.12")
    (prefix / "opt").mkdir()
    (prefix / "opt" / "python@3.12").symlink_to(prefix / "Cellar" / "python@3.12" / "3.12.4")
    expected = prefix / "opt" / "python@3.12" / "bin" / "python3.12"
    assert stable_name(cellar / "python3.12", {"PATH": ""}) == expected


def test_a_venv_interpreter_is_recognised(tmp_path: Path) -> None:
    venv = tmp_path / "venv"
    (venv / "bin").mkdir(parents=True)
    (venv / "pyvenv.cfg").write_text(f"home = {REAL_PYTHON.parent}\n")
    (venv / "bin" / "python3").symlink_to(REAL_PYTHON)
    assert in_virtualenv(venv / "bin" / "python3") and not in_virtualenv(REAL_PYTHON)


def test_self_test_with_this_python_passes(runtime: Runtime) -> None:
    result = self_test(Interpreter(REAL_PYTHON, "test"), runtime, dict(os.environ))
    assert result.version == tuple(sys.version_info[:3]) and result.import_errors == []
    assert result.ca_certificates > 0 or result.capath_entries > 0


def test_python_without_ca_certificates_is_refused_with_the_fix(
    runtime: Runtime, tmp_path: Path
) -> None:
    """What a python.org macOS build is before `Install Certificates.command`: here made
    with SSL_CERT_FILE and SSL_CERT_DIR pointing at nothing."""
    (tmp_path / "no-certificates").mkdir()
    env = {
        **os.environ,
        "SSL_CERT_FILE": str(tmp_path / "none.pem"),
        "SSL_CERT_DIR": str(tmp_path / "no-certificates"),
    }
    with pytest.raises(BadInput) as raised:
        self_test(Interpreter(REAL_PYTHON, "test"), runtime, env)
    assert "finds no CA certificates" in raised.value.message
    assert raised.value.hint.startswith("unset SSL_CERT_FILE SSL_CERT_DIR  (SSL_CERT_FILE=")
    assert int(raised.value.exit_code) == 3


def test_python_org_macos_build_is_told_to_install_certificates(
    runtime: Runtime, tmp_path: Path
) -> None:
    framework = tmp_path / "Library/Frameworks/Python.framework/Versions/3.12/bin/python3"
    answering(framework, {**SELF_TEST_ANSWER, "ca_certificates": 0})
    with pytest.raises(BadInput) as raised:
        self_test(Interpreter(framework, "test"), runtime, {"PATH": "/usr/bin:/bin"})
    assert '"/Applications/Python 3.12/Install Certificates.command"' in raised.value.hint


def test_too_old_a_python_is_refused(runtime: Runtime, tmp_path: Path) -> None:
    old = answering(tmp_path / "python3.9", {**SELF_TEST_ANSWER, "version": [3, 9, 18]})
    with pytest.raises(BadInput) as raised:
        self_test(Interpreter(old, "test"), runtime, {"PATH": "/usr/bin:/bin"})
    assert "is Python 3.9.18" in raised.value.message and "3.10 or newer" in raised.value.message


def test_something_that_is_not_python_is_refused(runtime: Runtime, tmp_path: Path) -> None:
    broken = executable(tmp_path / "python3", "#!/bin/sh\necho 'no such interpreter' >&2\nexit 3\n")
    with pytest.raises(BadInput) as raised:
        self_test(Interpreter(broken, "test"), runtime, {"PATH": "/usr/bin:/bin"})
    assert "cannot run sshsetup's runtime: no such interpreter" in raised.value.message
    assert "--python PATH" in raised.value.hint
    with pytest.raises(BadInput, match="cannot run"):
        self_test(Interpreter(tmp_path / "gone", "test"), runtime, {})
