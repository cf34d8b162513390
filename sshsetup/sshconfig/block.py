"""The managed block: its directives, rendered from one place (pure; no disk access).

Quoting rules (docs/ssh-config.md#match-exec-quoting-before-openssh-99,
docs/windows.md#how-proxycommand-runs-on-windows):
- Paths in IdentityFile/CertificateFile are double-quoted, ``%`` doubled (ssh expands
  tokens there); ``"`` and ``${`` cannot be expressed and are refused.
- ``Match exec`` is one double-quoted argument that pre-9.9 tokenizers (and every Win32
  build up to 9.8) split without escapes. On Unix the paths inside are single-quoted for
  the shell; on Windows cmd.exe runs it and strips quotes, so it holds none: the paths
  must be free of spaces and quotes, with forward slashes.
- ProxyCommand is taken raw by ssh: on Unix a shell runs it (single quotes); on Windows
  CreateProcessW does (double quotes).
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


@dataclass(frozen=True)
class BlockSpec:
    python: PurePath
    hook_script: PurePath
    proxy_script: PurePath
    key_dir: PurePath
    key_file: PurePath
    cert_dir: PurePath
    options: BlockOptions
    windows: bool = False


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


_CMD_SPECIALS = frozenset(" \"'" + _WINDOWS_BREAKOUT)


def _command_paths(spec: BlockSpec, script: PurePath) -> tuple[str, str, str]:
    return (
        _slashes(spec.python, spec.windows),
        _slashes(script, spec.windows),
        _slashes(spec.key_dir, spec.windows),
    )


def _exec_words(spec: BlockSpec, script: PurePath) -> list[str]:
    """``Match exec``: one double-quoted argument; no quotes inside on Windows."""
    python, script_path, key_dir = _command_paths(spec, script)
    paths = [python, script_path, key_dir]
    if spec.windows:
        for path in paths:
            if _CMD_SPECIALS & set(path):
                raise BadInput(
                    f"the path {path!r} holds a space or a character that the Windows "
                    "`Match exec` line cannot quote",
                    hint="install Python and sshsetup under a path without spaces, or set "
                    "SSHSETUP_KEY_DIR to one (docs/windows.md#how-match-exec-runs-on-windows)",
                )
        return [python, "-I", "-S", script_path, key_dir, "%h"]
    for path in paths:
        if "'" in path or '"' in path or "\n" in path:
            raise BadInput(
                f"the path {path!r} holds a quote, which a `Match exec` line cannot carry",
                hint="install sshsetup under a path without quotes, or set SSHSETUP_KEY_DIR",
            )
    quoted = [f"'{path.replace('%', '%%')}'" for path in paths]
    return [quoted[0], "-I", "-S", quoted[1], quoted[2], "'%h'"]


def _proxy_words(spec: BlockSpec) -> list[str]:
    """ProxyCommand: run by the shell on Unix, by CreateProcessW on Windows."""
    python, script_path, key_dir = _command_paths(spec, spec.proxy_script)
    if spec.windows:
        quoted = [f'"{path.replace("%", "%%")}"' for path in (python, script_path, key_dir)]
        return [quoted[0], "-I", "-S", quoted[1], quoted[2], "%h"]
    quoted = [f"'{path.replace('%', '%%')}'" for path in (python, script_path, key_dir)]
    return [quoted[0], "-I", "-S", quoted[1], quoted[2], "'%h'"]
