"""Minibatch training of a config's network: the setup, the epoch loop, and the final metrics.

One engine: every minibatch runs the workspace's forward and backward pass (workspace.py), an
optional gradient clip, and the optimizer's update rule (optimizers.py), at the learning rate
that the schedule sets for the epoch (schedules.py).
"""

import math
import time
from dataclasses import dataclass, field
from functools import partial

import numpy as np

from .arrays import MappedRows
from .backend import device_module, to_numpy
from .checkpoint import Snapshot
from .config import Config, check_parameter_count
from .dataset import Dataset, gather, load_dataset
from .errors import ConfigError
from .metrics import correct_count, evaluate, r2_from_sums
from .model import Model, task_kind
from .network import init_params
from .optimizers import clip_by_norm, make_optimizer
from .schedules import Improvement, Schedule
from .workspace import Workspace

CHECK_EVERY = 32  # on a GPU, batches between checks for a NaN/inf objective


def divergence_hint(cfg: Config) -> str:
    """The usual causes of divergence, as far as the config leaves them open."""
    if not cfg.data.standardize:
        return "try a smaller train.learning_rate or data.standardize: true"
    return "try a smaller train.learning_rate" + ("" if cfg.train.clip_norm else " or a train.clip_norm")


@dataclass
class TrainResult:
    model: Model
    history: list[dict] = field(default_factory=list)
    final: dict = field(default_factory=dict)
    seconds: float = 0.0
    diverged: str | None = None  # what went wrong, when loss or weights became NaN/inf
    stop_reason: str = "completed"  # completed | early_stopping | interrupted
    best_epoch: int | None = None  # with early stopping
    steps: int = 0  # minibatch steps taken in this call
    snapshot: Snapshot | None = None  # the state at the end of the last whole epoch, for --resume

    @property
    def interrupted(self) -> bool:
        return self.stop_reason == "interrupted"

    def metrics(self) -> dict:
        """The metrics.json object (without format and version)."""
        out = {"epochs": self.history, "final": self.final, "seconds": self.seconds}
        if self.best_epoch is not None:
            out["best_epoch"] = self.best_epoch
        out["stopped_epoch"] = self.history[-1]["epoch"] if self.history else 0
        out["stop_reason"] = self.stop_reason
        if self.interrupted:
            out["interrupted"] = True
        return out


def new_model(cfg: Config, data: Dataset, rng, init: Model | None = None) -> Model:
    """The untrained model: the --init model's weights in the config's dtype, or a seeded initialisation."""
    dtype = cfg.train.dtype
    activations = tuple(layer.activation for layer in cfg.model.hidden) + (cfg.model.output,)
    k = data.splits["train"].T.shape[1]
    sizes = [data.width, *(layer.units for layer in cfg.model.hidden), k]
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
        inits = [layer.init for layer in cfg.model.hidden] + [cfg.model.init]
        params = init_params(sizes, activations, rng, dtype, inits)
    return Model(data.features, data.targets, cfg.model.output, cfg.loss, data.classes, data.inputs,
                 activations, params, dtype, cfg.raw, cfg.data.missing)


def final_metrics(model: Model, data: Dataset) -> dict:
    """`eval` metrics of the model on each split that exists."""
    final = {}
    for name, split in data.splits.items():
        Z, A = model.outputs(split.X)
        final[name] = evaluate(model.task, model.loss, model.classes, model.targets, Z, A, split.T)
    return final


def sample_weights(cfg: Config, data: Dataset):
    """(n,) the weight of each training sample's class (train.class_weight), or None."""
    setting = cfg.train.class_weight
    if setting is None:
        return None
    task = task_kind(cfg.model.output, data.classes)
    if task not in ("multiclass", "binary"):
        raise ConfigError(f"class weights need a classifier with one target column, not a {task} model",
                          file=cfg.path, where="train.class_weight")
    T = data.splits["train"].T
    codes = T.argmax(axis=1) if task == "multiclass" else (T[:, 0] > 0.5).astype(int)
    counts = np.bincount(codes, minlength=len(data.classes))
    if setting == "balanced":  # n / (C * n_c), scikit-learn's rule
        per_class = len(codes) / (len(data.classes) * np.maximum(counts, 1))
    else:
        unknown = [label for label in setting if label not in data.classes]
        if unknown:
            raise ConfigError(f"no class {unknown[0]!r}; the classes are {', '.join(data.classes)}",
                              file=cfg.path, where=f"train.class_weight.{unknown[0]}")
        per_class = np.array([setting.get(label, 1.0) for label in data.classes])
    return per_class[codes]


def _check_monitors(cfg: Config, task: str) -> None:
    """An early-stopping or plateau monitor must be a key that this task's epoch records have."""
    wrong = "r2" if task != "regression" else "accuracy"
    for where, settings in (("train.early_stopping", cfg.train.early_stopping), ("train.schedule", cfg.train.schedule)):
        monitor = getattr(settings, "monitor", None) or (settings or {}).get("monitor")
        if monitor and monitor.removeprefix("val_") == wrong:
            raise ConfigError(f"a {task} model's epochs have no {monitor!r}; monitor "
                              f"{monitor.replace(wrong, 'r2' if wrong == 'accuracy' else 'accuracy')!r} or a loss",
                              file=cfg.path, where=f"{where}.monitor")


def train(cfg: Config, *, init: Model | None = None, resume: Snapshot | None = None, on_start=None, on_epoch=None,
          on_batch=None, should_stop=None, stdin=None, xp=None) -> TrainResult:
    """Train the config's network; the state of a run to continue comes as `resume`.

    on_start(data, model) is called once the data is read and the network built; on_epoch(record,
    health) after each epoch with its metrics.json entry and health(), the layers' health on its last
    minibatch (Workspace.health; computed only when called, valid during on_epoch); on_batch(epoch, done, total, loss) now and then
    within an epoch (at most every 0.1 s); should_stop() is asked at every batch boundary
    (Ctrl-C), and ends training cleanly at the last whole batch. The math runs on the array module
    of train.device (numpy, or CuPy on a GPU), unless `xp` names one.
    """
    xp = xp or device_module(cfg.train.device, cfg.path)  # first: a missing GPU is said before the data is read
    rng = np.random.default_rng(cfg.seed)
    data = load_dataset(cfg, rng, init, stdin)
    model = new_model(cfg, data, rng, init)
    task, tc, dtype = model.task, cfg.train, cfg.train.dtype
    _check_monitors(cfg, task)
    weights = sample_weights(cfg, data)
    for split in data.splits.values():  # the model casts its input to dtype anyway; keep one copy, not two
        split.X = split.X.astype(dtype, copy=False)
    X = model.scale(data.splits["train"].X)  # (n, d) in the training dtype; a folder's rows: scaled per batch
    X = X if isinstance(X, MappedRows) else xp.asarray(X)  # on the device
    T = xp.asarray(data.splits["train"].T.astype(dtype))  # (n, k)
    W_samples = None if weights is None else xp.asarray(weights.astype(dtype))
    n, batch = len(X), min(tc.batch_size, len(X))
    ws = Workspace(model.params, model.activations, cfg.loss, batch, tc.l2, tc.l1,
                   [layer.dropout for layer in cfg.model.hidden], xp)
    optimizer = make_optimizer(ws.theta, tc.optimizer)
    schedule = Schedule(tc.learning_rate, tc.epochs, tc.schedule, tc.warmup_epochs)
    stopping = tc.early_stopping and Improvement(tc.early_stopping.monitor, tc.early_stopping.min_delta)
    result = TrainResult(model)
    snapshot = Snapshot.take(0, ws.theta, optimizer, rng, schedule, stopping)
    if resume is not None:
        snapshot = resume.restore(ws.theta, optimizer, rng, schedule, stopping)
        result.history = list(resume.history)
        result.best_epoch = stopping.best_epoch if stopping else None
    host = (lambda: ws.params) if xp is np else (lambda: [(to_numpy(W), to_numpy(b)) for W, b in ws.params])
    model.params = host()  # on the CPU: views of theta, always current; from a GPU: copies, refreshed below
    if on_start is not None:
        on_start(data, model)
    fold = optimizer.folds_learning_rate and tc.clip_norm is None  # plain SGD: lr folded into the gradient
    Xb, Tb = xp.empty((batch, X.shape[1]), dtype), xp.empty((batch, T.shape[1]), dtype)  # the minibatch
    Wb = None if W_samples is None else xp.empty(batch, dtype)
    theta_before = xp.empty_like(ws.theta) if on_epoch is not None else None
    sst = ((T - T.mean(axis=0)) ** 2).sum(axis=0) if task == "regression" else None
    val = data.splits.get("validation")
    started, last_report = time.perf_counter(), 0.0
    first_epoch = snapshot.epoch + 1 if not (resume and resume.stop_reason == "early_stopping") else tc.epochs + 1

    with np.errstate(all="ignore"):  # NaN/inf is detected below, not warned about
        for epoch in range(first_epoch, tc.epochs + 1):
            t0 = time.perf_counter()
            lr = schedule.rate(epoch)
            perm = rng.permutation(n)  # one shuffle per epoch
            perm_d = xp.asarray(perm)
            loss_sum = objective_sum = 0.0
            score = xp.zeros(T.shape[1]) if task == "regression" else 0  # per-column SSE, or correct predictions
            for start in range(0, n, batch):
                if should_stop is not None and should_stop():
                    result.stop_reason = "interrupted"
                    break
                rows, m = perm_d[start:start + batch], min(batch, n - start)
                Xm, Tm = gather(X, rows, Xb[:m]), gather(T, rows, Tb[:m])
                Wm = None if Wb is None else gather(W_samples, rows, Wb[:m])
                last = start + batch >= n
                if last and on_epoch is not None:
                    theta_before[...] = ws.theta
                if fold:  # plain SGD: each layer steps by lr * gradient inside the backward pass
                    loss, objective, A = ws(Xm, Tm, Wm, lr, rng, descend=True)
                else:
                    loss, objective, A = ws(Xm, Tm, Wm, 1.0, rng)
                    if tc.clip_norm is not None:
                        clip_by_norm(ws.grad, tc.clip_norm)
                    optimizer.step(ws.theta, ws.grad, lr)
                if last and on_epoch is not None:
                    health = partial(ws.health, theta_before, m, lr if fold else 1.0)  # if the view asks
                result.steps += 1
                loss_sum += loss * m
                objective_sum += objective * m
                score += ((A - Tm) ** 2).sum(axis=0) if task == "regression" else correct_count(task, A, Tm)
                # Each check waits for the device: on a GPU, every CHECK_EVERY batches (and at the epoch's end).
                # The running sum of objectives >= 0 is finite exactly when every one of them was.
                if (xp is np or result.steps % CHECK_EVERY == 0) and not math.isfinite(float(objective_sum)):
                    where = f"at epoch {epoch}, batch " if xp is np else f"in epoch {epoch}, by batch "
                    result.diverged = (f"the objective became {float(objective_sum)} {where}{start // batch + 1}; "
                                       f"{divergence_hint(cfg)}")
                    break
                if on_batch is not None and time.perf_counter() - last_report > 0.1:
                    last_report = time.perf_counter()
                    on_batch(epoch, start + m, n, float(loss_sum) / (start + m))
            if result.diverged is None and not result.interrupted and not bool(xp.isfinite(ws.theta).all()):
                result.diverged = f"the weights became NaN or infinite at epoch {epoch}; {divergence_hint(cfg)}"
            if result.diverged is not None:
                snapshot.restore_weights(ws.theta)  # never hand back NaN weights
                break
            if result.interrupted:
                break
            record = {"epoch": epoch, "loss": float(loss_sum) / n, "objective": float(objective_sum) / n,
                      "learning_rate": lr}
            if task == "regression":
                record["r2"] = r2_from_sums(to_numpy(score), to_numpy(sst))
            else:
                record["accuracy"] = float(score) / n  # exact match for multi-label, as in eval
            if val is not None:
                model.params = host()
                Z, A = model.outputs(val.X)
                scored = evaluate(task, model.loss, model.classes, model.targets, Z, A, val.T)
                record["val_loss"] = scored["loss"]
                record["val_r2" if task == "regression" else "val_accuracy"] = scored["r2" if task == "regression" else "accuracy"]
            record["seconds"] = time.perf_counter() - t0
            result.history.append(record)
            schedule.update(record)
            stop = False
            if stopping:
                if stopping.update(record) and tc.early_stopping.restore_best:
                    snapshot.keep_best(ws.theta)
                result.best_epoch = stopping.best_epoch
                stop = stopping.wait >= tc.early_stopping.patience
            snapshot = snapshot.advance(epoch, ws.theta, optimizer, rng, schedule, stopping)
            if on_epoch is not None:
                on_epoch(record, health)
            if stop:
                result.stop_reason = "early_stopping"
                break
    if resume is not None and resume.stop_reason == "early_stopping" and not result.diverged:
        result.stop_reason = "early_stopping"
    if stopping and tc.early_stopping.restore_best and snapshot.best is not None and result.diverged is None:
        snapshot.restore_best(ws.theta)  # the saved model is the best epoch's
    model.params = host()
    result.seconds = time.perf_counter() - started
    result.snapshot = snapshot
    result.final = final_metrics(model, data) if result.diverged is None else {}
    return result
