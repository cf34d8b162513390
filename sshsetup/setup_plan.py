"""What setup installs on this machine: the block's spec, and the connect path's connect.json."""

from __future__ import annotations

import json
from pathlib import Path, PurePath

from sshsetup.connect import jsonfile
from sshsetup.connect.atomic_write import write_atomic
from sshsetup.connect.installation import Installation
from sshsetup.connect.private_files import ensure_private_dir
from sshsetup.connect.settings import BlockOptions, Settings
from sshsetup.context import Context
from sshsetup.interpreter import Interpreter
from sshsetup.paths import Paths
from sshsetup.runtime import Runtime
from sshsetup.sshconfig.block import WINDOWS_CMD, BlockSpec, render_block, windows_exec_safe
from sshsetup.sshconfig.splice import InstalledConfig, StrippedConfig, install_block


def block_spec(
    ctx: Context, settings: Settings, options: BlockOptions, interpreter: Interpreter
) -> BlockSpec:
    """The block for ``interpreter`` and the runtime in ``ctx.paths``: on Windows, paths the
    exec line cannot carry are given by their 8.3 short names
    (docs/windows.md#homes-with-spaces-and-83-short-names)."""
    paths = ctx.paths
    runtime = Runtime(paths.runtime_dir)
    python, hook, proxy = interpreter.path, runtime.hook, runtime.proxy
    shell = None
    if ctx.windows:  # the platform is built only here: elsewhere it costs imports for nothing
        platform = ctx.platform
        shell = platform.command_shell
        python, hook, proxy = (
            platform.short_path(path, needs_short_name) for path in (python, hook, proxy)
        )
    return BlockSpec(
        python=python,
        hook_script=hook,
        proxy_script=proxy,
        key_file=settings.key_path(paths.key_file),
        cert_dir=paths.cert_dir,
        options=options,
        windows=shell is not None,
        cmd=shell or WINDOWS_CMD,
    )


def needs_short_name(component: str) -> bool:
    """A path component the Windows exec line cannot carry as it is."""
    return not windows_exec_safe(PurePath(component))


def config_with_block(stripped: StrippedConfig, spec: BlockSpec) -> InstalledConfig:
    return install_block(
        stripped,
        lambda ignore_unknown, notes: render_block(spec, ignore_unknown, notes),
        spec.options.use_keychain,
    )


def installation_for(
    paths: Paths,
    settings: Settings,
    python: Path | None = None,
    keyring_site: Path | None = None,
) -> Installation:
    return paths.installation(
        settings.key_path(paths.key_file), settings.refresh_margin_seconds, python, keyring_site
    )


def recorded_python(paths: Paths) -> Path | None:
    """The interpreter setup last wrote the block with (connect.json's ``python``)."""
    try:
        data = jsonfile.read_object(str(paths.installation_file))
    except (OSError, ValueError):
        return None
    python = data.get("python") if data else None
    return Path(python) if isinstance(python, str) else None


def write_installation(paths: Paths, installation: Installation) -> bool:
    """Write ``<key_dir>/connect.json`` (0600), unless it already says the same; whether it
    was written."""
    ensure_private_dir(paths.key_dir)
    target = paths.installation_file
    data = (json.dumps(installation.to_json(), indent=2, sort_keys=True) + "\n").encode()
    try:
        unchanged = target.read_bytes() == data
    except OSError:
        unchanged = False
    if not unchanged:
        write_atomic(target, data, new_file_mode=0o600)
    return not unchanged
