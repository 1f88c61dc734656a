"""ffnet sanity: the pre-flight checks pass on healthy setups and catch the planted bugs (monkeypatched,
never edited): a layer left uninitialised, unscaled inputs, a missing L2 gradient in the training engine."""

import json
import math

import numpy as np
import pytest

from ffnet_cli import model as model_module
from ffnet_cli import network, train as train_module, workspace
from ffnet_cli.config import load_config
from ffnet_cli.sanity import baseline_loss, expected_loss, sanity_config

from conftest import CONFIGS

CHECKS = ["initial loss", "gradients", "dead units", "inputs scaled", "l2 raises objective", "overfit a few rows"]


def statuses(result):
    return {check["check"]: check["status"] for check in result["checks"]}


def run(config, *overrides):
    return sanity_config(load_config(CONFIGS / config, list(overrides)))


@pytest.mark.parametrize("config", ["iris.yaml", "breast_cancer.yaml", "moons.yaml", "multilabel.yaml",
                                    "regression.yaml", "xor.yaml"])
def test_the_example_configs_pass_every_check(config):
    result = run(config)
    assert result["passed"] and list(statuses(result)) == CHECKS
    assert set(statuses(result).values()) == {"pass"}


@pytest.mark.parametrize("config", ["xor_logistic.yaml", "xor_linear.yaml"])
def test_a_linear_model_cannot_overfit_xor_and_is_told_to_add_a_hidden_non_linearity(config):
    result = run(config)
    overfit = result["checks"][-1]
    assert not result["passed"] and overfit["status"] == "fail"
    assert overfit["numbers"]["loss"] > 0.5 * overfit["numbers"]["baseline"]
    assert "add a hidden layer with relu or tanh" in overfit["fix"]


def test_expected_initial_losses_worked_by_hand():
    T3 = np.eye(3)[[0, 1, 2, 0]]
    assert expected_loss("softmax", "cross_entropy", T3)[0] == pytest.approx(math.log(3))
    assert expected_loss("sigmoid", "log_loss", np.zeros((4, 2)))[0] == pytest.approx(2 * math.log(2))
    assert expected_loss("linear", "squared_error", np.array([[1.0], [3.0]]))[0] == pytest.approx(1.0 / 2)
    assert expected_loss("softmax", "squared_error", T3)[0] == pytest.approx((1 - 1 / 3) / 2)


def test_the_best_constant_prediction_worked_by_hand():
    assert baseline_loss("cross_entropy", np.eye(2)[[0, 1]]) == pytest.approx(math.log(2))
    assert baseline_loss("log_loss", np.array([[1.0], [1.0], [1.0], [0.0]])) == pytest.approx(
        -(0.75 * math.log(0.75) + 0.25 * math.log(0.25)))
    assert baseline_loss("squared_error", np.array([[0.0], [2.0]])) == pytest.approx(0.5)


def test_targets_in_the_hundreds_warn_with_their_mean_and_the_fix(tmp_path):
    rng = np.random.default_rng(0)
    X = rng.standard_normal((60, 3))
    y = 150 + 60 * X[:, 0] + rng.normal(0, 5, 60)
    (tmp_path / "d.csv").write_text("a,b,c,y\n" + "".join(f"{r[0]},{r[1]},{r[2]},{t}\n" for r, t in zip(X, y)))
    (tmp_path / "c.yaml").write_text("data: {train: d.csv}\nmodel: {hidden: [{units: 8}], output: linear}\n"
                                     "train: {optimizer: adam, learning_rate: 0.05}\n")
    check = sanity_config(load_config(tmp_path / "c.yaml"))["checks"][0]
    assert check["status"] == "warn" and check["numbers"]["loss"] > 3 * check["numbers"]["expected"]
    assert "the targets' mean" in check["fix"] and "scale the target columns" in check["fix"]


def test_a_hidden_layer_left_uninitialised_fails(monkeypatch):
    monkeypatch.setitem(network.INITIALIZERS, "he_normal", lambda rng, fan_in, fan_out: np.zeros((fan_in, fan_out)))
    result = run("iris.yaml")  # relu hidden layer: he_normal
    checks = {c["check"]: c for c in result["checks"]}
    assert not result["passed"]
    assert checks["gradients"]["status"] == "fail" and "zero gradient" in checks["gradients"]["fix"]
    assert checks["dead units"]["status"] == "fail" and "symmetric" in checks["dead units"]["fix"]


def test_an_output_layer_left_uninitialised_fails(monkeypatch):
    init = train_module.init_params

    def last_layer_zero(sizes, activations, rng, dtype=np.float64, inits=None):
        params = init(sizes, activations, rng, dtype, inits)
        return params[:-1] + [(np.zeros_like(params[-1][0]), params[-1][1])]
    monkeypatch.setattr(train_module, "init_params", last_layer_zero)
    result = run("breast_cancer.yaml")
    gradients = result["checks"][1]
    assert not result["passed"] and gradients["status"] == "fail"
    assert gradients["numbers"]["grad_norms"][0] == 0.0  # nothing flows back through a zero layer


def test_a_single_layer_may_start_at_zero(monkeypatch):
    # Logistic regression from zero weights is fine: no symmetry to break, every gradient non-zero.
    monkeypatch.setitem(network.INITIALIZERS, "glorot_uniform", lambda rng, fan_in, fan_out: np.zeros((fan_in, fan_out)))
    result = run("breast_cancer.yaml", "model.hidden=[]")
    assert statuses(result)["gradients"] == statuses(result)["dead units"] == "pass"
    assert statuses(result)["l2 raises objective"] == "warn"  # every weight 0: so is the L2 term


def test_unscaled_inputs_fail(monkeypatch):
    monkeypatch.setattr(model_module.Model, "scale", lambda self, X: np.asarray(X, dtype=self.dtype))  # bypassed
    result = run("breast_cancer.yaml")
    check = {c["check"]: c for c in result["checks"]}["inputs scaled"]
    assert not result["passed"] and check["status"] == "fail"
    assert "data.standardize is true, yet the inputs are not standardised" in check["fix"]
    assert max(check["numbers"]["std"]) > 100


def test_inputs_left_unscaled_by_the_config_fail_with_the_setting_to_change():
    check = {c["check"]: c for c in run("breast_cancer.yaml", "data.standardize=false")["checks"]}["inputs scaled"]
    assert check["status"] == "fail" and check["fix"].startswith("set data.standardize: true")


def test_a_missing_l2_gradient_in_the_training_engine_fails(monkeypatch):
    add = workspace.add_penalty_grad
    monkeypatch.setattr(workspace, "add_penalty_grad", lambda dW, W, l2, l1, *args: add(dW, W, 0.0, l1, *args))
    result = run("iris_l2.yaml")
    check = {c["check"]: c for c in result["checks"]}["l2 raises objective"]
    assert not result["passed"] and check["status"] == "fail"
    assert "missing from the gradient" in check["fix"] and check["numbers"]["gradient_error"] > 0


def test_a_missing_l2_term_in_the_objective_fails(monkeypatch):
    monkeypatch.setattr(workspace, "penalty", lambda W, l2, l1, tmp=None: 0.0)
    check = {c["check"]: c for c in run("iris.yaml")["checks"]}["l2 raises objective"]
    assert check["status"] == "fail" and "missing from the objective" in check["fix"]


def test_a_learning_rate_too_small_to_overfit_warns_or_fails_with_the_fix():
    check = run("regression.yaml", "train.learning_rate=1e-5")["checks"][-1]
    assert check["status"] in ("warn", "fail") and "train.learning_rate" in check["fix"]
    assert check["numbers"]["steps"] == 3000


def test_every_check_has_numbers_and_only_warn_and_fail_have_a_fix():
    result = run("xor_linear.yaml")
    for check in result["checks"]:
        assert check["numbers"] and check["summary"]
        assert (check["fix"] is None) == (check["status"] == "pass")


def test_the_command_prints_a_table_and_exits_0_on_warnings(ffnet):
    result = ffnet("sanity", CONFIGS / "iris.yaml", "--set", "data.standardize=false")
    assert result.returncode == 0, result.stderr
    for text in CHECKS + ["warn", "fix to try", "data.standardize: true"]:
        assert text in " ".join(result.stdout.split()), text


def test_the_command_exits_1_on_a_failure_and_prints_one_json_object(ffnet):
    result = ffnet("sanity", CONFIGS / "xor_logistic.yaml", "--json")
    assert result.returncode == 1 and result.stderr == ""
    report = json.loads(result.stdout)
    assert report["passed"] is False and [c["check"] for c in report["checks"]] == CHECKS
