"""The ffnet command line: thin commands over the library, and the one error boundary.

Library errors (FfnetError) become one `error: ...` line on stderr and the contract's
exit code; data goes to stdout, everything meant for people to stderr.
"""

import json
import os
import shutil
import signal
import sys
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import List, Optional

import typer

from . import __version__
from .errors import DivergedError, FfnetError, OutputError

app = typer.Typer(add_completion=False, no_args_is_help=True, pretty_exceptions_enable=False,
                  rich_markup_mode=None, help="Train feedforward networks from a YAML config, by hand in numpy.")

EXIT_INTERRUPTED = 130
MIN_FREE_BYTES = 1 << 16  # less free space than this: the output disk is full


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


class _StdoutClosed(BaseException):
    """The reader of stdout went away (`ffnet predict ... | head`): end quietly.

    A BaseException, so that the CLI framework (which turns a broken pipe into exit 1) passes it on.
    """


@contextmanager
def _writing_stdout():
    try:
        yield
        sys.stdout.flush()
    except BrokenPipeError:
        raise _StdoutClosed() from None


def _print_json(obj) -> None:
    from .modelfile import finite_or_null

    with _writing_stdout():
        sys.stdout.write(json.dumps(finite_or_null(obj), allow_nan=False) + "\n")


def _output_dir(out: Optional[str], cfg) -> tuple[str, bool]:
    """(folder, is_default): --out, else output.dir from the config, else runs/<config stem>.

    Checked writable now, before any training, by writing a scratch file in the folder or its
    nearest existing parent (os.access says yes to root even on a read-only disk); created only
    when there is something to write: a run that fails leaves no empty folders behind.
    """
    folder = out or cfg.output_dir or os.path.join("runs", Path(cfg.path).stem)
    if "\0" in folder:
        raise OutputError("invalid folder name", file=repr(folder))
    for name in ("model.json", "metrics.json"):
        if os.path.isdir(os.path.join(folder, name)):
            raise OutputError(f"{name} in the output folder is a folder, not a file", file=folder)
    existing = os.path.abspath(folder)
    while not os.path.lexists(existing) and os.path.dirname(existing) != existing:
        existing = os.path.dirname(existing)
    if not os.path.isdir(existing):
        raise OutputError(f"cannot create the output folder: {existing} is a file", file=folder)
    try:
        with tempfile.TemporaryFile(dir=existing):
            pass
        full = shutil.disk_usage(existing).free < MIN_FREE_BYTES
    except OSError as exc:
        raise OutputError(f"the output folder is not writable: {exc.strerror}", file=folder) from None
    if full:
        raise OutputError(f"the disk holding {existing} is full", file=folder)
    return folder, not out and not cfg.output_dir


def _move_previous_run(folder: str) -> str | None:
    """Move an earlier run's model.json and metrics.json into folder/previous-N (N = 1, 2, ...) by
    renames; return where they went, or None when there was no earlier model."""
    if not os.path.isfile(os.path.join(folder, "model.json")):
        return None
    n = 1
    while True:
        target = os.path.join(folder, f"previous-{n}")
        try:
            os.mkdir(target)  # fails if it exists: an earlier previous-N is never overwritten
            break
        except FileExistsError:
            n += 1
        except OSError as exc:
            raise OutputError(f"cannot keep the earlier run: {exc.strerror}", file=target) from None
    try:
        for name in ("model.json", "metrics.json"):
            if os.path.exists(os.path.join(folder, name)):
                os.rename(os.path.join(folder, name), os.path.join(target, name))
    except OSError as exc:
        raise OutputError(f"cannot move the earlier run aside: {exc.strerror}", file=target) from None
    return target


def _make_dir(folder: str) -> None:
    try:
        os.makedirs(folder, exist_ok=True)
    except OSError as exc:
        raise OutputError(f"cannot create the output folder: {exc.strerror}", file=folder) from None


class _StopFlag:
    """Ctrl-C asks training to stop at the next batch boundary; a second one is only noted."""

    def __init__(self):
        self.requested = False

    def __call__(self, signum=None, frame=None):
        if self.requested:
            print("still saving; please wait", file=sys.stderr, flush=True)
        self.requested = True

    def is_set(self) -> bool:
        return self.requested


@app.command()
def train(
    config: str = typer.Argument(..., help="YAML config file."),
    set_: List[str] = typer.Option([], "--set", metavar="KEY=VALUE",
                                   help="Override a config value by dotted path; VALUE is YAML. Repeatable."),
    out: Optional[str] = typer.Option(None, "--out", help="Output folder (default: output.dir, else runs/<config stem>)."),
    init: Optional[str] = typer.Option(None, "--init", metavar="MODEL", help="Start from this model's weights."),
    quiet: bool = typer.Option(False, "--quiet", help="Show no progress or tables."),
    json_: bool = typer.Option(False, "--json", help="Print the metrics.json object on stdout."),
    keep_diverged: bool = typer.Option(False, "--keep-diverged",
                                       help="If training diverges, write the last finite weights to "
                                            "DIR/model.last-finite.json (never model.json)."),
):
    """Train the network a config describes; write model.json and metrics.json.

    In the default folder runs/<config stem>, an earlier run's files are moved to previous-N/
    first. Ctrl-C stops at the next batch and saves the model so far (metrics.json says
    "interrupted": true; exit 130); `--init` of it continues.

    Example:  ffnet train configs/xor.yaml --set train.epochs=200 --out runs/xor
    """
    from .config import load_config
    from .modelfile import load_model, save_metrics, save_model
    from .train import train as run_training

    cfg = load_config(config, set_)
    init_model = load_model(init) if init else None
    folder, default_folder = _output_dir(out, cfg)
    console = None if quiet else _stderr_console()
    stop = _StopFlag()
    previous = signal.signal(signal.SIGINT, stop)
    try:
        if console is None:
            result = run_training(cfg, init=init_model, should_stop=stop.is_set)
        else:
            from .report import TrainingReport
            with TrainingReport(cfg.train.epochs, console, f"ffnet train {config}") as report:
                result = run_training(cfg, init=init_model, on_epoch=report.on_epoch, should_stop=stop.is_set)
        if result.diverged:
            _diverged(result, folder, keep_diverged, config)
        metrics = result.metrics()
        if result.interrupted:
            metrics["interrupted"] = True
        _make_dir(folder)
        moved = _move_previous_run(folder) if default_folder else None
        if moved:
            print(f"the earlier run in {folder} was moved to {moved}", file=sys.stderr, flush=True)
        save_model(result.model, os.path.join(folder, "model.json"))
        written = save_metrics(metrics, os.path.join(folder, "metrics.json"))
    finally:
        signal.signal(signal.SIGINT, previous)
    if console is not None:
        from .report import metrics_table
        if result.final:
            console.print(metrics_table(result.final))
        console.print(f"wrote {os.path.join(folder, 'model.json')} and metrics.json"
                      + (" (interrupted run: the model as of the last whole batch)" if result.interrupted else ""))
    if json_:
        _print_json(written)
    if result.interrupted:
        raise typer.Exit(EXIT_INTERRUPTED)


def _diverged(result, folder: str, keep: bool, config: str):
    """Raise DivergedError (exit 1), first writing the last finite weights if asked to."""
    from .modelfile import save_model

    message = f"training diverged: {result.diverged}"
    if keep:
        _make_dir(folder)
        path = os.path.join(folder, "model.last-finite.json")
        save_model(result.model, path)
        message += f"; the last finite weights are in {path} (no model.json was written)"
    else:
        message += "; no model was written (--keep-diverged saves the last finite weights)"
    raise DivergedError(message, file=config)


def _stderr_console():
    from .report import stderr_console
    return stderr_console()


def _read_model_data(model_path: str, data: str):
    """The model, and the features (n, d) and frame of a data file, checked against the model."""
    from . import data as D
    from .modelfile import load_model

    model = load_model(model_path)
    frame = D.read_frame(data)
    return model, frame, D.model_features(frame, model.features, model.targets)


@app.command("eval")
def eval_(
    model: str = typer.Argument(..., help="A model.json written by ffnet train."),
    data: str = typer.Option(..., "--data", help="Labelled CSV or .npz file; '-' reads CSV from stdin."),
    json_: bool = typer.Option(False, "--json", help="Print the metrics as one JSON object on stdout."),
):
    """Score a saved model on a labelled data file.

    Example:  ffnet eval runs/iris/model.json --data datasets/iris.csv --json
    """
    from . import data as D
    from .metrics import evaluate

    m, frame, X = _read_model_data(model, data)
    D.require_columns(frame, m.targets, "target")
    T, _ = D.encode_targets(frame, m.targets, m.output, m.classes)
    Z, A = m.outputs(X)
    metrics = evaluate(m.output, m.loss, m.classes, m.targets, Z, A, T)
    if json_:
        _print_json(metrics)
        return
    from rich.console import Console
    from .report import confusion_table, metrics_table
    console = Console(highlight=False)
    with _writing_stdout():
        console.print(metrics_table({Path(data).name if data != "-" else "stdin": metrics}, title="ffnet eval"))
        if "confusion" in metrics:
            console.print(confusion_table(metrics))


@app.command()
def predict(
    model: str = typer.Argument(..., help="A model.json written by ffnet train."),
    data: str = typer.Option("-", "--data", help="CSV or .npz with the model's feature columns; '-' (default) is stdin."),
    proba: bool = typer.Option(False, "--proba", help="Write one probability column per class instead of labels."),
):
    """Write predictions as CSV on stdout, one row per input row, in input order.

    Example:  ffnet predict runs/xor/model.json < datasets/xor.csv > predictions.csv
    """
    import csv

    from .modelfile import predicted_labels, probability_columns

    m, _, X = _read_model_data(model, data)
    if proba and m.output == "linear":
        raise FfnetError("--proba needs a classification model (softmax or sigmoid output); this one is linear",
                         file=model, where="output")
    _, A = m.outputs(X)
    if proba:
        header, values = probability_columns(m, A)
    else:
        header, values = list(m.targets), predicted_labels(m, A)
    writer = csv.writer(sys.stdout, lineterminator="\n")
    with _writing_stdout():
        writer.writerow(header)
        writer.writerows([_cell(v) for v in row] for row in values)


def _cell(value) -> str:
    """Labels as they are; whole numbers without a decimal point (the lecture's XOR net prints
    0, 1, 1, 0); other numbers in the shortest form that reads back exactly in their dtype."""
    if isinstance(value, str):
        return value
    if float(value).is_integer() and abs(value) < 2**53:
        return str(int(value))
    return str(value)


@app.command()
def gradcheck(
    config: str = typer.Argument(..., help="YAML config file."),
    set_: List[str] = typer.Option([], "--set", metavar="KEY=VALUE", help="Override a config value (see train)."),
    model: Optional[str] = typer.Option(None, "--model", help="Check at this model's weights instead of a fresh init."),
    samples: int = typer.Option(10, "--samples", min=1, help="Use the first N rows of the training data."),
    eps: float = typer.Option(1e-6, "--eps", min=0.0, help="Finite-difference step."),
    rtol: float = typer.Option(1e-5, "--rtol", min=0.0, help="Relative tolerance."),
    atol: float = typer.Option(1e-8, "--atol", min=0.0, help="Absolute tolerance."),
    json_: bool = typer.Option(False, "--json", help="Print the result as one JSON object on stdout."),
):
    """Check the backward pass against central finite differences, in float64; exit 1 on failure.

    Example:  ffnet gradcheck configs/iris.yaml --set train.l2=0.01 --samples 5
    """
    from dataclasses import replace

    import numpy as np

    from .config import load_config
    from .gradcheck import gradcheck as check
    from .modelfile import load_model
    from .train import load_dataset, new_model

    if not eps > 0:  # a step of 0 would divide by zero
        raise typer.BadParameter(f"{eps} is not > 0", param_hint="'--eps'")
    cfg = load_config(config, set_)
    # All training rows in file order, float64, no test file needed.
    cfg = replace(cfg, data=replace(cfg.data, validation_split=0.0, test=None), train=replace(cfg.train, dtype="float64"))
    init = load_model(model) if model else None
    rng = np.random.default_rng(cfg.seed)
    data = load_dataset(cfg, rng, init)
    net = new_model(cfg, data, rng, init)
    split = data.splits["train"]
    X, T = net.scale(split.X[:samples]), split.T[:samples]
    result = check(net.params, net.activations, net.loss, X, T, cfg.train.l2, cfg.train.l1, eps, rtol, atol)
    if json_:
        _print_json(result)
    else:
        from rich.console import Console
        from .report import gradcheck_table
        console = Console(highlight=False)
        with _writing_stdout():
            console.print(gradcheck_table(result))
            console.print(f"{'passed' if result['passed'] else 'FAILED'}: max relative error "
                          f"{result['max_relative_error']:.3e}, max abs error {result['max_abs_error']:.3e}, "
                          f"{result['kinks']} kink(s) skipped")
    if not result["passed"]:
        raise typer.Exit(1)


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
    except (_StdoutClosed, BrokenPipeError):
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
