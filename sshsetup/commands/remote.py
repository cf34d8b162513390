"""`sshsetup remote list | set-default | set-url`: the remotes, their API URLs and key sources."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from sshsetup.connect.credentials import LOOKUP_ORDER, api_key_source
from sshsetup.connect.plaintext_keys import (
    PlaintextKeysProblem,
    plaintext_keys_file,
    read_plaintext_keys,
)
from sshsetup.connect.remotes import (
    api_base_url,
    cleartext_warning,
    normalize_remote_name,
    validate_base_url,
)
from sshsetup.errors import UserError
from sshsetup.exit_codes import ExitCode
from sshsetup.output import emit_result, say
from sshsetup.paths import Paths
from sshsetup.settings import Remote, load_settings
from sshsetup.settings_edit import edit_settings, with_remote


def list_remotes(paths: Paths, env: Mapping[str, str], json_output: bool) -> int:
    settings = load_settings(paths.settings_file)
    names = {settings.default_remote, *settings.remotes}
    try:
        names.update(read_plaintext_keys(plaintext_keys_file(paths)))
    except PlaintextKeysProblem as exc:
        say(f"note: {exc}")
    rows = []
    for name in sorted(names):
        source = api_key_source(name, paths, env)
        configured = settings.remotes.get(name, Remote()).base_url
        rows.append(
            {
                "name": name,
                "default": name == settings.default_remote,
                "base_url": configured,
                "api_base_url": api_base_url(name, None, paths, env),
                "api_key": source.to_json(),
            }
        )
    result = {
        "default_remote": settings.default_remote,
        "lookup_order": list(LOOKUP_ORDER),
        "remotes": rows,
    }
    emit_result(result, json_output, _human(rows))
    return int(ExitCode.OK)


def set_default(paths: Paths, name: str, env: Mapping[str, str], json_output: bool) -> int:
    remote = normalize_remote_name(name)
    settings = edit_settings(paths, lambda s: replace(s, default_remote=remote))
    if api_key_source(remote, paths, env).source is None:
        say(f"note: no API key found for remote {remote!r}; run `sshsetup login --remote {remote}`")
    emit_result(
        {"default_remote": settings.default_remote},
        json_output,
        f"Default remote: {settings.default_remote}",
    )
    return int(ExitCode.OK)


def set_url(
    paths: Paths,
    name: str,
    url: str | None,
    unset: bool,
    env: Mapping[str, str],
    json_output: bool,
) -> int:
    if (url is None) == (not unset):
        raise UserError(
            "give either a URL or --unset",
            hint="e.g. `sshsetup remote set-url staging https://api.staging.example`",
            exit_code=ExitCode.USAGE,
        )
    remote = normalize_remote_name(name)
    base_url = validate_base_url(url) if url is not None else None

    edit_settings(paths, lambda settings: with_remote(settings, remote, base_url))
    effective = api_base_url(remote, None, paths, env)
    warning = cleartext_warning(effective)
    if warning:
        say(warning)
    emit_result(
        {"remote": remote, "base_url": base_url, "api_base_url": effective},
        json_output,
        f"Remote {remote}: API {effective}",
    )
    return int(ExitCode.OK)


def _human(rows: list[dict[str, Any]]) -> str:
    lines = []
    for row in rows:
        marker = "*" if row["default"] else " "
        key = row["api_key"]
        found = f"{key['source']} ({key['location']})" if key["source"] else "none"
        lines.append(f"{marker} {row['name']}: API {row['api_base_url']}; key: {found}")
    return "\n".join(lines)
