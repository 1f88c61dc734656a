"""What every command shares: the Typer app, the options declared once, and writing to stdout."""

import copy
import inspect
import json
import re
import sys
from contextlib import contextmanager
from typing import Annotated, List, Optional

import typer
from typer._click.exceptions import NoSuchOption
from typer.core import TyperArgument, TyperCommand, TyperGroup, TyperOption

from . import __version__

PANELS = {  # command -> the panel that `ffnet --help` lists it in
    **dict.fromkeys(("init", "config", "schema"), "Write and check configs"),
    **dict.fromkeys(("train", "gradcheck", "sanity", "explain"), "Train and check"),
    **dict.fromkeys(("eval", "predict", "info", "plot"), "Use a trained model"),
}
PLACEHOLDERS = {"int": "N", "int range": "N", "float": "X", "float range": "X"}  # else the option's name,
NAMED = {"data": "FILE", "out": "DIR"}  # or this
DEBUG_HELP = "Show a Python traceback instead of the one-line error (accepted anywhere on the line)."


_MARKUP = re.compile(r"(\\*)(\[[a-z#/@][^[]*?])")  # what rich would read as a style tag, as in rich.markup


def escape(text: str) -> str:
    """Help text shown as written, never as rich markup (without importing rich at start-up)."""
    return _MARKUP.sub(lambda m: f"{m[1]}{m[1]}\\{m[2]}", text)


def reflow(text: str) -> str:
    """Help prose as rich shows it: paragraphs joined into lines that wrap at the terminal's width,
    while a paragraph whose lines after the first are indented (examples) keeps its lines."""
    paragraphs = inspect.cleandoc(text or "").split("\n\n")
    kept = [p if re.search(r"\n\s", p) else " ".join(p.split("\n")) for p in paragraphs]
    return escape("\n\n".join(kept))


class Command(TyperCommand):
    """Every ffnet command: `-h`, `--debug` listed, placeholders that read (CONFIG, N, not
    `{config}` or `<int range>`), and an unknown option that names a config key suggests --set."""

    def __init__(self, name, **kwargs):
        kwargs["help"] = reflow(kwargs.get("help"))
        kwargs["rich_help_panel"] = kwargs.get("rich_help_panel") or PANELS.get(name)
        super().__init__(name, **kwargs)
        for param in self.params:
            param.help = param.help and escape(" ".join(param.help.split()))
            if isinstance(param, TyperArgument):
                param.metavar = param.metavar or param.name.upper()
                param.type = copy.copy(param.type)  # shown by its metavar alone, not as `<str>`
                param.type.get_metavar = lambda param, ctx: ""
            elif isinstance(param, TyperOption) and not param.is_flag and param.metavar is None:
                param.metavar = PLACEHOLDERS.get(param.type.name) or NAMED.get(param.name, param.name.upper())
        self.params.append(TyperOption(param_decls=["--debug"], is_flag=True, expose_value=False, help=DEBUG_HELP))

    def collect_usage_pieces(self, ctx):
        return [re.sub(r"^\{(.*)\}$", r"\1", piece) for piece in super().collect_usage_pieces(ctx)]

    def parse_args(self, ctx, args):
        given = list(args)  # the parser consumes args
        try:
            return super().parse_args(ctx, args)
        except NoSuchOption as exc:
            if any(param.name == "set_" for param in self.params):
                hint = set_hint(exc.option_name, given)
                if hint:
                    exc.message += f"; a config key is set with {hint}"
                    exc.possibilities = None
            raise


def set_hint(option: str, args) -> str | None:
    """`--set train.epochs=10` for `--epochs 10`: the --set that an unknown option probably meant."""
    from .config import keys_named

    name, _, value = option.lstrip("-").partition("=")
    for i, arg in enumerate(args):
        if arg == option and i + 1 < len(args) and not re.match(r"--?[A-Za-z]", args[i + 1]):
            value = args[i + 1]
        elif arg.startswith(option + "="):
            value = arg.split("=", 1)[1]
    paths = keys_named(name)
    return " or ".join(f"--set {path}={value or 'VALUE'}" for path in paths) if paths else None


class Group(TyperGroup):
    def __init__(self, **kwargs):
        kwargs["help"] = reflow(kwargs.get("help"))
        super().__init__(**kwargs)


class App(typer.Typer):
    def command(self, name=None, *, cls=None, **kwargs):
        return super().command(name, cls=cls or Command, **kwargs)


app = App(cls=Group, add_completion=False, no_args_is_help=True, pretty_exceptions_enable=False,
          rich_markup_mode="rich", context_settings={"help_option_names": ["-h", "--help"]})


def _version(value: bool):
    if value:
        print(f"ffnet {__version__}")
        raise typer.Exit()


@app.callback()
def _root(version: bool = typer.Option(False, "--version", callback=_version, is_eager=True,
                                        help="Print the version and exit."),
          debug: bool = typer.Option(False, "--debug", help=DEBUG_HELP)):
    """Train feedforward networks from a YAML config, with backprop written by hand in numpy.

    Start with `ffnet init > my.yaml`, edit the data path, then `ffnet train my.yaml`. Every command
    has -h with an example; the config keys are in `ffnet schema` and in the README's "Config
    reference".

    Example:
      ffnet init classification --out iris.yaml
      ffnet train iris.yaml --set train.epochs=50
      ffnet predict runs/iris/model.json --data new.csv
    """


ConfigArg = Annotated[str, typer.Argument(help="YAML config file.", metavar="CONFIG", show_default=False)]
ModelArg = Annotated[str, typer.Argument(help="A model.json written by ffnet train.", metavar="MODEL",
                                         show_default=False)]
SetOpt = Annotated[List[str], typer.Option("--set", metavar="KEY=VALUE", show_default=False,
                                           help="Override a config value by dotted path; VALUE is YAML. Repeatable.")]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print the result as one JSON object on stdout.")]
DataOpt = Annotated[Optional[str], typer.Option("--data", metavar="FILE",
                                                help="CSV or .npz data file; '-' reads CSV from stdin.")]


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
