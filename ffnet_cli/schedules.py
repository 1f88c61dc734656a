"""Learning-rate schedules: the rate of epoch e = 1, 2, ..., E as a pure function of the epoch.

Each takes the base rate lr, the epoch e and the number of epochs E, then its settings (the
config's `train.schedule` mapping). Plateau depends on the monitored values, so it is a small
object that remembers the best value; `Improvement` is the one test of "better" that early
stopping uses too.
"""

import math


def constant(lr, e, E):
    return lr


def step(lr, e, E, step_size=10, gamma=0.5):
    return lr * gamma ** ((e - 1) // step_size)


def exponential(lr, e, E, gamma=0.95):
    return lr * gamma ** (e - 1)


def inverse_time(lr, e, E, decay=0.01):
    return lr / (1 + decay * (e - 1))


def cosine(lr, e, E, min_learning_rate=0.0):
    return min_learning_rate + (lr - min_learning_rate) * (1 + math.cos(math.pi * (e - 1) / E)) / 2


# name -> rate of epoch e; "plateau" is the class Plateau below
SCHEDULES = {"constant": constant, "step": step, "exponential": exponential, "inverse_time": inverse_time,
             "cosine": cosine, "plateau": None}


def higher_is_better(monitor: str) -> bool:
    """Losses go down; accuracy and r2 go up."""
    return monitor.removeprefix("val_") in ("accuracy", "r2")


class Improvement:
    """Tracks the best value of a monitored epoch metric: improved when it beats the best by more than min_delta."""

    def __init__(self, monitor, min_delta=0.0):
        self.monitor, self.min_delta = monitor, min_delta
        self.sign = -1.0 if higher_is_better(monitor) else 1.0  # compare sign * value: lower is better
        self.best, self.best_epoch, self.wait = None, None, 0

    def update(self, record: dict) -> bool:
        """Take an epoch record; True when its value improved on the best (wait restarts), else wait += 1."""
        value = record.get(self.monitor)
        if value is not None and (self.best is None or self.sign * value < self.sign * self.best - self.min_delta):
            self.best, self.best_epoch, self.wait = value, record["epoch"], 0
            return True
        self.wait += 1
        return False

    def state(self) -> dict:
        return {"best": self.best, "best_epoch": self.best_epoch, "wait": self.wait}

    def load_state(self, state: dict) -> None:
        self.best, self.best_epoch, self.wait = state["best"], state["best_epoch"], state["wait"]


class Plateau:
    """Starts at lr; after `patience` epochs in a row without improvement of the monitored value,
    the rate becomes max(rate * factor, min_learning_rate) and the count restarts."""

    def __init__(self, lr, monitor, patience=10, factor=0.1, min_delta=0.0, min_learning_rate=0.0):
        self.patience, self.factor, self.min_learning_rate = patience, factor, min_learning_rate
        self.rate = lr
        self.tracker = Improvement(monitor, min_delta)

    def update(self, record: dict) -> None:
        if not self.tracker.update(record) and self.tracker.wait >= self.patience:
            self.rate = max(self.rate * self.factor, self.min_learning_rate)
            self.tracker.wait = 0

    def state(self) -> dict:
        return {"rate": self.rate, **self.tracker.state()}

    def load_state(self, state: dict) -> None:
        self.rate = state["rate"]
        self.tracker.load_state(state)


class Schedule:
    """The learning rate of each epoch: the named schedule, times e / w during a warm-up of w epochs."""

    def __init__(self, lr, epochs, settings: dict | None, warmup_epochs=0):
        settings = dict(settings or {"name": "constant"})
        self.name = settings.pop("name")
        self.lr, self.epochs, self.warmup, self.settings = lr, epochs, warmup_epochs, settings
        self.plateau = Plateau(lr, **settings) if self.name == "plateau" else None

    def rate(self, e: int) -> float:
        if self.plateau is not None:
            rate = self.plateau.rate
        else:
            rate = SCHEDULES[self.name](self.lr, e, self.epochs, **self.settings)
        return rate * e / self.warmup if e <= self.warmup else rate

    def update(self, record: dict) -> None:
        """After each epoch: plateau watches its monitor."""
        if self.plateau is not None:
            self.plateau.update(record)

    def state(self) -> dict:
        return self.plateau.state() if self.plateau is not None else {}

    def load_state(self, state: dict) -> None:
        if self.plateau is not None:
            self.plateau.load_state(state)
