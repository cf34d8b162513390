"""Making a file or directory unwritable for the user running the suite, as a read-only
store or an immutable file is. Root writes anything a mode forbids, so as root the immutable
attribute is used (``chattr +i``); anyone else gets the write bits taken away. (A read-only
bind mount, which needs a private mount namespace, is in tests/e2e/test_unwritable_config.py.)
"""

from __future__ import annotations

import os
import stat
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


@contextmanager
def unwritable(*paths: Path) -> Iterator[str]:
    """``paths`` unwritable while the block runs; yields how (``immutable`` or ``read-only``)."""
    if os.geteuid() == 0:
        subprocess.run(["chattr", "+i", *map(str, paths)], check=True, capture_output=True)
        try:
            yield "immutable"
        finally:
            subprocess.run(["chattr", "-i", *map(str, paths)], check=True, capture_output=True)
        return
    modes = {path: stat.S_IMODE(path.stat().st_mode) for path in paths}
    for path, mode in modes.items():
        path.chmod(mode & ~0o222)
    try:
        yield "read-only"
    finally:
        for path, mode in modes.items():
            path.chmod(mode)
