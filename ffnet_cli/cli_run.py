"""`ffnet info` and `ffnet plot`: what a trained model is, and pictures of its run."""

import json
import os
import sys
from typing import Optional

import typer

from .cli_common import JsonOpt, ModelArg, app, print_json, stdout_console, writing_stdout
from .errors import FfnetError


@app.command()
def info(model: ModelArg, json_: JsonOpt = False):
    """Describe a saved model: layers, parameter count, input encoding, provenance, final metrics.

    The final metrics and how training ended come from the metrics.json next to MODEL, if present.

    Example:
      ffnet info runs/iris/model.json
      ffnet info runs/iris/model.json --json
    """
    facts = describe_model(model)
    if json_:
        print_json(facts)
        return
    from .report import metrics_table
    console = stdout_console()
    with writing_stdout():
        for line in info_lines(facts):
            console.print(line, markup=False, highlight=False, soft_wrap=True)
        if facts["metrics"] and facts["metrics"].get("final"):
            console.print(metrics_table(facts["metrics"]["final"]))


def describe_model(path: str) -> dict:
    """The facts `ffnet info` shows, as plain data (its --json object)."""
    from .fileio import read_file
    from .modelfile import load_model
    from .summary import parameter_count

    model = load_model(path)
    doc = json.loads(read_file(path, FfnetError, "model"))  # for keys the Model does not keep
    sizes = [model.width] + [W.shape[1] for W, _ in model.params]  # a category is one input per value
    inputs = doc.get("inputs") or [
        {"column": name, "kind": "number",
         **({} if model.standardize is None else {"mean": float(model.standardize[0][i]),
                                                  "std": float(model.standardize[1][i])})}
        for i, name in enumerate(model.features)]
    config = model.config or {}
    return {
        "model": path, "version": doc.get("version"), "ffnet_version": doc.get("ffnet_version"),
        "task": model.task, "features": list(model.features), "targets": list(model.targets),
        "classes": None if model.classes is None else list(model.classes),
        "output": model.output, "loss": model.loss, "dtype": model.dtype,
        "layers": [{"inputs": a, "units": b, "activation": act, "parameters": (a + 1) * b}
                   for a, b, act in zip(sizes, sizes[1:], model.activations)],
        "parameters": parameter_count(model.params),
        "inputs": inputs,
        "config": config or None,
        "metrics": _run_metrics(os.path.join(os.path.dirname(path), "metrics.json")),
    }


def _run_metrics(path: str) -> dict | None:
    """How the run ended and its final metrics, from metrics.json; None when there is none."""
    try:
        with open(path, encoding="utf-8") as f:
            doc = json.load(f)
    except (OSError, ValueError):
        return None
    if not isinstance(doc, dict) or doc.get("format") != "ffnet-metrics":
        return None
    keep = ("stopped_epoch", "stop_reason", "best_epoch", "seconds", "final")
    return {"file": path, "epochs": len(doc.get("epochs") or []), **{k: doc[k] for k in keep if k in doc}}


def info_lines(facts: dict) -> list[str]:
    """`ffnet info` as text: one fact per line, layers and inputs as small tables."""
    from .report import names
    lines = [f"model       {facts['model']} (format version {facts['version']}"
             + (f", written by ffnet {facts['ffnet_version']})" if facts["ffnet_version"] else ")")]
    target = f"{', '.join(facts['targets'])}"
    if facts["classes"]:
        target += f" ({len(facts['classes'])} classes: {names(facts['classes'])})"
    network = " → ".join([f"{facts['layers'][0]['inputs']} inputs"]
                         + [f"{layer['units']} {layer['activation']}" for layer in facts["layers"]])
    lines += [f"task        {facts['task']}: {target}",
              f"network     {network}; {facts['parameters']:,} parameters; loss {facts['loss']}, {facts['dtype']}",
              "", "layer  inputs  units  activation  parameters"]
    lines += [f"{i + 1:>5}  {l['inputs']:>6}  {l['units']:>5}  {l['activation']:<10}  {l['parameters']:>10,}"
              for i, l in enumerate(facts["layers"])]
    lines += ["", f"inputs ({len(facts['inputs'])} columns, in order)"]
    shown = facts["inputs"][:12]
    width = max(len(str(i.get("column"))) for i in shown)
    lines += [f"  {str(i.get('column')):<{width}}  {_encoding(i)}" for i in shown]
    if len(facts["inputs"]) > len(shown):
        lines.append(f"  ... and {len(facts['inputs']) - len(shown)} more (ffnet info --json lists them all)")
    config, metrics = facts["config"] or {}, facts["metrics"]
    if config:
        t = config.get("train", {})
        optimizer = t.get("optimizer", {}).get("name") if isinstance(t.get("optimizer"), dict) else t.get("optimizer")
        lines += ["", f"trained on  {config.get('data', {}).get('train')}: seed {config.get('seed')}, "
                      f"{t.get('epochs')} epochs, batch {t.get('batch_size')}, {optimizer}, "
                      f"learning rate {t.get('learning_rate')}"]
    if metrics:
        ended = f"stopped at epoch {metrics.get('stopped_epoch')} ({str(metrics.get('stop_reason')).replace('_', ' ')})"
        if metrics.get("best_epoch"):
            ended += f", best epoch {metrics['best_epoch']}"
        lines += [f"run         {ended}; {metrics.get('seconds', 0):.1f} s; {metrics['file']}"]
    return lines


def _encoding(item: dict) -> str:
    if item.get("kind") == "category":
        return f"one-hot over {len(item.get('categories', []))}: {', '.join(map(str, item.get('categories', [])))}"
    text = "number" + (f", z-scored with mean {item['mean']:.4g}, std {item['std']:.4g}" if "mean" in item else ", as is")
    return text + (f"; missing -> {item['fill']:.4g}" if "fill" in item else "")


@app.command()
def plot(
    run_dir: str = typer.Argument(..., metavar="RUN_DIR", show_default=False,
                                  help="A folder written by ffnet train (model.json and metrics.json)."),
    out: Optional[str] = typer.Option(None, "--out", metavar="DIR", show_default=False,
                                      help="Write the pictures here instead of RUN_DIR."),
):
    """Draw a run: curves.png (loss and accuracy or R2 per epoch) and, for a model with two
    numeric inputs, boundary.png (its decision regions or regression surface, with the training points).

    Needs the plot extra: pip install 'ffnet[plot]'.

    Example:
      ffnet train configs/moons.yaml && ffnet plot runs/moons
      ffnet plot runs/xor --out pictures
    """
    try:
        from . import plot as pictures
    except ImportError as exc:
        raise FfnetError(f"ffnet plot needs matplotlib ({exc}); install it with: pip install 'ffnet[plot]'") from None
    from .fileio import atomic_write, read_file
    from .modelfile import load_model
    from .runs import make_folder

    folder = run_dir if os.path.isdir(run_dir) else os.path.dirname(run_dir) or "."
    metrics_path, model_path = os.path.join(folder, "metrics.json"), os.path.join(folder, "model.json")
    try:
        metrics = json.loads(read_file(metrics_path, FfnetError, "metrics"))
    except ValueError:
        raise FfnetError("invalid JSON", file=metrics_path) from None
    if not isinstance(metrics, dict) or not isinstance(metrics.get("epochs"), list):
        raise FfnetError("not a metrics.json written by ffnet train", file=metrics_path)
    files = {"curves.png": pictures.curves_png(metrics)}
    model = load_model(model_path)
    if len(model.features) == 2 and model.params[0][0].shape[0] == 2:
        X, T, note = _training_points(model, model_path, folder)
        files["boundary.png"] = pictures.boundary_png(model, X, T)
        if note:
            print(f"note: {note}", file=sys.stderr)
    else:
        print(f"note: no boundary.png: the model has {model.params[0][0].shape[0]} inputs, a picture needs 2",
              file=sys.stderr)
    target = out or folder
    make_folder(target)
    for name, content in files.items():
        atomic_write(os.path.join(target, name), content)
        print(f"wrote {os.path.join(target, name)}", file=sys.stderr)


def _training_points(model, model_path: str, folder: str):
    """(X, T, note): the rows of the run's training file, read as eval reads them; None, None and
    why when that file cannot be read now."""
    from .checkpoint import load_snapshot
    from .scoring import load_model_and_data
    from .targets import encode_targets

    candidates = [(model.config or {}).get("data", {}).get("train")]
    try:
        candidates.insert(0, load_snapshot(folder)[1]["data"]["train"])  # absolute: works from any folder
    except (FfnetError, KeyError, TypeError):
        pass
    for path in candidates:
        if path and path != "-" and os.path.exists(path):
            try:
                _, frame, X = load_model_and_data(model_path, path)
                T, _ = encode_targets(frame, model.targets, model.output, model.classes)
                return X, T, None
            except FfnetError as exc:
                return None, None, f"the training points are not drawn: {exc}"
    return None, None, "the training points are not drawn: the run's data.train cannot be found from here"
