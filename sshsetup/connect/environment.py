"""The environment variables sshsetup reads, and the one rule for the user's home directory.

Names of Baseten's own variables (``BASETEN_API_KEY``…) live in ``sshsetup.baseten``; these
are sshsetup's. Stdlib only: the connect path reads them too.
"""

from __future__ import annotations

import os
import sys

TYPE_CHECKING = False  # typing costs ~8 ms of imports on the connect path; mypy reads this
if TYPE_CHECKING:
    from collections.abc import Mapping

SETTINGS_DIR_ENV = "SSHSETUP_CONFIG_DIR"  # the tool's settings (not the ssh config)
STATE_DIR_ENV = "SSHSETUP_STATE_DIR"
KEY_DIR_ENV = "SSHSETUP_KEY_DIR"
SSH_CONFIG_ENV = "SSHSETUP_SSH_CONFIG"  # the ssh config to manage (default: the one ssh reads)
NO_FETCH_ENV = "SSHSETUP_NO_FETCH"  # set when sshsetup runs ssh itself: the hook only looks
API_TIMEOUT_ENV = "SSHSETUP_API_TIMEOUT"
CLIENT_VERSION_ENV = "SSHSETUP_CLIENT_VERSION"  # replaces X-Client-Version (support cases)
PROXY_INSECURE_ENV = "SSHSETUP_PROXY_INSECURE_SKIP_TLS_VERIFY"
SSH_EXECUTABLE_ENV = "SSHSETUP_SSH"
DEBUG_ENV = "SSHSETUP_DEBUG"
KEYRING_BACKEND_ENV = "PYTHON_KEYRING_BACKEND"  # keyring's own
AGENT_SOCKET_ENV = "SSH_AUTH_SOCK"
NO_COLOR_ENV = "NO_COLOR"


def home_directory(env: Mapping[str, str]) -> str:
    """The home sshsetup works in: on Windows the profile directory, which Win32-OpenSSH reads
    whatever HOME (Git Bash) says (docs/windows.md#config-file-locations); elsewhere HOME."""
    names = ("USERPROFILE", "HOME") if sys.platform == "win32" else ("HOME", "USERPROFILE")
    for name in names:
        value = env.get(name)
        if value:
            return value
    return os.path.expanduser("~")
