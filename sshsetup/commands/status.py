"""`sshsetup status`: what is installed where, the options in effect, the key, the backup."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sshsetup.connect.certfile import format_time
from sshsetup.connect.credentials import KeySource, api_key_source
from sshsetup.connect.settings import BlockOptions, load_settings
from sshsetup.context import Context
from sshsetup.install_state import InstallState, read_install_state
from sshsetup.paths import SSH_DEFAULT
from sshsetup.results import Outcome, Result, jsonable


@dataclass(frozen=True)
class Request:
    pass


@dataclass(frozen=True)
class StatusResult(Result):
    state: InstallState
    credential: KeySource  # where the default remote's credential is found (never the secret)

    def to_json(self) -> dict[str, Any]:
        return {**jsonable(self.state), "credential": self.credential.to_json()}

    def text(self, colour: bool) -> str:
        state = self.state
        origin = "" if state.config_origin == SSH_DEFAULT else f" ({state.config_origin})"
        exists = "" if state.config_exists else " (does not exist)"
        out = [f"config:   {state.config}{origin}{exists}"]
        block = state.block
        if block is None:
            out.append("block:    not installed (run `sshsetup setup`)")
        else:
            current = "current" if block.current else "out of date (run `sshsetup setup`)"
            out.append(f"block:    lines {block.first_line}-{block.last_line}, {current}")
        out.append(f"options:  {_options_text(state.options)}")
        out.append(f"margin:   {state.refresh_margin_seconds} s before a certificate expires")
        key = state.key
        if not key.present:
            out.append(f"key:      {key.path} (not created yet)")
        else:
            out.append(f"key:      {key.path} {key.type or ''} {key.fingerprint or key.problem}")
        out.append(f"backup:   {state.backup or 'none yet'}")
        out.append("auth:     " + _credential_text(self.credential))
        runtime = state.runtime
        if runtime.version is None:
            out.append(f"runtime:  {runtime.directory} (not installed: run `sshsetup setup`)")
        else:
            complete = "" if runtime.complete else ", incomplete: run `sshsetup setup`"
            out.append(f"runtime:  {runtime.directory} ({runtime.version}{complete})")
        if runtime.python is None:
            out.append("python:   none found (run `sshsetup setup --python PATH`)")
        else:
            missing = "" if runtime.python_present else " (missing: run `sshsetup setup`)"
            out.append(f"python:   {runtime.python}{missing}")
        for other in state.other_blocks:
            serves = ", ".join(other.serves) or "no host (a block above it serves them all)"
            out.append(
                f"other:    a `{other.client}` block at lines {other.first_line}-"
                f"{other.last_line} serves {serves} (`sshsetup setup --migrate` takes it out)"
            )
        if block is not None and state.other_blocks:
            out.append(
                f"serves:   the sshsetup block serves {', '.join(block.serves) or 'no host'}"
            )
        out.extend(
            f"other:    line {entry.line}: {entry.text} also targets Baseten hosts"
            for entry in state.other_baseten_entries
        )
        out.extend(f"warning:  {finding}" for finding in state.findings)
        out.extend(f"note:     {note}" for note in state.notes)
        return "\n".join(out)


def _options_text(options: BlockOptions) -> str:
    flags = [
        keyword
        for keyword, on in (
            ("ForwardAgent", options.forward_agent),
            ("AddKeysToAgent", options.add_keys_to_agent),
            ("UseKeychain", options.use_keychain),
        )
        if on
    ]
    seconds = options.keepalive_seconds
    keepalives = f"keepalives every {seconds} s" if seconds else "no keepalives"
    return f"{', '.join(flags) or 'no ForwardAgent, AddKeysToAgent, UseKeychain'}; {keepalives}"


def _credential_text(source: KeySource) -> str:
    if source.source is None:
        return f"none for remote {source.remote!r} (`sshsetup login`)"
    text = f"{source.described}, from {source.source} ({source.location})"
    if source.expires_at is not None:
        text += f", valid until {format_time(int(source.expires_at))}"
    return text


def run(ctx: Context, request: Request) -> Outcome[StatusResult]:
    settings = load_settings(ctx.paths.settings_file)
    remote = settings.default_remote
    credential = api_key_source(
        remote, ctx.paths.credential_files, ctx.env, settings.api_key_in_keyring(remote)
    )
    return Outcome(StatusResult(read_install_state(ctx), credential))
