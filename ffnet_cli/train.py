"""Minibatch training of a config's network: data preparation, the SGD loop, final metrics."""

import math
import time
from dataclasses import dataclass, field

import numpy as np

from . import data as D
from .config import Config, check_parameter_count
from .errors import ConfigError
from .metrics import correct_count, evaluate, r2_from_sums
from .modelfile import Model
from .network import TRAIN_STEPS, init_params


@dataclass
class Split:
    """One data split: raw features X (n, d) and encoded targets T (n, k), float64 (train() casts X to its dtype)."""

    X: np.ndarray
    T: np.ndarray


@dataclass
class Dataset:
    features: tuple[str, ...]
    targets: tuple[str, ...]
    classes: tuple[str, ...] | None
    standardize: tuple[np.ndarray, np.ndarray] | None
    splits: dict[str, Split]  # "train", and "validation" / "test" when they exist


def load_dataset(cfg: Config, rng, init: Model | None = None, stdin=None) -> Dataset:
    """Read the config's data, encode targets, hold out the validation split, and fit standardisation.

    With `init`, the classes and standardisation statistics are that model's.
    """
    frame = D.read_frame(cfg.data.train, stdin)
    features, targets = D.resolve_columns(frame, cfg.data.target, cfg.data.features)
    if init is not None and (features, targets) != (init.features, init.targets):
        raise ConfigError(
            f"the data's features {list(features)} and targets {list(targets)} differ from the --init model's "
            f"{list(init.features)} and {list(init.targets)}", file=cfg.path, where="data")
    X = D.feature_matrix(frame, features)
    T, classes = D.encode_targets(frame, targets, cfg.model.output, init.classes if init else None)
    train_idx, val_idx = D.split_indices(len(X), cfg.data.validation_split, rng)
    splits = {"train": Split(X, T)}  # all rows in file order: no copy
    if len(val_idx):
        splits = {"train": Split(X[train_idx], T[train_idx]), "validation": Split(X[val_idx], T[val_idx])}
    if cfg.data.test is not None:
        test = D.read_frame(cfg.data.test, stdin)
        T_test, _ = D.encode_targets(test, targets, cfg.model.output, classes)
        splits["test"] = Split(D.feature_matrix(test, features), T_test)
    standardize = None
    if init is not None:
        standardize = init.standardize
    elif cfg.data.standardize:
        standardize = D.standardize_stats(splits["train"].X)
    return Dataset(features, targets, classes, standardize, splits)


@dataclass
class TrainResult:
    model: Model
    history: list[dict] = field(default_factory=list)
    final: dict = field(default_factory=dict)
    seconds: float = 0.0
    diverged: str | None = None  # what went wrong, when loss or weights became NaN/inf
    interrupted: bool = False

    def metrics(self) -> dict:
        """The metrics.json object (without format and version)."""
        return {"epochs": self.history, "final": self.final, "seconds": self.seconds}


def new_model(cfg: Config, data: Dataset, rng, init: Model | None = None) -> Model:
    """The untrained model: the --init model's weights in the config's dtype, or a seeded initialisation."""
    dtype = cfg.train.dtype
    activations = tuple(layer.activation for layer in cfg.model.hidden) + (cfg.model.output,)
    k = data.splits["train"].T.shape[1]
    sizes = [len(data.features), *(layer.units for layer in cfg.model.hidden), k]
    if init is not None:
        shapes = [W.shape for W, _ in init.params]
        if shapes != list(zip(sizes[:-1], sizes[1:])) or init.activations != activations:
            raise ConfigError(
                f"the --init model's layers {shapes} with activations {list(init.activations)} do not match "
                f"the config's {list(zip(sizes[:-1], sizes[1:]))} with {list(activations)}",
                file=cfg.path, where="model")
        params = [(W.astype(dtype), b.astype(dtype)) for W, b in init.params]
    else:
        check_parameter_count(sizes, cfg.path)  # before allocating: the data fixed the input and output sizes
        params = init_params(sizes, activations, rng, dtype)
    standardize = None
    if data.standardize is not None:
        standardize = tuple(np.asarray(s, dtype=dtype) for s in data.standardize)
    return Model(data.features, data.targets, cfg.model.output, cfg.loss, data.classes, standardize,
                 activations, params, dtype, cfg.raw)


def final_metrics(model: Model, data: Dataset) -> dict:
    """`eval` metrics of the model on each split that exists."""
    final = {}
    for name, split in data.splits.items():
        Z, A = model.outputs(split.X)
        final[name] = evaluate(model.output, model.loss, model.classes, model.targets, Z, A, split.T)
    return final


HINT = "try a smaller train.learning_rate or data.standardize: true"  # the usual causes of divergence


def _finite(params) -> bool:
    return all(np.isfinite(W).all() and np.isfinite(b).all() for W, b in params)


def train(cfg: Config, *, init: Model | None = None, on_epoch=None, should_stop=None, stdin=None) -> TrainResult:
    """Train the config's network by minibatch SGD.

    on_epoch(record) is called after each epoch with its metrics.json entry;
    should_stop() is asked at every batch boundary (Ctrl-C), and ends training cleanly.
    """
    rng = np.random.default_rng(cfg.seed)
    data = load_dataset(cfg, rng, init, stdin)
    model = new_model(cfg, data, rng, init)
    tc, dtype = cfg.train, cfg.train.dtype
    for split in data.splits.values():  # the model casts its input to dtype anyway; keep one copy, not two
        split.X = split.X.astype(dtype, copy=False)
    X = model.scale(data.splits["train"].X)  # (n, d) in the training dtype
    T = data.splits["train"].T.astype(dtype)  # (n, k)
    n, batch = len(X), min(tc.batch_size, len(X))
    val = data.splits.get("validation")
    step = TRAIN_STEPS[tc.optimizer](model.params, model.activations, cfg.loss, batch, tc.learning_rate, tc.l2, tc.l1)
    Xb, Tb = np.empty((batch, X.shape[1]), dtype), np.empty((batch, T.shape[1]), dtype)  # the minibatch
    regression = cfg.model.output == "linear"
    sst = ((T - T.mean(axis=0)) ** 2).sum(axis=0) if regression else None
    result = TrainResult(model)
    started = time.perf_counter()
    last_finite = [(W.copy(), b.copy()) for W, b in model.params]

    with np.errstate(all="ignore"):  # NaN/inf is detected below, not warned about
        for epoch in range(1, tc.epochs + 1):
            t0 = time.perf_counter()
            perm = rng.permutation(n)  # one shuffle per epoch
            loss_sum = objective_sum = 0.0
            score = np.zeros(T.shape[1]) if regression else 0  # per-column SSE, or correct predictions
            for start in range(0, n, batch):
                if should_stop is not None and should_stop():
                    result.interrupted = True
                    break
                rows = perm[start:start + batch]
                m = len(rows)
                # Gather the minibatch into its preallocated contiguous buffers (mode="clip": no index buffering).
                Xm = np.take(X, rows, axis=0, out=Xb[:m], mode="clip")
                Tm = np.take(T, rows, axis=0, out=Tb[:m], mode="clip")
                loss, objective, A = step(Xm, Tm)  # updates model.params in place
                if not math.isfinite(objective):
                    result.diverged = f"the objective became {objective} at epoch {epoch}, batch {start // batch + 1}; {HINT}"
                    break
                loss_sum += loss * m
                objective_sum += objective * m
                score += ((A - Tm) ** 2).sum(axis=0) if regression else correct_count(cfg.model.output, A, Tm)
            if result.diverged is None and not result.interrupted and not _finite(model.params):
                result.diverged = f"the weights became NaN or infinite at epoch {epoch}; {HINT}"
            if result.diverged is not None:
                for (W, b), (W_ok, b_ok) in zip(model.params, last_finite):  # never hand back NaN weights
                    np.copyto(W, W_ok)
                    np.copyto(b, b_ok)
                break
            if result.interrupted:
                break
            for (W, b), (W_ok, b_ok) in zip(model.params, last_finite):
                np.copyto(W_ok, W)
                np.copyto(b_ok, b)
            record = {"epoch": epoch, "loss": loss_sum / n, "objective": objective_sum / n,
                      "seconds": time.perf_counter() - t0}
            if regression:
                record["r2"] = r2_from_sums(score, sst)
            else:
                record["accuracy"] = score / (n if cfg.model.output == "softmax" or data.classes else T.size)
            if val is not None:
                Z, A = model.outputs(val.X)
                scored = evaluate(model.output, model.loss, model.classes, model.targets, Z, A, val.T)
                record["val_loss"] = scored["loss"]
                record["val_r2" if regression else "val_accuracy"] = scored["r2" if regression else "accuracy"]
            result.history.append(record)
            if on_epoch is not None:
                on_epoch(record)
    result.seconds = time.perf_counter() - started
    result.final = final_metrics(model, data) if result.diverged is None else {}
    return result
