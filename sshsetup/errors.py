"""The one error type the user sees: what went wrong, where, and a hint of what to do.

Each subclass *is* an exit code (``exit_code_name`` names an ``ExitCode`` member), so every
raise says which code the process ends with. No imports at module level: the connect path
(Match hook, ProxyCommand) defines its errors on these classes and must not pay for
``enum`` on every ssh run; ``exit_code`` imports the enum only when an error is reported.
Messages and hints never contain a secret.
"""

from __future__ import annotations

TYPE_CHECKING = False  # typing costs ~8 ms of imports on the connect path; mypy reads this
if TYPE_CHECKING:
    from sshsetup.exit_codes import ExitCode


class SshsetupError(Exception):
    """An error of the user's input, machine or network: never a bug, never a traceback."""

    exit_code_name = "INTERNAL"

    def __init__(self, message: str, hint: str) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    @property
    def exit_code(self) -> ExitCode:
        from sshsetup.exit_codes import ExitCode

        return ExitCode[self.exit_code_name]

    def render(self) -> str:
        text = f"error: {self.message}"
        if self.hint:
            text += f"\n  hint: {self.hint}"
        return text


class UsageError(SshsetupError):
    """Arguments that contradict each other (what click cannot see)."""

    exit_code_name = "USAGE"


class BadInput(SshsetupError):
    """A file or argument sshsetup cannot use as it is."""

    exit_code_name = "BAD_INPUT"


class ConfigNotWritable(BadInput):
    """The ssh config cannot be written (read-only, immutable, a link into a read-only store):
    everything else is in place, and the block to paste comes with the message."""

    def __init__(self, message: str, hint: str, block: str) -> None:
        super().__init__(message, hint)
        self.block = block

    def render(self) -> str:
        return super().render() + "\n" + self.block


class SshRejected(SshsetupError):
    """OpenSSH rejects the config."""

    exit_code_name = "SSH_REJECTED"


class ConsentNeeded(SshsetupError):
    """A change that needs the user's consent, which a non-interactive run did not give."""

    exit_code_name = "CONFLICT"


class NotLoggedIn(SshsetupError):
    """No credential for the remote."""

    exit_code_name = "NOT_LOGGED_IN"


class ApiError(SshsetupError):
    """The Baseten API answered with an error or with something unusable."""

    exit_code_name = "API_ERROR"


class NetworkError(SshsetupError):
    """The API or the proxy could not be reached."""

    exit_code_name = "NETWORK"


class Locked(SshsetupError):
    """Another sshsetup run held a lock too long."""

    exit_code_name = "LOCKED"


class ChecksFailed(SshsetupError):
    """A check a command depends on failed (e.g. `agent add` with no agent)."""

    exit_code_name = "CHECK_FAIL"


class InternalError(SshsetupError):
    """A state sshsetup itself should never produce (reported as a bug, without traceback)."""

    exit_code_name = "INTERNAL"
