"""How feature columns become network inputs: numbers (z-scored, filled) and one-hot categories.

An Input is fitted on the training split (fit_inputs), kept in the model (model.json `inputs`),
and applied the same way to every later file (encode). Missing cells follow `data.missing`:
rows_with_cells() finds the rows to use, or the first missing cell in file order.
"""

from dataclasses import dataclass
from typing import Sequence

import numpy as np

from .errors import DataError
from .frame import MISSING_CODE, Frame, Text, cell_text, column, format_number, place, to_float


@dataclass(frozen=True)
class Input:
    """One feature column as network inputs: a number (one input) or a category (one per category)."""

    column: str
    kind: str  # "number" | "category"
    categories: tuple[str, ...] = ()
    mean: float | None = None  # with std: z-scored as (x - mean) / std
    std: float | None = None
    fill: float | None = None  # a missing number becomes this (the training mean)

    @property
    def width(self) -> int:
        return len(self.categories) if self.kind == "category" else 1

    def names(self) -> list[str]:
        return [f"{self.column}={c}" for c in self.categories] if self.kind == "category" else [self.column]


def numeric_inputs(features: Sequence[str], standardize=None) -> tuple[Input, ...]:
    """Inputs for a model of numbers only (a version 1 model file): (mean, std) per feature or None."""
    if standardize is None:
        return tuple(Input(name, "number") for name in features)
    mean, std = standardize
    return tuple(Input(name, "number", mean=float(m), std=float(s)) for name, m, s in zip(features, mean, std))


def width(inputs: Sequence[Input]) -> int:
    return sum(i.width for i in inputs)


def scaling(inputs: Sequence[Input]) -> tuple[np.ndarray, np.ndarray] | None:
    """(mean, std), each (width,), that z-score the network inputs (0 and 1 for one-hot and unscaled
    inputs); None when no input is scaled."""
    if not any(i.std is not None for i in inputs):
        return None
    mean = np.concatenate([[i.mean if i.std is not None else 0.0] * i.width for i in inputs])
    std = np.concatenate([[i.std if i.std is not None else 1.0] * i.width for i in inputs])
    return mean, std


def missing_mask(frame: Frame, j: int, rows=None) -> np.ndarray:
    cells = column(frame, j)
    mask = cells.codes == MISSING_CODE if isinstance(cells, Text) else np.isnan(cells)
    return mask if rows is None else mask[rows]


def rows_with_cells(frame: Frame, features: Sequence[int], targets: Sequence[int], missing: str) -> np.ndarray | None:
    """The rows to use under `missing` (None: all of them); with `error`, the first missing cell is refused."""
    _refuse_first_infinite(frame, list(features) + list(targets))
    used = list(targets) if missing == "impute" else list(features) + list(targets)
    masks = {j: missing_mask(frame, j) for j in used}
    if not any(m.any() for m in masks.values()):
        return None
    if missing == "error":
        first = min((int(np.argmax(m)), j) for j, m in masks.items() if m.any())
        count = sum(int(m.sum()) for m in masks.values())
        raise DataError(f"missing value ({count} missing cell{'s' if count > 1 else ''} in all); set data.missing: "
                        "drop to leave such rows out, or impute to fill them in", file=frame.source,
                        where=place(frame, *first))
    bad = np.zeros(frame.rows, dtype=bool)
    for j in used:
        bad |= masks[j]
    return np.flatnonzero(~bad)


def _refuse_first_infinite(frame: Frame, columns) -> None:
    """An infinite number is never data: the first in file order is refused."""
    first = [(int(np.argmax(np.isinf(cells))), j) for j in columns
             if not isinstance(cells := column(frame, j), Text) and np.isinf(np.asarray(cells, float)).any()]
    if first:
        _refuse_infinite(frame, min(first)[1])


def fit_inputs(frame: Frame, features: Sequence[str], rows, *, standardize: bool, categorical, missing: str):
    """The Inputs for the feature columns, from the training rows `rows` (positions in the frame)."""
    listed = set(categorical) if categorical != "auto" else set()
    _refuse_mixed(frame, [frame.position(name) for name in features if name not in listed])
    inputs = []
    for name in features:
        j = frame.position(name)
        cells = column(frame, j)
        if isinstance(cells, Text) or name in listed:
            inputs.append(Input(name, "category", _categories(frame, j, rows)))
            continue
        values = cells[rows] if rows is not None else cells
        present = values[~np.isnan(values)]
        if not np.isfinite(present).all():
            _refuse_infinite(frame, j)
        with np.errstate(over="ignore"):  # 1e300 squared: the std is inf, and refused below
            mean = float(present.mean(dtype=np.float64)) if len(present) else 0.0
            std = float(present.std(dtype=np.float64)) if len(present) else 1.0
        if not np.isfinite(std):
            raise DataError(f"the values are too large to standardize (std {std}); rescale the column",
                            file=frame.source, where=f"column {j + 1} ({name})")
        # A constant column gets std 1: rounding can leave a tiny nonzero std that would blow up noise.
        std = std if len(present) and present.min() != present.max() else 1.0
        inputs.append(Input(name, "number", mean=mean if standardize else None, std=std if standardize else None,
                            fill=mean if missing == "impute" else None))
    return tuple(inputs)


def _categories(frame: Frame, j: int, rows) -> tuple[str, ...]:
    from .targets import label_codes, sort_labels
    codes, labels = label_codes(frame, j, rows)
    return sort_labels(labels[k] for k in np.unique(codes[codes != MISSING_CODE]))


def _refuse_mixed(frame: Frame, columns: list[int]) -> None:
    """A column of numbers with words in it is most often a typo: the first word in file order is refused."""
    first = []
    for j in columns:
        cells = column(frame, j)
        if isinstance(cells, Text):
            numbers = np.array([to_float(v) is not None for v in cells.values] + [False])  # [-1]: missing
            if numbers[:-1].any():
                first.append((int(np.argmax(~numbers[cells.codes] & (cells.codes != MISSING_CODE))), j))
    if first:
        i, j = min(first)
        raise DataError(f"not a number: {cell_text(frame, i, j)!r}, in a column of numbers; if "
                        f"{frame.columns[j]!r} is a category, list it in data.categorical",
                        file=frame.source, where=place(frame, i, j))


def _refuse_infinite(frame: Frame, j: int, rows=None) -> None:
    values = column(frame, j)
    bad = np.flatnonzero(np.isinf(values if rows is None else values[rows]))
    if len(bad):
        i = int(bad[0] if rows is None else rows[bad[0]])
        raise DataError(f"{cell_text(frame, i, j)!r} is not a finite number ({len(bad)} such cell"
                        f"{'s' if len(bad) > 1 else ''} in the column)", file=frame.source, where=place(frame, i, j))


def encode(frame: Frame, inputs: Sequence[Input], rows=None, *, impute: bool = False, dtype=np.float64):
    """(X, unseen): the network inputs before scaling, (n, width) float64, for the frame's rows `rows`
    (None: all), and {column: rows whose category the model has not seen} (encoded as all zeros).

    A missing number takes its input's fill; a missing category is all zeros when `impute`; any
    other missing cell is refused. Numbers beyond `dtype`'s range are refused, naming the cell.
    """
    whole = _whole_block(frame, inputs, rows)
    if whole is not None:
        return whole, {}
    n = frame.rows if rows is None else len(rows)
    X = np.zeros((n, width(inputs)))
    unseen, at = {}, 0
    for spec in inputs:
        j = frame.position(spec.column)
        if spec.kind == "number":
            X[:, at] = _numbers(frame, j, spec, rows, dtype)
        else:
            count = _one_hot(frame, j, spec, rows, X[:, at:at + spec.width], impute)
            if count:
                unseen[spec.column] = count
        at += spec.width
    return X, unseen


def _whole_block(frame: Frame, inputs, rows):
    """An .npz's X or a folder's mapped X itself, when the inputs are its columns, all numbers, in order."""
    block = frame.block
    if block is None or [i.column for i in inputs] != list(frame.columns[:block.shape[1]]):
        return None
    if any(i.kind != "number" for i in inputs):
        return None
    fill = np.array([np.nan if i.fill is None else i.fill for i in inputs])
    if not isinstance(block, np.ndarray):  # a folder's mapped X: its rows, filled as they are read
        block = block if rows is None else block.take(rows)
        return block.with_fill(fill) if not np.isnan(fill).all() else block
    if rows is not None:
        return None
    if np.isfinite(block).all():
        return block
    for j, spec in enumerate(inputs):
        if not np.isfinite(block[:, j]).all():
            _check_number_column(frame, j, spec, block[:, j], None)
    return np.where(np.isnan(block), fill, block).astype(block.dtype)


def _numbers(frame: Frame, j: int, spec: Input, rows, dtype) -> np.ndarray:
    cells = column(frame, j)
    if isinstance(cells, Text):
        words = np.array([to_float(v) is None for v in cells.values] + [False])  # [-1]: a missing cell
        codes = cells.codes if rows is None else cells.codes[rows]
        i = int(np.argmax(words[codes]))
        i = i if rows is None else int(rows[i])
        raise DataError(f"not a number: {cell_text(frame, i, j)!r}; the model reads {spec.column!r} as numbers",
                        file=frame.source, where=place(frame, i, j))
    values = cells if rows is None else cells[rows]
    if not np.isfinite(values).all():
        values = _check_number_column(frame, j, spec, values, rows)
    limit = np.finfo(dtype).max
    if dtype != np.float64 and np.abs(values).max(initial=0) > limit:
        i = int(np.argmax(np.abs(values) > limit))
        i = i if rows is None else int(rows[i])
        raise DataError(f"{cell_text(frame, i, j)} does not fit in {np.dtype(dtype).name} (largest {limit:.3g}); "
                        f"use train.dtype: float64 or rescale the column", file=frame.source, where=place(frame, i, j))
    return values


def _check_number_column(frame, j, spec, values, rows):
    """values with missing cells filled; an infinite cell, or a missing one without a fill, is refused."""
    _refuse_infinite(frame, j, rows)
    missing = np.isnan(values)
    if spec.fill is None:
        i = int(np.argmax(missing))
        raise DataError("missing value, and the model has no fill for it (it was trained with data.missing: "
                        "error or drop)", file=frame.source, where=place(frame, i if rows is None else int(rows[i]), j))
    return np.where(missing, spec.fill, values)


def _one_hot(frame: Frame, j: int, spec: Input, rows, out: np.ndarray, impute: bool) -> int:
    """Write column j's one-hot rows into out (n, categories); returns the count of unseen categories."""
    from .targets import label_codes
    codes, labels = label_codes(frame, j, rows)
    numeric = all(to_float(c) is not None for c in spec.categories)
    position = {_key(c, numeric): k for k, c in enumerate(spec.categories)}
    lookup = np.array([position.get(_key(label, numeric), -1) for label in labels] + [-2], dtype=np.int64)
    found = lookup[codes]  # -1: a category not seen in training; -2 (via code -1): missing
    if not impute and (found == -2).any():
        i = int(np.argmax(found == -2))
        raise DataError("missing category, and the model has no fill for it (it was trained with data.missing: "
                        "error or drop)", file=frame.source, where=place(frame, i if rows is None else int(rows[i]), j))
    seen = np.flatnonzero(found >= 0)
    out[seen, found[seen]] = 1.0
    return int((found == -1).sum())


def _key(label: str, numeric: bool) -> str:
    """A category label as the model keeps it: a number in one canonical spelling ('4.0' is '4')."""
    value = to_float(label) if numeric else None
    return format_number(value) if value is not None else label


def unseen_warnings(unseen: dict, where: str = "") -> list[str]:
    """One sentence per column with categories not seen in training."""
    return [f"column {name!r}: {count} row{'s have' if count > 1 else ' has'} a category not seen in training"
            f"{where}; encoded as all zeros" for name, count in unseen.items()]


def describe_input(spec: Input) -> str:
    """What a column became, as the opening summary says it."""
    if spec.kind == "category":
        return f"one-hot, {len(spec.categories)} categor{'ies' if len(spec.categories) > 1 else 'y'}"
    became = "z-scored" if spec.std is not None else "as is"
    return became + (", missing filled with the mean" if spec.fill is not None else "")

