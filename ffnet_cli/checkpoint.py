"""The state of a run at the end of an epoch, so that `train --resume` continues it exactly.

A snapshot holds what the next epoch depends on: the parameters, the optimizer's state, the
random generator (shuffling, dropout), the schedule's and early stopping's counters, and the
history so far. It is taken at the end of every epoch into buffers allocated once, and written
next to model.json as `state.npz`: arrays, plus one JSON text (no pickle).
"""

import io
import json
import os

import numpy as np

from .backend import array_module, to_numpy
from .errors import ConfigError, ModelFileError
from .fileio import read_file

STATE_FORMAT, STATE_VERSION = "ffnet-state", 1
STATE_FILE = "state.npz"


class Snapshot:
    def __init__(self, epoch, theta, optimizer, rng, schedule, stopping, best=None, history=(), stop_reason=None):
        self.epoch, self.theta, self.optimizer, self.rng = epoch, theta, optimizer, rng
        self.schedule, self.stopping, self.best = schedule, stopping, best
        self.history, self.stop_reason = list(history), stop_reason

    @classmethod
    def take(cls, epoch, theta, optimizer, rng, schedule, stopping):
        """A snapshot of the current state, in buffers of its own."""
        state = {k: v.copy() if hasattr(v, "copy") else v for k, v in optimizer.state().items()}
        return cls(epoch, theta.copy(), state, rng.bit_generator.state, schedule.state(),
                   stopping.state() if stopping else None)

    def advance(self, epoch, theta, optimizer, rng, schedule, stopping):
        """Take the state at the end of `epoch`, reusing this snapshot's buffers."""
        self.theta[...] = theta
        for key, value in optimizer.state().items():
            if hasattr(value, "shape") and key in self.optimizer:
                self.optimizer[key][...] = value
            else:
                self.optimizer[key] = value.copy() if hasattr(value, "copy") else value
        self.epoch, self.rng, self.schedule = epoch, rng.bit_generator.state, schedule.state()
        self.stopping = stopping.state() if stopping else None
        return self

    def keep_best(self, theta):
        if self.best is None:
            self.best = theta.copy()
        else:
            self.best[...] = theta

    def restore_best(self, theta):
        theta[...] = self.best

    def restore_weights(self, theta):
        theta[...] = self.theta

    def restore(self, theta, optimizer, rng, schedule, stopping):
        """Put this (loaded) state into a freshly built run; returns the snapshot to continue from."""
        theta[...] = _to(theta, self.theta)
        optimizer.load_state({k: _to(theta, v) if isinstance(v, np.ndarray) else v for k, v in self.optimizer.items()})
        rng.bit_generator.state = self.rng
        schedule.load_state(self.schedule)
        if stopping and self.stopping:
            stopping.load_state(self.stopping)
        best = None if self.best is None else _to(theta, self.best)
        return Snapshot(self.epoch, theta.copy(), {k: v.copy() if hasattr(v, "copy") else v
                                                   for k, v in optimizer.state().items()},
                        self.rng, self.schedule, self.stopping, best)

    def to_bytes(self, config: dict, history, stop_reason) -> bytes:
        """The state.npz file's bytes."""
        meta = {"format": STATE_FORMAT, "version": STATE_VERSION, "epoch": self.epoch, "rng": self.rng,
                "schedule": self.schedule, "stopping": self.stopping, "stop_reason": stop_reason,
                "optimizer": {k: v for k, v in self.optimizer.items() if not hasattr(v, "shape")},
                "history": history, "config": config}
        arrays = {"theta": to_numpy(self.theta)}
        arrays.update({f"optimizer.{k}": to_numpy(v) for k, v in self.optimizer.items() if hasattr(v, "shape")})
        if self.best is not None:
            arrays["best"] = to_numpy(self.best)
        buffer = io.BytesIO()
        np.savez(buffer, meta=np.array(json.dumps(meta, allow_nan=False)), **arrays)
        return buffer.getvalue()


def _to(like, array):
    """array on the same device as `like`."""
    return array_module(like).asarray(array)


def load_snapshot(folder: str) -> tuple[Snapshot, dict]:
    """The state saved in a run folder, and the config it was trained with."""
    path = os.path.join(folder, STATE_FILE)
    if not os.path.exists(path):
        raise ConfigError(f"no {STATE_FILE} here: not a folder that ffnet train wrote (or written by an older "
                          "ffnet)", file=folder)
    data = read_file(path, ModelFileError, "state", limit=4 * 2**30)
    try:
        with np.load(io.BytesIO(data), allow_pickle=False) as archive:
            meta = json.loads(str(archive["meta"]))
            arrays = {name: archive[name] for name in archive.files if name != "meta"}
        if meta.get("format") != STATE_FORMAT or meta.get("version") != STATE_VERSION:
            raise ValueError("not an ffnet state file")
        optimizer = dict(meta["optimizer"])
        optimizer.update({k.removeprefix("optimizer."): v for k, v in arrays.items() if k.startswith("optimizer.")})
        snapshot = Snapshot(meta["epoch"], arrays["theta"], optimizer, meta["rng"], meta["schedule"],
                            meta["stopping"], arrays.get("best"), meta["history"], meta["stop_reason"])
    except (ValueError, KeyError, OSError, TypeError, json.JSONDecodeError) as e:
        raise ModelFileError(f"cannot read the saved training state ({e})", file=path) from None
    return snapshot, meta["config"]
