"""Stable process exit codes, documented in the README. Never renumber."""

from enum import IntEnum


class ExitCode(IntEnum):
    OK = 0
    INTERNAL = 1  # a bug: unexpected exception
    USAGE = 2  # bad command-line usage (typer/click's own code)
    BAD_INPUT = 3  # the user's files or arguments are unusable as they are
    SSH_REJECTED = 4  # OpenSSH rejects the config (ours or, before our change, the user's)
    CONFLICT = 5  # another tool's block or a prompt that needs consent
    NOT_LOGGED_IN = 6  # no API key available
    API_ERROR = 7  # the Baseten API answered with an error
    NETWORK = 8  # the API or proxy could not be reached (DNS, timeout, TLS)
    LOCKED = 9  # another sshsetup run holds the lock too long
    CHECK_WARN = 10  # doctor / agent check: warnings, no failures
    CHECK_FAIL = 11  # doctor / agent check: at least one failure
