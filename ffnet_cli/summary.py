"""What a training run was set up with, for the opening summary, and the setups that usually mean a mistake.

describe() returns plain data; the CLI renders it (report.py). warnings() are sentences, each
printed as one `warning:` line; training goes on.
"""

import json

import numpy as np

from .encoding import describe_input, unseen_warnings
from .frame import listing, to_float

MANY_VALUES = 20  # a "class" target with more distinct numbers than this looks like regression
SCALE_RATIO = 100  # feature standard deviations further apart than this: standardize
MANY_CATEGORIES = 50  # a one-hot column with more categories than this, and than a fifth of the rows: an ID?
DROPPED_SHARE = 0.2  # leaving out more rows than this for missing cells: impute instead?
LABEL_NAMES = {"label", "labels", "class", "classes", "target", "y", "species", "category", "outcome",
               "diagnosis", "type", "survived"}
SAMPLE = 100_000  # rows looked at when a check needs values (the first rows of the training split),
SAMPLE_CELLS = 2_000_000  # and at most this many cells: 16 MB as float64, however wide the data


def parameter_count(params) -> int:
    return int(sum(W.size + b.size for W, b in params))


def _settings(mapping: dict | None) -> str:
    """`adam (beta1 0.9, beta2 0.999, epsilon 1e-08)`: a resolved named setting, as a config writes it."""
    if not mapping:
        return "constant"
    rest = [f"{k} {json.dumps(v)}" for k, v in mapping.items() if k != "name"]
    return mapping["name"] + (f" ({', '.join(rest)})" if rest else "")


def describe(cfg, data, model, folder: str | None = None) -> dict:
    """The run's data (rows per split, rows left out, each input column and what it became), network,
    training settings and output folder."""
    tc = cfg.train
    sizes = [model.width] + [W.shape[1] for W, _ in model.params]
    return {
        "rows": {name: len(split.T) for name, split in data.splits.items()},
        "dropped": _dropped(data),  # rows left out for missing cells, or None
        "inputs": [{"column": spec.column, "kind": spec.kind, "became": describe_input(spec), "width": spec.width}
                   for spec in model.inputs],
        "targets": list(model.targets),
        "task": model.task,
        "classes": None if model.classes is None else list(model.classes),
        "layers": [f"{sizes[0]} inputs"] + [f"{units} {act}" for units, act in zip(sizes[1:], model.activations)],
        "parameters": parameter_count(model.params),
        "loss": model.loss,
        "optimizer": _settings(tc.optimizer),
        "learning_rate": tc.learning_rate,
        "schedule": _settings(tc.schedule) + (f", warm-up {tc.warmup_epochs} epochs" if tc.warmup_epochs else ""),
        "early_stopping": None if tc.early_stopping is None else
        f"{tc.early_stopping.monitor}, patience {tc.early_stopping.patience}"
        + (", restore best" if tc.early_stopping.restore_best else ""),
        "epochs": tc.epochs,
        "batch_size": tc.batch_size,
        "dtype": tc.dtype,
        "device": tc.device,
        "output": folder,
    }


def _dropped(data) -> str | None:
    """`11 rows of the train file (missing cells; data.missing: drop)`, or None when every row is used."""
    if not data.dropped:
        return None
    files = " and ".join(f"{n:,} row{'s' if n != 1 else ''} of the {name} file" for name, n in data.dropped.items())
    return f"{files} left out (missing cells; data.missing: {data.missing})"


def warnings(cfg, data, model) -> list[str]:
    """Setups that usually mean a mistake; each a sentence that says what to check."""
    train = data.splits["train"]
    X = np.asarray(train.X[:max(1, min(SAMPLE, SAMPLE_CELLS // max(1, model.width)))], dtype=np.float64)
    columns = _number_columns(model, X)
    found = _target_warnings(cfg, data, model, columns)
    found += _scale_warnings(cfg, model, columns)
    found += _split_warnings(data, model)
    found += _input_warnings(data, model, len(train.T), columns)
    for split, unseen in data.unseen.items():
        found += unseen_warnings(unseen, f" in the {split} split")
    return found


def _number_columns(model, X) -> dict:
    """{column: its training values (the first rows, see SAMPLE)} for each number input."""
    found, at = {}, 0
    for spec in model.inputs:
        if spec.kind == "number":
            found[spec.column] = X[:, at]
        at += spec.width
    return found


def _target_warnings(cfg, data, model, columns) -> list[str]:
    if model.task not in ("multiclass", "binary") or len(model.classes) <= MANY_VALUES:
        return []
    if not all(to_float(label) is not None for label in model.classes):
        return []
    target = model.targets[0]
    found = [f"target {target!r} has {len(model.classes)} distinct numeric values: it looks like a regression "
             f"target; for a value, use model.output: linear"]
    if cfg.data.target is None:
        labels = _label_like(model, columns)
        if labels:
            found.append(f"the target is the last column, {target!r}, by default; column {labels!r} looks like the "
                         f"class labels: set data.target: {labels}")
    return found


def _label_like(model, columns) -> str | None:
    """A feature column that looks like class labels: a word column with a few values, or few whole
    numbers in the first column or under a label's name."""
    for k, spec in enumerate(model.inputs):
        name = spec.column
        if spec.kind == "category" and 2 <= len(spec.categories) <= MANY_VALUES:
            return name
        if spec.kind == "number" and (k == 0 or name.lower() in LABEL_NAMES):
            values = np.unique(columns[name])
            if 2 <= len(values) <= 10 and np.all(values == np.round(values)):
                return name
    return None


def _scale_warnings(cfg, model, columns) -> list[str]:
    if cfg.data.standardize or len(columns) < 2:
        return []
    std = np.array([np.std(values) for values in columns.values()])
    positive = std[std > 0]
    if len(positive) > 1 and positive.max() / positive.min() > SCALE_RATIO:
        return [f"features are on very different scales (standard deviations from {positive.min():.3g} to "
                f"{positive.max():.3g}) and data.standardize is false; set it to true"]
    return []


def _split_warnings(data, model) -> list[str]:
    val = data.splits.get("validation")
    if val is None or model.task not in ("multiclass", "binary"):
        return []
    T = val.T
    present = int((T.sum(axis=0) > 0).sum()) if model.task == "multiclass" else len(np.unique(T[:, 0]))
    if present < len(model.classes):
        return [f"the validation split ({len(T)} rows) has only {present} of the {len(model.classes)} classes; "
                "use a larger data.validation_split"]
    return []


def _input_warnings(data, model, n_train: int, columns) -> list[str]:
    found = []
    for spec in model.inputs:
        if spec.kind == "category" and len(spec.categories) > max(MANY_CATEGORIES, n_train // 5):
            found.append(f"column {spec.column!r} has {len(spec.categories)} categories for {n_train} training rows: "
                         "an ID or free text? Leave it out with data.features")
    constant = [name for name, values in columns.items() if len(values) and values.min() == values.max()]
    if constant:
        found.append(f"column{'s' if len(constant) > 1 else ''} {listing([repr(c) for c in constant])} "
                     f"{'are' if len(constant) > 1 else 'is'} constant in the training split: no use as a feature")
    for name, count in data.dropped.items():
        total = count + len(data.splits[name].T) + (len(data.splits["validation"].T)
                                                    if name == "train" and "validation" in data.splits else 0)
        if count > DROPPED_SHARE * total:
            found.append(f"{count} of {total} rows of the {name} file have a missing cell and were left out; "
                         "data.missing: impute keeps them")
    return found
