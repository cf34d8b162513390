"""Property tests of the splice over generated configs, judged by the real `ssh -G`.

Pure level: the original bytes, `config_with_block(strip_block(...))`, candidate files on disk,
and `ssh -G -F candidate host` for our hosts and for a few others, before and after.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import pytest
from helpers.configs import cut_block
from helpers.splice import Workspace
from helpers.ssh import ssh_g
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sshsetup.baseten import EXAMPLE_HOSTS
from sshsetup.connect.settings import BlockOptions
from sshsetup.setup_plan import config_with_block
from sshsetup.sshconfig.block import BlockSpec
from sshsetup.sshconfig.lines import decode, encode
from sshsetup.sshconfig.splice import strip_block

pytestmark = pytest.mark.posix_only

TRAINING_HOST, MODEL_HOST, ENVIRONMENT_HOST = EXAMPLE_HOSTS
OUR_HOSTS = {TRAINING_HOST: "baseten", MODEL_HOST: "app"}
OTHER_HOSTS = ("alpha", "beta.example.com", "other.ssh.baseten.co")
INCLUDE_DIR_TOKEN = b"@INC@"
PROPERTY_SETTINGS = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)

COMMENTS = [
    b"# a comment",
    b"  # indented comment",
    b"#",
    b"# caf\xe9 \xff\xfe not UTF-8",
    b"",
    b"\t",
]
GLOBAL_LINES = [
    b"ServerAliveInterval 30",
    b"User=globaluser",
    b"Compression yes",
    b"Port\t2200",
    b"IgnoreUnknown Foo,Bar",
    b"Include " + INCLUDE_DIR_TOKEN + b"/global-*.conf",
    b"LogLevel = ERROR",
]
SECTION_HEADERS = [
    b"Host alpha",
    b"Host *",
    b"Host=*.example.com beta",
    b"Host\t* !*.baseten.co",
    b"Host *.ssh.baseten.co",
    b'Host "alpha" gamma',
    b"Match all",
    b"Match host *.example.com",
    b'Match exec "true"',
    b'Match exec "false"',
    b"Match originalhost alpha",
    b"Match canonical host alpha",
]
BODY_LINES = [
    b"  User sectionuser",
    b"\tPort 2222",
    b"  ForwardAgent no",
    b"  ForwardAgent=yes",
    b'  IdentityFile "/tmp/my keys/id one"',
    b'  ProxyCommand "/opt/my tools/jump" %h %p',
    b"  ServerAliveInterval=15",
    b"  Include " + INCLUDE_DIR_TOKEN + b"/section-*.conf",
    b"  HostName %h.internal",
    b"  IdentitiesOnly no",
    b"  LogLevel QUIET",
]


@dataclass(frozen=True)
class GeneratedConfig:
    lines: list[bytes]
    eols: list[bytes]
    final_newline: bool

    def render(self, include_dir: Path) -> bytes:
        parts = []
        for index, (line, eol) in enumerate(zip(self.lines, self.eols, strict=True)):
            last = index == len(self.lines) - 1
            parts.append(line + (eol if not last or self.final_newline else b""))
        return b"".join(parts).replace(INCLUDE_DIR_TOKEN, str(include_dir).encode())


@st.composite
def configs(draw: st.DrawFn) -> GeneratedConfig:
    lines: list[bytes] = []
    lines += draw(st.lists(st.sampled_from(GLOBAL_LINES + COMMENTS), max_size=4))
    for _ in range(draw(st.integers(0, 4))):
        lines += draw(st.lists(st.sampled_from(COMMENTS), max_size=2))
        lines.append(draw(st.sampled_from(SECTION_HEADERS)))
        lines += draw(st.lists(st.sampled_from(BODY_LINES + COMMENTS), max_size=4))
    style = draw(st.sampled_from(["lf", "crlf", "mixed"]))
    if style == "mixed":
        eols = draw(
            st.lists(st.sampled_from([b"\n", b"\r\n"]), min_size=len(lines), max_size=len(lines))
        )
    else:
        eols = [b"\n" if style == "lf" else b"\r\n"] * len(lines)
    return GeneratedConfig(lines, eols, draw(st.booleans()))


def installed_bytes(original: bytes, spec: BlockSpec) -> bytes:
    return encode(config_with_block(strip_block(decode(original), "config"), spec).text)


def only_ignore_unknown_extended(original: bytes, outside: bytes) -> bool:
    """The bytes outside the block differ only by `,UseKeychain` added to IgnoreUnknown lines."""
    if outside == original:
        return True
    old_lines = original.splitlines(keepends=True)
    new_lines = outside.splitlines(keepends=True)
    if len(old_lines) != len(new_lines):
        return False
    changed = [(old, new) for old, new in zip(old_lines, new_lines, strict=True) if old != new]
    return all(
        re.match(rb"\s*ignoreunknown", old, re.IGNORECASE)
        and new.replace(b",UseKeychain", b"", 1) == old
        for old, new in changed
    )


@PROPERTY_SETTINGS
@given(config=configs(), forward_agent=st.booleans(), use_keychain=st.booleans())
def test_setup_idempotent_remove_identity_outside_untouched(
    workspace: Workspace, config: GeneratedConfig, forward_agent: bool, use_keychain: bool
) -> None:
    spec = workspace.spec(BlockOptions(forward_agent=forward_agent, use_keychain=use_keychain))
    original = config.render(workspace.include_dir)
    installed = installed_bytes(original, spec)

    assert installed_bytes(installed, spec) == installed
    assert encode(strip_block(decode(installed), "config").text) == original
    outside = cut_block(installed)
    if use_keychain:
        assert only_ignore_unknown_extended(original, outside)
    else:
        assert outside == original
    block = installed.split(b"# >>> sshsetup managed block", 1)[1].split(b"# <<< sshsetup", 1)[0]
    crlf = original.count(b"\r\n")
    if crlf > original.count(b"\n") - crlf:
        assert block.count(b"\n") == block.count(b"\r\n") > 0
    else:
        assert b"\r\n" not in block
    assert installed.endswith(b"\n") == (original.endswith(b"\n") or original == b"")
    # Changing the options replaces the block in place; changing them back restores it.
    other_spec = workspace.spec(BlockOptions(forward_agent=not forward_agent, use_keychain=True))
    switched = installed_bytes(installed, other_spec)
    assert encode(strip_block(decode(switched), "config").text) == original
    assert installed_bytes(switched, spec) == installed


def check_ssh_semantics(
    workspace: Workspace, config: GeneratedConfig, options: BlockOptions
) -> None:
    spec = workspace.spec(options)
    original = config.render(workspace.include_dir)
    installed = installed_bytes(original, spec)
    workspace.before.write_bytes(original)
    workspace.after.write_bytes(installed)
    if ssh_g(workspace.before, TRAINING_HOST, workspace.home.env).returncode != 0:
        return  # ssh rejected the input: nothing to preserve
    proxy_command = next(
        line.strip().split(b" ", 1)[1].decode()
        for line in installed.splitlines()
        if line.strip().startswith(b"ProxyCommand") and b"proxy.py" in line
    )
    for host, user in OUR_HOSTS.items():
        result = ssh_g(workspace.after, host, workspace.home.env)
        assert result.returncode == 0, result.stderr
        assert result.value("user") == user
        assert result.value("identitiesonly") == "yes"
        assert result.value("proxycommand") == proxy_command
        if options.forward_agent:
            assert result.value("forwardagent") == "yes"
        assert str(spec.key_file) in result.settings["identityfile"]
    for host in OTHER_HOSTS:
        before = ssh_g(workspace.before, host, workspace.home.env)
        after = ssh_g(workspace.after, host, workspace.home.env)
        assert after.returncode == before.returncode, after.stderr
        if options.use_keychain:
            # setup may legitimately extend the user's first IgnoreUnknown line
            before.settings.pop("ignoreunknown", None)
            after.settings.pop("ignoreunknown", None)
        assert after.settings == before.settings, host


@PROPERTY_SETTINGS
@given(config=configs(), forward_agent=st.booleans(), add_keys=st.booleans())
def test_ssh_accepts_result_block_effective_other_hosts_unchanged(
    workspace: Workspace, config: GeneratedConfig, forward_agent: bool, add_keys: bool
) -> None:
    check_ssh_semantics(
        workspace, config, BlockOptions(forward_agent=forward_agent, add_keys_to_agent=add_keys)
    )


@PROPERTY_SETTINGS
@given(config=configs(), forward_agent=st.booleans())
def test_ssh_semantics_with_use_keychain(
    workspace: Workspace, config: GeneratedConfig, forward_agent: bool
) -> None:
    check_ssh_semantics(
        workspace, config, BlockOptions(forward_agent=forward_agent, use_keychain=True)
    )
