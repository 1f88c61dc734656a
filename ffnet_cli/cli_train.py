"""`ffnet train`: parse, train with a live view, save the run."""

import os
import sys
from typing import Optional

import typer

from . import interrupts
from .cli_common import ConfigArg, JsonOpt, SetOpt, app, check_stdout, print_json, stderr_console
from .errors import DivergedError

@app.command()
def train(
    config: ConfigArg,
    set_: SetOpt = [],
    out: Optional[str] = typer.Option(None, "--out", help="Output folder (default: output.dir, else runs/<config stem>)."),
    init: Optional[str] = typer.Option(None, "--init", metavar="MODEL", help="Start from this model's weights."),
    resume: Optional[str] = typer.Option(None, "--resume", metavar="DIR",
                                         help="Continue the run in DIR up to the config's train.epochs."),
    quiet: bool = typer.Option(False, "--quiet", help="Show no progress or tables."),
    json_: JsonOpt = False,
    keep_diverged: bool = typer.Option(False, "--keep-diverged",
                                       help="If training diverges, write the last finite weights to "
                                            "DIR/model.last-finite.json (never model.json)."),
):
    """Train the network a config describes; write model.json and metrics.json.

    In the default folder runs/<config stem>, an earlier run's files are moved to previous-N/
    first. Ctrl-C (or SIGTERM, SIGHUP) stops at the next batch and saves the model so far (exit 130,
    143, 129); `--resume` of the folder continues it.

    Example:  ffnet train configs/xor.yaml --set train.epochs=200 --out runs/xor
    """
    from .config import load_config
    from .modelfile import load_model
    from .runs import output_folder
    from .session import train_run

    if init is not None and resume is not None:
        raise typer.BadParameter("give --init MODEL or --resume DIR, not both", param_hint="'--resume'")
    if json_:
        check_stdout()
    cfg = load_config(config, set_)
    init_model = load_model(init) if init is not None else None
    folder, default_folder = output_folder(out if resume is None else resume, cfg)
    console = None if quiet else stderr_console()

    def on_start(data, model):
        from .summary import describe, warnings
        interrupts.stop_softly()  # training starts: a signal now stops it at the next batch, and it is saved
        if console is not None:
            from .report import print_summary
            print_summary(console, describe(cfg, data, model, folder))
        for warning in warnings(cfg, data, model):
            print(f"warning: {warning}", file=sys.stderr, flush=True)

    stop = interrupts.stop_requested
    if console is None:
        outcome = train_run(cfg, folder, default_folder and resume is None, init_model, resume,
                            on_start=on_start, should_stop=stop)
    else:
        from .report import TrainingReport
        with TrainingReport(cfg.train.epochs, console, f"ffnet train {config}") as report:
            outcome = train_run(cfg, folder, default_folder and resume is None, init_model, resume,
                                on_start=on_start, on_epoch=report.on_epoch, should_stop=stop)
    result, written, moved = outcome
    if result.diverged:
        _diverged(result, folder, keep_diverged, config)
    if console is not None:
        from .report import metrics_table
        if moved:
            console.print(f"the earlier run in {folder} was moved to {moved}")
        if written is None:
            console.print(f"interrupted before the first batch: nothing was written to {folder}")
        else:
            if result.final:
                console.print(metrics_table(result.final))
            console.print(f"wrote {os.path.join(folder, 'model.json')} and metrics.json"
                          + (" (interrupted run: the model as of the last whole batch)" if result.interrupted else ""))
    if json_ and written is not None:
        print_json(written)
    if interrupts.exit_code() is not None:  # also when the signal came after the last batch: the run is saved
        raise typer.Exit(interrupts.exit_code())


def _diverged(result, folder: str, keep: bool, config: str):
    """Raise DivergedError (exit 1), first writing the last finite weights if asked to."""
    from .fileio import dumps
    from .modelfile import model_to_dict
    from .runs import save_run

    message = f"training diverged: {result.diverged}"
    if keep:
        path = os.path.join(folder, "model.last-finite.json")
        save_run(folder, {"model.last-finite.json": dumps(model_to_dict(result.model))}, keep_previous=False)
        message += f"; the last finite weights are in {path} (no model.json was written)"
    else:
        message += "; no model was written (--keep-diverged saves the last finite weights)"
    raise DivergedError(message, file=config)
