"""`ffnet eval` and `ffnet predict`: apply a saved model to a data file."""

import sys
from pathlib import Path

import typer

from .cli_common import JsonOpt, ModelArg, app, print_json, stdout_console, writing_stdout


@app.command("eval")
def eval_(
    model: ModelArg,
    data: str = typer.Option(..., "--data", help="Labelled CSV or .npz file; '-' reads CSV from stdin."),
    json_: JsonOpt = False,
):
    """Score a saved model on a labelled data file.

    Example:  ffnet eval runs/iris/model.json --data datasets/iris.csv --json
    """
    from .scoring import evaluate_file

    metrics = evaluate_file(model, data, warn=_warn)
    if json_:
        print_json(metrics)
        return
    from .report import confusion_table, metrics_table
    console = stdout_console()
    with writing_stdout():
        console.print(metrics_table({Path(data).name if data != "-" else "stdin": metrics}, title="ffnet eval"))
        if "confusion" in metrics:
            console.print(confusion_table(metrics))


@app.command()
def predict(
    model: ModelArg,
    data: str = typer.Option("-", "--data", help="CSV or .npz with the model's feature columns; '-' (default) is stdin."),
    proba: bool = typer.Option(False, "--proba", help="Write one probability column per class instead of labels."),
):
    """Write predictions as CSV on stdout, one row per input row, in input order.

    Example:  ffnet predict runs/xor/model.json < datasets/xor.csv > predictions.csv
    """
    from .scoring import predictions
    from .writers import write_csv

    header, values = predictions(model, data, proba, warn=_warn)
    with writing_stdout():
        write_csv(sys.stdout, header, values, proba)


def _warn(sentence: str) -> None:
    print(f"warning: {sentence}", file=sys.stderr, flush=True)
