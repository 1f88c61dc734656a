"""A config's data and network set up for the checks (gradcheck, sanity), and a few minibatch steps
of the real training engine (workspace.Workspace and an optimizer, as train.py runs them)."""

from dataclasses import replace

import numpy as np

from .dataset import load_dataset
from .optimizers import clip_by_norm, make_optimizer
from .schedules import Schedule
from .train import new_model
from .workspace import Workspace


def setup(cfg, model=None):
    """(cfg, data, net, rng): the config's training data and its untrained network in float64, drawn
    from the seeded rng exactly as `train` draws them; with `model` (a Model), that model's network,
    output, loss and encoding on the config's data. The test file is not read; rng goes on from there."""
    cfg = replace(cfg, data=replace(cfg.data, test=None), train=replace(cfg.train, dtype="float64"))
    if model is not None:  # the model file decides what the targets become
        cfg = replace(cfg, model=replace(cfg.model, output=model.output, hidden=()), loss=model.loss)
    rng = np.random.default_rng(cfg.seed)
    data = load_dataset(cfg, rng, model)
    if model is None:
        net = new_model(cfg, data, rng)
    else:
        net = replace(model, dtype="float64", params=[(np.array(W, dtype=np.float64), np.array(b, dtype=np.float64))
                                                      for W, b in model.params])
    return cfg, data, net, rng


def train_steps(cfg, net, X, T, steps, rng, weights=None, penalties=True, dropout=(), until=None) -> list[float]:
    """Train net in place for up to `steps` minibatch steps on the network inputs X (n, d) and targets
    T (n, k) as train.py does: the config's batch size, optimizer, learning-rate schedule and gradient
    clipping, a fresh shuffle from rng every epoch (a plateau schedule keeps its starting rate: there
    are no epoch records for it to watch). Penalties are the config's unless penalties=False.
    until(params) is asked after every epoch with the current [(W, b)] and ends training when true.
    Returns each step's data loss."""
    tc = cfg.train
    n, batch = len(X), min(tc.batch_size, len(X))
    l2, l1 = (tc.l2, tc.l1) if penalties else (0.0, 0.0)
    ws = Workspace(net.params, net.activations, net.loss, batch, l2, l1, dropout)
    optimizer = make_optimizer(ws.theta, tc.optimizer)
    schedule = Schedule(tc.learning_rate, tc.epochs, tc.schedule, tc.warmup_epochs)
    losses, epoch = [], 0
    with np.errstate(all="ignore"):  # a diverging run shows as a non-finite loss, not as warnings
        while len(losses) < steps:
            epoch += 1
            lr = schedule.rate(epoch)
            perm = rng.permutation(n)
            for start in range(0, n, batch):
                rows = perm[start:start + batch]
                loss, _, _ = ws(X[rows], T[rows], None if weights is None else weights[rows], 1.0, rng)
                if tc.clip_norm is not None:
                    clip_by_norm(ws.grad, tc.clip_norm)
                optimizer.step(ws.theta, ws.grad, lr)
                losses.append(float(loss))
                if len(losses) == steps or not np.isfinite(losses[-1]):
                    break
            if not np.isfinite(losses[-1]) or (until is not None and until(ws.params)):
                break
    net.params = [(W.copy(), b.copy()) for W, b in ws.params]
    return losses
