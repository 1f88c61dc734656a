"""`ffnet train`: parse, train with a live view, save the run."""

import os
import shlex
import signal
import sys
from contextlib import nullcontext
from enum import Enum
from typing import Optional

import typer

from .cli_common import ConfigArg, JsonOpt, SetOpt, app, print_json, stderr_console
from .errors import DivergedError

EXIT_INTERRUPTED = 130


class LogFormat(str, Enum):
    text = "text"
    jsonl = "jsonl"


class StopFlag:
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
    config: ConfigArg,
    set_: SetOpt = [],
    out: Optional[str] = typer.Option(None, "--out", metavar="DIR", show_default=False,
                                      help="Output folder (default: output.dir, else runs/<config stem>)."),
    init: Optional[str] = typer.Option(None, "--init", metavar="MODEL", help="Start from this model's weights."),
    resume: Optional[str] = typer.Option(None, "--resume", metavar="DIR",
                                         help="Continue the run in DIR up to the config's train.epochs."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="Print nothing but warnings and errors."),
    json_: JsonOpt = False,
    log_format: LogFormat = typer.Option("text", "--log-format", metavar="text|jsonl", show_default=False,
                                         help="When stderr is not a terminal: a text line (default) or the "
                                              "epoch's JSON record, once per reporting interval."),
    keep_diverged: bool = typer.Option(False, "--keep-diverged",
                                       help="If training diverges, write the last finite weights to "
                                            "DIR/model.last-finite.json (never model.json)."),
):
    """Train the network a config describes; write model.json and metrics.json.

    On a terminal, a live view shows each epoch's metrics, the loss curve and every layer's health;
    elsewhere, one line per reporting interval. The output folder DIR is --out (relative to the
    current folder), else output.dir (relative to the config's folder), else runs/<config stem>
    (relative to the current folder), where an earlier run's files are moved to previous-N/ first.
    Ctrl-C stops at the next batch and saves the model so far (exit 130); --resume DIR continues it.

    Config keys: `ffnet schema` lists them all, `ffnet init` writes a commented starter config, and
    the README's "Config reference" explains each. Set one for a single run with --set KEY=VALUE.

    Example:
      ffnet train configs/iris.yaml
      ffnet train configs/xor.yaml --set train.epochs=200 --out runs/xor200
      ffnet train configs/iris.yaml --quiet --json > metrics.json
    """
    from .config import load_config
    from .live import TrainingReport
    from .modelfile import load_model
    from .runs import output_folder
    from .session import train_run

    if init and resume:
        raise typer.BadParameter("give --init MODEL or --resume DIR, not both", param_hint="'--resume'")
    cfg = load_config(config, set_)
    init_model = load_model(init) if init else None
    folder, default_folder = output_folder(resume or out, cfg)
    report = None if quiet else TrainingReport(stderr_console(), cfg, title(config, set_, folder), log_format)
    stop = StopFlag()

    def on_start(data, model):
        from .summary import describe, warnings
        if report is not None:
            summary = describe(cfg, data, model, folder)
            summary["output_rule"] = output_rule(out, resume, cfg)
            report.on_start(summary)
        for warning in warnings(cfg, data, model):
            print(f"warning: {warning}", file=sys.stderr, flush=True)

    callbacks = {} if report is None else {"on_epoch": report.on_epoch, "on_batch": report.on_batch}
    previous = signal.signal(signal.SIGINT, stop)
    try:
        with report or nullcontext():
            outcome = train_run(cfg, folder, default_folder and not resume, init_model, resume,
                                on_start=on_start, should_stop=stop.is_set, **callbacks)
            if report is not None:
                report.finish(outcome[0])
    finally:
        signal.signal(signal.SIGINT, previous)
    result, written, moved = outcome
    if result.diverged:
        _diverged(result, folder, keep_diverged, config)
    if report is not None:
        _print_outcome(report.console, result, folder, moved)
    if json_:
        print_json(written)
    if result.interrupted:
        raise typer.Exit(EXIT_INTERRUPTED)


def title(config: str, overrides, folder: str) -> str:
    """`ffnet train CONFIG --set K=V → DIR`: the run as it was asked for, and where it goes."""
    words = ["ffnet", "train", config] + [w for item in overrides for w in ("--set", item)]
    return f"{shlex.join(words)} → {folder}"


def output_rule(out, resume, cfg) -> str:
    """How the output folder was chosen (the three rules are in the README's `train` section)."""
    if resume:
        return "the --resume folder"
    if out:
        return "--out, relative to the current folder"
    if cfg.output_dir:
        return "output.dir, relative to the config's folder"
    return "runs/<config stem>, relative to the current folder; an earlier run there moves to previous-N/"


def _print_outcome(console, result, folder: str, moved) -> None:
    """After training: where an earlier run went, the final metrics (plain text in a log) and the files."""
    from .report import metrics_table, print_plain
    if moved:
        console.print(f"the earlier run in {folder} was moved to {moved}", markup=False, soft_wrap=True)
    if result.final:
        table = metrics_table(result.final)
        if console.is_terminal:
            console.print()
            console.print(table)
        else:
            print_plain(console, table)
    console.print(f"wrote {os.path.join(folder, 'model.json')} and metrics.json"
                  + (" (interrupted run: the model as of the last whole batch)" if result.interrupted else ""),
                  markup=False, soft_wrap=True)


def _diverged(result, folder: str, keep: bool, config: str):
    """Raise DivergedError (exit 1), first writing the last finite weights if asked to."""
    from .modelfile import save_model
    from .runs import make_folder

    message = f"training diverged: {result.diverged}"
    if keep:
        make_folder(folder)
        path = os.path.join(folder, "model.last-finite.json")
        save_model(result.model, path)
        message += f"; the last finite weights are in {path} (no model.json was written)"
    else:
        message += "; no model was written (--keep-diverged saves the last finite weights)"
    raise DivergedError(message, file=config)
