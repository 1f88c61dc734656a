"""Applying a saved model to a data file: its metrics (eval) and its predictions (predict)."""

import numpy as np

from .dataset import check_model_columns, model_inputs
from .encoding import encode, rows_with_cells, unseen_warnings
from .errors import FfnetError, ModelFileError
from .metrics import evaluate
from .modelfile import load_model
from .frame import indices, line_of, require_columns
from .readers import read_frame
from .targets import encode_targets


def _read(model, data_path: str):
    labels = model.targets if model.output != "linear" else ()
    return read_frame(data_path, labels=tuple(labels) + _listed(model))


def _listed(model) -> tuple[str, ...]:
    return tuple(spec.column for spec in model.inputs if spec.kind == "category")


def load_model_and_data(model_path: str, data_path: str):
    """(model, frame, X): the model, the data file's frame, and its network inputs before scaling
    (n, width), every row, missing cells filled as the model says or refused."""
    model = load_model(model_path)
    frame = _read(model, data_path)
    X, _ = model_inputs(frame, model, impute=model.missing == "impute")
    return model, frame, X


def evaluate_file(model_path: str, data_path: str, warn=None) -> dict:
    """The `eval` metrics of a saved model on a labelled data file; rows are left out or filled as the
    model was trained (its data.missing). warn(sentence) is called for categories not seen in training."""
    model = load_model(model_path)
    frame = _read(model, data_path)
    check_model_columns(frame, model.features, model.targets)
    require_columns(frame, model.targets, "target")
    keep = rows_with_cells(frame, indices(frame, model.features), indices(frame, model.targets), model.missing)
    if keep is not None and not len(keep):
        raise FfnetError(f"no rows left: every row has a missing cell (the model's data.missing: {model.missing})",
                         file=frame.source)
    T, _ = encode_targets(frame, model.targets, model.output, model.classes, keep)
    X, unseen = encode(frame, model.inputs, keep, impute=model.missing == "impute", dtype=model.dtype)
    _tell(warn, unseen_warnings(unseen))
    Z, A = model.outputs(X)
    check_finite(model_path, frame, A, keep)
    return evaluate(model.task, model.loss, model.classes, model.targets, Z, A, T)


def predictions(model_path: str, data_path: str, proba: bool = False, warn=None):
    """(header, rows (n, columns)): predicted labels or values per target, or with proba one
    probability column per class. Every row is predicted: a missing cell is filled as the model
    says, or refused. warn(sentence) is called for categories not seen in training."""
    model = load_model(model_path)
    if proba and model.task == "regression":
        raise FfnetError("--proba needs a classification model (softmax or sigmoid output); this one is linear",
                         file=model_path, where="output")
    frame = _read(model, data_path)
    X, unseen = model_inputs(frame, model, impute=model.missing == "impute")
    _tell(warn, unseen_warnings(unseen))
    _, A = model.outputs(X)
    check_finite(model_path, frame, A)
    if proba:
        return model.probability_columns(A)
    return list(model.targets), model.predicted_labels(A)


def check_finite(model_path: str, frame, A: np.ndarray, rows=None) -> None:
    """Never print a prediction from NaN or infinite outputs: the model's weights do not fit this data."""
    bad = ~np.isfinite(A).all(axis=1)
    if bad.any():
        i = int(np.argmax(bad))
        i = i if rows is None else int(rows[i])
        raise ModelFileError(f"the model's outputs are NaN or infinite for {int(bad.sum())} of {len(A)} rows (the "
                             f"first: {frame.unit} {line_of(frame, i)} of {frame.source}); its weights or this "
                             f"data's values are too large", file=model_path)


def _tell(warn, sentences) -> None:
    if warn is not None:
        for sentence in sentences:
            warn(sentence)
