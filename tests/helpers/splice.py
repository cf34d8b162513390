"""A workspace for the splice property tests: a home, include files the generated configs
refer to, and the two candidate files ``ssh -G`` compares."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from helpers.homes import Home
from sshsetup.connect.settings import BlockOptions
from sshsetup.sshconfig.block import BlockSpec


@dataclass
class Workspace:
    home: Home
    include_dir: Path
    before: Path
    after: Path

    def spec(self, options: BlockOptions) -> BlockSpec:
        return self.home.spec(options)


@contextmanager
def splice_workspace() -> Iterator[Workspace]:
    root = Path(tempfile.mkdtemp(prefix="sshsetup-props-"))
    try:
        include_dir = root / "includes"
        include_dir.mkdir()
        (include_dir / "global-1.conf").write_text("User includeduser\nServerAliveCountMax 7\n")
        (include_dir / "section-1.conf").write_text("Port 2022\nUser includedsection\n")
        yield Workspace(Home(root / "home"), include_dir, root / "before", root / "after")
    finally:
        shutil.rmtree(root)
