"""Adam with early stopping against scikit-learn's MLPClassifier(solver="adam"): the same data
split, architecture and training settings give held-out accuracy within MARGIN."""

import csv
import warnings

import numpy as np
import pytest

from conftest import DATASETS
from ffnet_cli.config import load_config
from ffnet_cli.train import train

sklearn = pytest.importorskip("sklearn", reason="scikit-learn is in the test extra: pip install -e '.[test]'")
from sklearn.model_selection import train_test_split  # noqa: E402
from sklearn.neural_network import MLPClassifier  # noqa: E402
from sklearn.pipeline import make_pipeline  # noqa: E402
from sklearn.preprocessing import StandardScaler  # noqa: E402

MARGIN = 0.04  # mean held-out accuracy over SEEDS, absolute

CASES = {  # file, target column, hidden units, learning rate, batch size
    "iris": ("iris.csv", "species", (16,), 0.01, 16),
    "breast_cancer": ("breast_cancer.csv", "diagnosis", (16,), 0.001, 32),
    "moons": ("moons.csv", "label", (16, 16), 0.01, 32),
}


def split_files(tmp_path, name, target):
    with open(DATASETS / name) as f:
        rows = list(csv.reader(f))
    header, body = rows[0], rows[1:]
    labels = [row[header.index(target)] for row in body]
    train_rows, test_rows = train_test_split(body, test_size=0.3, random_state=0, stratify=labels)
    for part, part_rows in (("train", train_rows), ("test", test_rows)):
        with open(tmp_path / f"{part}.csv", "w", newline="") as f:
            csv.writer(f).writerows([header] + part_rows)
    return header, train_rows, test_rows


def xy(header, rows, target):
    j = header.index(target)
    X = np.array([[float(v) for k, v in enumerate(row) if k != j] for row in rows])
    return X, np.array([row[j] for row in rows])


SEEDS = range(5)  # one split, five seeds each: single runs on a few dozen test rows vary by several points


@pytest.mark.parametrize("case", CASES)
def test_adam_with_early_stopping_matches_scikit_learn_on_held_out_accuracy(tmp_path, case):
    name, target, hidden, lr, batch = CASES[case]
    header, train_rows, test_rows = split_files(tmp_path, name, target)
    X_train, y_train = xy(header, train_rows, target)
    X_test, y_test = xy(header, test_rows, target)
    layers = ", ".join(f"{{units: {u}, activation: relu}}" for u in hidden)
    ours, theirs = [], []
    for seed in SEEDS:
        (tmp_path / "c.yaml").write_text(
            f"seed: {seed}\ndata: {{train: train.csv, test: test.csv, target: {target}, validation_split: 0.2}}\n"
            f"model: {{hidden: [{layers}], output: softmax}}\n"
            f"train: {{epochs: 300, batch_size: {batch}, learning_rate: {lr}, optimizer: adam, dtype: float64, "
            f"early_stopping: {{monitor: val_accuracy, patience: 20}}}}\n")
        ours.append(train(load_config(str(tmp_path / "c.yaml"))).final["test"]["accuracy"])
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # ConvergenceWarning when max_iter ends the run
            mlp = make_pipeline(StandardScaler(), MLPClassifier(
                hidden_layer_sizes=hidden, activation="relu", solver="adam", learning_rate_init=lr, batch_size=batch,
                alpha=0.0, max_iter=300, early_stopping=True, validation_fraction=0.2, n_iter_no_change=20, tol=0.0,
                random_state=seed)).fit(X_train, y_train)
        theirs.append(float((mlp.predict(X_test) == y_test).mean()))
    print(f"{case}: ffnet {np.mean(ours):.3f} {np.round(ours, 3)}, scikit-learn {np.mean(theirs):.3f} {np.round(theirs, 3)}")
    assert abs(np.mean(ours) - np.mean(theirs)) <= MARGIN
