"""Every ssh_config keyword sshsetup reasons about, in one table
(docs/ssh-config.md#precedence-the-first-value-wins).

Each keyword's role decides how the rest of the code treats it: ``Host``/``Match`` open a
section, ``Include`` pulls in other files, only the first ``IgnoreUnknown`` counts, most
keywords keep the first value ssh obtains, ``IdentityFile``/``CertificateFile`` accumulate. The
flags say what the managed block sets, what can re-route a connection, and what ``doctor``
compares between ``ssh -G`` and the block. Nothing else spells these rules out.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum


class Role(Enum):
    SECTION = "section"  # starts a Host/Match section
    INCLUDE = "include"
    IGNORE_UNKNOWN = "ignore-unknown"  # only the first one ssh reads counts
    FIRST_WINS = "first-wins"
    ACCUMULATES = "accumulates"


@dataclass(frozen=True)
class Keyword:
    name: str  # spelled as the managed block writes it
    role: Role
    yes_no: bool = False  # ssh -G prints yes/true and no/false for the same setting
    in_block: bool = False  # the managed block can set it
    routing: bool = False  # decides where the connection goes (a line above the block wins)
    checked: bool = False  # doctor compares its effective value with the block's

    @property
    def key(self) -> str:
        """As ssh matches it, and as ``ssh -G`` prints it: lower case."""
        return self.name.lower()


HOST = Keyword("Host", Role.SECTION)
MATCH = Keyword("Match", Role.SECTION)
INCLUDE = Keyword("Include", Role.INCLUDE)
IGNORE_UNKNOWN = Keyword("IgnoreUnknown", Role.IGNORE_UNKNOWN)
USER = Keyword("User", Role.FIRST_WINS, in_block=True, checked=True)
IDENTITY_FILE = Keyword("IdentityFile", Role.ACCUMULATES, in_block=True, checked=True)
CERTIFICATE_FILE = Keyword("CertificateFile", Role.ACCUMULATES, in_block=True, checked=True)
PROXY_COMMAND = Keyword("ProxyCommand", Role.FIRST_WINS, in_block=True, checked=True)
FORWARD_AGENT = Keyword("ForwardAgent", Role.FIRST_WINS, yes_no=True, in_block=True, checked=True)
IDENTITIES_ONLY = Keyword(
    "IdentitiesOnly", Role.FIRST_WINS, yes_no=True, in_block=True, checked=True
)
ADD_KEYS_TO_AGENT = Keyword(
    "AddKeysToAgent", Role.FIRST_WINS, yes_no=True, in_block=True, checked=True
)
USE_KEYCHAIN = Keyword("UseKeychain", Role.FIRST_WINS, yes_no=True, in_block=True, checked=True)
STRICT_HOST_KEY_CHECKING = Keyword("StrictHostKeyChecking", Role.FIRST_WINS, in_block=True)
USER_KNOWN_HOSTS_FILE = Keyword("UserKnownHostsFile", Role.FIRST_WINS, in_block=True)
LOG_LEVEL = Keyword("LogLevel", Role.FIRST_WINS, in_block=True)
SERVER_ALIVE_INTERVAL = Keyword("ServerAliveInterval", Role.FIRST_WINS, in_block=True)
SERVER_ALIVE_COUNT_MAX = Keyword("ServerAliveCountMax", Role.FIRST_WINS, in_block=True)
HOST_NAME = Keyword("HostName", Role.FIRST_WINS, routing=True)
PROXY_JUMP = Keyword("ProxyJump", Role.FIRST_WINS, routing=True)
IDENTITY_AGENT = Keyword("IdentityAgent", Role.FIRST_WINS)

TABLE = (
    HOST,
    MATCH,
    INCLUDE,
    IGNORE_UNKNOWN,
    USER,
    IDENTITY_FILE,
    CERTIFICATE_FILE,
    PROXY_COMMAND,
    FORWARD_AGENT,
    IDENTITIES_ONLY,
    ADD_KEYS_TO_AGENT,
    USE_KEYCHAIN,
    STRICT_HOST_KEY_CHECKING,
    USER_KNOWN_HOSTS_FILE,
    LOG_LEVEL,
    SERVER_ALIVE_INTERVAL,
    SERVER_ALIVE_COUNT_MAX,
    HOST_NAME,
    PROXY_JUMP,
    IDENTITY_AGENT,
)
BY_KEY = {keyword.key: keyword for keyword in TABLE}

SECTION_KEYS = frozenset(k.key for k in TABLE if k.role is Role.SECTION)
# A line with one of these, above the block and applying to Baseten hosts, beats the block.
SHADOWING_KEYS = frozenset(
    k.key for k in TABLE if k.role is Role.FIRST_WINS and (k.in_block or k.routing)
)
CHECKED_KEYS = tuple(k.key for k in TABLE if k.checked)  # doctor's order
ACCUMULATING_KEYS = frozenset(k.key for k in TABLE if k.role is Role.ACCUMULATES)

_TRUE_WORDS = ("yes", "true")
_FALSE_WORDS = ("no", "false")


def is_section(key: str | None) -> bool:
    return key in SECTION_KEYS


def normalised_value(key: str, value: str) -> str:
    """A value as the block writes it: ``ssh -G`` prints true/false for some yes/no keywords."""
    keyword = BY_KEY.get(key)
    if keyword is None or not keyword.yes_no:
        return value
    lowered = value.lower()
    if lowered in _TRUE_WORDS:
        return "yes"
    if lowered in _FALSE_WORDS:
        return "no"
    return value


def is_false(value: str) -> bool:
    return value.lower() in _FALSE_WORDS
