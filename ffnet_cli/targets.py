"""Target columns encoded for the output unit: one-hot classes, 0/1 labels, or values.

Class labels are kept as the file wrote them (strings), sorted numerically when every label is
a number, else as strings.
"""

from typing import Sequence

import numpy as np

from .errors import DataError
from .readers import (SHOWN, Frame, as_names, cell_text, column, feature_matrix, field, format_number, indices,
                      listing, place, to_float)

def encode_targets(frame: Frame, names: Sequence[str], output: str,
                   classes: tuple[str, ...] | None = None) -> tuple[np.ndarray, tuple[str, ...] | None]:
    """Targets T (n, k) float64 for the output unit, and the class labels (None unless classes are used).

    `classes` given (a saved model's): labels are matched against them instead of discovered.
    """
    return TARGET_ENCODERS[output](frame, as_names(names), classes)


def _softmax_targets(frame, names, classes):
    if len(names) != 1:
        raise DataError(f"a softmax output needs exactly one target column, got {len(names)}: {', '.join(names)}",
                        file=frame.source)
    codes, classes = _class_codes(frame, names[0], classes)
    return np.eye(len(classes))[codes], classes  # one-hot (n, k)


def _sigmoid_targets(frame, names, classes):
    if len(names) > 1:  # several 0/1 columns, one unit each
        T = feature_matrix(frame, names)
        bad = (T != 0) & (T != 1)
        if bad.any():
            i, k = np.argwhere(bad)[0]
            j = frame.columns.index(names[k])
            raise DataError(f"a sigmoid output over several target columns needs 0 or 1 in each, "
                            f"got {cell_text(frame, i, j)!r}", file=frame.source, where=place(frame, i, j))
        return T, None
    codes, classes = _class_codes(frame, names[0], classes)
    if len(classes) != 2:
        j = frame.columns.index(names[0])
        raise DataError(f"a sigmoid output over one column needs exactly 2 classes, found {len(classes)}: "
                        f"{listing(classes, SHOWN)}; use output: softmax for more than two classes",
                        file=frame.source, where=f"column {j + 1} ({names[0]})")
    return (codes == 1).astype(np.float64)[:, None], classes  # (n, 1): 1 for the second class


TARGET_ENCODERS = {
    "linear": lambda frame, names, classes: (feature_matrix(frame, names), None),
    "sigmoid": _sigmoid_targets,
    "softmax": _softmax_targets,
}


def _class_codes(frame: Frame, name: str, classes: tuple[str, ...] | None) -> tuple[np.ndarray, tuple[str, ...]]:
    """(n,) index into classes of each row's label, and the classes (discovered unless given)."""
    j = indices(frame, [name])[0]
    labels = _labels(frame, j)
    found, inverse = np.unique(labels, return_inverse=True)
    if classes is None:
        classes = sort_labels(found)
        if len(classes) < 2:
            message = f"only one class ({classes[0]!r}) in target column {name!r}; a classifier needs two or more"
            raise DataError(message, file=frame.source, where=f"column {j + 1} ({name})")
    classes = tuple(classes)
    position = {label: k for k, label in enumerate(classes)}
    codes = np.array([position.get(label, -1) for label in found])
    unseen = codes < 0
    if unseen.any():
        i = int(np.flatnonzero(unseen[inverse])[0])
        shown = [repr(label) for label in sort_labels(found[unseen])]
        raise DataError(f"{len(shown)} label{'s' if len(shown) > 1 else ''} not among the model's classes: "
                        f"{listing(shown, SHOWN)}; the model's classes are {listing(classes, SHOWN)}",
                        file=frame.source, where=place(frame, i, j))
    return codes[inverse], classes


def _labels(frame: Frame, j: int) -> np.ndarray:
    """(n,) str objects: column j's labels as the file wrote them, stripped."""
    if frame.cells.dtype.kind == "f" and frame.raw is None:  # .npz: numbers, written as people write them
        found, inverse = np.unique(column(frame, j), return_inverse=True)
        return np.array([format_number(v) for v in found], dtype=object)[inverse]
    c = len(frame.columns)
    texts = frame.cells[:, j] if frame.raw is None else [field(row, j, c) for row in frame.raw]
    labels = np.array([str(text).strip() for text in texts], dtype=object)
    empty = np.flatnonzero(labels == "")
    if len(empty):
        raise DataError("empty cell where a class label is expected", file=frame.source,
                        where=place(frame, empty[0], j))
    return labels


def sort_labels(labels) -> tuple[str, ...]:
    """Distinct labels sorted by value when every one is a finite number ('9' before '10'), else as strings."""
    unique = {str(label) for label in labels}
    values = {label: to_float(label) for label in unique}
    if all(v is not None and np.isfinite(v) for v in values.values()):
        return tuple(sorted(unique, key=lambda label: (values[label], label)))
    return tuple(sorted(unique))
