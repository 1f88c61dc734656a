"""The dataset a config describes: its columns, splits and the statistics that scale them."""

from dataclasses import dataclass
from typing import Sequence

import numpy as np

from .backend import array_module
from .errors import ConfigError, DataError
from .readers import SHOWN, Frame, as_names, feature_matrix, indices, listing, read_frame
from .targets import encode_targets


@dataclass
class Split:
    """One data split: raw features X (n, d) and encoded targets T (n, k), float64 (or the .npz's float dtype for X)."""

    X: np.ndarray
    T: np.ndarray


@dataclass
class Dataset:
    features: tuple[str, ...]
    targets: tuple[str, ...]
    classes: tuple[str, ...] | None
    standardize: tuple[np.ndarray, np.ndarray] | None
    splits: dict[str, Split]  # "train", and "validation" / "test" when they exist


def load_dataset(cfg, rng, init=None, stdin=None) -> Dataset:
    """Read a config's data, encode targets, hold out the validation split, fit standardisation.

    With `init` (a Model), the features and targets must be that model's, and its classes and
    standardisation statistics are kept.
    """
    data, output = cfg.data, cfg.model.output
    frame = read_frame(data.train, stdin)
    features, targets = resolve_columns(frame, data.target, data.features)
    if init is not None and (features, targets) != (init.features, init.targets):
        raise ConfigError(
            f"the data's features {list(features)} and targets {list(targets)} differ from the --init model's "
            f"{list(init.features)} and {list(init.targets)}", file=cfg.path, where="data")
    X = feature_matrix(frame, features)
    T, classes = encode_targets(frame, targets, output,
                                init.classes if init else None)
    train_idx, val_idx = split_indices(len(X), data.validation_split, rng)
    splits = {"train": Split(X, T)}  # all rows in file order: no copy
    if len(val_idx):
        splits = {"train": Split(X[train_idx], T[train_idx]), "validation": Split(X[val_idx], T[val_idx])}
    if data.test is not None:
        test = read_frame(data.test, stdin)
        T_test, _ = encode_targets(test, targets, output, classes)
        splits["test"] = Split(feature_matrix(test, features), T_test)
    standardize = None
    if init is not None:
        standardize = init.standardize
    elif data.standardize:
        standardize = standardize_stats(splits["train"].X)
    return Dataset(features, targets, classes, standardize, splits)


def gather(X, rows, out):
    """The rows of X (in order) into the buffer out (len(rows), d): one minibatch, no allocation."""
    if isinstance(X, np.ndarray):
        return np.take(X, rows, axis=0, out=out, mode="clip")  # mode="clip": no index buffering
    return array_module(X).take(X, rows, axis=0, out=out)


def resolve_columns(frame: Frame, target: Sequence[str] | None,
                    features: Sequence[str] | None) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(feature names, target names): target default the last column, features default every other column."""
    targets = frame.columns[-1:] if target is None else as_names(target)
    names = tuple(c for c in frame.columns if c not in targets) if features is None else as_names(features)
    indices(frame, targets + names)
    both = [name for name in names if name in targets]
    if both:
        raise DataError(f"column {', '.join(map(repr, both))} is both a feature and a target", file=frame.source)
    for kind, given in (("target", targets), ("feature", names)):
        if not given or len(set(given)) < len(given):
            raise DataError(f"{kind} columns must be distinct, at least one: got {list(given)}", file=frame.source)
    return names, targets


def model_features(frame: Frame, features: Sequence[str], targets: Sequence[str] = ()) -> np.ndarray:
    """(n, d) features for a saved model: its columns by name, others (the targets too) ignored.

    A file without some of them is refused in scikit-learn's words, "X has 3 features, but the
    model expects 4", followed by what is missing; an .npz must have exactly the model's count.
    """
    if frame.unit == "row":  # .npz: features are x1..xd, one per column of its X
        have = [c for c in frame.columns if c.startswith("x")]
    else:
        have = [c for c in frame.columns if c not in targets]
    missing = [name for name in features if name not in frame.columns]
    if missing or (frame.unit == "row" and len(have) != len(features)):
        detail = (f"no column {', '.join(map(repr, missing))}; the file has: {listing(frame.columns, SHOWN)}"
                  if missing else f"the model's features are {listing(features, SHOWN)}")
        raise DataError(f"X has {len(have)} feature{'s' if len(have) != 1 else ''}, but the model expects "
                        f"{len(features)}: {detail}", file=frame.source,
                        where="X" if frame.unit == "row" else "line 1")
    return feature_matrix(frame, features)


def standardize_stats(X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per-column training mean and std (population, ddof=0), each (d,); a constant column gets std 1."""
    X = np.asarray(X, dtype=np.float64)
    mean, std = X.mean(axis=0), X.std(axis=0)
    # Test for constancy exactly: rounding can leave a tiny nonzero std that would blow up noise.
    std[np.ptp(X, axis=0) == 0] = 1.0
    return mean, std


def split_indices(n: int, fraction: float, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """(train_idx, val_idx), each sorted: val is round(n * fraction) rows (>= 1 if fraction > 0 and n >= 2)
    of a seeded permutation, drawn even when fraction is 0; train keeps at least 1 row."""
    order = rng.permutation(n)
    n_val = round(n * fraction)
    if fraction > 0 and n >= 2:
        n_val = max(n_val, 1)
    n_val = max(0, min(n_val, n - 1))
    return np.sort(order[n_val:]), np.sort(order[:n_val])
