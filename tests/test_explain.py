"""ffnet explain: a config's or model file's network, layer by layer, with its formulas in the lecture's notation."""

import pytest

from ffnet_cli.activations import ACTIVATIONS
from ffnet_cli.config import load_config
from ffnet_cli.explain import FORMULAS, LOSS_FORMULAS, explain, from_config, from_model
from ffnet_cli.losses import LOSSES
from ffnet_cli.modelfile import load_model

from conftest import CONFIGS


def text_of(config, *overrides):
    return "\n".join(explain(from_config(load_config(CONFIGS / config, list(overrides)))))


def test_layers_shapes_and_parameter_counts():
    lines = explain(from_config(load_config(CONFIGS / "iris.yaml")))
    assert lines[0].endswith("iris.yaml: 4 inputs -> 16 relu -> 3 softmax; 2 layers, 131 parameters; loss cross_entropy")
    table = [line.split() for line in lines[4:8]]
    assert table[0] == ["layer", "maps", "activation", "W_i", "b_i", "parameters"]
    assert table[1] == ["1", "4", "->", "16", "relu", "4x16", "16", "80"]  # (4 + 1) x 16
    assert table[2] == ["2", "16", "->", "3", "softmax", "16x3", "3", "51"]  # (16 + 1) x 3
    assert table[3] == ["total", "131"]
    assert "classes: setosa, versicolor, virginica" in lines[2]


def test_forward_and_backward_formulas_in_the_lecture_notation():
    text = text_of("iris.yaml")
    for formula in ("z_1 = W_1ᵀ a_0 + b_1", "a_1 = relu(z_1) = max(0, z_1)", "z_2 = W_2ᵀ a_1 + b_2",
                    "δ_i = ∂J/∂z_i", "∇_a J = (∂z/∂a)ᵀ ∇_z J = W δ",
                    "dZ_2 = (A_2 - T) / n", "dW_2 = A_1ᵀ dZ_2", "db_2 = Σ_n dZ_2",
                    "dZ_1 = (dZ_2 W_2ᵀ) ⊙ relu'(A_1)", "relu'(a) = [a > 0]", "dW_1 = A_0ᵀ dZ_1", "A_0 = X"):
        assert formula in text, formula
    assert "softmax + cross_entropy: the output's Jacobian cancels against the loss" in text
    assert "J'" not in text and "dropout" not in text  # no penalty, no dropout: not shown


@pytest.mark.parametrize("config,output,shortcut", [
    ("iris.yaml", "softmax", "squared error through the softmax's Jacobian ∂a/∂z = diag(a) - a aᵀ"),
    ("moons.yaml", "sigmoid", "squared error through the sigmoid's Jacobian ∂a/∂z = diag(a ⊙ (1 - a))"),
])
def test_squared_error_on_a_probability_output_goes_through_the_jacobian(config, output, shortcut):
    text = text_of(config, "loss=squared_error")
    assert shortcut in text and "cancels" not in text


@pytest.mark.parametrize("config", ["breast_cancer.yaml", "regression.yaml"])
def test_the_canonical_pairs_name_their_shortcut(config):
    text = text_of(config)
    assert "the output's Jacobian cancels against the loss" in text and "(A_" in text


def test_penalties_and_dropout_appear_when_set():
    text = text_of("moons.yaml", "train.l2=0.01", "train.l1=0.001", "model.hidden[1].dropout=0.25")
    assert "J' = J + (0.01/2) Σ_i ‖W_i‖² + 0.001 Σ_i |W_i|" in text
    assert "dW_3 = Ã_2ᵀ dZ_3 + 0.01 W_3 + 0.001 sign(W_3)" in text
    assert "ã_2 = a_2 ⊙ m_2, m_2 = 0 with probability 0.25, else 1/(1 - 0.25)" in text
    assert "dZ_2 = (dZ_3 W_3ᵀ) ⊙ M_2 ⊙ tanh'(A_2)" in text and "tanh'(a) = 1 - a²" in text
    assert "tanh, dropout 0.25" in text


def test_a_model_file_explains_the_lecture_network_from_its_own_sizes():
    text = "\n".join(explain(from_model(load_model(CONFIGS / "xor_by_hand.json"), "xor_by_hand.json")))
    assert text.startswith("xor_by_hand.json: 2 inputs -> 2 relu -> 1 linear; 2 layers, 9 parameters; loss squared_error")
    assert "linear + squared_error: the output's Jacobian cancels against the loss" in text


def test_every_activation_and_loss_has_its_formulas():
    assert set(FORMULAS) == set(ACTIVATIONS) and set(LOSS_FORMULAS) == set(LOSSES)
    assert all(FORMULAS[name][1] for name in ACTIVATIONS if ACTIVATIONS[name][1] is not None)


@pytest.mark.parametrize("path", sorted(p.name for p in CONFIGS.iterdir()))
def test_every_example_explains(ffnet, path):
    result = ffnet("explain", CONFIGS / path)
    assert result.returncode == 0 and result.stderr == ""
    assert "forward" in result.stdout and "backward" in result.stdout and "parameters" in result.stdout


def test_unreadable_data_says_why_explain_reads_it(ffnet, tmp_path):
    (tmp_path / "c.yaml").write_text("data: {train: missing.csv}\nmodel: {output: sigmoid}\n")
    result = ffnet("explain", "c.yaml")
    assert result.returncode == 2 and result.stdout == ""
    assert result.stderr.startswith("error: ") and "missing.csv" in result.stderr
    assert "explain reads data.train to learn the number of inputs and outputs" in result.stderr


def test_set_is_refused_for_a_model_file(ffnet):
    result = ffnet("explain", CONFIGS / "xor_by_hand.json", "--set", "train.l2=0.1")
    assert result.returncode == 2
    assert result.stderr.endswith("xor_by_hand.json: --set: applies to a config, not to a model file\n")


def test_a_terminal_without_unicode_gets_plain_ascii(ffnet):
    import os
    import subprocess
    import sys
    env = dict(os.environ, PYTHONIOENCODING="ascii")
    result = subprocess.run([sys.executable, "-m", "ffnet_cli", "explain", str(CONFIGS / "iris_l2.yaml")],
                            capture_output=True, env=env)
    assert result.returncode == 0, result.stderr
    text = result.stdout.decode("ascii")
    assert "z_1 = W_1^T a_0 + b_1" in text and "dZ_1 = (dZ_2 W_2^T) * relu'(A_1)" in text
