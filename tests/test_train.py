"""Training end to end: a hand-worked SGD step, XOR as the lecture tells it, determinism, round trips."""

import json

import numpy as np
import pytest

from conftest import CONFIGS, DATASETS
from ffnet_cli.config import load_config
from ffnet_cli.modelfile import load_model, save_model
from ffnet_cli.train import train

EXAMPLES = sorted(p.name for p in CONFIGS.glob("*.yaml"))


def write(path, text):
    path.write_text(text)
    return path


def test_one_sgd_step_worked_by_hand_equals_train(tmp_path, ffnet):
    # A 2-2-1 relu/sigmoid network, log-loss, L2, two samples in one full batch, one epoch.
    W = [[0.5, -0.3], [0.2, 0.8]]
    b = [0.1, -0.2]
    v = [0.7, -0.4]
    c = 0.05
    X = [[1.0, 2.0], [-1.0, 0.5]]
    t = [1.0, 0.0]
    lr, l2 = 0.5, 0.1
    write(tmp_path / "d.csv", "x1,x2,y\n" + "".join(f"{x[0]},{x[1]},{int(y)}\n" for x, y in zip(X, t)))
    start = {"format": "ffnet-model", "version": 1, "features": ["x1", "x2"], "targets": ["y"],
             "output": "sigmoid", "loss": "log_loss", "classes": ["0", "1"], "standardize": None,
             "layers": [{"activation": "relu", "weights": W, "bias": b},
                        {"activation": "sigmoid", "weights": [[v[0]], [v[1]]], "bias": [c]}]}
    write(tmp_path / "start.json", json.dumps(start))
    write(tmp_path / "c.yaml", f"data: {{train: d.csv}}\nmodel: {{hidden: [{{units: 2}}], output: sigmoid}}\n"
                               f"train: {{epochs: 1, batch_size: 2, learning_rate: {lr}, l2: {l2}, dtype: float64}}\n")

    # By hand, one sample and one scalar at a time, straight from the chain rule.
    n = len(X)
    dW = [[0.0, 0.0], [0.0, 0.0]]
    db, dv, dc = [0.0, 0.0], [0.0, 0.0], 0.0
    for x, target in zip(X, t):
        z1 = [x[0] * W[0][j] + x[1] * W[1][j] + b[j] for j in range(2)]
        h = [max(0.0, z) for z in z1]
        z2 = h[0] * v[0] + h[1] * v[1] + c
        a = 1 / (1 + np.exp(-z2))
        dz2 = (a - target) / n  # sigmoid + log-loss: dJ/dz = (a - t) / n
        dc += dz2
        for j in range(2):
            dv[j] += dz2 * h[j]
            dz1 = dz2 * v[j] * (1.0 if z1[j] > 0 else 0.0)
            db[j] += dz1
            for i in range(2):
                dW[i][j] += x[i] * dz1
    W_new = [[W[i][j] - lr * (dW[i][j] + l2 * W[i][j]) for j in range(2)] for i in range(2)]
    b_new = [b[j] - lr * db[j] for j in range(2)]
    v_new = [v[j] - lr * (dv[j] + l2 * v[j]) for j in range(2)]
    c_new = c - lr * dc

    result = ffnet("train", "c.yaml", "--init", "start.json", "--out", "out", "--quiet")
    assert result.returncode == 0, result.stderr
    layers = json.loads((tmp_path / "out" / "model.json").read_text())["layers"]
    assert np.allclose(layers[0]["weights"], W_new, rtol=0, atol=1e-14)
    assert np.allclose(layers[0]["bias"], b_new, rtol=0, atol=1e-14)
    assert np.allclose(np.ravel(layers[1]["weights"]), v_new, rtol=0, atol=1e-14)
    assert np.allclose(layers[1]["bias"], [c_new], rtol=0, atol=1e-14)
    assert not np.allclose(layers[0]["weights"], W)  # the step did move the weights


def train_example(config, *overrides):
    return train(load_config(str(CONFIGS / config), overrides))


def test_xor_yaml_learns_xor():
    result = train_example("xor.yaml")
    assert result.final["train"]["accuracy"] == 1.0


@pytest.mark.parametrize("config", ["xor_logistic.yaml", "xor_linear.yaml"])
def test_xor_without_a_nonlinearity_stays_at_or_below_three_quarters(config):
    result = train_example(config)
    assert result.final["train"]["accuracy"] <= 0.75


def test_training_twice_gives_identical_model_bytes(tmp_path, ffnet):
    for out in ("a", "b"):
        assert ffnet("train", CONFIGS / "iris.yaml", "--out", out, "--quiet").returncode == 0
    assert (tmp_path / "a" / "model.json").read_bytes() == (tmp_path / "b" / "model.json").read_bytes()


def test_a_different_seed_gives_a_different_model(tmp_path, ffnet):
    for out, seed in (("a", 0), ("b", 1)):
        assert ffnet("train", CONFIGS / "xor.yaml", "--set", f"seed={seed}", "--out", out, "--quiet").returncode == 0
    assert (tmp_path / "a" / "model.json").read_bytes() != (tmp_path / "b" / "model.json").read_bytes()


@pytest.mark.parametrize("config,dtype", [("iris.yaml", "float32"), ("regression.yaml", "float64"),
                                          ("multilabel.yaml", "float32"), ("breast_cancer.yaml", "float64")])
def test_saved_model_predicts_exactly_what_the_trained_one_did(tmp_path, config, dtype):
    result = train_example(config, f"train.dtype={dtype}", "train.epochs=3")
    path = tmp_path / "model.json"
    save_model(result.model, str(path))
    loaded = load_model(str(path))
    X = np.random.default_rng(1).normal(size=(50, len(result.model.features)))
    _, in_memory = result.model.outputs(X)
    _, from_file = loaded.outputs(X)
    assert from_file.dtype == np.dtype(dtype)
    assert np.array_equal(in_memory, from_file)


def test_per_epoch_history_has_the_contract_keys():
    result = train_example("iris.yaml", "train.epochs=2")
    assert [r["epoch"] for r in result.history] == [1, 2]
    assert set(result.history[0]) == {"epoch", "loss", "objective", "learning_rate", "seconds", "accuracy", "val_loss",
                                      "val_accuracy"}
    assert set(result.final) == {"train", "validation"}


def test_objective_includes_the_l2_penalty():
    plain = train_example("iris.yaml", "train.epochs=1")
    penalised = train_example("iris.yaml", "train.epochs=1", "train.l2=0.5")
    record = penalised.history[0]
    assert record["objective"] > record["loss"]
    assert plain.history[0]["objective"] == plain.history[0]["loss"]


def test_regression_history_reports_r2():
    result = train_example("regression.yaml", "train.epochs=2")
    assert "r2" in result.history[0] and "val_r2" in result.history[0]
    assert -1 < result.final["train"]["r2"] <= 1


def test_test_file_is_evaluated_at_the_end(tmp_path):
    result = train_example("iris.yaml", "train.epochs=2", f"data.test={DATASETS / 'iris.csv'}")
    assert result.final["test"]["n"] == 150


@pytest.mark.parametrize("config", EXAMPLES)
def test_every_example_config_trains_and_passes_gradcheck(tmp_path, ffnet, config):
    trained = ffnet("train", CONFIGS / config, "--out", "out", "--quiet", "--json")
    assert trained.returncode == 0, trained.stderr
    metrics = json.loads(trained.stdout)
    assert metrics["final"]["train"]["n"] > 0
    checked = ffnet("gradcheck", CONFIGS / config, "--json")
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert json.loads(checked.stdout)["passed"] is True
