"""What a training run was set up with, for the opening summary, and the setups that usually mean a mistake.

describe() returns plain data; the CLI renders it (report.py). warnings() are sentences, each
printed as one `warning:` line; training goes on.
"""

import numpy as np

from .targets import sort_labels

MANY_VALUES = 20  # a "class" target with more distinct numbers than this looks like regression
SCALE_RATIO = 100  # feature standard deviations further apart than this: standardize


def parameter_count(params) -> int:
    return int(sum(W.size + b.size for W, b in params))


def _settings(mapping: dict | None) -> str:
    """`adam (beta1 0.9, beta2 0.999, epsilon 1e-08)`: a resolved named setting, as people read it."""
    if not mapping:
        return "constant"
    rest = [f"{k} {v}" for k, v in mapping.items() if k != "name"]
    return mapping["name"] + (f" ({', '.join(rest)})" if rest else "")


def describe(cfg, data, model, folder: str | None = None) -> dict:
    """The run's data, network, training settings and output folder."""
    tc = cfg.train
    sizes = [len(model.features)] + [W.shape[1] for W, _ in model.params]
    standardized = model.standardize is not None
    return {
        "rows": {name: len(split.T) for name, split in data.splits.items()},
        "inputs": [{"column": name, "kind": "number", "became": "z-scored" if standardized else "as is"}
                   for name in model.features],
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


def warnings(cfg, data, model) -> list[str]:
    """Setups that usually mean a mistake; each a sentence that says what to check."""
    found = []
    train = data.splits["train"]
    if model.task in ("multiclass", "binary") and len(model.classes) > MANY_VALUES:
        numbers = sort_labels(model.classes)
        if all(_is_number(label) for label in numbers):
            found.append(f"target {model.targets[0]!r} has {len(model.classes)} distinct numeric values: it looks "
                         f"like a regression target; for a value, use output: linear")
    if model.standardize is None and train.X.shape[1] > 1:
        std = np.std(np.asarray(train.X, dtype=np.float64), axis=0)
        positive = std[std > 0]
        if len(positive) > 1 and positive.max() / positive.min() > SCALE_RATIO:
            found.append(f"features are on very different scales (standard deviations from {positive.min():.3g} to "
                         f"{positive.max():.3g}) and data.standardize is false; set it to true")
    val = data.splits.get("validation")
    if val is not None and model.task == "multiclass":
        present = int((val.T.sum(axis=0) > 0).sum())
        if present < len(model.classes):
            found.append(f"the validation split ({len(val.T)} rows) has only {present} of the {len(model.classes)} "
                         "classes; use a larger data.validation_split")
    return found


def _is_number(label: str) -> bool:
    try:
        return np.isfinite(float(label))
    except ValueError:
        return False
