"""One `train` run from a config to its saved files: resume state in; model, metrics and state out."""

import copy
import os

from .checkpoint import STATE_FILE, load_snapshot
from .errors import ConfigError
from .fileio import dumps
from .modelfile import METRICS_FORMAT, METRICS_VERSION, finite_or_null, model_to_dict
from .runs import save_run
from .train import train
from .yamlio import join

RESUMABLE = {"train.epochs"}  # the one key a resumed run may change


def comparable(raw: dict) -> dict:
    """The resolved config with its paths made absolute: two runs of one config compare equal."""
    raw = copy.deepcopy(raw)
    for section, key in (("data", "train"), ("data", "test"), ("output", "dir")):
        value = raw[section][key]
        if value not in (None, "-"):
            raw[section][key] = os.path.abspath(value)
    return raw


def _differences(old, new, where=""):
    """Dotted key paths where two resolved configs differ."""
    if isinstance(old, dict) and isinstance(new, dict):
        for key in list(old) + [k for k in new if k not in old]:
            yield from _differences(old.get(key), new.get(key), join(where, key))
    elif old != new:
        yield where


def check_resumable(cfg, saved: dict, folder: str) -> None:
    """The config may differ from the saved run's only in train.epochs."""
    for where in _differences(saved, comparable(cfg.raw)):
        if where not in RESUMABLE:
            raise ConfigError(f"differs from the run in {folder}: --resume continues that run with the same "
                              f"config, changing only train.epochs", file=cfg.path, where=where or None)


def train_run(cfg, folder: str, keep_previous: bool, init=None, resume: str | None = None, **callbacks):
    """Train (continuing the run in `resume` if given) and, unless it diverged, save model.json,
    metrics.json and state.npz into folder. Returns (result, metrics.json object or None, where an
    earlier run was moved or None)."""
    snapshot = None
    if resume is not None:
        snapshot, saved = load_snapshot(resume)
        check_resumable(cfg, saved, resume)
    result = train(cfg, init=init, resume=snapshot, **callbacks)
    if result.diverged or (result.interrupted and not result.steps):
        return result, None, None  # nothing to save: earlier files stay as they were
    metrics = finite_or_null({"format": METRICS_FORMAT, "version": METRICS_VERSION, **result.metrics()})
    files = {"model.json": dumps(model_to_dict(result.model)), "metrics.json": dumps(metrics),
             STATE_FILE: result.snapshot.to_bytes(comparable(cfg.raw), result.history, result.stop_reason)}
    moved = save_run(folder, files, keep_previous)
    return result, metrics, moved

