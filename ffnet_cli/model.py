"""A trained network with everything needed to apply it to raw feature columns, and what it predicts."""

from dataclasses import dataclass, field

import numpy as np

from .encoding import Input, numeric_inputs, scaling, width
from .network import forward

CHUNK = 4096  # rows per forward pass when applying a model
TASKS = ("regression", "multiclass", "binary", "multilabel")


def task_kind(output: str, classes) -> str:
    """What a network with this output unit (and classes, or None) does: one of TASKS.

    linear: regression; softmax: one class of several; sigmoid over one two-class column: binary;
    sigmoid over several 0/1 columns (no classes): multi-label.
    """
    if output == "linear":
        return "regression"
    if output == "softmax":
        return "multiclass"
    return "binary" if classes is not None else "multilabel"


@dataclass
class Model:
    """features: the data columns the model reads, by name; inputs: how each becomes network inputs
    (a number, z-scored or not and filled or not; a category, one-hot), in the same order."""

    features: tuple[str, ...]
    targets: tuple[str, ...]
    output: str
    loss: str
    classes: tuple[str, ...] | None
    inputs: tuple[Input, ...] | None  # None, or a version 1 model's (mean, std): numbers only
    activations: tuple[str, ...]  # one per layer; the last is the output unit
    params: list  # [(W, b)] per layer
    dtype: str = "float64"
    config: dict | None = field(default=None, compare=False)
    missing: str = "error"  # the data.missing it was trained with: impute fills a missing category with zeros

    def __post_init__(self):
        if self.inputs is None or not isinstance(self.inputs[0], Input):
            self.inputs = numeric_inputs(self.features, self.inputs)
        self._scaling = scaling(self.inputs)
        if self._scaling is not None:
            self._scaling = tuple(np.asarray(s, dtype=self.dtype) for s in self._scaling)

    @property
    def task(self) -> str:
        return task_kind(self.output, self.classes)

    @property
    def width(self) -> int:
        """Network inputs: one per number, one per category of each categorical column."""
        return width(self.inputs)

    @property
    def input_names(self) -> list[str]:
        """A name per network input: the column, or `column=category` for one-hot inputs."""
        return [name for spec in self.inputs for name in spec.names()]

    @property
    def standardize(self) -> tuple[np.ndarray, np.ndarray] | None:
        """(mean, std) per network input (0 and 1 where an input is not scaled), or None."""
        return self._scaling

    def scale(self, X):
        """Network inputs as the network sees them: z-scored with the training statistics, in the
        model's dtype. X (n, width) is what dataset.encode gives, or a folder's mapped rows, which
        are then scaled as each minibatch is read."""
        if hasattr(X, "scaled"):
            return X.scaled(self.scale)
        X = np.asarray(X, dtype=self.dtype)
        if self._scaling is None:
            return X
        mean, std = self._scaling
        return (X - mean) / std

    def outputs(self, X):
        """(Z, A) of the output layer, each (n, k), for raw features X (n, d).

        Computed CHUNK rows at a time, so the hidden layers of a large file never all exist at once.
        """
        Zs, As = [], []
        for start in range(0, max(len(X), 1), CHUNK):
            hidden, Z = forward(self.params, self.activations, self.scale(np.asarray(X[start:start + CHUNK])))
            Zs.append(Z)
            As.append(hidden[-1])
        return np.concatenate(Zs), np.concatenate(As)

    def predicted_labels(self, A):
        """Predictions per target column, (n, len(targets)): class labels, 0/1, or values."""
        if self.task == "multiclass":
            return np.asarray(self.classes, dtype=object)[A.argmax(axis=1)][:, None]
        if self.task == "binary":
            return np.asarray(self.classes, dtype=object)[(A[:, 0] > 0.5).astype(int)][:, None]
        if self.task == "multilabel":
            return (A > 0.5).astype(int)
        return A

    def probability_columns(self, A):
        """(names, P): one probability column per class (per target column for multi-label)."""
        if self.task == "binary":
            return list(self.classes), np.column_stack([1 - A[:, 0], A[:, 0]])
        if self.task == "multiclass":
            return list(self.classes), A
        return list(self.targets), A
