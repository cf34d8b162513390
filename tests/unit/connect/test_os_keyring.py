"""The OS's own keyring tools, which the connect path uses when it cannot import keyring
(sshsetup.connect.os_keyring), replayed from the recordings in fixtures/keyring."""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers.keyrings import KEYRING_RECORDINGS, RECORDED_KEY, replaying_tool

from sshsetup.connect.os_keyring import (
    SECRET_TOOL,
    KeyringUnavailable,
    decode_blob,
    macos_password,
    secret_tool_password,
)

pytestmark = pytest.mark.posix_only

LOOKUP = ["lookup", "service", "sshsetup", "username", "baseten"]
FIND = ["find-generic-password", "-s", "sshsetup", "-a", "baseten", "-w"]


def test_secret_tool_prints_the_password_keyring_stored(tmp_path: Path) -> None:
    replaying_tool(tmp_path / SECRET_TOOL, LOOKUP, stdout="secret-tool-lookup.out")
    assert secret_tool_password("sshsetup", "baseten", str(tmp_path)) == RECORDED_KEY


def test_secret_tool_without_an_item_means_no_password(tmp_path: Path) -> None:
    replaying_tool(tmp_path / SECRET_TOOL, LOOKUP, status=1)
    assert secret_tool_password("sshsetup", "baseten", str(tmp_path)) is None


def test_secret_tool_without_a_secret_service_says_why(tmp_path: Path) -> None:
    replaying_tool(tmp_path / SECRET_TOOL, LOOKUP, stderr="secret-tool-no-dbus.err", status=1)
    with pytest.raises(KeyringUnavailable, match="Could not connect"):
        secret_tool_password("sshsetup", "baseten", str(tmp_path))


def test_no_secret_tool_names_the_package(tmp_path: Path) -> None:
    with pytest.raises(KeyringUnavailable, match="libsecret-tools"):
        secret_tool_password("sshsetup", "baseten", str(tmp_path))


def test_macos_security_prints_the_password_and_a_newline(tmp_path: Path) -> None:
    security = replaying_tool(
        tmp_path / "security", FIND, stdout="security-find-generic-password.out"
    )
    assert macos_password("sshsetup", "baseten", str(security)) == RECORDED_KEY


def test_macos_security_exit_44_means_no_item(tmp_path: Path) -> None:
    security = replaying_tool(
        tmp_path / "security", FIND, stderr="security-not-found.err", status=44
    )
    assert macos_password("sshsetup", "baseten", str(security)) is None


def test_macos_security_that_fails_says_why(tmp_path: Path) -> None:
    security = replaying_tool(
        tmp_path / "security", FIND, stderr="secret-tool-no-dbus.err", status=51
    )
    with pytest.raises(KeyringUnavailable, match="security: secret-tool: Could not connect"):
        macos_password("sshsetup", "baseten", str(security))
    with pytest.raises(KeyringUnavailable, match="No such file"):
        macos_password("sshsetup", "baseten", str(tmp_path / "no-security"))


def test_windows_credential_blob_is_utf16_as_keyring_writes_it() -> None:
    blob = (KEYRING_RECORDINGS / "wincred-blob-utf16le.bin").read_bytes()
    assert decode_blob(blob) == RECORDED_KEY
    # What older keyrings wrote; like keyring itself, UTF-16 is tried first.
    assert decode_blob(RECORDED_KEY.encode()) == RECORDED_KEY
