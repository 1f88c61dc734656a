"""eval's metrics are scikit-learn's (with its defaults): worked by hand, then compared with sklearn.metrics."""

import warnings

import numpy as np
import pytest

from ffnet_cli.config import load_config
from ffnet_cli.metrics import correct_count, evaluate, r2_from_sums, roc_auc
from ffnet_cli.train import train

from conftest import CONFIGS


def one_hot(labels, k):
    return np.eye(k)[labels]


def classify(y_true, y_pred, k):
    """evaluate() of a softmax model whose outputs pick y_pred."""
    T, A = one_hot(y_true, k), one_hot(y_pred, k) * 0.9 + 0.1 / k
    return evaluate("multiclass", "cross_entropy", [str(c) for c in range(k)], ["y"], np.log(A), A, T)


# -- worked by hand ---------------------------------------------------------------------------

def test_a_perfect_result_scores_1_when_a_class_is_absent_from_both_true_and_predicted_labels():
    metrics = classify([0, 1, 0, 1], [0, 1, 0, 1], 3)  # class 2 never appears
    assert (metrics["precision"], metrics["recall"], metrics["f1"], metrics["accuracy"]) == (1.0, 1.0, 1.0, 1.0)
    assert metrics["confusion"] == [[2, 0, 0], [0, 2, 0], [0, 0, 0]]


def test_macro_scores_worked_by_hand():
    # class 0: tp 1 fn 1 -> P 1, R 1/2, F1 2/3; class 1: tp 1 fp 2 -> P 1/3, R 1, F1 1/2;
    # class 2: tp 0 fn 1, never predicted -> P 0, R 0, F1 0; class 3 absent from both: left out.
    metrics = classify([0, 0, 1, 2], [0, 1, 1, 1], 4)
    assert metrics["precision"] == pytest.approx((1 + 1 / 3 + 0) / 3)
    assert metrics["recall"] == pytest.approx((1 / 2 + 1 + 0) / 3)
    assert metrics["f1"] == pytest.approx((2 / 3 + 1 / 2 + 0) / 3)
    assert metrics["accuracy"] == 0.5


def test_multi_output_rmse_is_the_mean_of_the_per_column_rmse():
    T = np.array([[0.0, 0.0], [2.0, 4.0]])
    A = np.array([[1.0, 2.0], [3.0, 6.0]])  # column errors 1, 1 and 2, 2
    metrics = evaluate("regression", "squared_error", None, ["a", "b"], A, A, T)
    assert metrics["mse"] == pytest.approx((1 + 4) / 2)
    assert metrics["rmse"] == pytest.approx((1 + 2) / 2)  # not sqrt(2.5)
    assert metrics["mae"] == pytest.approx((1 + 2) / 2)
    assert metrics["r2"] == pytest.approx(((1 - 2 / 2) + (1 - 8 / 8)) / 2)


def test_r2_of_a_constant_column_is_1_when_exact_else_0():
    assert r2_from_sums([0.0], [0.0]) == 1.0
    assert r2_from_sums([0.5], [0.0]) == 0.0
    assert r2_from_sums([0.0, 1.0], [0.0, 4.0]) == pytest.approx((1 + 0.75) / 2)


def test_multilabel_accuracy_is_exact_match_and_label_accuracy_the_share_of_labels():
    T = np.array([[1.0, 0.0], [0.0, 1.0]])
    A = np.array([[0.9, 0.1], [0.9, 0.9]])  # row 1 right, row 2 has its first label wrong
    metrics = evaluate("multilabel", "log_loss", None, ["a", "b"], np.log(A / (1 - A)), A, T)
    assert metrics["accuracy"] == 0.5 and metrics["label_accuracy"] == 0.75
    assert metrics["confusion"] == [[[0, 1], [0, 1]], [[1, 0], [0, 1]]]  # per column [[tn, fp], [fn, tp]]
    assert correct_count("multilabel", A, T) == 1


def test_roc_auc_worked_by_hand_with_ties_counting_half():
    assert roc_auc([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8]) == pytest.approx(0.75)  # 3 of the 4 pairs ordered right
    assert roc_auc([0, 1, 0, 1], [0.5, 0.5, 0.2, 0.9]) == pytest.approx((1 + 1 + 0.5 + 1) / 4)
    assert roc_auc([1, 1], [0.2, 0.9]) is None


def test_binary_eval_adds_roc_auc_and_multiclass_does_not():
    T = np.array([[0.0], [0.0], [1.0], [1.0]])
    A = np.array([[0.1], [0.4], [0.35], [0.8]])
    binary = evaluate("binary", "log_loss", ["no", "yes"], ["y"], np.log(A / (1 - A)), A, T)
    assert binary["roc_auc"] == pytest.approx(0.75) and binary["accuracy"] == 0.75
    assert "roc_auc" not in classify([0, 1], [0, 1], 2)


def test_multilabel_epoch_accuracy_is_exact_match_like_eval():
    # A learning rate too small to move anything: the epoch's accuracy, counted on the one full batch as it
    # was trained, is the untrained model's, which eval measures again after the step.
    cfg = load_config(CONFIGS / "multilabel.yaml", ["train.epochs=1", "train.batch_size=100000", "train.learning_rate=1e-12",
                                                    "data.validation_split=0", "train.dtype=float64"])
    result = train(cfg)
    final = result.final["train"]
    assert result.history[0]["accuracy"] == pytest.approx(final["accuracy"], abs=1e-12)
    assert final["accuracy"] < final["label_accuracy"]


# -- against scikit-learn ---------------------------------------------------------------------

def sklearn_metrics():
    return pytest.importorskip("sklearn.metrics", reason="scikit-learn is in the test extra: pip install -e '.[test]'")


def quiet(function, *args, **kwargs):
    with warnings.catch_warnings():  # sklearn warns where a score is undefined and set to 0
        warnings.simplefilter("ignore")
        return function(*args, **kwargs)


CLASS_CASES = {
    "random 4 classes": (np.random.default_rng(0).integers(0, 4, 40), np.random.default_rng(1).integers(0, 4, 40)),
    "class absent from both": ([0, 1, 0, 1, 1], [0, 1, 1, 1, 0]),
    "class only true": ([0, 1, 2, 2, 0], [0, 1, 1, 1, 0]),
    "class only predicted": ([0, 1, 1, 0, 0], [0, 2, 1, 0, 2]),
    "perfect": ([0, 2, 1, 0], [0, 2, 1, 0]),
}


@pytest.mark.parametrize("case", CLASS_CASES)
def test_multiclass_metrics_match_sklearn(case):
    skm = sklearn_metrics()
    y_true, y_pred = map(np.asarray, CLASS_CASES[case])
    k = 4
    metrics = classify(y_true, y_pred, k)
    precision, recall, f1, _ = quiet(skm.precision_recall_fscore_support, y_true, y_pred, average="macro")
    assert metrics["accuracy"] == pytest.approx(skm.accuracy_score(y_true, y_pred), abs=1e-12)
    assert (metrics["precision"], metrics["recall"], metrics["f1"]) == pytest.approx((precision, recall, f1), abs=1e-12)
    assert metrics["confusion"] == skm.confusion_matrix(y_true, y_pred, labels=range(k)).tolist()


@pytest.mark.parametrize("seed", range(4))
def test_binary_metrics_and_roc_auc_match_sklearn(seed):
    skm = sklearn_metrics()
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, 30)
    p = np.round(np.clip(0.3 * y + rng.random(30) * 0.7, 0, 1), 1)  # rounded: ties in the scores
    if seed == 3:
        y[:] = 1 - (p > 0.5)  # every prediction wrong
    metrics = evaluate("binary", "log_loss", ["0", "1"], ["y"], np.zeros((30, 1)), p[:, None], y[:, None].astype(float))
    y_pred = (p > 0.5).astype(int)
    precision, recall, f1, _ = quiet(skm.precision_recall_fscore_support, y, y_pred, average="macro")
    assert metrics["accuracy"] == pytest.approx(skm.accuracy_score(y, y_pred), abs=1e-12)
    assert (metrics["precision"], metrics["recall"], metrics["f1"]) == pytest.approx((precision, recall, f1), abs=1e-12)
    assert metrics["roc_auc"] == pytest.approx(skm.roc_auc_score(y, p), abs=1e-12)


@pytest.mark.parametrize("case", ["random", "a label never true nor predicted", "perfect"])
def test_multilabel_metrics_match_sklearn(case):
    skm = sklearn_metrics()
    rng = np.random.default_rng(3)
    Y = rng.integers(0, 2, (25, 3))
    P = Y.copy() if case == "perfect" else rng.integers(0, 2, (25, 3))
    if case != "random":
        Y[:, 2] = P[:, 2] = 0
    metrics = evaluate("multilabel", "log_loss", None, ["a", "b", "c"], np.zeros(Y.shape), P * 0.8 + 0.1, Y.astype(float))
    precision, recall, f1, _ = quiet(skm.precision_recall_fscore_support, Y, P, average="macro")
    assert metrics["accuracy"] == pytest.approx(skm.accuracy_score(Y, P), abs=1e-12)  # exact match
    assert metrics["label_accuracy"] == pytest.approx(np.mean([skm.accuracy_score(Y[:, j], P[:, j]) for j in range(3)]))
    assert (metrics["precision"], metrics["recall"], metrics["f1"]) == pytest.approx((precision, recall, f1), abs=1e-12)
    assert metrics["confusion"] == skm.multilabel_confusion_matrix(Y, P).tolist()


@pytest.mark.parametrize("case", ["one column", "three columns", "a constant column predicted exactly",
                                  "a constant column predicted wrong"])
def test_regression_metrics_match_sklearn(case):
    skm = sklearn_metrics()
    rng = np.random.default_rng(5)
    k = 1 if case == "one column" else 3
    T = rng.normal(100, 30, (20, k)) * np.arange(1, k + 1)
    A = T + rng.normal(0, 10, T.shape)
    if case.startswith("a constant"):
        T[:, 1] = 7.0
        A[:, 1] = 7.0 if case.endswith("exactly") else 7.5
    metrics = evaluate("regression", "squared_error", None, [f"y{j}" for j in range(k)], A, A, T)
    assert metrics["mse"] == pytest.approx(skm.mean_squared_error(T, A), rel=1e-12)
    assert metrics["rmse"] == pytest.approx(skm.root_mean_squared_error(T, A), rel=1e-12)
    assert metrics["mae"] == pytest.approx(skm.mean_absolute_error(T, A), rel=1e-12)
    assert metrics["r2"] == pytest.approx(skm.r2_score(T, A), rel=1e-12)
