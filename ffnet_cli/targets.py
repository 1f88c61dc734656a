"""Target columns encoded for the output unit: one-hot classes, 0/1 labels, or values.

Class labels are kept as the file wrote them (strings), sorted numerically when every label is
a number, else as strings.
"""

from typing import Sequence

import numpy as np

from .errors import DataError
from .frame import (MISSING_CODE, SHOWN, Frame, Text, as_names, cell_text, column, format_number, indices, listing,
                    place, to_float)

MAX_CLASSES = 1000


def encode_targets(frame: Frame, names: Sequence[str], output: str, classes: tuple[str, ...] | None = None,
                   rows=None) -> tuple[np.ndarray, tuple[str, ...] | None]:
    """Targets T (n, k) float64 for the output unit, and the class labels (None unless classes are used).

    `classes` given (a saved model's): labels are matched against them instead of discovered.
    rows: the frame's rows to encode (None: all).
    """
    return TARGET_ENCODERS[output](frame, as_names(names), classes, rows)


def _softmax_targets(frame, names, classes, rows):
    if len(names) != 1:
        raise DataError(f"a softmax output needs exactly one target column, got {len(names)}: "
                        f"{listing(names, SHOWN)}", file=frame.source)
    codes, classes = _class_codes(frame, names[0], classes, rows)
    T = np.zeros((len(codes), len(classes)))  # one-hot (n, k)
    T[np.arange(len(codes)), codes] = 1.0
    return T, classes


def _sigmoid_targets(frame, names, classes, rows):
    if len(names) > 1:  # several 0/1 columns, one unit each
        T = _values(frame, names, rows)
        bad = (T != 0) & (T != 1)
        if bad.any():
            i, k = np.argwhere(bad)[0]
            i, j = (i if rows is None else int(rows[i])), frame.position(names[k])
            raise DataError(f"a sigmoid output over several target columns needs 0 or 1 in each, "
                            f"got {cell_text(frame, i, j)!r}", file=frame.source, where=place(frame, i, j))
        return T, None
    codes, classes = _class_codes(frame, names[0], classes, rows)
    if len(classes) != 2:
        j = frame.position(names[0])
        raise DataError(f"a sigmoid output over one column needs exactly 2 classes, found {len(classes)}: "
                        f"{listing(classes, SHOWN)}; use output: softmax for more than two classes",
                        file=frame.source, where=f"column {j + 1} ({names[0]})")
    return (codes == 1).astype(np.float64)[:, None], classes  # (n, 1): 1 for the second class


def _values(frame: Frame, names: Sequence[str], rows) -> np.ndarray:
    """(n, k) float64 of number columns; a word, a missing or an infinite cell is refused."""
    T = np.empty((frame.rows if rows is None else len(rows), len(names)))
    for k, j in enumerate(indices(frame, names)):
        cells = column(frame, j)
        if isinstance(cells, Text):
            codes = cells.codes if rows is None else cells.codes[rows]
            i = int(np.argmax(codes != MISSING_CODE))
            i = i if rows is None else int(rows[i])
            raise DataError(f"not a number: {cell_text(frame, i, j)!r}; a column of class labels needs "
                            f"model.output: softmax (or sigmoid for two classes)", file=frame.source,
                            where=place(frame, i, j))
        values = cells if rows is None else cells[rows]
        bad = np.flatnonzero(~np.isfinite(values))
        if len(bad):
            i = int(bad[0] if rows is None else rows[bad[0]])
            what = "missing value" if np.isnan(values[bad[0]]) else f"not a finite number: {cell_text(frame, i, j)!r}"
            raise DataError(what, file=frame.source, where=place(frame, i, j))
        T[:, k] = values
    return T


TARGET_ENCODERS = {
    "linear": lambda frame, names, classes, rows: (_values(frame, names, rows), None),
    "sigmoid": _sigmoid_targets,
    "softmax": _softmax_targets,
}


def label_codes(frame: Frame, j: int, rows=None) -> tuple[np.ndarray, list[str]]:
    """(codes (n,), labels): column j's cells as codes into its distinct labels, as the file wrote them
    (numbers in an .npz as people write them); MISSING_CODE marks a missing cell."""
    cells = column(frame, j)
    if isinstance(cells, Text):
        return (cells.codes if rows is None else cells.codes[rows]), list(cells.values)
    values = np.asarray(cells if rows is None else cells[rows], dtype=np.float64)
    found, inverse = np.unique(values, return_inverse=True)
    inverse = inverse.ravel().astype(np.int32)
    spelled = frame.spellings.get(j, {})
    labels = [spelled.get(v, format_number(v)) for v in found.tolist()]
    missing = np.isnan(found)
    if missing.any():  # np.unique puts NaN last (one or several of them)
        inverse[inverse >= int(np.argmax(missing))] = MISSING_CODE
        labels = labels[:int(np.argmax(missing))]
    return inverse, labels


def _class_codes(frame: Frame, name: str, classes, rows) -> tuple[np.ndarray, tuple[str, ...]]:
    """(n,) index into classes of each row's label, and the classes (discovered unless given)."""
    j = indices(frame, [name])[0]
    codes, labels = label_codes(frame, j, rows)
    if (codes == MISSING_CODE).any():
        i = int(np.argmax(codes == MISSING_CODE))
        raise DataError("missing class label; set data.missing: drop or impute to leave such rows out",
                        file=frame.source, where=place(frame, i if rows is None else int(rows[i]), j))
    used = np.unique(codes)
    if classes is None:
        if len(used) > MAX_CLASSES:
            raise DataError(f"target {name!r} has {len(used):,} distinct values, more than the {MAX_CLASSES:,} classes "
                            f"a classifier may have: is it an ID column, or a value to predict with "
                            f"model.output: linear? (data.target names the label column)",
                            file=frame.source, where=f"column {j + 1} ({name})")
        classes = sort_labels(labels[k] for k in used)
        if len(classes) < 2:
            message = f"only one class ({classes[0]!r}) in target column {name!r}; a classifier needs two or more"
            raise DataError(message, file=frame.source, where=f"column {j + 1} ({name})")
    classes = tuple(classes)
    position = _positions(classes)
    lookup = np.full(len(labels), -1)
    for k in used.tolist():
        lookup[k] = position.get(labels[k], position.get(_number_key(labels[k]), -1))
    found = lookup[codes]
    unseen = found < 0
    if unseen.any():
        i = int(np.argmax(unseen))
        shown = [repr(label) for label in sort_labels(labels[k] for k in np.unique(codes[unseen]))]
        raise DataError(f"{len(shown)} label{'s' if len(shown) > 1 else ''} not among the model's classes: "
                        f"{listing(shown, SHOWN)}; the model's classes are {listing(classes, SHOWN)}",
                        file=frame.source, where=place(frame, i if rows is None else int(rows[i]), j))
    return found, classes


def _positions(classes: tuple[str, ...]) -> dict:
    """Class label -> unit; numbers also by value, so that '1' finds a class written '1.0'."""
    position = {}
    for k, label in enumerate(classes):
        position.setdefault(_number_key(label), k)
    position.update({label: k for k, label in enumerate(classes)})
    return position


def _number_key(label: str):
    value = to_float(label)
    return ("number", value) if value is not None else label


def sort_labels(labels) -> tuple[str, ...]:
    """Distinct labels sorted by value when every one is a finite number ('9' before '10'), else as strings."""
    unique = {str(label) for label in labels}
    values = {label: to_float(label) for label in unique}
    if all(v is not None and np.isfinite(v) for v in values.values()):
        return tuple(sorted(unique, key=lambda label: (values[label], label)))
    return tuple(sorted(unique))
