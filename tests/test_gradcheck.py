"""gradcheck never cries wolf: a correct backward pass passes at default settings on large losses, while
every planted bug (monkeypatched into the code, never edited) still fails; and its other checks:
terms one by one, random directions, dJ/dX, burn-in, a model file's network."""

import json

import numpy as np
import pytest

from ffnet_cli import activations as act
from ffnet_cli import losses, network, noise
from ffnet_cli.activations import ACTIVATIONS
from ffnet_cli.config import load_config
from ffnet_cli.gradcheck import gradcheck, gradcheck_config
from ffnet_cli.losses import VALID_LOSSES
from ffnet_cli.network import init_params, objective_and_grads
from ffnet_cli.probe import setup, train_steps
from ffnet_cli.train import train

from conftest import CONFIGS

PAIRS = [(output, loss) for output, losses_ in VALID_LOSSES.items() for loss in losses_]


def problem(output, k=3, hidden=("tanh",), scale=1.0, targets=None, n=10, d=4, seed=0):
    """(params, activations, X, T): a small network at its initialisation on random data; inputs times
    `scale`; for a linear output, targets drawn from `targets` = (low, high) when given."""
    rng = np.random.default_rng(seed)
    X = (rng.standard_normal((n, d)) + 0.5) * scale
    if output == "softmax":
        T = np.eye(k)[rng.integers(0, k, n)]
    elif output == "sigmoid":
        T = rng.integers(0, 2, (n, k)).astype(float)
    else:
        T = rng.uniform(*targets, (n, k)) if targets else rng.standard_normal((n, k))
    activations = tuple(hidden) + (output,)
    params = init_params([d] + [8] * len(hidden) + [k], activations, rng)
    return params, activations, X, T


# -- correct networks pass on large losses, at default settings -------------------------------

@pytest.mark.parametrize("hidden", [("relu",), ("tanh",), ("sigmoid", "relu")])
@pytest.mark.parametrize("penalty", [(0.0, 0.0), (0.1, 0.01)], ids=["no penalty", "l2+l1"])
def test_targets_in_the_hundreds_with_a_linear_output_pass(hidden, penalty):
    params, activations, X, T = problem("linear", k=2, hidden=hidden, targets=(25, 346))
    result = gradcheck(params, activations, "squared_error", X, T, *penalty, directional=3, inputs=True)
    assert result["passed"], result
    assert result["noise_floor"] > 1e-8  # the loss is in the thousands: its noise is above atol


@pytest.mark.parametrize("scale", [1e4, 1e6])
@pytest.mark.parametrize("output,loss", PAIRS)
@pytest.mark.parametrize("hidden", [(), ("relu",), ("tanh",)], ids=["no hidden", "relu", "tanh"])
def test_inputs_scaled_by_1e4_and_1e6_pass_for_every_output_and_loss(hidden, output, loss, scale):
    params, activations, X, T = problem(output, hidden=hidden, scale=scale)
    result = gradcheck(params, activations, loss, X, T, directional=2, inputs=True)
    assert result["passed"], result


def test_a_bias_whose_gradient_is_exactly_0_passes_instead_of_a_relative_error_of_1():
    # Inputs of 1e4: saturated sigmoid outputs, two rows wrong each way, so db = sum(a - t) / n is exactly 0,
    # while the finite difference of a loss of about 1e4 carries noise far above atol (the old check: error 1.0).
    rng = np.random.default_rng(0)
    X = rng.standard_normal((10, 3)) * 1e4
    params = init_params([3, 1], ("sigmoid",), rng)
    predicted = (X @ params[0][0])[:, 0] > 0
    T = predicted.astype(float)
    for rows in (np.flatnonzero(predicted)[:2], np.flatnonzero(~predicted)[:2]):
        T[rows] = 1 - T[rows]
    _, _, grads, _ = objective_and_grads(params, ("sigmoid",), "log_loss", X, T[:, None])
    assert grads[0][1][0] == 0.0
    result = gradcheck(params, ("sigmoid",), "log_loss", X, T[:, None])
    bias = result["parameters"][1]
    assert result["passed"] and bias["passed"]
    assert bias["max_relative_error"] < 0.01 and bias["band"] == "great"
    assert bias["noise_floor"] > 1e-6  # what the finite difference of this loss can resolve


def test_correct_cases_pass_with_no_tolerance_and_a_tenth_of_the_noise_floor(monkeypatch):
    """The margin of the default: the noise seen in correct large-loss cases stays under a tenth of the floor."""
    monkeypatch.setattr(noise, "SAFETY", noise.SAFETY / 10)
    for output, loss in PAIRS:
        for scale in (1.0, 1e4):
            params, activations, X, T = problem(output, hidden=("relu",), scale=scale)
            assert gradcheck(params, activations, loss, X, T, rtol=0, atol=0)["passed"], (output, loss, scale)
    params, activations, X, T = problem("linear", hidden=("tanh",), targets=(25, 346))
    assert gradcheck(params, activations, "squared_error", X, T, 0.1, 0.01, rtol=0, atol=0, inputs=True)["passed"]


def test_the_lecture_xor_network_passes_with_its_relu_kinks_counted_and_no_wolf_cried():
    params = [(np.array([[1.0, 1.0], [1.0, 1.0]]), np.array([0.0, -1.0])), (np.array([[1.0], [-2.0]]), np.array([0.0]))]
    X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=float)
    T = np.array([[0], [1], [1], [0]], dtype=float)
    result = gradcheck(params, ("relu", "linear"), "squared_error", X, T)
    assert result["passed"] and result["kinks"] > 0
    assert result["max_relative_error"] < 1e-7  # a perfect fit: no 100% errors on gradients that are 0
    assert {p["band"] for p in result["parameters"]} == {"great"}


def test_an_l1_weight_within_eps_of_zero_is_a_kink():
    params, activations, X, T = problem("linear", hidden=())
    params[0][0][0, 0] = 1e-7
    result = gradcheck(params, activations, "squared_error", X, T, l1=0.1)
    assert result["passed"] and result["parameters"][0]["kinks"] == 1
    assert result["terms"]["l1"]["kinks"] == 1 and result["terms"]["data"]["kinks"] == 0


# -- planted bugs fail ------------------------------------------------------------------------

def wrong_tanh_derivative(monkeypatch):
    monkeypatch.setitem(ACTIVATIONS, "tanh", (act.tanh, lambda A, out=None: 1 - A))  # should be 1 - A^2


def missing_l2_gradient(monkeypatch):
    add = network.add_penalty_grad
    monkeypatch.setattr(network, "add_penalty_grad", lambda dW, W, l2, l1, *args, **kw: add(dW, W, 0.0, l1, *args, **kw))


def wrong_bias_gradient(monkeypatch):
    backward = network.backward

    def mean_not_sum(params, activations, As, dZ):  # db_i = mean_n dZ_i instead of sum_n dZ_i
        return [(dW, db / len(dZ)) for dW, db in backward(params, activations, As, dZ)]
    monkeypatch.setattr(network, "backward", mean_not_sum)


def diagonal_softmax_jacobian(monkeypatch):
    delta = losses.output_delta

    def cut(output, loss, A, T, weights=None, scale=1.0, out=None):
        if output != "softmax" or loss == "cross_entropy":
            return delta(output, loss, A, T, weights, scale, out)
        return delta("sigmoid", loss, A, T, weights, scale, out)  # diag(a (1 - a)): the a_i a_j terms cut off
    monkeypatch.setattr(network, "output_delta", cut)


BUGS = {
    "wrong activation derivative": (wrong_tanh_derivative, "linear", "squared_error", ["layers[0].weights", "layers[0].bias"]),
    "missing L2 gradient": (missing_l2_gradient, "linear", "squared_error", ["layers[0].weights", "layers[1].weights"]),
    "wrong bias gradient": (wrong_bias_gradient, "linear", "squared_error", ["layers[0].bias", "layers[1].bias"]),
    "softmax Jacobian cut to its diagonal": (diagonal_softmax_jacobian, "softmax", "squared_error",
                                             ["layers[0].weights", "layers[0].bias", "layers[1].weights", "layers[1].bias"]),
}


@pytest.mark.parametrize("large", [False, True], ids=["unit scale", "targets in the hundreds or inputs x 1e4"])
@pytest.mark.parametrize("bug", BUGS)
def test_every_planted_bug_fails_gradcheck_where_it_is(bug, large, monkeypatch):
    plant, output, loss, failing = BUGS[bug]
    if output == "linear":
        params, activations, X, T = problem(output, k=2, targets=(25, 346) if large else None)
    else:  # the bug shows where the softmax is not saturated: moderate logits from inputs x 1e4 and small weights
        params, activations, X, T = problem(output, scale=1e4 if large else 1.0)
        if large:
            params = [(W * 1e-4, b) if i == 0 else (W, b) for i, (W, b) in enumerate(params)]
    plant(monkeypatch)
    result = gradcheck(params, activations, loss, X, T, l2=0.1, directional=2, inputs=True)
    assert not result["passed"]
    assert [p["name"] for p in result["parameters"] if not p["passed"]] == failing
    assert {p["band"] for p in result["parameters"] if not p["passed"]} <= {"watch", "wrong"}
    if bug == "missing L2 gradient":  # the terms one by one say where: the data loss is right, the L2 term is not
        assert result["terms"]["data"]["passed"] and not result["terms"]["l2"]["passed"]
    else:
        assert not result["terms"]["data"]["passed"] and result["terms"]["l2"]["passed"]
        assert not result["inputs"]["passed"] or bug == "wrong bias gradient"  # dJ/dX does not use db
    assert not all(d["passed"] for d in result["directions"])


# -- the parts of the report ------------------------------------------------------------------

def test_the_report_keeps_the_contract_keys_and_adds_noise_floor_terms_inputs_and_directions():
    params, activations, X, T = problem("softmax", hidden=("relu",))
    result = gradcheck(params, activations, "cross_entropy", X, T, 0.1, 0.01, directional=3, inputs=True)
    assert {"passed", "max_abs_error", "max_relative_error", "kinks", "parameters", "noise_floor"} <= set(result)
    for row in result["parameters"]:
        assert {"name", "shape", "max_abs_error", "max_relative_error", "kinks", "passed", "noise_floor", "band"} <= set(row)
    assert list(result["terms"]) == ["data", "l2", "l1"]
    assert [p["name"] for p in result["terms"]["l2"]["parameters"]] == [p["name"] for p in result["parameters"]]
    assert result["inputs"]["name"] == "inputs" and result["inputs"]["shape"] == [10, 4]
    assert len(result["directions"]) == 3 and all(d["passed"] for d in result["directions"])
    assert result["noise_floor"] == max(p["noise_floor"] for p in result["parameters"])


def test_directions_are_seeded():
    params, activations, X, T = problem("sigmoid", hidden=("tanh",))
    runs = [gradcheck(params, activations, "log_loss", X, T, directional=2, rng=np.random.default_rng(7))
            for _ in range(2)]
    assert runs[0]["directions"] == runs[1]["directions"]


def test_input_gradient_matches_a_hand_computed_one():
    # One linear layer, squared error: dJ/dX = (A - T) W^T / n.
    params, activations, X, T = problem("linear", k=2, hidden=())
    result = gradcheck(params, activations, "squared_error", X, T, inputs=True)
    W, b = params[0]
    expected = (X @ W + b - T) @ W.T / len(X)
    widened = [(X.copy(), np.zeros(X.shape[1]))] + params
    _, _, grads, _ = objective_and_grads(widened, ("linear",) + activations, "squared_error", np.eye(len(X)), T)
    assert np.allclose(grads[0][0], expected, rtol=1e-12, atol=0)
    assert result["inputs"]["passed"]


def test_burn_in_takes_the_same_steps_as_train():
    overrides = ["train.epochs=1", "train.dtype=float64", "train.optimizer=adam", "train.learning_rate=0.01"]
    cfg = load_config(CONFIGS / "iris.yaml", overrides)
    trained = train(cfg).model.params
    cfg, data, net, rng = setup(cfg)
    split = data.splits["train"]
    steps = -(-len(split.T) // cfg.train.batch_size)  # one epoch of minibatches
    train_steps(cfg, net, net.scale(split.X), split.T, steps, rng)
    for (W, b), (W_train, b_train) in zip(net.params, trained):
        assert np.allclose(W, W_train, rtol=1e-12, atol=1e-14) and np.allclose(b, b_train, rtol=1e-12, atol=1e-14)


def test_gradcheck_after_burn_in_checks_a_trained_point_and_passes():
    cfg = load_config(CONFIGS / "regression.yaml", ["train.l2=0.01"])
    start, trained = gradcheck_config(cfg), gradcheck_config(cfg, burn_in=50)
    assert trained["passed"] and trained["burn_in"] == 50
    assert trained["parameters"][0]["max_abs_error"] != start["parameters"][0]["max_abs_error"]


def test_a_burn_in_that_diverges_exits_1_with_the_hint(ffnet):
    result = ffnet("gradcheck", CONFIGS / "regression.yaml", "--set", "train.learning_rate=1e6", "--burn-in", "50")
    assert result.returncode == 1 and result.stdout == ""
    assert result.stderr.startswith("error: ") and "the burn-in diverged" in result.stderr
    assert "try a smaller train.learning_rate" in result.stderr


def test_dropout_is_off_during_gradcheck():
    cfg = load_config(CONFIGS / "moons.yaml", ["model.hidden[0].dropout=0.5", "model.hidden[1].dropout=0.5"])
    assert gradcheck_config(cfg, samples=5)["passed"]


def test_class_weights_enter_the_checked_objective(monkeypatch):
    cfg = load_config(CONFIGS / "iris.yaml", ["train.class_weight={setosa: 5.0}"])
    assert gradcheck_config(cfg, samples=60)["passed"]  # the first 60 rows hold setosa and versicolor
    weighted = losses.mean
    monkeypatch.setattr(losses, "mean", lambda per_sample, weights=None: weighted(per_sample))  # weights dropped
    assert not gradcheck_config(cfg, samples=60)["passed"]


# -- the command ------------------------------------------------------------------------------

def test_the_readme_example_checks_the_hand_set_model_on_the_config_of_another_network(ffnet):
    result = ffnet("gradcheck", CONFIGS / "xor.yaml", "--model", CONFIGS / "xor_by_hand.json", "--json")
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["passed"] and report["kinks"] > 0 and report["max_relative_error"] < 1e-7
    assert [p["shape"] for p in report["parameters"]] == [[2, 2], [2], [2, 1], [1]]


def test_the_table_shows_every_check_with_bands_and_the_verdict(ffnet):
    result = ffnet("gradcheck", CONFIGS / "iris.yaml", "--set", "train.l2=0.01", "--samples", "4",
                   "--directional", "2", "--inputs", "--burn-in", "5")
    assert result.returncode == 0, result.stderr
    for text in ("layers[1].bias", "inputs", "direction 2", "noise floor", "great", "data loss J", "L2 term",
                 "after 5 training steps", "passed: max relative error"):
        assert text in result.stdout, text


def test_a_failing_check_exits_1_with_the_verdict_on_stdout(monkeypatch, capsys):
    from ffnet_cli.cli import main
    monkeypatch.setitem(ACTIVATIONS, "tanh", (act.tanh, lambda A, out=None: 1 - A))
    with pytest.raises(SystemExit) as stop:
        main(["gradcheck", str(CONFIGS / "moons.yaml"), "--samples", "4"])
    assert stop.value.code == 1
    out = capsys.readouterr().out
    assert "FAILED: max relative error" in out and "wrong" in out


@pytest.mark.parametrize("option,value,message", [
    ("--eps", "inf", "inf is not a finite number"), ("--eps", "nan", "nan is not a finite number"),
    ("--eps", "0", "0.0 is not > 0"), ("--eps", "-1e-6", "-1e-06 is not > 0"), ("--eps", "2", "2.0 is not <= 1"),
    ("--rtol", "nan", "nan is not a finite number"), ("--atol", "nan", "nan is not a finite number"),
    ("--atol", "-inf", "-inf is not a finite number"), ("--rtol", "-0.1", "-0.1 is not >= 0"),
    ("--eps", "tiny", "'tiny' is not a number"),
])
def test_non_finite_and_out_of_range_tolerances_are_usage_errors(ffnet, option, value, message):
    result = ffnet("gradcheck", CONFIGS / "xor.yaml", f"{option}={value}")
    assert result.returncode == 2 and result.stdout == ""
    assert result.stderr == f"error: Invalid value for '{option}': {message} (see 'ffnet gradcheck --help')\n"


def test_the_help_states_the_ranges_it_enforces(ffnet):
    help_text = " ".join(ffnet("gradcheck", "--help").stdout.split())
    assert "0 < eps <= 1" in help_text and "x>=0.0" not in help_text
    assert "Example:" in help_text
