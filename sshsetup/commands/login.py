"""`sshsetup login`: store a remote's Baseten API key (OS keyring, or an explicit plaintext file).

The key comes from a no-echo prompt on a terminal, one line of standard input
(``--api-key-stdin``), truss's ``~/.trussrc`` (``--from-trussrc``) or the Go CLI's profile
(``--from-baseten-cli``: ``BASETEN_PROFILE``, else its current one; an API key only, as an
OAuth access token expires). It is validated before anything is written and never printed:
output names the remote, the store and where the key came from.
"""

from __future__ import annotations

import getpass
import time
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import BinaryIO

from sshsetup.baseten import API_KEY_ENV, DEFAULT_API_BASE_URL
from sshsetup.connect.baseten_cli_profiles import (
    OAUTH,
    ProfileProblem,
    auth_file,
    profile_credential,
)
from sshsetup.connect.credentials import MAX_API_KEY_LENGTH, validate_api_key
from sshsetup.connect.file_lock import file_lock
from sshsetup.connect.remotes import (
    api_base_url,
    cleartext_warning,
    normalize_remote_name,
    validate_base_url,
)
from sshsetup.connect.settings import load_settings
from sshsetup.connect.trussrc import find_section, no_key_error, read_trussrc, trussrc_path
from sshsetup.context import Context
from sshsetup.credentials.keyring_store import KeyringChoice, store_in_keyring, usable_keyring
from sshsetup.credentials.plaintext_store import store_plaintext_key
from sshsetup.errors import BadInput, NotLoggedIn, UsageError
from sshsetup.paths import Paths
from sshsetup.results import Outcome, Result
from sshsetup.settings_store import KEEP, edit_settings, with_remote

STORE_KEYRING = "keyring"
STORE_FILE = "file"


@dataclass(frozen=True)
class Request:
    remote: str | None = None
    api_key_stdin: bool = False
    from_trussrc: bool = False
    from_baseten_cli: bool = False
    base_url: str | None = None
    make_default: bool = False
    store: str = STORE_KEYRING


@dataclass(frozen=True)
class LoginResult(Result):
    remote: str
    stored_in: str  # keyring or file
    key_from: str  # prompt, stdin, trussrc or baseten-cli
    key_origin: str | None  # the trussrc section or baseten CLI profile it was imported from
    default_remote: str
    is_default: bool
    api_base_url: str
    keyring_backend: str | None

    def text(self, colour: bool) -> str:
        where = (
            f"the keyring ({self.keyring_backend})"
            if self.stored_in == STORE_KEYRING
            else "the plaintext key file"
        )
        default = " (default remote)" if self.is_default else ""
        origin = f" from {self.key_origin}" if self.key_origin else ""
        return (
            f"Stored the API key{origin} for remote {self.remote!r}{default} in {where}.\n"
            f"API: {self.api_base_url}"
        )


def run(ctx: Context, request: Request) -> Outcome[LoginResult]:
    paths = ctx.paths
    sources = [request.api_key_stdin, request.from_trussrc, request.from_baseten_cli]
    if sum(sources) > 1:
        raise UsageError(
            "--api-key-stdin, --from-trussrc and --from-baseten-cli each name where the key "
            "comes from",
            hint="give one of them",
        )
    if request.store not in (STORE_KEYRING, STORE_FILE):
        raise UsageError(
            f"unknown --store {request.store!r}",
            hint=f"use --store {STORE_KEYRING} (default) or --store {STORE_FILE}",
        )
    settings = load_settings(paths.settings_file)
    remote = normalize_remote_name(request.remote) if request.remote else settings.default_remote
    base_url = validate_base_url(request.base_url) if request.base_url else None
    # Fail on a missing keyring before asking for a key the user would then retype.
    keyring = usable_keyring(ctx.env) if request.store == STORE_KEYRING else None

    key_origin = None
    if request.from_trussrc:
        key, origin, key_origin = _key_from_trussrc(
            ctx, paths, ctx.env, remote, explicit_remote=bool(request.remote)
        )
    elif request.from_baseten_cli:
        key, key_origin, profile_api = _key_from_baseten_cli(ctx.env)
        origin = "baseten-cli"
        if base_url is None and profile_api != DEFAULT_API_BASE_URL:
            base_url = profile_api  # the key belongs to that API
    else:
        key, origin = _key_from_user(remote, request.api_key_stdin, ctx.stdin)

    with file_lock(paths.lock_file):
        stored_in = _store(ctx, keyring, remote, key)
    settings = edit_settings(
        paths,
        lambda current: replace(
            with_remote(
                current,
                remote,
                base_url if base_url is not None else KEEP,
                api_key_in_keyring=True if stored_in == STORE_KEYRING else KEEP,
            ),
            default_remote=remote if request.make_default else current.default_remote,
        ),
    )
    result = LoginResult(
        remote=remote,
        stored_in=stored_in,
        key_from=origin,
        key_origin=key_origin,
        default_remote=settings.default_remote,
        is_default=settings.default_remote == remote,
        api_base_url=api_base_url(remote, None, paths.settings_file, ctx.env),
        keyring_backend=keyring.name if keyring is not None else None,
    )
    _advise(ctx, result)
    return Outcome(result)


def _key_from_user(remote: str, from_stdin: bool, stdin: BinaryIO) -> tuple[str, str]:
    if not _is_terminal(stdin):
        if not from_stdin:
            raise BadInput(
                "standard input is not a terminal, so the API key cannot be asked for",
                hint="pipe it in with --api-key-stdin, or import it with --from-trussrc (or "
                f"store nothing: set {API_KEY_ENV} in the environment ssh runs in)",
            )
        return validate_api_key(_read_line(stdin), "standard input"), "stdin"
    # On a terminal even --api-key-stdin reads without echo.
    try:
        typed = getpass.getpass(f"Baseten API key for remote {remote!r} (not echoed): ")
    except EOFError:
        typed = ""
    return validate_api_key(typed, "the prompt"), "prompt"


def _read_line(stdin: BinaryIO) -> str:
    raw = stdin.readline(MAX_API_KEY_LENGTH + 3)
    if len(raw.rstrip(b"\r\n")) > MAX_API_KEY_LENGTH:
        raise BadInput(
            f"the API key from standard input is longer than {MAX_API_KEY_LENGTH} characters",
            hint="pipe in only the key, on one line",
        )
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        raise BadInput(
            "the API key from standard input is not UTF-8 text",
            hint="pipe in only the key, on one line",
        ) from None


def _key_from_trussrc(
    ctx: Context, paths: Paths, env: Mapping[str, str], remote: str, explicit_remote: bool
) -> tuple[str, str, str]:
    path = trussrc_path(paths.home, env)
    sections = read_trussrc(path)
    section = find_section(sections, remote) if sections else None
    if section is None and sections and len(sections) == 1 and not explicit_remote:
        (section,) = sections.values()  # like truss: a host without a remote uses the only one
        ctx.say(f"importing section [{section.name}] of {path} as remote {remote!r}")
    if section is None or section.api_key is None:
        raise no_key_error(path, remote, sections)
    where = f"{path} [{section.name}]"
    return validate_api_key(section.api_key, where), "trussrc", where


def _key_from_baseten_cli(env: Mapping[str, str]) -> tuple[str, str, str]:
    """The API key of the Go CLI's profile, where it came from, and the API it belongs to."""
    try:
        profile = profile_credential(env, time.time())
    except ProfileProblem as exc:
        raise NotLoggedIn(
            f"nothing to import from the baseten CLI: {exc.message}",
            hint="log in with `baseten auth login` first, or give the key to `sshsetup login`",
        ) from None
    if profile is None:
        raise NotLoggedIn(
            f"the baseten CLI has no profile to import ({auth_file(env) or 'no config directory'}"
            " has none selected, or does not exist)",
            hint="log in with `baseten auth login`, or name a profile in BASETEN_PROFILE",
        )
    where = f"baseten CLI profile {profile.profile!r}"
    if profile.auth_type == OAUTH:
        raise BadInput(
            f"{where} signs in with OAuth: its access token expires and is not an API key, so "
            "there is nothing to store; sshsetup already uses it while it is valid (after its "
            "own stores and BASETEN_API_KEY)",
            hint="create an API key in Baseten (Settings > API keys) and run `sshsetup login`",
        )
    return validate_api_key(profile.secret, where), where, profile.api_base_url


def _store(ctx: Context, keyring: KeyringChoice | None, remote: str, key: str) -> str:
    if keyring is not None:
        store_in_keyring(keyring, remote, key)
        if not keyring.recommended:
            where = f" ({keyring.data_file})" if keyring.data_file else ""
            ctx.say(
                f"warning: keyring backend {keyring.name} is not an OS keyring; it may keep "
                f"the key unencrypted{where}"
            )
        return STORE_KEYRING
    path = store_plaintext_key(ctx.paths.plaintext_keys_file, remote, key)
    ctx.say(
        f"WARNING: the API key for remote {remote!r} is stored UNENCRYPTED in {path} "
        "(mode 0600, readable by you and root). Prefer the OS keyring where there is one; "
        f"`sshsetup logout --remote {remote}` deletes it."
    )
    return STORE_FILE


def _advise(ctx: Context, result: LoginResult) -> None:
    warning = cleartext_warning(result.api_base_url)
    if warning:
        ctx.say(warning)
    if not result.is_default:
        ctx.say(
            "note: hosts without a remote in their name use the default remote "
            f"{result.default_remote!r}; "
            f"`sshsetup remote set-default {result.remote}` changes it"
        )


def _is_terminal(stream: BinaryIO) -> bool:
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty())
