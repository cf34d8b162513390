"""Process exit codes: stable, documented in the README's table; never renumber."""

from enum import IntEnum, unique


@unique
class ExitCode(IntEnum):
    OK = 0
    INTERNAL = 1  # a bug: an unexpected exception
    USAGE = 2  # bad command-line usage (also click's own code)
    BAD_INPUT = 3  # a file or argument sshsetup cannot use as it is
    SSH_REJECTED = 4  # OpenSSH rejects the config (ours or, before our change, the user's)
    CONFLICT = 5  # a change that needs the user's consent, refused without it
    NOT_LOGGED_IN = 6  # no credential for the remote
    API_ERROR = 7  # the Baseten API answered with an error (or an unusable answer)
    NETWORK = 8  # the API or the proxy could not be reached (DNS, TCP, TLS, timeout)
    LOCKED = 9  # another sshsetup run held a lock too long
    CHECK_WARN = 10  # checks (doctor, agent check): warnings, no failure
    CHECK_FAIL = 11  # checks: at least one failure
