"""Applying a saved model to a data file: its metrics (eval) and its predictions (predict)."""

from .dataset import model_features
from .errors import FfnetError
from .metrics import evaluate
from .modelfile import load_model
from .readers import read_frame, require_columns
from .targets import encode_targets


def load_model_and_data(model_path: str, data_path: str):
    """The model, and the data file's frame and features (n, d), checked against the model."""
    model = load_model(model_path)
    frame = read_frame(data_path)
    return model, frame, model_features(frame, model.features, model.targets)


def evaluate_file(model_path: str, data_path: str) -> dict:
    """The `eval` metrics of a saved model on a labelled data file."""
    model, frame, X = load_model_and_data(model_path, data_path)
    require_columns(frame, model.targets, "target")
    T, _ = encode_targets(frame, model.targets, model.output, model.classes)
    Z, A = model.outputs(X)
    return evaluate(model.task, model.loss, model.classes, model.targets, Z, A, T)


def predictions(model_path: str, data_path: str, proba: bool = False):
    """(header, rows (n, columns)): predicted labels or values per target, or with proba one
    probability column per class."""
    model, _, X = load_model_and_data(model_path, data_path)
    if proba and model.task == "regression":
        raise FfnetError("--proba needs a classification model (softmax or sigmoid output); this one is linear",
                         file=model_path, where="output")
    _, A = model.outputs(X)
    if proba:
        return model.probability_columns(A)
    return list(model.targets), model.predicted_labels(A)
