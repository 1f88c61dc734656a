"""The `ffnet` command's first lines: stop signals and standard streams, before any heavy import.

Importing the CLI (typer, rich, numpy) takes a while; a Ctrl-C or SIGTERM in that time must end
the command with its exit code, not a traceback. Only the command itself installs these handlers:
importing ffnet_cli.cli (tests do) changes nothing process-wide.
"""

import os
import sys

from . import interrupts


def main() -> None:
    interrupts.install()
    sys.unraisablehook = _unraisable
    try:
        _stand_in_for_closed_std_streams()
        from .cli import main as run
        run()
    except SystemExit:
        raise  # the CLI's own exit, a signal's included: it has said what there was to say
    except BaseException as exc:  # before (or after) the CLI's own error boundary
        stop = interrupts.behind(exc)
        if stop is None:
            raise
        _quit(stop.exit_code)


def _unraisable(unraisable, default=sys.unraisablehook) -> None:
    """A signal's Interrupted raised inside a finalizer cannot propagate; Python would print it as
    "Exception ignored". The signal is noted all the same, and acted on at the next checkpoint
    (training's start, the command's end)."""
    if interrupts.behind(unraisable.exc_value) is None:
        default(unraisable)


def _quit(code: int) -> None:
    """End at once with the signal's exit code (files are never half written: writes defer signals)."""
    import signal
    for sig in interrupts.EXIT_CODES:  # a second signal changes nothing now
        signal.signal(sig, signal.SIG_IGN)
    interrupts.say("interrupted\n")
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError, AttributeError):
            pass
    os._exit(code)  # not Python's shutdown, which would flush a broken stdout once more


def _stand_in_for_closed_std_streams() -> None:
    """Put /dev/null on a closed stdin, stdout or stderr (`<&-`, `>&-`, `2>&-`) so that no file ffnet
    opens gets its number (a C library's message to fd 2 would land in model.json).

    stdout's stand-in is opened read-only: writing to it fails with EBADF as a closed stdout would,
    and the CLI says so (exit 2). Reading the closed stdin is an error naming it; a closed stderr
    just discards what would be said.
    """
    for fd, mode in ((0, os.O_WRONLY), (1, os.O_RDONLY), (2, os.O_WRONLY)):
        try:
            os.fstat(fd)
            continue
        except OSError:
            pass
        null = os.open(os.devnull, mode)
        if null != fd:
            os.dup2(null, fd)
            os.close(null)
        if fd == 0:
            sys.stdin = _ClosedStdin()
        else:
            setattr(sys, ("stdout", "stderr")[fd - 1], open(fd, "w", encoding="utf-8", closefd=False))


class _ClosedStdin:
    """sys.stdin when the caller closed it: reading data from it is an error that says so."""

    def _closed(self, *args):
        from .errors import DataError
        raise DataError("stdin is closed; pipe a CSV file into it or pass --data FILE", file="<stdin>")

    isatty = read = readline = fileno = __iter__ = _closed
    buffer = property(_closed)
