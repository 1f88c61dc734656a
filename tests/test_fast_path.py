"""The training step (workspace.Workspace + an optimizer) takes the same step as the readable
reference: network.objective_and_grads, then theta -= lr * gradient."""

import json
import tracemalloc

import numpy as np
import pytest

from ffnet_cli.activations import HIDDEN
from ffnet_cli.config import load_config
from ffnet_cli.losses import VALID_LOSSES
from ffnet_cli.modelfile import model_to_dict
from ffnet_cli.network import init_params, objective_and_grads
from ffnet_cli.optimizers import SGD
from ffnet_cli.train import train
from ffnet_cli.workspace import Workspace, flatten

PAIRS = [(output, loss) for output, losses in VALID_LOSSES.items() for loss in losses]
PENALTIES = {"none": (0.0, 0.0), "l2": (0.03, 0.0), "l1": (0.0, 0.02), "l2+l1": (0.03, 0.02)}


def make_problem(output, n=7, d=3, k=2, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, d))
    if output == "softmax":
        T = np.eye(k)[rng.integers(0, k, n)]
    elif output == "sigmoid":
        T = rng.integers(0, 2, (n, k)).astype(float)
    else:
        T = rng.standard_normal((n, k))
    return rng, X, T


def copy(params):
    return [(W.copy(), b.copy()) for W, b in params]


def sgd(params, grads, lr):
    for (W, b), (dW, db) in zip(params, grads):
        W -= lr * dW
        b -= lr * db


@pytest.mark.parametrize("fold", ["descend", True, False], ids=["sgd in the backward pass", "lr folded", "raw gradient"])
@pytest.mark.parametrize("penalty", PENALTIES)
@pytest.mark.parametrize("output,loss", PAIRS)
@pytest.mark.parametrize("hidden", HIDDEN)
def test_workspace_step_equals_plain_gradient_and_sgd_step_in_float64(hidden, output, loss, penalty, fold):
    rng, X, T = make_problem(output)
    activations = (hidden, hidden, output)
    params = init_params([3, 5, 4, 2], activations, rng)
    params = [(W, rng.normal(0, 0.1, b.shape)) for W, b in params]
    l2, l1 = PENALTIES[penalty]
    lr = 0.3
    plain = copy(params)
    ws = Workspace(params, activations, loss, batch=len(X), l2=l2, l1=l1)
    optimizer = SGD(ws.theta)
    for _ in range(3):  # several steps: the buffers are reused
        data_loss, objective, grads, A = objective_and_grads(plain, activations, loss, X, T, l2, l1)
        fast_loss, fast_objective, fast_A = ws(X, T, scale=lr if fold else 1.0, descend=fold == "descend")
        if not fold:
            for (dW, db), (g_W, g_b) in zip(grads, ws.grads):
                np.testing.assert_allclose(g_W, dW, rtol=0, atol=1e-12)
                np.testing.assert_allclose(g_b, db, rtol=0, atol=1e-12)
        if fold != "descend":
            optimizer.step(ws.theta, ws.grad, 1.0 if fold else lr)
        sgd(plain, grads, lr)
        assert fast_loss == pytest.approx(data_loss, abs=1e-12)
        assert fast_objective == pytest.approx(objective, abs=1e-12)
        np.testing.assert_allclose(fast_A, A, rtol=0, atol=1e-12)
        for (W, b), (W_fast, b_fast) in zip(plain, ws.params):
            np.testing.assert_allclose(W_fast, W, rtol=0, atol=1e-12)
            np.testing.assert_allclose(b_fast, b, rtol=0, atol=1e-12)


def test_flat_parameters_hold_every_weight_then_every_bias_as_views():
    rng = np.random.default_rng(0)
    params = init_params([3, 4, 2], ("relu", "softmax"), rng)
    theta, views, n_weights = flatten(params)
    assert n_weights == 3 * 4 + 4 * 2
    assert theta.shape == (n_weights + 4 + 2,)
    for (W, b), (W_view, b_view) in zip(params, views):
        np.testing.assert_array_equal(W_view, W)
        np.testing.assert_array_equal(b_view, b)
    theta[:] = 7.0  # the views see every change to theta
    assert all((W == 7).all() and (b == 7).all() for W, b in views)


def test_workspace_takes_a_short_last_batch_in_its_larger_buffers():
    rng, X, T = make_problem("softmax", n=5)
    activations = ("relu", "softmax")
    plain = init_params([3, 4, 2], activations, rng)
    ws = Workspace(plain, activations, "cross_entropy", batch=32)
    _, _, grads, _ = objective_and_grads(plain, activations, "cross_entropy", X, T)
    ws(X, T)
    for (dW, db), (g_W, g_b) in zip(grads, ws.grads):
        np.testing.assert_allclose(g_W, dW, rtol=0, atol=1e-12)
        np.testing.assert_allclose(g_b, db, rtol=0, atol=1e-12)


def test_workspace_keeps_float32_parameters_float32():
    rng, X, T = make_problem("softmax")
    activations = ("tanh", "softmax")
    params = init_params([3, 4, 2], activations, rng, np.float32)
    ws = Workspace(params, activations, "cross_entropy", batch=len(X))
    _, _, A = ws(X.astype(np.float32), T.astype(np.float32))
    assert A.dtype == np.float32 and ws.theta.dtype == np.float32 and ws.grad.dtype == np.float32


def test_workspace_allocates_no_batch_sized_arrays():
    rng = np.random.default_rng(0)
    batch, units = 256, 128
    X = rng.standard_normal((batch, units))
    T = np.eye(4)[rng.integers(0, 4, batch)]
    activations = ("relu", "sigmoid", "tanh", "softmax")
    params = init_params([units, units, units, units, 4], activations, rng)
    ws = Workspace(params, activations, "cross_entropy", batch, l2=1e-3, l1=1e-3)
    optimizer = SGD(ws.theta)
    ws(X, T)
    tracemalloc.start()
    for _ in range(5):
        ws(X, T, scale=0.01)
        optimizer.step(ws.theta, ws.grad, 1.0)
        ws(X, T, scale=0.01, descend=True)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert peak < X.nbytes / 2  # only small (n, k) and (n, 1) temporaries: not one (n, units) array


def write_config(tmp_path, lr=0.1, dtype="float32", epochs=5):
    rng = np.random.default_rng(1)
    X = rng.standard_normal((60, 4))
    y = (X[:, 0] + X[:, 1] ** 2 > 1).astype(int) + (X[:, 2] > 0.5)
    np.savez(tmp_path / "data.npz", X=X, y=y)
    (tmp_path / "config.yaml").write_text(
        "seed: 3\ndata: {train: data.npz, validation_split: 0.2}\n"
        "model: {hidden: [{units: 8, activation: relu}, {units: 6, activation: tanh}], output: softmax}\n"
        f"train: {{epochs: {epochs}, batch_size: 7, learning_rate: {lr}, l2: 0.001, dtype: {dtype}}}\n")
    return load_config(str(tmp_path / "config.yaml"))


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_training_twice_gives_byte_identical_models(tmp_path, dtype):
    cfg = write_config(tmp_path, dtype=dtype)
    first, second = train(cfg), train(cfg)
    assert json.dumps(model_to_dict(first.model)) == json.dumps(model_to_dict(second.model))
    strip = [{k: v for k, v in r.items() if k != "seconds"} for r in first.history]
    assert strip == [{k: v for k, v in r.items() if k != "seconds"} for r in second.history]


def test_divergence_is_caught_at_the_batch_and_the_last_finite_weights_are_kept(tmp_path):
    cfg = write_config(tmp_path, lr=1e30, epochs=3)
    result = train(cfg)
    assert result.diverged is not None
    assert "at epoch" in result.diverged and "batch" in result.diverged
    assert all(np.isfinite(W).all() and np.isfinite(b).all() for W, b in result.model.params)
    assert result.final == {}
