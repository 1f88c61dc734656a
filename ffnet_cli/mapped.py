"""A folder's X.npy as training data: the passes over the file that find the usable rows and the
training statistics, a block of rows at a time, so that memory holds a block, never the file."""

import numpy as np

from .encoding import Input, rows_with_cells
from .errors import DataError
from .frame import Frame, format_number


def mapped_usable(frame: Frame, targets: list[int], missing: str):
    """The rows to use (None: all) under `missing`, from one pass over X and the targets in memory;
    an infinite cell, or with `error` the first missing one, is refused naming its row and column."""
    X = frame.block
    first, gaps = None, []
    for positions, raw in X.blocks():
        bad = ~np.isfinite(raw)
        if not bad.any():
            continue
        i, j = np.argwhere(bad)[0]
        if np.isinf(raw[i, j]) or (missing == "error" and first is None):
            where = f"row {positions[i] + 1}, column {j + 1} ({frame.columns[j]})"
            if np.isinf(raw[i, j]):
                raise DataError(f"{format_number(raw[i, j])!r} is not a finite number", file=frame.source, where=where)
            first = where
        gaps.append(positions[np.isnan(raw).any(axis=1)])
    if first is not None:
        count = sum(len(g) for g in gaps)
        raise DataError(f"missing value ({count} row{'s' if count > 1 else ''} with missing cells in all); set "
                        "data.missing: drop to leave such rows out, or impute to fill them in",
                        file=frame.source, where=first)
    keep = rows_with_cells(frame, [], targets, "drop" if missing != "error" else missing)
    if missing == "drop" and gaps:
        usable = np.ones(frame.rows, dtype=bool) if keep is None else np.isin(np.arange(frame.rows), keep)
        usable[np.concatenate(gaps)] = False
        keep = np.flatnonzero(usable)
    return keep


def fit_mapped(frame: Frame, train_rows, standardize: bool, missing: str) -> tuple[Input, ...]:
    """Number inputs for X's columns, with the mean and population std of the training rows' present
    cells, combined block by block (Chan et al.'s pairwise update, in float64)."""
    X = frame.block
    d = X.shape[1]
    in_train = np.zeros(frame.rows, dtype=bool)
    in_train[np.arange(frame.rows) if train_rows is None else train_rows] = True
    count, mean, m2 = np.zeros(d), np.zeros(d), np.zeros(d)
    low, high = np.full(d, np.inf), np.full(d, -np.inf)
    for positions, raw in X.blocks():
        block = raw[in_train[positions]].astype(np.float64)
        present = ~np.isnan(block)
        n_b = present.sum(axis=0)
        if not n_b.any():
            continue
        sums = np.where(present, block, 0.0).sum(axis=0)
        mean_b = np.divide(sums, n_b, out=np.zeros(d), where=n_b > 0)
        m2_b = (np.where(present, block - mean_b, 0.0) ** 2).sum(axis=0)
        total = count + n_b
        delta = mean_b - mean
        mean = mean + np.divide(delta * n_b, total, out=np.zeros(d), where=total > 0)
        m2 = m2 + m2_b + np.divide(delta ** 2 * count * n_b, total, out=np.zeros(d), where=total > 0)
        count = total
        low, high = np.fmin(low, np.nanmin(np.where(present, block, np.inf), axis=0)), np.fmax(
            high, np.nanmax(np.where(present, block, -np.inf), axis=0))
    std = np.sqrt(np.divide(m2, count, out=np.ones(d), where=count > 0))
    std[(high <= low) | (count == 0)] = 1.0  # a constant column gets std 1
    return tuple(Input(name, "number", mean=float(m) if standardize else None, std=float(s) if standardize else None,
                       fill=float(m) if missing == "impute" else None)
                 for name, m, s in zip(frame.columns[:d], mean, std))
