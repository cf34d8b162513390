"""User-facing errors: what went wrong, where, and a hint of what to do."""

from __future__ import annotations

from sshsetup.exit_codes import ExitCode


class UserError(Exception):
    """An error caused by the user's input or environment, never a bug.

    The CLI prints ``message`` and ``hint`` without a traceback and exits with
    ``exit_code``. Messages must never contain secrets.
    """

    def __init__(self, message: str, hint: str = "", exit_code: ExitCode = ExitCode.BAD_INPUT):
        super().__init__(message)
        self.message = message
        self.hint = hint
        self.exit_code = exit_code

    def render(self) -> str:
        text = f"error: {self.message}"
        if self.hint:
            text += f"\n  hint: {self.hint}"
        return text
