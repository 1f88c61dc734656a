"""The math of the lecture: activations, output units, losses, backprop and its gradient check."""


import numpy as np
import pytest

from ffnet_cli import activations as act
from ffnet_cli.activations import ACTIVATIONS, HIDDEN
from ffnet_cli.gradcheck import gradcheck
from ffnet_cli.losses import LOSSES, VALID_LOSSES, mean_loss, output_delta
from ffnet_cli.network import forward, init_params, objective_and_grads

PAIRS = [(output, loss) for output, losses in VALID_LOSSES.items() for loss in losses]
PENALTIES = {"none": (0.0, 0.0), "l2": (0.1, 0.0), "l1": (0.0, 0.05), "l2+l1": (0.1, 0.05)}


def make_problem(output, k, n=6, d=3, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, d))
    if output == "softmax":
        T = np.eye(k)[rng.integers(0, k, n)]
    elif output == "sigmoid":
        T = (rng.random((n, k)) > 0.5).astype(float)
    else:
        T = rng.standard_normal((n, k))
    return rng, X, T


@pytest.mark.parametrize("depth", [1, 2, 3])
@pytest.mark.parametrize("penalty", PENALTIES)
@pytest.mark.parametrize("output,loss", PAIRS)
@pytest.mark.parametrize("hidden", HIDDEN)
def test_backprop_matches_finite_differences(hidden, output, loss, penalty, depth):
    k = 3 if output == "softmax" else 2
    rng, X, T = make_problem(output, k)
    sizes = [3] + [4] * depth + [k]
    activations = (hidden,) * depth + (output,)
    params = init_params(sizes, activations, rng)
    # Nudge biases off zero so relu units are rarely exactly at a kink.
    params = [(W, rng.normal(0, 0.1, b.shape)) for W, b in params]
    l2, l1 = PENALTIES[penalty]
    result = gradcheck(params, activations, loss, X, T, l2, l1)
    assert result["passed"], result
    assert result["max_relative_error"] < 1e-5
    judged = sum(np.prod(p["shape"]) for p in result["parameters"]) - result["kinks"]
    assert judged > 0.9 * sum(np.prod(p["shape"]) for p in result["parameters"])


def test_gradcheck_fails_when_one_derivative_is_wrong(monkeypatch):
    rng, X, T = make_problem("sigmoid", 1)
    activations = ("tanh", "sigmoid")
    params = init_params([3, 4, 1], activations, rng)
    monkeypatch.setitem(ACTIVATIONS, "tanh", (act.tanh, lambda A, out=None: 1 - A))  # should be 1 - A^2
    result = gradcheck(params, activations, "log_loss", X, T)
    assert not result["passed"]
    failed = [p["name"] for p in result["parameters"] if not p["passed"]]
    assert failed == ["layers[0].weights", "layers[0].bias"]


def test_gradcheck_counts_the_lecture_xor_relu_kinks_instead_of_failing():
    params = [(np.array([[1.0, 1.0], [1.0, 1.0]]), np.array([0.0, -1.0])), (np.array([[1.0], [-2.0]]), np.array([0.0]))]
    X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=float)
    T = np.array([[0], [1], [1], [0]], dtype=float)
    result = gradcheck(params, ("relu", "linear"), "squared_error", X, T)
    assert result["passed"]
    assert result["kinks"] > 0


def test_lecture_xor_network_computes_xor():
    params = [(np.array([[1.0, 1.0], [1.0, 1.0]]), np.array([0.0, -1.0])), (np.array([[1.0], [-2.0]]), np.array([0.0]))]
    X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=float)
    As, Z = forward(params, ("relu", "linear"), X)
    assert As[-1][:, 0].tolist() == [0.0, 1.0, 1.0, 0.0]


def test_sigmoid_does_not_overflow_and_saturates():
    with np.errstate(over="raise", divide="raise", invalid="raise"):
        values = act.sigmoid(np.array([-1000.0, -30.0, 0.0, 30.0, 1000.0]))
    assert values[0] == 0.0 and values[-1] == 1.0 and values[2] == 0.5
    assert np.allclose(values[1:4], 1 / (1 + np.exp(-np.array([-30.0, 0.0, 30.0]))), rtol=1e-12, atol=0)


def test_softmax_is_stable_for_huge_logits():
    with np.errstate(over="raise", divide="raise", invalid="raise"):
        A = act.softmax(np.array([[1000.0, 1000.0, -1000.0], [0.0, 0.0, 0.0]]))
    assert np.allclose(A, [[0.5, 0.5, 0.0], [1 / 3, 1 / 3, 1 / 3]])


def test_log_loss_from_logits_has_no_log_of_zero():
    Z = np.array([[800.0], [-800.0]])
    T = np.array([[0.0], [1.0]])
    with np.errstate(over="raise", divide="raise", invalid="raise"):
        loss = mean_loss("log_loss", Z, act.sigmoid(Z), T)
    assert loss == pytest.approx(800.0)


def test_cross_entropy_from_logits_matches_the_definition_and_survives_huge_logits():
    Z = np.array([[2.0, 1.0, 0.1], [0.5, 2.5, -1.0]])
    T = np.array([[1.0, 0, 0], [0, 0, 1.0]])
    expected = -np.mean(np.sum(T * np.log(act.softmax(Z)), axis=1))
    assert mean_loss("cross_entropy", Z, act.softmax(Z), T) == pytest.approx(expected, rel=1e-12)
    with np.errstate(over="raise", divide="raise", invalid="raise"):
        assert mean_loss("cross_entropy", Z * 1000, act.softmax(Z * 1000), T) == pytest.approx(1750.0)


def test_losses_are_means_over_samples_not_sums():
    Z = np.array([[1.0], [3.0]])
    T = np.array([[0.0], [0.0]])
    assert LOSSES["squared_error"](Z, Z, T).tolist() == [0.5 * 1, 0.5 * 9]  # per sample
    assert mean_loss("squared_error", Z, Z, T) == pytest.approx((0.5 * 1 + 0.5 * 9) / 2)


@pytest.mark.parametrize("output,loss", [("linear", "squared_error"), ("sigmoid", "log_loss"), ("softmax", "cross_entropy")])
def test_canonical_pairs_have_output_delta_a_minus_t_over_n(output, loss):
    rng, X, T = make_problem(output, 3)
    A = act.ACTIVATIONS[output][0](X)
    assert np.array_equal(output_delta(output, loss, A, T), (A - T) / len(T))


def test_he_init_for_relu_and_glorot_otherwise():
    rng = np.random.default_rng(0)
    (W1, b1), (W2, b2) = init_params([400, 300, 200], ("relu", "tanh"), rng)
    assert W1.std() == pytest.approx(np.sqrt(2 / 400), rel=0.02)
    limit = np.sqrt(6 / (300 + 200))
    assert np.abs(W2).max() <= limit and W2.std() == pytest.approx(limit / np.sqrt(3), rel=0.02)
    assert not b1.any() and not b2.any()


def test_l2_and_l1_penalties_enter_the_objective_and_gradient():
    rng, X, T = make_problem("linear", 1)
    params = init_params([3, 1], ("linear",), rng)
    loss, objective, grads, _ = objective_and_grads(params, ("linear",), "squared_error", X, T, l2=0.2, l1=0.3)
    _, _, plain, _ = objective_and_grads(params, ("linear",), "squared_error", X, T)
    W = params[0][0]
    assert objective == pytest.approx(loss + 0.1 * np.sum(W**2) + 0.3 * np.sum(np.abs(W)), rel=1e-12)
    assert np.allclose(grads[0][0], plain[0][0] + 0.2 * W + 0.3 * np.sign(W), rtol=0, atol=1e-15)
    assert np.array_equal(grads[0][1], plain[0][1])  # biases are not penalised
