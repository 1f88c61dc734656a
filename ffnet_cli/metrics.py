"""Metrics of a model's outputs against targets, as scikit-learn defines them with its defaults.

- accuracy: the share of samples predicted right; for a multi-label model every label of a sample
  must be right (exact match, sklearn.metrics.accuracy_score), and `label_accuracy` is the share of
  labels right.
- precision, recall, f1: macro averages over the classes present in the true or the predicted
  labels (precision_recall_fscore_support(average="macro")); a class never predicted has precision
  0, one never true recall 0. For a multi-label model: over every label column, each column's
  positive class.
- roc_auc (binary): the area under the ROC curve of the positive class's probability, ties counted
  half (roc_auc_score); null when the labels hold one class only.
- regression, per target column and then averaged over the columns (multioutput="uniform_average"):
  mse, rmse (the mean of the per-column RMSEs), mae, r2 (a constant column scores 1 when predicted
  exactly, else 0: force_finite).
"""

import numpy as np

from .losses import mean_loss


def _confusion(y_true, y_pred, k):
    """(k, k) counts, rows: true class, columns: predicted class."""
    confusion = np.zeros((k, k), dtype=np.int64)
    np.add.at(confusion, (y_true, y_pred), 1)
    return confusion


def _scores(tp, fp, fn):
    """Per class precision, recall and f1 = 2 tp / (2 tp + fp + fn); 0 where undefined (scikit-learn's zero_division)."""
    tp, fp, fn = (np.asarray(x, dtype=np.float64) for x in (tp, fp, fn))
    precision = np.divide(tp, tp + fp, out=np.zeros_like(tp), where=tp + fp > 0)
    recall = np.divide(tp, tp + fn, out=np.zeros_like(tp), where=tp + fn > 0)
    f1 = np.divide(2 * tp, 2 * tp + fp + fn, out=np.zeros_like(tp), where=2 * tp + fp + fn > 0)
    return precision, recall, f1


def _classification(y_true, y_pred, k):
    """accuracy, macro precision/recall/f1 over the classes present in y_true or y_pred, the confusion matrix."""
    confusion = _confusion(y_true, y_pred, k)
    tp = np.diag(confusion)
    predicted, actual = confusion.sum(axis=0), confusion.sum(axis=1)
    present = (predicted + actual) > 0
    precision, recall, f1 = (s[present] for s in _scores(tp, predicted - tp, actual - tp))
    return {
        "accuracy": float(tp.sum() / len(y_true)),
        "precision": float(precision.mean()),
        "recall": float(recall.mean()),
        "f1": float(f1.mean()),
        "confusion": confusion.tolist(),
    }


def _multilabel(Y_true, Y_pred):
    """Exact-match accuracy, label accuracy, macro precision/recall/f1 over the label columns, a 2x2
    confusion per column."""
    tp = (Y_true & Y_pred).sum(axis=0)
    fp = (~Y_true & Y_pred).sum(axis=0)
    fn = (Y_true & ~Y_pred).sum(axis=0)
    tn = len(Y_true) - tp - fp - fn
    precision, recall, f1 = _scores(tp, fp, fn)
    return {
        "accuracy": float(np.all(Y_true == Y_pred, axis=1).mean()),
        "label_accuracy": float((Y_true == Y_pred).mean()),
        "precision": float(precision.mean()),
        "recall": float(recall.mean()),
        "f1": float(f1.mean()),
        "confusion": [[[int(a), int(b)], [int(c), int(d)]] for a, b, c, d in zip(tn, fp, fn, tp)],
    }


def roc_auc(y_true, score):
    """Area under the ROC curve: the chance that a random positive scores above a random negative, ties
    counting half (the Mann-Whitney U over the average ranks). None when y_true holds one class only."""
    positive = np.asarray(y_true, dtype=bool)
    n_pos = int(positive.sum())
    n_neg = len(positive) - n_pos
    if n_pos == 0 or n_neg == 0:
        return None
    _, inverse, counts = np.unique(score, return_inverse=True, return_counts=True)
    average_rank = np.cumsum(counts) - (counts - 1) / 2  # 1-based rank of each distinct score, ties averaged
    ranks = average_rank[inverse.ravel()]
    return float((ranks[positive].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg))


def r2_from_sums(sse, sst):
    """R^2 averaged over the target columns from each column's sums of squares: 1 - SSE/SST; a constant
    column (SST 0) scores 1 when predicted exactly and 0 otherwise (scikit-learn's force_finite)."""
    sse, sst = np.atleast_1d(np.asarray(sse, dtype=np.float64)), np.atleast_1d(np.asarray(sst, dtype=np.float64))
    constant = sst == 0
    r2 = np.where(constant, (sse == 0).astype(np.float64), 1 - sse / np.where(constant, 1.0, sst))
    return float(r2.mean())


def r2_score(T, A):
    """R^2 per target column, averaged."""
    return r2_from_sums(((T - A) ** 2).sum(axis=0), ((T - T.mean(axis=0)) ** 2).sum(axis=0))


def _regression(T, A):
    squared = ((A - T) ** 2).mean(axis=0)  # per column
    return {"mse": float(squared.mean()), "rmse": float(np.sqrt(squared).mean()),
            "mae": float(np.abs(A - T).mean(axis=0).mean()), "r2": r2_score(T, A)}


def correct_count(task, A, T):
    """How many samples are predicted right (for multi-label: every label of the sample)."""
    if task == "multiclass":
        return (A.argmax(axis=1) == T.argmax(axis=1)).sum()
    return ((A > 0.5) == (T > 0.5)).all(axis=1).sum()


def evaluate(task, loss, classes, targets, Z, A, T) -> dict:
    """The `eval` metrics of output layer values Z, A against targets T, all (n, k); task as model.TASKS."""
    Z, A, T = (np.asarray(M, dtype=np.float64) for M in (Z, A, T))
    metrics = {"n": len(T), "loss": float(mean_loss(loss, Z, A, T))}
    if task == "regression":
        metrics.update(_regression(T, A))
    elif task == "multiclass":
        metrics.update(_classification(T.argmax(axis=1), A.argmax(axis=1), len(classes)), classes=list(classes))
    elif task == "binary":  # one sigmoid unit over a two-class column: A is the second class's probability
        y_true = (T[:, 0] > 0.5).astype(int)
        metrics.update(_classification(y_true, (A[:, 0] > 0.5).astype(int), 2), classes=list(classes),
                       roc_auc=roc_auc(y_true, A[:, 0]))
    else:  # multi-label: each target column is its own 0/1 problem
        metrics.update(_multilabel(T > 0.5, A > 0.5), classes=list(targets))
    return metrics
