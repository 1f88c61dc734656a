"""The dataset a config describes: its columns, the rows it uses, its splits and their network inputs."""

from dataclasses import dataclass, field
from typing import Sequence

import numpy as np

from .arrays import MappedRows
from .backend import array_module
from .encoding import Input, encode, fit_inputs, rows_with_cells, scaling, width
from .errors import ConfigError, DataError
from .frame import SHOWN, Frame, as_names, indices, listing, to_float
from .readers import read_frame
from .targets import encode_targets


@dataclass
class Split:
    """One data split: network inputs before scaling X (n, width), float64 (an .npz's own float dtype,
    or MappedRows for a folder), and encoded targets T (n, k) float64."""

    X: np.ndarray
    T: np.ndarray


@dataclass
class Dataset:
    features: tuple[str, ...]  # the data columns the model reads
    targets: tuple[str, ...]
    classes: tuple[str, ...] | None
    inputs: tuple[Input, ...]  # how each feature column becomes network inputs
    splits: dict[str, Split]  # "train", and "validation" / "test" when they exist
    dropped: dict[str, int] = field(default_factory=dict)  # rows left out for missing cells, per file
    unseen: dict[str, dict] = field(default_factory=dict)  # split -> {column: rows of categories not in training}
    missing: str = "error"

    @property
    def standardize(self):
        """(mean, std) per network input, or None: the inputs' scaling."""
        return scaling(self.inputs)

    @property
    def width(self) -> int:
        return width(self.inputs)


def label_columns(target, output: str, categorical=()):
    """The columns whose numbers are read as labels (class labels, listed categories), from the header."""
    listed = () if categorical == "auto" else tuple(categorical)

    def pick(columns):
        targets = (columns[-1:] if target is None else as_names(target)) if output != "linear" else ()
        return tuple(targets) + listed
    return pick


def load_dataset(cfg, rng, init=None, stdin=None) -> Dataset:
    """Read a config's data, leave out or fill missing cells, encode targets and inputs, hold out the
    validation split.

    With `init` (a Model), the features and targets must be that model's, and its classes and
    input encoding are kept.
    """
    data, output = cfg.data, cfg.model.output
    labels = label_columns(data.target, output, data.categorical)
    frame = read_frame(data.train, stdin, labels)
    features, targets = resolve_columns(frame, data.target, data.features)
    if init is not None and (features, targets) != (init.features, init.targets):
        raise ConfigError(
            f"the data's features {listing(features, SHOWN)} and targets {list(targets)} differ from the --init "
            f"model's {listing(init.features, SHOWN)} and {list(init.targets)}", file=cfg.path, where="data")
    listed = [name for name in (() if data.categorical == "auto" else data.categorical) if name not in features]
    if listed:
        what = "the target" if listed[0] in targets else "not a feature column"
        raise ConfigError(f"{listed[0]!r} is {what}; data.categorical lists feature columns "
                          f"({listing(features, SHOWN)})", file=cfg.path, where="data.categorical")
    mapped = isinstance(frame.block, MappedRows)
    if mapped and list(features) != list(frame.columns[:frame.block.shape[1]]):
        raise ConfigError("a folder's features are all the columns of its X.npy, in order; leave data.features "
                          "unset", file=cfg.path, where="data.features")
    if mapped:
        from .mapped import mapped_usable
        keep = mapped_usable(frame, indices(frame, targets), data.missing)
    else:
        keep = _usable(frame, features, targets, data.missing)
    T, classes = encode_targets(frame, targets, output, init.classes if init else None, keep)
    train_idx, val_idx = split_indices(len(T), data.validation_split, rng)
    train_rows = _compose(keep, train_idx)
    if init is not None:
        inputs = init.inputs
    elif mapped:
        from .mapped import fit_mapped
        inputs = fit_mapped(frame, train_rows, data.standardize, data.missing)
    else:
        inputs = fit_inputs(frame, features, train_rows, standardize=data.standardize,
                            categorical=data.categorical, missing=data.missing)
    impute, dtype = data.missing == "impute", cfg.train.dtype
    dataset = Dataset(features, targets, classes, inputs, {}, missing=data.missing)
    if keep is not None:
        dataset.dropped["train"] = frame.rows - len(keep)
    if not len(val_idx):
        X, unseen = encode(frame, inputs, keep, impute=impute, dtype=dtype)  # all rows in file order: no copy
        dataset.splits["train"] = Split(X, T)
    else:
        X, unseen = encode(frame, inputs, train_rows, impute=impute, dtype=dtype)
        X_val, dataset.unseen["validation"] = encode(frame, inputs, _compose(keep, val_idx), impute=impute, dtype=dtype)
        dataset.splits = {"train": Split(X, T[train_idx]), "validation": Split(X_val, T[val_idx])}
    if data.test is not None:
        test = read_frame(data.test, stdin, labels)
        indices(test, features + targets)
        keep = _usable(test, features, targets, data.missing)
        if keep is not None:
            dataset.dropped["test"] = test.rows - len(keep)
        T_test, _ = encode_targets(test, targets, output, classes, keep)
        X_test, dataset.unseen["test"] = encode(test, inputs, keep, impute=impute, dtype=dtype)
        dataset.splits["test"] = Split(X_test, T_test)
    dataset.unseen = {name: found for name, found in dataset.unseen.items() if found}
    return dataset


def _usable(frame: Frame, features, targets, missing: str):
    """The rows to use (None: all), refusing a file that has none left."""
    keep = rows_with_cells(frame, indices(frame, features), indices(frame, targets), missing)
    if keep is not None and not len(keep):
        raise DataError(f"no rows left: every row has a missing cell (data.missing: {missing})", file=frame.source)
    return keep


def _compose(keep, positions):
    """Frame rows of the positions among the kept rows."""
    return positions if keep is None else keep[positions]


def gather(X, rows, out):
    """The rows of X (in order) into the buffer out (len(rows), d): one minibatch, no allocation.

    A mapped X (a folder's X.npy) reads the rows from disk and applies its scaling per batch.
    """
    if isinstance(X, MappedRows):
        return X.gather(rows, out)
    if isinstance(X, np.ndarray):
        return np.take(X, rows, axis=0, out=out, mode="clip")  # mode="clip": no index buffering
    return array_module(X).take(X, rows, axis=0, out=out)


def resolve_columns(frame: Frame, target: Sequence[str] | None,
                    features: Sequence[str] | None) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(feature names, target names): target default the last column, features default every other column."""
    targets = frame.columns[-1:] if target is None else as_names(target)
    chosen = set(targets)
    names = tuple(c for c in frame.columns if c not in chosen) if features is None else as_names(features)
    indices(frame, targets + names)
    both = [name for name in names if name in chosen]
    if both:
        raise DataError(f"column {listing([repr(b) for b in both])} is both a feature and a target", file=frame.source)
    for kind, given in (("target", targets), ("feature", names)):
        if not given or len(set(given)) < len(given):
            raise DataError(f"{kind} columns must be distinct, at least one: got {listing(given, SHOWN)}",
                            file=frame.source)
    return names, targets


def model_inputs(frame: Frame, model, impute: bool):
    """(X (n, width), unseen) for a saved model: its columns by name, others (the targets too) ignored.

    A file without some of them is refused in scikit-learn's words, "X has 3 features, but the
    model expects 4", followed by what is missing, or what the file seems to be instead.
    """
    check_model_columns(frame, model.features, model.targets)
    return encode(frame, model.inputs, None, impute=impute, dtype=model.dtype)


def check_model_columns(frame: Frame, features: Sequence[str], targets: Sequence[str] = ()) -> None:
    missing = [name for name in features if name not in frame.columns]
    d = frame.block.shape[1] if frame.block is not None else None
    if not missing and d in (None, len(features)):
        return
    expects = f"the model expects {len(features)}"
    if d is not None:  # .npz or folder: features are x1..xd, one per column of its X
        if d != len(features):
            message = (f"X has {d} feature{'s' if d != 1 else ''}, but {expects}: the model's features are "
                       f"{listing(features, SHOWN)}")
        else:
            message = (f"the model reads its features by name ({listing(features, SHOWN)}), and X's columns are "
                       f"named x1...x{d}; give the data as a CSV file with those columns")
        raise DataError(message, file=frame.source, where="X")
    if all(to_float(name) is not None for name in frame.columns):
        message = (f"the file seems to have no header row (its first line holds numbers: "
                   f"{listing(frame.columns, 5)}); the model expects a header naming its features: "
                   f"{listing(features, SHOWN)}")
        raise DataError(message, file=frame.source, where="line 1")
    have = [c for c in frame.columns if c not in set(targets)]
    raise DataError(f"X has {len(have)} feature{'s' if len(have) != 1 else ''}, but {expects}: no column "
                    f"{listing([repr(m) for m in missing], SHOWN)}; the file has: {listing(frame.columns, SHOWN)}",
                    file=frame.source, where="line 1")


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
