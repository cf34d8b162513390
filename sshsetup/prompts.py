"""Yes/no questions: asked on a terminal, answered by their default everywhere else."""

from __future__ import annotations

import sys
from dataclasses import dataclass


@dataclass(frozen=True)
class Prompter:
    interactive: bool

    @classmethod
    def for_terminal(cls, assume_yes: bool) -> Prompter:
        return cls(interactive=not assume_yes and sys.stdin.isatty() and sys.stderr.isatty())

    def confirm(self, question: str, default: bool) -> bool:
        if not self.interactive:
            return default
        choices = "[Y/n]" if default else "[y/N]"
        while True:
            print(f"{question} {choices} ", end="", file=sys.stderr, flush=True)
            answer = sys.stdin.readline()
            if not answer:
                return default
            answer = answer.strip().lower()
            if not answer:
                return default
            if answer in ("y", "yes"):
                return True
            if answer in ("n", "no"):
                return False
