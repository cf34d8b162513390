"""The managed block: its directives, rendered from one place (pure; no disk access).

Quoting rules (docs/ssh-config.md#match-exec-quoting-before-openssh-99,
docs/windows.md#how-proxycommand-runs-on-windows):
- Paths in IdentityFile/CertificateFile are double-quoted, ``%`` doubled (ssh expands
  tokens there); ``"`` and ``${`` cannot be expressed and are refused.
- ``Match exec`` is one double-quoted argument that pre-9.9 tokenizers (and every Win32
  build up to 9.8) split without escapes. On Unix the paths inside are single-quoted for
  the shell; on Windows cmd.exe runs it and strips quotes, so it holds none: the paths
  must be free of spaces and quotes (setup gives their 8.3 short names,
  docs/windows.md#homes-with-spaces-and-83-short-names).
- ProxyCommand is taken raw by ssh: on Unix a shell runs it (single quotes); on Windows
  CreateProcessW does (double quotes), so the guard runs in cmd.exe.
- Both are guarded (docs/ssh-config.md#guarding-the-connect-path-against-a-missing-python):
  the exec succeeds when the interpreter or the runtime is gone, so the block still
  applies, and the ProxyCommand then says in one line what is missing and how to fix it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import PurePath

from sshsetup.baseten import WORKLOADS, Workload
from sshsetup.connect.installation import CERT_FILE_SUFFIX
from sshsetup.connect.settings import BlockOptions
from sshsetup.errors import BadInput
from sshsetup.sshconfig import keywords as kw
from sshsetup.sshconfig.patterns import globs_intersect

START_MARKER = (
    "# >>> sshsetup managed block: change it with `sshsetup setup`,"
    " remove it with `sshsetup remove` >>>"
)
END_MARKER = "# <<< sshsetup managed block <<<"
MARKER_TEXT = "sshsetup managed block"  # in both markers
_START_PREFIX = "# >>> sshsetup managed block"
_END_PREFIX = "# <<< sshsetup managed block"
IGNORE_UNKNOWN_NOTE = "# sshsetup extended an IgnoreUnknown line above: "
INDENT = "  "
# Unanswered keepalives before ssh gives up: a dead connection is noticed within
# keepalive_seconds * (KEEPALIVE_COUNT_MAX + 1) (docs/ssh-config.md#keepalives-through-a-proxy).
KEEPALIVE_COUNT_MAX = 3


# Windows runs the ProxyCommand's guard with cmd.exe (no shell around it otherwise).
WINDOWS_CMD = PurePath("C:/Windows/System32/cmd.exe")


@dataclass(frozen=True)
class BlockSpec:
    python: PurePath  # the interpreter (sshsetup.interpreter)
    hook_script: PurePath  # the runtime's entry scripts (sshsetup.runtime)
    proxy_script: PurePath
    key_file: PurePath
    cert_dir: PurePath
    options: BlockOptions
    windows: bool = False
    cmd: PurePath = WINDOWS_CMD  # Windows: the cmd.exe that runs the ProxyCommand's guard


def is_start_marker(content: str) -> bool:
    return content.strip().startswith(_START_PREFIX)


def is_end_marker(content: str) -> bool:
    return content.strip().startswith(_END_PREFIX)


def render_block(
    spec: BlockSpec,
    ignore_unknown: str | None = None,
    ignore_unknown_notes: Sequence[str] = (),
) -> list[str]:
    """The block's lines, without line endings, markers included.

    ``ignore_unknown``: an IgnoreUnknown value the block must provide itself, at its top
    under ``Match all`` so that it applies to every host (an unknown keyword is fatal even in
    a section that does not match, docs/ssh-config.md#ignoreunknown-covers-only-what-follows-it).
    ``ignore_unknown_notes``: records of the user's IgnoreUnknown lines that setup extended,
    so that remove can restore them exactly.
    """
    lines = [START_MARKER, *ignore_unknown_notes]
    if spec.options.use_keychain and ignore_unknown:
        lines += [kw.MATCH.name + " all", f"{INDENT}{kw.IGNORE_UNKNOWN.name} {ignore_unknown}"]
    hook = " ".join(_exec_words(spec, spec.hook_script))
    for workload in WORKLOADS:
        lines.append(
            f'{kw.MATCH.name} host "{_host_patterns(workload, spec.windows)}" exec "{hook}"'
        )
        lines.extend(f"{INDENT}{k.name} {value}" for k, value in block_directives(spec, workload))
    # Ends the block's sections so that the user's global lines after it stay global.
    lines.append(kw.MATCH.name + " all")
    lines.append(END_MARKER)
    return lines


def block_directives(spec: BlockSpec, workload: Workload) -> list[tuple[kw.Keyword, str]]:
    """What the block sets for ``workload``'s hosts, in order."""
    cert_file = _config_path(spec.cert_dir, spec.windows, "/%h" + CERT_FILE_SUFFIX)
    directives = [
        (kw.USER, workload.remote_user),
        (kw.IDENTITY_FILE, _config_path(spec.key_file, spec.windows)),
        (kw.CERTIFICATE_FILE, cert_file),
        (kw.IDENTITIES_ONLY, "yes"),
        (kw.PROXY_COMMAND, " ".join(_proxy_words(spec))),
        # Trust rests on the TLS proxy (Baseten's certificate) and the JWT that binds the
        # session to the workload; workload host keys are ephemeral, as in Baseten's client.
        (kw.STRICT_HOST_KEY_CHECKING, "no"),
        (kw.USER_KNOWN_HOSTS_FILE, "/dev/null"),
        # Keeps "Permanently added ... to known hosts" off every connection; -v overrides.
        (kw.LOG_LEVEL, "ERROR"),
    ]
    if spec.options.forward_agent:
        directives.append((kw.FORWARD_AGENT, "yes"))
    if spec.options.add_keys_to_agent:
        directives.append((kw.ADD_KEYS_TO_AGENT, "yes"))
    if spec.options.use_keychain:
        directives.append((kw.USE_KEYCHAIN, "yes"))
    if spec.options.keepalive_seconds:
        directives.append((kw.SERVER_ALIVE_INTERVAL, str(spec.options.keepalive_seconds)))
        directives.append((kw.SERVER_ALIVE_COUNT_MAX, str(KEEPALIVE_COUNT_MAX)))
    return directives


# Host names holding these never match the block, so ``%h`` cannot break out of the
# quoting of the shell (Unix: single quotes) or cmd.exe (Windows: none possible) that runs
# the hook, whatever the ssh version (only 9.6+ refuses such names itself).
_UNIX_BREAKOUT = "'"
_WINDOWS_BREAKOUT = "&|<>^()%!"


def _host_patterns(workload: Workload, windows: bool) -> str:
    """The workload's glob, minus the names an earlier section already serves (so each name
    matches one section and runs the hook once: ``production.model-m`` but not
    ``model-a-b.model-c``, docs/ssh-config.md#one-section-per-host-name), minus names that could
    break the hook's quoting."""
    earlier = WORKLOADS[: WORKLOADS.index(workload)]
    served = [
        f"!{w.host_glob}" for w in earlier if globs_intersect(w.host_glob, workload.host_glob)
    ]
    excluded = _WINDOWS_BREAKOUT if windows else _UNIX_BREAKOUT
    return ",".join([workload.host_glob, *served, *(f"!*{char}*" for char in excluded)])


def _slashes(path: PurePath, windows: bool) -> str:
    text = str(path)
    return text.replace("\\", "/") if windows else text


def _config_path(path: PurePath, windows: bool, suffix: str = "") -> str:
    text = _slashes(path, windows)
    if '"' in text or "${" in text or "\n" in text or "\r" in text:
        raise BadInput(
            f"the path {text!r} cannot be written into an ssh config",
            hint='choose a location without double quotes, "${" or line breaks '
            "(SSHSETUP_KEY_DIR sets the key directory)",
        )
    return '"' + text.replace("%", "%%") + suffix + '"'


# What cmd.exe treats specially in an unquoted word: a space, quotes, its operators, and
# the characters it splits arguments at.
_CMD_SPECIALS = frozenset(" \t\"',;=" + _WINDOWS_BREAKOUT)
# One line each, no quote, apostrophe, backquote, dollar or percent sign: they are written
# inside a shell's double quotes (Unix) or echoed by cmd.exe (Windows).
_PYTHON_MISSING = (
    "the Python the sshsetup block runs, {python}, is missing (hint: run sshsetup setup to "
    "choose one again, or sshsetup setup --python PATH)"
)
_RUNTIME_MISSING = (
    "the connect path {script} is missing (hint: run sshsetup setup; reinstall sshsetup "
    "first if that command is gone too)"
)


def windows_exec_safe(path: PurePath) -> bool:
    """``path`` can stand unquoted in a Windows ``Match exec`` line as it is."""
    return not _CMD_SPECIALS & set(str(path))


def _exec_words(spec: BlockSpec, script: PurePath) -> list[str]:
    """``Match exec``: one double-quoted argument that succeeds whatever happens, so that
    the block applies; it runs the hook only when the interpreter and the script exist."""
    if spec.windows:
        python, hook = (_windows_word(path) for path in (spec.python, script))
        run = [python, "-I", "-S", hook, "%h)"]
        return ["(if", "exist", python, "if", "exist", hook, *run, "&", "exit", "0"]
    python, hook = (_unix_word(path) for path in (spec.python, script))
    return [
        "test", "-x", python, "&&", "test", "-f", hook, "&&",
        python, "-I", "-S", hook, "'%h'", "||", "true",
    ]  # fmt: skip


def _proxy_words(spec: BlockSpec) -> list[str]:
    """ProxyCommand: says which file is missing, else runs the runtime's proxy.py."""
    if spec.windows:
        return _windows_proxy_words(spec)
    python, proxy = (_unix_word(path) for path in (spec.python, spec.proxy_script))
    script = (
        f'test -x "$0" || {{ echo "sshsetup: {_PYTHON_MISSING.format(python="$0")}" >&2; '
        "exit 1; }; "
        f'test -f "$1" || {{ echo "sshsetup: {_RUNTIME_MISSING.format(script="$1")}" >&2; '
        "exit 1; }; "
        'exec "$0" -I -S "$1" "$2"'
    )
    return ["/bin/sh", "-c", f"'{script}'", python, proxy, "'%h'"]


def _windows_proxy_words(spec: BlockSpec) -> list[str]:
    """cmd.exe runs the guard: ``if not exist`` each file, else the interpreter."""
    python, proxy, cmd = (
        '"' + str(path).replace("/", "\\") + '"'
        for path in (spec.python, spec.proxy_script, spec.cmd)
    )
    for path in (python, proxy):
        if "%" in path or '"' in path[1:-1]:
            raise _unquotable(path[1:-1])

    def fail(message: str) -> list[str]:
        parts = ("sshsetup: " + message).split('"')
        for index in range(0, len(parts), 2):  # outside the quoted paths
            for char in "^()&|<>":
                parts[index] = parts[index].replace(char, "^" + char)
        return ["(echo", '"'.join(parts), "1>&2", "&", "exit", "1)"]

    return [
        cmd, "/d", "/v:off", "/c",
        "if", "not", "exist", python, *fail(_PYTHON_MISSING.format(python=python)),
        "else", "if", "not", "exist", proxy, *fail(_RUNTIME_MISSING.format(script=proxy)),
        "else", python, "-I", "-S", proxy, "%h",
    ]  # fmt: skip


def _unix_word(path: PurePath) -> str:
    """A path single-quoted for the shell that runs the hook or the ProxyCommand."""
    text = str(path)
    if "'" in text or '"' in text or "\n" in text or "\\" in text:
        raise BadInput(
            f"the path {text!r} holds a quote, a backslash or a line break, "
            "which the block's `Match exec` line cannot carry",
            hint="install Python and sshsetup under a path without them, or set SSHSETUP_KEY_DIR",
        )
    return "'" + text.replace("%", "%%") + "'"


def _windows_word(path: PurePath) -> str:
    """A path for cmd.exe with no quotes at all (the exec line cannot hold any)."""
    text = str(path).replace("/", "\\")
    if not windows_exec_safe(path) or text.startswith("\\\\"):
        raise _unquotable(text)
    return text


def _unquotable(path: str) -> BadInput:
    return BadInput(
        f"the path {path!r} holds a character that the Windows `Match exec` line cannot "
        "carry (a space without an 8.3 short name, a quote, or one of & | < > ^ ( ) % ! , ; =), "
        "or is a network path",
        hint="set SSHSETUP_KEY_DIR to a local directory whose path has none of them, and "
        "choose such a Python with `sshsetup setup --python PATH` "
        "(docs/windows.md#homes-with-spaces-and-83-short-names)",
    )
