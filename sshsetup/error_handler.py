"""Turns exceptions into one clear message and a stable exit code.

Never a traceback for user errors.
"""

from __future__ import annotations

import contextlib
import os
import sys
import traceback
from collections.abc import Iterator

from sshsetup.errors import UserError
from sshsetup.exit_codes import ExitCode


@contextlib.contextmanager
def error_handler() -> Iterator[None]:
    try:
        yield
    except UserError as exc:
        print(exc.render(), file=sys.stderr)
        raise SystemExit(int(exc.exit_code)) from None
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        raise SystemExit(130) from None
    except BrokenPipeError:
        # stdout closed early (e.g. piped into `head`): nothing left to say.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        raise SystemExit(int(ExitCode.INTERNAL)) from None
    except Exception as exc:  # a bug: say so, with the details needed to report it
        print(f"internal error: {type(exc).__name__}: {exc}", file=sys.stderr)
        if os.environ.get("SSHSETUP_DEBUG"):
            traceback.print_exc()
        else:
            print(
                "  hint: re-run with SSHSETUP_DEBUG=1 for the traceback and report it",
                file=sys.stderr,
            )
        raise SystemExit(int(ExitCode.INTERNAL)) from None
