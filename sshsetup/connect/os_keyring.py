"""The OS's own tools for the entries Python's keyring writes, for when the connect path
cannot import keyring (docs/keyring-storage.md; recorded outputs in fixtures/keyring/):

- macOS Keychain: a generic password, service = the service, account = the username:
  ``/usr/bin/security find-generic-password -s SERVICE -a USERNAME -w``;
- Secret Service (GNOME Keyring, KWallet's bridge, KeePassXC): an item with the attributes
  ``service`` and ``username``: ``secret-tool lookup service SERVICE username USERNAME``;
- Windows Credential Manager: a generic credential whose target is the service (when its
  user name matches) or ``USERNAME@SERVICE``, the password UTF-16-LE: ``CredReadW``.

Only on the connect path's slow path: nothing here runs when a certificate is cached.
"""

from __future__ import annotations

import os
import sys


class KeyringUnavailable(Exception):
    """Neither keyring nor the OS's own tool can look a password up here (says why)."""


SECURITY = "/usr/bin/security"
SECRET_TOOL = "secret-tool"
TIMEOUT_SECONDS = 30.0  # an unlock prompt may be waiting for the user
_MACOS_NOT_FOUND = 44  # security(1): errSecItemNotFound
_WINDOWS_NOT_FOUND = 1168  # ERROR_NOT_FOUND
_CRED_TYPE_GENERIC = 1


def native_password(service: str, username: str) -> tuple[str, str | None]:
    """(the tool asked, the password or None when there is no entry)."""
    if sys.platform == "darwin":
        return "macOS Keychain (security)", macos_password(service, username, SECURITY)
    if sys.platform == "win32":
        return "Windows Credential Manager", windows_password(service, username)
    return "Secret Service (secret-tool)", secret_tool_password(service, username)


def macos_password(service: str, username: str, security: str) -> str | None:
    argv = [security, "find-generic-password", "-s", service, "-a", username, "-w"]
    status, out, said = _run(argv)
    if status == _MACOS_NOT_FOUND:
        return None
    return _answer(argv, status, out, said)


def secret_tool_password(service: str, username: str, path: str | None = None) -> str | None:
    import shutil

    tool = shutil.which(SECRET_TOOL, path=path if path is not None else os.environ.get("PATH"))
    if tool is None:
        raise KeyringUnavailable(
            "the keyring package is gone with the environment sshsetup ran in, and "
            f"{SECRET_TOOL} (libsecret-tools) is not installed"
        )
    argv = [tool, "lookup", "service", service, "username", username]
    status, out, said = _run(argv)
    if status == 1 and not said:  # no such item (an error says why on stderr)
        return None
    return _answer(argv, status, out, said)


def _run(argv: list[str]) -> tuple[int, str, str]:
    """(exit status, stdout, stderr); KeyringUnavailable when the tool cannot be run."""
    import subprocess

    try:
        completed = subprocess.run(
            argv,
            capture_output=True,
            stdin=subprocess.DEVNULL,
            timeout=TIMEOUT_SECONDS,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        reason = exc.strerror if isinstance(exc, OSError) else "no answer in time"
        raise KeyringUnavailable(f"{os.path.basename(argv[0])}: {reason}") from None
    return (
        completed.returncode,
        completed.stdout.decode(errors="replace"),
        completed.stderr.decode(errors="replace").strip(),
    )


def _answer(argv: list[str], status: int, out: str, said: str) -> str:
    """The password a tool printed (without the line end it may add); else why it failed."""
    if status != 0:
        last = said.splitlines()[-1] if said else f"exit status {status}"
        raise KeyringUnavailable(f"{os.path.basename(argv[0])}: {last}")
    return out.rstrip("\r\n")


def decode_blob(blob: bytes) -> str:
    """A Credential Manager password as keyring reads it: UTF-16-LE (what keyring writes),
    else UTF-8."""
    try:
        return blob.decode("utf-16-le")
    except UnicodeDecodeError:
        return blob.decode("utf-8", errors="replace")


if sys.platform == "win32":  # exercised on the Windows CI runner
    import ctypes
    from ctypes import wintypes

    class _Credential(ctypes.Structure):
        _fields_ = [  # CREDENTIALW
            ("Flags", wintypes.DWORD),
            ("Type", wintypes.DWORD),
            ("TargetName", wintypes.LPWSTR),
            ("Comment", wintypes.LPWSTR),
            ("LastWritten", wintypes.FILETIME),
            ("CredentialBlobSize", wintypes.DWORD),
            ("CredentialBlob", ctypes.POINTER(ctypes.c_ubyte)),
            ("Persist", wintypes.DWORD),
            ("AttributeCount", wintypes.DWORD),
            ("Attributes", ctypes.c_void_p),
            ("TargetAlias", wintypes.LPWSTR),
            ("UserName", wintypes.LPWSTR),
        ]

    _advapi32 = ctypes.WinDLL("advapi32", use_last_error=True)
    _advapi32.CredReadW.argtypes = [
        wintypes.LPCWSTR,
        wintypes.DWORD,
        wintypes.DWORD,
        ctypes.POINTER(ctypes.POINTER(_Credential)),
    ]
    _advapi32.CredReadW.restype = wintypes.BOOL
    _advapi32.CredFree.argtypes = [ctypes.c_void_p]

    def _read_credential(target: str) -> tuple[str | None, bytes] | None:
        pointer = ctypes.POINTER(_Credential)()
        if not _advapi32.CredReadW(target, _CRED_TYPE_GENERIC, 0, ctypes.byref(pointer)):
            error = ctypes.get_last_error()
            if error == _WINDOWS_NOT_FOUND:
                return None
            raise KeyringUnavailable(f"CredReadW failed (Windows error {error})")
        try:
            credential = pointer.contents
            blob = ctypes.string_at(credential.CredentialBlob, credential.CredentialBlobSize)
            return credential.UserName, blob
        finally:
            _advapi32.CredFree(pointer)

    def windows_password(service: str, username: str) -> str | None:
        """keyring's WinVaultKeyring: the target ``service`` if its user name is
        ``username``, else the target ``username@service``."""
        found = _read_credential(service)
        if found is None or found[0] != username:
            found = _read_credential(f"{username}@{service}")
        return decode_blob(found[1]) if found is not None else None
