"""What every command shares: the Typer app, the options declared once, and writing to stdout."""

import json
import sys
from contextlib import contextmanager
from typing import Annotated, List, Optional

import typer

from . import __version__

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
    try:
        yield
        sys.stdout.flush()
    except BrokenPipeError:
        raise StdoutClosed() from None


def print_json(obj) -> None:
    from .modelfile import finite_or_null

    with writing_stdout():
        sys.stdout.write(json.dumps(finite_or_null(obj), allow_nan=False) + "\n")


def stderr_console():
    from .report import stderr_console
    return stderr_console()


def stdout_console():
    from rich.console import Console
    return Console(highlight=False)
