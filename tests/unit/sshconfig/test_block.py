"""The block's commands, rendered (sshsetup.sshconfig.block): what each OS's tokenizer and
shell receive, and the guards that keep the block applying when a file is gone."""

from __future__ import annotations

from pathlib import PurePosixPath, PureWindowsPath

import pytest

from sshsetup.connect.settings import BlockOptions
from sshsetup.errors import BadInput
from sshsetup.sshconfig.block import BlockSpec, render_block
from sshsetup.sshconfig.lines import split_arguments

UNIX = BlockSpec(
    python=PurePosixPath("/opt/py 3/bin/python3"),
    hook_script=PurePosixPath("/home/a b/.ssh/sshsetup/runtime/hook.py"),
    proxy_script=PurePosixPath("/home/a b/.ssh/sshsetup/runtime/proxy.py"),
    key_file=PurePosixPath("/home/a b/.ssh/sshsetup/id_ed25519"),
    cert_dir=PurePosixPath("/home/a b/.ssh/sshsetup/certs"),
    options=BlockOptions(),
)
WINDOWS = BlockSpec(
    python=PureWindowsPath(r"C:\Users\FIRSTL~1\AppData\Local\Programs\Python\PYTHON~1\python.exe"),
    hook_script=PureWindowsPath(r"C:\Users\FIRSTL~1\.ssh\sshsetup\runtime\hook.py"),
    proxy_script=PureWindowsPath(r"C:\Users\FIRSTL~1\.ssh\sshsetup\runtime\proxy.py"),
    key_file=PureWindowsPath("C:/Users/First Last/.ssh/sshsetup/id_ed25519"),
    cert_dir=PureWindowsPath("C:/Users/First Last/.ssh/sshsetup/certs"),
    options=BlockOptions(),
    windows=True,
)


def exec_commands(spec: BlockSpec) -> list[str]:
    """The raw text between the double quotes after ``exec`` on each Match line."""
    lines = [line for line in render_block(spec) if line.startswith("Match host")]
    return [line.split(' exec "', 1)[1][:-1] for line in lines]


def proxy_commands(spec: BlockSpec) -> set[str]:
    return {
        line.strip()[len("ProxyCommand ") :]
        for line in render_block(spec)
        if line.strip().startswith("ProxyCommand ")
    }


def test_unix_exec_is_one_argument_that_succeeds_whatever_is_missing() -> None:
    for command in exec_commands(UNIX):
        assert '"' not in command  # the pre-9.9 tokenizer has no escape for it
        assert command == (
            "test -x '/opt/py 3/bin/python3' && "
            "test -f '/home/a b/.ssh/sshsetup/runtime/hook.py' && "
            "'/opt/py 3/bin/python3' -I -S '/home/a b/.ssh/sshsetup/runtime/hook.py' '%h' "
            "|| true"
        )
    (line,) = [line for line in render_block(UNIX) if line.startswith('Match host "training')]
    assert len(split_arguments(line)) == 5  # Match host PATTERNS exec COMMAND


def test_unix_proxy_command_names_what_is_missing_in_its_own_shell() -> None:
    (command,) = proxy_commands(UNIX)
    assert command.startswith('/bin/sh -c \'test -x "$0" || {')
    assert command.endswith(
        "' '/opt/py 3/bin/python3' '/home/a b/.ssh/sshsetup/runtime/proxy.py' '%h'"
    )
    assert "is missing (hint: run sshsetup setup" in command
    assert 'exec "$0" -I -S "$1" "$2"' in command


@pytest.mark.parametrize("bad", ["/home/o'brien", "/home/back\\slash", "/home/line\nbreak"])
def test_unix_paths_the_quoting_cannot_carry_are_refused(bad: str) -> None:
    spec = BlockSpec(**{**vars(UNIX), "hook_script": PurePosixPath(bad) / "hook.py"})
    with pytest.raises(BadInput, match="cannot carry"):
        render_block(spec)


def test_windows_exec_holds_no_quote_and_always_succeeds() -> None:
    python, hook = str(WINDOWS.python), str(WINDOWS.hook_script)
    for command in exec_commands(WINDOWS):
        assert '"' not in command and "'" not in command and "/" not in command
        assert command == f"(if exist {python} if exist {hook} {python} -I -S {hook} %h) & exit 0"


def test_windows_proxy_command_runs_a_cmd_guard_that_create_process_takes_verbatim() -> None:
    (command,) = proxy_commands(WINDOWS)
    python, proxy = str(WINDOWS.python), str(WINDOWS.proxy_script)
    assert command.startswith('"C:\\Windows\\System32\\cmd.exe" /d /v:off /c if not exist ')
    assert command.endswith(f'else "{python}" -I -S "{proxy}" %h')
    assert f'else if not exist "{proxy}" (echo sshsetup: the connect path "{proxy}" ' in command
    assert "is missing ^(hint: run sshsetup setup" in command  # ( escaped outside the quotes
    assert command.count('"') % 2 == 0


def test_windows_key_and_certificate_paths_keep_their_spaces_quoted() -> None:
    lines = render_block(WINDOWS)
    assert '  IdentityFile "C:/Users/First Last/.ssh/sshsetup/id_ed25519"' in lines
    assert '  CertificateFile "C:/Users/First Last/.ssh/sshsetup/certs/%h-cert.pub"' in lines


@pytest.mark.parametrize(
    "path",
    [
        r"C:\Users\First Last\.ssh\sshsetup\runtime\hook.py",  # a space with no short name
        r"C:\Users\a%b\hook.py",
        r"C:\Users\a&b\hook.py",
        r"C:\Users\a,b\hook.py",
        r"\\server\share\hook.py",
    ],
)
def test_windows_paths_the_exec_line_cannot_carry_are_refused(path: str) -> None:
    spec = BlockSpec(**{**vars(WINDOWS), "hook_script": PureWindowsPath(path)})
    with pytest.raises(BadInput) as raised:
        render_block(spec)
    assert "8.3 short name" in raised.value.message
    assert "SSHSETUP_KEY_DIR" in raised.value.hint and "--python" in raised.value.hint
