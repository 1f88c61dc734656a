"""Metrics of a model's outputs against targets: loss, accuracy and friends, or regression errors."""

import numpy as np

from .losses import mean_loss


def _classification(y_true, y_pred, k):
    """accuracy, macro precision/recall/f1 and the confusion matrix (rows: true, columns: predicted)."""
    confusion = np.zeros((k, k), dtype=np.int64)
    np.add.at(confusion, (y_true, y_pred), 1)
    tp = np.diag(confusion).astype(float)
    predicted, actual = confusion.sum(axis=0), confusion.sum(axis=1)
    precision = np.divide(tp, predicted, out=np.zeros(k), where=predicted > 0)
    recall = np.divide(tp, actual, out=np.zeros(k), where=actual > 0)
    f1 = np.divide(2 * precision * recall, precision + recall, out=np.zeros(k), where=precision + recall > 0)
    return {
        "accuracy": float(tp.sum() / len(y_true)),
        "precision": float(precision.mean()),
        "recall": float(recall.mean()),
        "f1": float(f1.mean()),
        "confusion": confusion.tolist(),
    }


def r2_score(T, A):
    """R^2 = 1 - SSE/SST per target column, averaged; None where a column is constant."""
    sst = ((T - T.mean(axis=0)) ** 2).sum(axis=0)
    sse = ((T - A) ** 2).sum(axis=0)
    return r2_from_sums(sse, sst)


def r2_from_sums(sse, sst):
    if np.any(sst == 0):
        return None
    return float(np.mean(1 - sse / sst))


def correct_count(task, A, T):
    """How many predictions are right: samples for multiclass and binary, labels for multi-label."""
    if task == "multiclass":
        return (A.argmax(axis=1) == T.argmax(axis=1)).sum()
    return ((A > 0.5) == (T > 0.5)).sum()


def evaluate(task, loss, classes, targets, Z, A, T) -> dict:
    """The `eval` metrics of output layer values Z, A against targets T, all (n, k); task as model.TASKS."""
    Z, A, T = (np.asarray(M, dtype=np.float64) for M in (Z, A, T))
    metrics = {"n": len(T), "loss": float(mean_loss(loss, Z, A, T))}
    if task == "regression":
        mse = float(np.mean((A - T) ** 2))
        metrics.update(mse=mse, rmse=float(np.sqrt(mse)), mae=float(np.mean(np.abs(A - T))), r2=r2_score(T, A))
    elif task == "multiclass":
        metrics.update(_classification(T.argmax(axis=1), A.argmax(axis=1), len(classes)), classes=list(classes))
    elif task == "binary":  # one sigmoid unit over a two-class column
        metrics.update(_classification((T[:, 0] > 0.5).astype(int), (A[:, 0] > 0.5).astype(int), 2), classes=list(classes))
    else:  # multi-label: each target column is its own 0/1 problem; macro over the columns' positive class
        per_label = [_classification((T[:, j] > 0.5).astype(int), (A[:, j] > 0.5).astype(int), 2) for j in range(T.shape[1])]
        metrics["accuracy"] = float(correct_count(task, A, T)) / T.size
        for key in ("precision", "recall", "f1"):
            metrics[key] = float(np.mean([_positive(m["confusion"], key) for m in per_label]))
        metrics.update(confusion=[m["confusion"] for m in per_label], classes=list(targets))
    return metrics


def _positive(confusion, key):
    """Precision, recall or f1 of the positive class from a 2x2 confusion matrix."""
    (_, fp), (fn, tp) = confusion
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    if key == "precision":
        return precision
    if key == "recall":
        return recall
    return 2 * precision * recall / (precision + recall) if precision + recall else 0.0
