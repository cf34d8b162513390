"""What setup installs on this machine: the block's spec, and the connect path's connect.json."""

from __future__ import annotations

import json
import sys
from pathlib import Path, PurePath

from sshsetup.connect.atomic_write import write_atomic
from sshsetup.connect.installation import Installation
from sshsetup.connect.private_files import ensure_private_dir
from sshsetup.connect.settings import BlockOptions, Settings
from sshsetup.paths import Paths
from sshsetup.sshconfig.block import BlockSpec, render_block
from sshsetup.sshconfig.splice import InstalledConfig, StrippedConfig, install_block


def connect_scripts() -> tuple[Path, Path]:
    import sshsetup.connect

    directory = Path(sshsetup.connect.__file__).resolve().parent
    return directory / "hook.py", directory / "proxy.py"


def block_spec(paths: Paths, settings: Settings, options: BlockOptions, windows: bool) -> BlockSpec:
    hook, proxy = connect_scripts()
    return BlockSpec(
        python=PurePath(sys.executable),
        hook_script=hook,
        proxy_script=proxy,
        key_dir=paths.key_dir,
        key_file=settings.key_path(paths.key_file),
        cert_dir=paths.cert_dir,
        options=options,
        windows=windows,
    )


def config_with_block(stripped: StrippedConfig, spec: BlockSpec) -> InstalledConfig:
    return install_block(
        stripped,
        lambda ignore_unknown, notes: render_block(spec, ignore_unknown, notes),
        spec.options.use_keychain,
    )


def installation_for(paths: Paths, settings: Settings) -> Installation:
    return paths.installation(settings.key_path(paths.key_file), settings.refresh_margin_seconds)


def write_installation(paths: Paths, installation: Installation) -> Path:
    """Write ``<key_dir>/connect.json`` (0600), unless it already says the same."""
    ensure_private_dir(paths.key_dir)
    target = paths.installation_file
    data = (json.dumps(installation.to_json(), indent=2, sort_keys=True) + "\n").encode()
    try:
        unchanged = target.read_bytes() == data
    except OSError:
        unchanged = False
    if not unchanged:
        write_atomic(target, data, new_file_mode=0o600)
    return target
