"""``connect.runtime``: what the block runs on every ssh to a Baseten host, the interpreter
and sshsetup's runtime (its hook and ProxyCommand entry scripts and the copy they load),
is there, is this sshsetup's version, and runs: the runtime's self-test, in this shell's
environment, imports the copy and finds the CA certificates the ProxyCommand verifies the
proxy with (docs/ssh-config.md#guarding-the-connect-path-against-a-missing-python,
docs/python-interpreters.md#ca-certificates)."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from sshsetup import __version__
from sshsetup.check_ids import CheckId
from sshsetup.check_result import CheckResult, Status
from sshsetup.errors import BadInput
from sshsetup.install_state import RuntimeState
from sshsetup.interpreter import AUTO, PYTHON_OPTION, Interpreter, self_test
from sshsetup.results import jsonable
from sshsetup.runtime import Runtime, version_of

EVERY_SSH_STOPS = "every ssh to a Baseten host stops with sshsetup's one-line message"


def connect_runtime_check(
    runtime: RuntimeState, remembered_python: str | None, env: Mapping[str, str]
) -> CheckResult:
    """``remembered_python``: the interpreter chosen with ``setup --python`` (settings)."""
    details = jsonable(runtime)
    again = (
        f"sshsetup setup {PYTHON_OPTION} {AUTO}  (forgets {remembered_python} and chooses a "
        f"Python again; or sshsetup setup {PYTHON_OPTION} PATH)"
        if remembered_python
        else f"sshsetup setup  (chooses a Python again; or sshsetup setup {PYTHON_OPTION} PATH)"
    )
    if runtime.python is None:
        return CheckResult(
            CheckId.CONNECT_RUNTIME,
            Status.FAIL,
            "no Python outside a virtual environment to run the connect path with",
            f"sshsetup setup {PYTHON_OPTION} /path/to/python3",
            details,
        )
    if not runtime.python_present:
        return CheckResult(
            CheckId.CONNECT_RUNTIME,
            Status.FAIL,
            f"the Python the block runs, {runtime.python}, is missing (a deleted virtual "
            f"environment, an upgrade): {EVERY_SSH_STOPS}",
            again,
            details,
        )
    if runtime.version is None or not runtime.complete:
        seen = "is not installed" if runtime.version is None else "is incomplete"
        missing = [str(path) for path in _missing(Runtime(runtime.directory))]
        return CheckResult(
            CheckId.CONNECT_RUNTIME,
            Status.FAIL,
            f"sshsetup's runtime in {runtime.directory} {seen}"
            + (f" ({', '.join(missing)} missing)" if missing else "")
            + f": {EVERY_SSH_STOPS}",
            "sshsetup setup  (installs it again; reinstall sshsetup first if the command is "
            "gone too)",
            {**details, "missing": missing},
        )
    try:
        tested = self_test(Interpreter(runtime.python, "recorded"), Runtime(runtime.directory), env)
    except BadInput as exc:
        return CheckResult(
            CheckId.CONNECT_RUNTIME,
            Status.FAIL,
            f"{exc.message}: {EVERY_SSH_STOPS}",
            exc.hint,
            details,
        )
    details = {**details, "self_test": jsonable(tested)}
    if version_of(runtime.version) != __version__:
        return CheckResult(
            CheckId.CONNECT_RUNTIME,
            Status.WARN,
            f"sshsetup's runtime in {runtime.directory} is {runtime.version}, not this "
            f"sshsetup's {__version__} (refreshing it failed)",
            "sshsetup setup",
            details,
        )
    python_version = ".".join(map(str, tested.version))
    return CheckResult(
        CheckId.CONNECT_RUNTIME,
        Status.PASS,
        f"the block runs sshsetup's runtime in {runtime.directory} ({runtime.version}) with "
        f"{runtime.python} (Python {python_version}; it imports the runtime and finds CA "
        "certificates)",
        details=details,
    )


def _missing(runtime: Runtime) -> list[Path]:
    """The files of the runtime that are not there (entry scripts, pointer, the copy)."""
    name = runtime.current()
    files = [runtime.hook, runtime.proxy, runtime.pointer]
    if name is not None:
        files.append(runtime.directory / name / "sshsetup" / "__init__.py")
    return [path for path in files if not path.is_file()]
