"""The managed block: its directives, rendered from one place (pure; no disk access).

Quoting rules (field guide A16-A18, D9-D10):
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

from dataclasses import dataclass
from pathlib import PurePath

from sshsetup.errors import UserError
from sshsetup.settings import BlockOptions

START_MARKER = "# >>> sshsetup managed block: change it with `sshsetup setup`, remove it with `sshsetup remove` >>>"
END_MARKER = "# <<< sshsetup managed block <<<"
_START_PREFIX = "# >>> sshsetup managed block"
_END_PREFIX = "# <<< sshsetup managed block"
IGNORE_UNKNOWN_NOTE = "# sshsetup extended the first IgnoreUnknown line: "
INDENT = "  "


@dataclass(frozen=True)
class Workload:
    host_glob: str
    remote_user: str


WORKLOADS = (
    Workload("training-job-*.ssh.baseten.co", "baseten"),
    Workload("model-*.ssh.baseten.co", "app"),
)


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
    ignore_unknown_note: str | None = None,
) -> list[str]:
    """The block's lines, without line endings, markers included.

    ``ignore_unknown``: the IgnoreUnknown value to put in each section (before
    ``UseKeychain``), when the block itself must provide it.
    ``ignore_unknown_note``: a record of the user's IgnoreUnknown line that setup
    extended, so that remove can restore it exactly.
    """
    lines = [START_MARKER]
    if ignore_unknown_note:
        lines.append(ignore_unknown_note)
    hook = _match_exec_command(spec)
    proxy = _proxy_command(spec)
    for workload in WORKLOADS:
        lines.append(f'Match host {workload.host_glob} exec "{hook}"')
        directives = [
            ("User", workload.remote_user),
            ("IdentityFile", _config_path(spec.key_file, spec.windows)),
            ("CertificateFile", _config_path(spec.cert_dir, spec.windows, "/%h-cert.pub")),
            ("IdentitiesOnly", "yes"),
            ("ProxyCommand", proxy),
        ]
        if spec.options.forward_agent:
            directives.append(("ForwardAgent", "yes"))
        if spec.options.add_keys_to_agent:
            directives.append(("AddKeysToAgent", "yes"))
        if spec.options.use_keychain:
            if ignore_unknown:
                directives.append(("IgnoreUnknown", ignore_unknown))
            directives.append(("UseKeychain", "yes"))
        lines.extend(f"{INDENT}{keyword} {value}" for keyword, value in directives)
    # Ends the block's sections so that the user's global lines after it stay global (A4).
    lines.append("Match all")
    lines.append(END_MARKER)
    return lines


def _slashes(path: PurePath, windows: bool) -> str:
    text = str(path)
    return text.replace("\\", "/") if windows else text


def _config_path(path: PurePath, windows: bool, suffix: str = "") -> str:
    text = _slashes(path, windows)
    if '"' in text or "${" in text or "\n" in text or "\r" in text:
        raise UserError(
            f"the path {text!r} cannot be written into an ssh config",
            hint='choose a location without double quotes, "${" or line breaks '
            "(SSHSETUP_KEY_DIR sets the key directory)",
        )
    return '"' + text.replace("%", "%%") + suffix + '"'


_CMD_SPECIALS = set(' "\'&|<>^%()!')


def _match_exec_command(spec: BlockSpec) -> str:
    parts = [spec.python, "-I", "-S", spec.hook_script, spec.key_dir]
    if spec.windows:
        words = [_slashes(p, True) if isinstance(p, PurePath) else p for p in parts]
        for word in words:
            if _CMD_SPECIALS & set(word):
                raise UserError(
                    f"the path {word!r} holds a space or a character that the Windows "
                    "`Match exec` line cannot quote",
                    hint="install Python and sshsetup under a path without spaces, or set "
                    "SSHSETUP_KEY_DIR to one (field guide D10)",
                )
        return " ".join(words) + " %h"
    words = []
    for part in parts:
        if isinstance(part, PurePath):
            text = str(part)
            if "'" in text or '"' in text or "\n" in text:
                raise UserError(
                    f"the path {text!r} holds a quote, which a `Match exec` line cannot carry",
                    hint="install sshsetup under a path without quotes, or set SSHSETUP_KEY_DIR",
                )
            words.append("'" + text.replace("%", "%%") + "'")
        else:
            words.append(part)
    return " ".join(words) + " %h"


def _proxy_command(spec: BlockSpec) -> str:
    parts = [spec.python, "-I", "-S", spec.proxy_script, spec.key_dir]
    words = []
    for part in parts:
        if not isinstance(part, PurePath):
            words.append(part)
        elif spec.windows:
            words.append('"' + _slashes(part, True).replace("%", "%%") + '"')
        else:
            words.append("'" + str(part).replace("%", "%%").replace("'", "'\\''") + "'")
    return " ".join(words) + " %h"
