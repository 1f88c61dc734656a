"""Real public tables with categories and missing cells, against a scikit-learn Pipeline.

ffnet trains from the raw CSV with one line of data config (data.missing); scikit-learn needs a
ColumnTransformer (SimpleImputer + StandardScaler on numbers, OneHotEncoder on categories) and an
MLPClassifier with the same architecture and training settings (one hidden relu layer, plain SGD,
batch size, learning rate, epochs, no penalty). Held-out accuracy must agree within MARGIN.
"""

import csv
import warnings

import numpy as np
import pytest

from conftest import DATASETS
from ffnet_cli.config import parse_config
from ffnet_cli.train import train

sklearn = pytest.importorskip("sklearn", reason="scikit-learn is in the test extra: pip install -e '.[test]'")
from sklearn.compose import ColumnTransformer  # noqa: E402
from sklearn.exceptions import ConvergenceWarning  # noqa: E402
from sklearn.impute import SimpleImputer  # noqa: E402
from sklearn.neural_network import MLPClassifier  # noqa: E402
from sklearn.pipeline import make_pipeline  # noqa: E402
from sklearn.preprocessing import OneHotEncoder, StandardScaler  # noqa: E402

MARGIN = 0.06  # held-out accuracy: one or two test rows in 100 either way, and seed-to-seed noise
MISSING = {"NA", ""}


def split_file(tmp_path, name, test_share=0.25, seed=0):
    """The shipped CSV cut into train.csv and test.csv (a seeded shuffle); returns header and rows of each."""
    with open(DATASETS / name, newline="") as f:
        header, *rows = list(csv.reader(f))
    order = np.random.default_rng(seed).permutation(len(rows))
    cut = round(len(rows) * (1 - test_share))
    parts = {"train": [rows[i] for i in order[:cut]], "test": [rows[i] for i in order[cut:]]}
    for part, chosen in parts.items():
        with open(tmp_path / f"{part}.csv", "w", newline="") as f:
            csv.writer(f, lineterminator="\n").writerows([header] + chosen)
    return header, parts


def ffnet_accuracy(tmp_path, data: str, epochs: int, lr: float, batch: int) -> float:
    text = (f"data: {{train: train.csv, test: test.csv, {data}}}\nmodel: {{hidden: [{{units: 16}}], output: softmax}}\n"
            f"train: {{epochs: {epochs}, batch_size: {batch}, learning_rate: {lr}}}\n")
    result = train(parse_config(text, str(tmp_path / "c.yaml")))
    return result.final["test"]["accuracy"]


def sklearn_accuracy(header, parts, categorical, drop: bool, epochs: int, lr: float, batch: int, seed=0) -> float:
    target = len(header) - 1
    numeric = [j for j in range(target) if header[j] not in categorical]
    words = [j for j in range(target) if header[j] in categorical]

    def table(rows):
        rows = [r for r in rows if r[target] not in MISSING and not (drop and MISSING & set(r))]
        X = np.array([[np.nan if r[j] in MISSING else float(r[j]) for j in numeric] +
                      [None if r[j] in MISSING else r[j] for j in words] for r in rows], dtype=object)
        return X, np.array([r[target] for r in rows])

    n = len(numeric)
    columns = ColumnTransformer([
        ("numbers", make_pipeline(SimpleImputer(strategy="mean"), StandardScaler()), list(range(n))),
        # A missing category is all zeros in ffnet: impute a placeholder that the encoder then ignores.
        ("categories", make_pipeline(SimpleImputer(strategy="constant", fill_value="(missing)"),
                                     OneHotEncoder(handle_unknown="ignore")), list(range(n, n + len(words)))),
    ])
    mlp = MLPClassifier(hidden_layer_sizes=(16,), activation="relu", solver="sgd", learning_rate_init=lr,
                        momentum=0.0, nesterovs_momentum=False, alpha=0.0, batch_size=batch, max_iter=epochs,
                        n_iter_no_change=epochs, tol=0.0, random_state=seed)
    X_train, y_train = table(parts["train"])
    X_test, y_test = table(parts["test"])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)  # max_iter reached: the epochs we asked for
        model = make_pipeline(columns, mlp).fit(X_train.astype(object), y_train)
    return float((model.predict(X_test) == y_test).mean())


SETTINGS = {"epochs": 60, "lr": 0.05, "batch": 16}


def test_penguins_from_the_raw_csv_matches_scikit_learn(tmp_path):
    header, parts = split_file(tmp_path, "penguins.csv")
    ours = ffnet_accuracy(tmp_path, "missing: impute", **SETTINGS)
    theirs = sklearn_accuracy(header, parts, {"island", "sex"}, drop=False, **SETTINGS)
    assert ours >= 0.95 and abs(ours - theirs) <= MARGIN, (ours, theirs)


def test_cars_with_a_listed_number_category_matches_scikit_learn(tmp_path):
    header, parts = split_file(tmp_path, "cars.csv")
    settings = dict(SETTINGS, epochs=150)
    ours = ffnet_accuracy(tmp_path, "missing: drop, categorical: [Cylinders]", **settings)
    theirs = sklearn_accuracy(header, parts, {"Cylinders"}, drop=True, **settings)
    assert ours >= 0.7 and abs(ours - theirs) <= MARGIN, (ours, theirs)
