"""The ffnet command line: thin commands over the library, and the one error boundary.

Library errors (FfnetError) become one `error: ...` line on stderr and the contract's
exit code; data goes to stdout, everything meant for people to stderr. The commands live in
cli_train.py, cli_model.py and cli_check.py, on the app of cli_common.py.
"""

import os
import signal
import sys

import typer

from . import cli_check, cli_config, cli_model, cli_run, cli_train  # noqa: F401  (they register their commands on the app)
from .cli_common import StdoutClosed, app
from .cli_train import EXIT_INTERRUPTED
from .errors import FfnetError


class _Interrupted(BaseException):
    """Ctrl-C outside training: not a KeyboardInterrupt, so the CLI framework passes it on to main."""


def _interrupt(signum, frame):
    raise _Interrupted()


def main(argv=None) -> None:
    """Entry point: run the app and turn every error into one line and an exit code."""
    args = list(sys.argv[1:] if argv is None else argv)
    debug = "--debug" in args
    if debug:
        args.remove("--debug")
    caller_handler = signal.signal(signal.SIGINT, _interrupt)
    try:
        # Not standalone: usage errors come back as exceptions, to be shown as one line below.
        code = app(args=args, prog_name="ffnet", standalone_mode=False)
        code = code if isinstance(code, int) else 0  # typer.Exit(n) returns n
    except SystemExit as exc:
        code = exc.code
    except FfnetError as exc:
        if debug:
            raise
        _error(str(exc))
        code = exc.exit_code
    except typer.TyperException as exc:  # unknown option, missing argument, a bad option value
        code = _usage_error(exc)
    except _Interrupted:
        print("interrupted", file=sys.stderr)
        code = EXIT_INTERRUPTED
    except (StdoutClosed, BrokenPipeError):
        code = 0  # the reader went away (`ffnet predict ... | head`): stop quietly
    except MemoryError:
        if debug:
            raise
        _error("out of memory: the data or the network is too large for this machine")
        code = 2
    except Exception as exc:  # a bug: still one line, with the way to the traceback
        if debug:
            raise
        _error(f"internal error ({type(exc).__name__}: {exc}); please report it with the output of "
               "the same command run with --debug")
        code = 1
    if _stdout_is_broken():
        # The reader went away (`... | head`): stop quietly, and point stdout at devnull so that
        # Python's own flush at exit does not complain.
        code = 0
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    # Everything is saved: a late Ctrl-C must not kill the exiting interpreter (Python restores the
    # default SIGINT action while it shuts down, which would turn exit 130 into death by signal).
    signal.signal(signal.SIGINT, signal.SIG_IGN if argv is None else caller_handler)
    sys.exit(code)


def _error(message: str) -> None:
    """The one `error:` line; a message with line breaks (from a parser, say) is kept to one line."""
    print("error: " + " ".join(message.split("\n")), file=sys.stderr, flush=True)


def _usage_error(exc) -> int:
    ctx = getattr(exc, "ctx", None)
    if type(exc).__name__ == "NoArgsIsHelpError":  # plain `ffnet`: the help, as click shows it
        print(exc.format_message(), file=sys.stderr)
        return 2
    hint = f" (see '{ctx.command_path} --help')" if ctx is not None else ""
    _error(exc.format_message().rstrip(".") + hint)
    return getattr(exc, "exit_code", 2)


def _stdout_is_broken() -> bool:
    try:
        sys.stdout.flush()
        return False
    except (BrokenPipeError, ValueError):
        return True
