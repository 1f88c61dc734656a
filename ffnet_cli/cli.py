"""The ffnet command line: thin commands over the library, and the one error boundary.

Library errors (FfnetError) become one `error: ...` line on stderr and the contract's
exit code; data goes to stdout, everything meant for people to stderr. The commands live in
cli_train.py, cli_model.py and cli_check.py, on the app of cli_common.py.
"""

import signal
import sys

import typer

from . import cli_check, cli_config, cli_model, cli_run, cli_train  # noqa: F401  (they register their commands on the app)
from . import interrupts
from .cli_common import (ForgivingStderr, StdoutClosed, WatchedStdout, app, discard_stdout, stdout_failure,
                         why_not_written)
from .errors import FfnetError


def main(argv=None) -> None:
    """Entry point: run the app and turn every error into one line and an exit code.

    Run as the `ffnet` command (argv None), the stop signals' handlers are already in place (entry.py);
    called with argv (tests), it installs them for the call and gives the caller's back.
    """
    args = list(sys.argv[1:] if argv is None else argv)
    debug = "--debug" in args
    if debug:
        args.remove("--debug")
    caller_handlers = None
    if argv is not None or not interrupts.installed():
        caller_handlers = interrupts.install()
    if argv is None:
        sys.stdout, sys.stderr = WatchedStdout(sys.stdout), ForgivingStderr(sys.stderr)
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
    except interrupts.Interrupted as exc:
        print("interrupted", file=sys.stderr)
        code = exc.exit_code
    except (StdoutClosed, BrokenPipeError):
        code = 0  # the reader went away (`ffnet predict ... | head`): stop quietly
    except MemoryError:
        if debug:
            raise
        _error("out of memory: the data or the network is too large for this machine")
        code = 2
    except Exception as exc:
        stop = interrupts.behind(exc)  # a signal's Interrupted that Python wrapped
        if stop is not None:
            print("interrupted", file=sys.stderr)
            code = stop.exit_code
        elif isinstance(exc, OSError) and stdout_failure() is not None:
            code = 0  # writing to stdout failed (`--help > /dev/full`): said below
        elif debug:
            raise
        else:  # a bug: still one line, with the way to the traceback
            _error(f"internal error ({type(exc).__name__}: {exc}); please report it with the output of "
                   "the same command run with --debug")
            code = 1
    if code == 0 and interrupts.exit_code() is not None:  # a signal whose Interrupted a library swallowed
        print("interrupted", file=sys.stderr)
        code = interrupts.exit_code()
    failure = stdout_failure()
    if failure is not None:
        gone = isinstance(failure, BrokenPipeError)  # the reader went away (`... | head`): quietly
        if not gone:  # closed (`>&-`) or full (`> /dev/full`): the output is lost, say so
            _error(f"cannot write to stdout: {why_not_written(failure)}")
        if code not in interrupts.EXIT_CODES.values():
            code = 0 if gone else 2
        discard_stdout()
    if caller_handlers is None:
        # Everything is saved: a late signal must not kill the exiting interpreter (Python restores
        # the default SIGINT action while it shuts down, which would turn exit 130 into death by signal).
        for sig in interrupts.EXIT_CODES:
            signal.signal(sig, signal.SIG_IGN)
    else:
        interrupts.restore(caller_handlers)
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
