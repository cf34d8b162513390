"""Where secrets, sessions and locks live: private directories, and files opened without
following symbolic links (docs/certificates.md#private-directories-and-links).

A private directory is owned by the user running sshsetup and writable by no one else; it
is created 0700, and an existing one that fails is refused with the fix (never loosened,
never silently "repaired"). Its ancestors must be owned by the user or by root and, unless
sticky (``/tmp``), not writable by group or others, as OpenSSH demands of the paths it
trusts: otherwise another user could swap the directory for a link between the check and
the write. Inside it, secret, session and lock files are opened with ``O_NOFOLLOW``, so a
link planted there is refused rather than followed.

POSIX only: on Windows ACLs, not mode bits, decide (docs/windows.md#config-file-locations);
nothing is checked there. Lean (``os`` only): the connect path calls it.
"""

from __future__ import annotations

import os

from sshsetup.errors import BadInput

NO_FOLLOW = getattr(os, "O_NOFOLLOW", 0)
_BINARY = getattr(os, "O_BINARY", 0)
_WRITABLE_BY_OTHERS = 0o022
_STICKY = 0o1000
_DIRECTORY = 0o040000
_FILE_TYPE = 0o170000
_CHECKED = os.name != "nt"


def ensure_private_dir(directory: str | os.PathLike[str], *, create: bool = True) -> None:
    """Create ``directory`` (and missing parents) 0700, or check the one there.

    ``create=False``: check it only if it exists. Raises BadInput naming the directory (or
    the ancestor) at fault and the command that fixes it."""
    path = os.path.abspath(os.fspath(directory))
    missing = []
    current = path
    while not os.path.lexists(current):
        missing.append(current)
        parent = os.path.dirname(current)
        if parent == current:
            break
        current = parent
    if missing and not create:
        return
    try:
        if _CHECKED:
            _check_ancestors(current if missing else os.path.dirname(path))
        for created in reversed(missing):
            try:
                os.mkdir(created, 0o700)
            except FileExistsError:
                pass  # another process made it first: checked below like any existing one
        if _CHECKED:
            _check_private(path)
    except OSError as exc:
        where = exc.filename or path
        raise BadInput(
            f"cannot use the directory {where}: {exc.strerror or exc}",
            hint="check that the path is a directory you can write to",
        ) from None


def _check_private(path: str) -> None:
    real = os.path.realpath(path)
    if real != path:  # a link to the directory (dotfile managers): its target must be safe too
        _check_ancestors(os.path.dirname(real))
    info = os.stat(real)
    if info.st_mode & _FILE_TYPE != _DIRECTORY:
        raise BadInput(
            f"{path} is not a directory, but sshsetup keeps private files there",
            hint=f"move {path} away, then run the command again",
        )
    if info.st_uid != os.geteuid():
        raise BadInput(
            f"{path} belongs to {_user(info.st_uid)}, not to you ({_user(os.geteuid())}): "
            "sshsetup keeps secrets and locks there and refuses a directory another user "
            "controls",
            hint=f"use a directory of your own, or take it over: "
            f"`chown {_user(os.geteuid())} {path} && chmod 700 {path}` (as root)",
        )
    if info.st_mode & _WRITABLE_BY_OTHERS:
        raise BadInput(
            f"{path} is writable by {_who(info.st_mode)} (mode {info.st_mode & 0o7777:o}): "
            "another user could plant links there or swap sshsetup's secrets",
            hint=f"`chmod 700 {path}`",
        )


def _check_ancestors(path: str) -> None:
    """Every directory from ``path`` up to ``/``: the user's or root's, not writable by
    others unless sticky."""
    me = os.geteuid()
    current = os.path.realpath(path)
    while True:
        info = os.stat(current)
        if info.st_mode & _FILE_TYPE != _DIRECTORY:
            raise BadInput(
                f"{current} is not a directory, but sshsetup needs to keep directories there",
                hint=f"move {current} away, then run the command again",
            )
        if info.st_uid not in (me, 0):
            raise BadInput(
                f"{current} belongs to {_user(info.st_uid)}, who could replace what sshsetup "
                "keeps below it",
                hint="keep sshsetup's directories (SSHSETUP_KEY_DIR, SSHSETUP_STATE_DIR, "
                "SSHSETUP_CONFIG_DIR) in a directory that only you and root control",
            )
        if info.st_mode & _WRITABLE_BY_OTHERS and not info.st_mode & _STICKY:
            raise BadInput(
                f"{current} is writable by {_who(info.st_mode)} (mode "
                f"{info.st_mode & 0o7777:o}), so another user could replace what sshsetup "
                "keeps below it",
                hint=f"`chmod go-w {current}`, or keep sshsetup's directories elsewhere",
            )
        parent = os.path.dirname(current)
        if parent == current:
            return
        current = parent


def _who(mode: int) -> str:
    groups = [name for bit, name in ((0o020, "its group"), (0o002, "everyone")) if mode & bit]
    return " and ".join(groups)


def _user(uid: int) -> str:
    try:
        import pwd

        return pwd.getpwuid(uid).pw_name
    except (ImportError, KeyError):
        return f"uid {uid}"


LINK_REFUSED = "a symbolic link (sshsetup never follows links to its private files)"


def open_private(path: str, flags: int, mode: int = 0o600) -> int:
    """``os.open`` that refuses a link at ``path`` (an OSError whose strerror says so)."""
    try:
        return os.open(path, flags | NO_FOLLOW | _BINARY, mode)
    except OSError as exc:
        if _CHECKED and os.path.islink(path):
            raise OSError(exc.errno, LINK_REFUSED, path) from None
        raise


def read_private(path: str) -> bytes:
    """The content of a secret or session file, never through a link."""
    fd = open_private(path, os.O_RDONLY)
    try:
        chunks = []
        while chunk := os.read(fd, 65536):
            chunks.append(chunk)
        return b"".join(chunks)
    finally:
        os.close(fd)
