"""What every command shares: the Typer app, the options declared once, and writing to stdout."""

import errno
import json
import os
import sys
from contextlib import contextmanager
from typing import Annotated, List, Optional

import typer

from . import __version__
from .errors import OutputError

app = typer.Typer(add_completion=False, no_args_is_help=True, pretty_exceptions_enable=False,
                  rich_markup_mode=None, help="Train feedforward networks from a YAML config, by hand in numpy.")


def _version(value: bool):
    if value:
        print(f"ffnet {__version__}")
        raise typer.Exit()


@app.callback()
def _root(version: bool = typer.Option(False, "--version", callback=_version, is_eager=True,
                                        help="Print the version and exit.")):
    """Train feedforward networks from a YAML config, by hand in numpy.

    Add --debug anywhere to see a Python traceback instead of a one-line error.
    """


ConfigArg = Annotated[str, typer.Argument(help="YAML config file.")]
ModelArg = Annotated[str, typer.Argument(help="A model.json written by ffnet train.")]
SetOpt = Annotated[List[str], typer.Option("--set", metavar="KEY=VALUE",
                                           help="Override a config value by dotted path; VALUE is YAML. Repeatable.")]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print the result as one JSON object on stdout.")]
DataOpt = Annotated[Optional[str], typer.Option("--data", help="CSV or .npz data file; '-' reads CSV from stdin.")]


class StdoutClosed(BaseException):
    """The reader of stdout went away (`ffnet predict ... | head`): end quietly.

    A BaseException, so that the CLI framework (which turns a broken pipe into exit 1) passes it on.
    """


@contextmanager
def writing_stdout():
    """Write to stdout in the block: a reader that went away ends the command quietly; a stdout that
    cannot take the output (`> /dev/full`) is an OutputError."""
    try:
        yield
        sys.stdout.flush()
    except BrokenPipeError:
        discard_stdout()
        raise StdoutClosed() from None
    except OSError as exc:
        discard_stdout()
        raise OutputError(f"cannot write to stdout: {why_not_written(exc)}") from None


def why_not_written(exc: OSError) -> str:
    return "it is closed" if exc.errno == errno.EBADF else exc.strerror or str(exc)


class WatchedStdout:
    """sys.stdout, remembering a write that failed: the CLI then says that stdout failed (closed,
    full), where it would otherwise see an OSError from deep inside a library (click's help, print)."""

    def __init__(self, stream):
        self.stream = stream
        self.failure = None

    def write(self, text):
        try:
            return self.stream.write(text)
        except OSError as exc:
            self.failure = exc
            raise

    def flush(self):
        try:
            self.stream.flush()
        except OSError as exc:
            self.failure = exc
            raise

    def __getattr__(self, name):
        return getattr(self.stream, name)


class ForgivingStderr:
    """sys.stderr for messages to people: when it cannot be written (a closed terminal after SIGHUP,
    `2> /dev/full`), the message is dropped and the command goes on, so that a run is still saved."""

    def __init__(self, stream):
        self.stream = stream

    def write(self, text):
        try:
            return self.stream.write(text)
        except OSError:
            return len(text)

    def flush(self):
        try:
            self.stream.flush()
        except OSError:
            pass

    def __getattr__(self, name):
        return getattr(self.stream, name)


def stdout_failure() -> OSError | None:
    """Why writing to stdout failed, not yet reported; None when all that was written went out."""
    try:
        sys.stdout.flush()
    except OSError as exc:
        return exc
    except ValueError:  # flushing a stream already closed
        return BrokenPipeError()
    return getattr(sys.stdout, "failure", None)


def discard_stdout() -> None:
    """Drop what is still buffered for stdout (its failure is reported), so that Python's flush at exit
    succeeds."""
    if isinstance(sys.stdout, WatchedStdout):
        sys.stdout.failure = None
    try:
        fd = sys.stdout.fileno()
    except (OSError, ValueError, AttributeError):  # not a real file (a test's capture): nothing to discard
        return
    null = os.open(os.devnull, os.O_WRONLY)
    os.dup2(null, fd)
    os.close(null)


def check_stdout() -> None:
    """Fail now, before any work, when stdout is closed (`>&-`) and the output would be lost."""
    try:
        fd = sys.stdout.fileno()
    except (OSError, ValueError, AttributeError):
        return
    with writing_stdout():
        os.write(fd, b"")  # writes nothing; a descriptor not open for writing fails


def print_json(obj) -> None:
    from .modelfile import finite_or_null

    with writing_stdout():
        sys.stdout.write(json.dumps(finite_or_null(obj), allow_nan=False) + "\n")


def stderr_console():
    from .report import stderr_console
    return stderr_console()


def stdout_console():
    """A rich console on stdout whose reader going away ends the command quietly (rich would exit 1)."""
    from rich.console import Console

    class StdoutConsole(Console):
        def on_broken_pipe(self) -> None:
            discard_stdout()
            raise StdoutClosed()

    return StdoutConsole(highlight=False)
