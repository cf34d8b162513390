"""Questions (yes/no, one of several): asked on a terminal, answered by their default
everywhere else."""

from __future__ import annotations

import sys
from collections.abc import Sequence
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

    def choose(self, question: str, options: Sequence[str], default: int) -> int:
        """The index of the option picked (by its number; Enter takes ``default``)."""
        if not self.interactive:
            return default
        for number, option in enumerate(options, start=1):
            marker = " (default)" if number - 1 == default else ""
            print(f"  {number}. {option}{marker}", file=sys.stderr)
        while True:
            print(f"{question} [1-{len(options)}] ", end="", file=sys.stderr, flush=True)
            answer = sys.stdin.readline()
            if not answer or not answer.strip():
                return default
            if answer.strip().isdigit() and 1 <= int(answer) <= len(options):
                return int(answer) - 1
