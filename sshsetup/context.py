"""One Context per run, passed to every command: where files are, the environment, the OS,
the prompter, the OpenSSH client, standard input, the prose channel, and how the process is
handed over to another program (`sshsetup ssh`). Tests build their own.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO

from sshsetup.handover import HandOver, hand_over
from sshsetup.output import say
from sshsetup.paths import Paths
from sshsetup.prompts import Prompter

if TYPE_CHECKING:  # imported when first used: most commands need neither
    from sshsetup.openssh import OpenSSH
    from sshsetup.platforms import Platform


@dataclass
class Context:
    env: Mapping[str, str]
    paths: Paths
    prompter: Prompter
    stdin: BinaryIO
    say: Callable[[str], None] = say
    hand_over: HandOver = hand_over  # replaces this process (tests record instead)
    _platform: Platform | None = field(default=None, repr=False)
    _openssh: OpenSSH | None = field(default=None, repr=False)
    _openssh_found: bool = field(default=False, repr=False)

    @classmethod
    def from_environment(
        cls, env: Mapping[str, str], ssh_config: Path | None = None, assume_yes: bool = False
    ) -> Context:
        return cls(
            env=env,
            paths=Paths.from_environment(env, ssh_config),
            prompter=Prompter.for_terminal(assume_yes),
            stdin=sys.stdin.buffer,
        )

    @property
    def platform(self) -> Platform:
        if self._platform is None:
            from sshsetup.platforms import current_platform

            self._platform = current_platform(self.env)
        return self._platform

    @property
    def openssh(self) -> OpenSSH | None:
        """The ssh client on PATH (``SSHSETUP_SSH`` overrides), None if there is none."""
        if not self._openssh_found:
            from sshsetup.openssh import find_openssh

            self._openssh, self._openssh_found = find_openssh(self.env), True
        return self._openssh

    @property
    def windows(self) -> bool:
        """Whether paths and commands take Windows' form (the block, the runtime)."""
        return (
            sys.platform == "win32" if self._platform is None else self.platform.name == "windows"
        )
