"""`ffnet eval` and `ffnet predict`: apply a saved model to a data file."""

import json
import sys
from enum import Enum
from pathlib import Path

import typer

from .cli_common import JsonOpt, ModelArg, app, print_json, stdout_console, writing_stdout


class Format(str, Enum):
    csv = "csv"
    jsonl = "jsonl"


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
    format_: Format = typer.Option("csv", "--format", metavar="csv|jsonl", show_default=False,
                                   help="csv (default, with a header row) or jsonl: one JSON object per row."),
):
    """Write predictions on stdout, one row per input row, in input order: CSV, or JSON lines.

    The input needs the model's feature columns, by name; other columns are ignored.

    Example:
      ffnet predict runs/xor/model.json < datasets/xor.csv > predictions.csv
      ffnet predict runs/iris/model.json --data new.csv --proba --format jsonl
    """
    from .scoring import predictions
    from .writers import write_csv

    header, values = predictions(model, data, proba, warn=_warn)
    if format_ == "jsonl":
        with writing_stdout():
            for row in values:
                sys.stdout.write(json.dumps(dict(zip(header, map(_json_value, row))), allow_nan=False) + "\n")
        return
    with writing_stdout():
        write_csv(sys.stdout, header, values, proba)


def _warn(sentence: str) -> None:
    print(f"warning: {sentence}", file=sys.stderr, flush=True)


def _json_value(value):
    """A label as a string, 0/1 and whole numbers as integers, other numbers as floats with the
    digits of their dtype (a float32 0.9997 is not written as 0.9997050166130066)."""
    if isinstance(value, str):
        return value
    value = float(str(value))  # str: the shortest text that reads back exactly in the value's dtype
    return int(value) if value.is_integer() and abs(value) < 2**53 else value
