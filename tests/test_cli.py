"""The command line as users and their scripts see it: exit codes, stdout, stderr, files."""

import csv
import io
import json

import numpy as np
import pytest

from conftest import CONFIGS, DATASETS
from ffnet_cli import __version__
from ffnet_cli.activations import ACTIVATIONS
from ffnet_cli.cli import main

XOR_ROWS = (DATASETS / "xor.csv").read_text()


def rows(text):
    return list(csv.reader(io.StringIO(text)))


@pytest.fixture(scope="module")
def iris_model(tmp_path_factory):
    out = tmp_path_factory.mktemp("iris")
    from conftest import run_ffnet
    result = run_ffnet("train", CONFIGS / "iris.yaml", "--out", out, "--quiet")
    assert result.returncode == 0, result.stderr
    return out / "model.json"


def test_version_prints_the_version(ffnet):
    result = ffnet("--version")
    assert (result.returncode, result.stdout, result.stderr) == (0, f"ffnet {__version__}\n", "")


@pytest.mark.parametrize("command", ["train", "eval", "predict", "gradcheck"])
def test_every_command_help_has_an_example(ffnet, command):
    result = ffnet(command, "--help")
    assert result.returncode == 0
    assert "Example:" in result.stdout and f"ffnet {command}" in result.stdout


def test_train_writes_model_and_metrics_and_keeps_stdout_for_data(tmp_path, ffnet):
    result = ffnet("train", CONFIGS / "xor.yaml", "--out", "out")
    assert result.returncode == 0, result.stderr
    assert result.stdout == ""
    assert "epoch 500/500" in result.stderr and "final metrics" in result.stderr
    model = json.loads((tmp_path / "out" / "model.json").read_text())
    metrics = json.loads((tmp_path / "out" / "metrics.json").read_text())
    assert (model["format"], model["version"], model["features"], model["targets"]) == ("ffnet-model", 2, ["x1", "x2"], ["y"])
    assert model["classes"] == ["0", "1"] and model["output"] == "sigmoid" and model["loss"] == "log_loss"
    assert (metrics["format"], metrics["version"], len(metrics["epochs"])) == ("ffnet-metrics", 1, 500)
    assert metrics["final"]["train"]["accuracy"] == 1.0


def test_train_json_prints_exactly_metrics_json_and_quiet_prints_nothing(tmp_path, ffnet):
    result = ffnet("train", CONFIGS / "iris.yaml", "--out", "out", "--json", "--quiet")
    assert result.returncode == 0 and result.stderr == ""
    assert json.loads(result.stdout) == json.loads((tmp_path / "out" / "metrics.json").read_text())


def test_train_defaults_to_runs_slash_config_stem_in_the_current_folder(tmp_path, ffnet):
    assert ffnet("train", CONFIGS / "xor_logistic.yaml", "--quiet").returncode == 0
    assert (tmp_path / "runs" / "xor_logistic" / "model.json").is_file()


def test_output_dir_in_the_config_is_relative_to_the_config(tmp_path, ffnet):
    (tmp_path / "cfg").mkdir()
    (tmp_path / "cfg" / "c.yaml").write_text(
        f"data: {{train: {DATASETS / 'xor.csv'}}}\nmodel: {{output: sigmoid}}\ntrain: {{epochs: 2}}\noutput: {{dir: here}}\n")
    assert ffnet("train", "cfg/c.yaml", "--quiet").returncode == 0
    assert (tmp_path / "cfg" / "here" / "model.json").is_file()


def test_set_overrides_reach_the_trained_model(tmp_path, ffnet):
    result = ffnet("train", CONFIGS / "xor.yaml", "--set", "model.hidden[0].units=3", "--set", "train.epochs=2",
                   "--out", "out", "--quiet")
    assert result.returncode == 0, result.stderr
    model = json.loads((tmp_path / "out" / "model.json").read_text())
    assert np.shape(model["layers"][0]["weights"]) == (2, 3)


def test_train_reads_csv_from_stdin(tmp_path, ffnet):
    (tmp_path / "c.yaml").write_text("data: {train: '-'}\nmodel: {output: sigmoid}\ntrain: {epochs: 2}\n")
    result = ffnet("train", "c.yaml", "--out", "out", "--quiet", "--json", input=XOR_ROWS)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["final"]["train"]["n"] == 4


def test_train_reads_npz_with_x_and_y(tmp_path, ffnet):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(40, 3))
    np.savez(tmp_path / "d.npz", X=X, y=X @ [1.0, -2.0, 0.5])
    (tmp_path / "c.yaml").write_text("data: {train: d.npz}\nmodel: {output: linear}\ntrain: {epochs: 50, learning_rate: 0.05}\n")
    result = ffnet("train", "c.yaml", "--out", "out", "--quiet", "--json")
    assert result.returncode == 0, result.stderr
    model = json.loads((tmp_path / "out" / "model.json").read_text())
    assert model["features"] == ["x1", "x2", "x3"] and model["targets"] == ["y"]
    assert json.loads(result.stdout)["final"]["train"]["r2"] > 0.99


def test_lecture_xor_by_hand_model_predicts_0_1_1_0(ffnet):
    result = ffnet("predict", CONFIGS / "xor_by_hand.json", input=XOR_ROWS)
    assert (result.returncode, result.stdout, result.stderr) == (0, "y\n0\n1\n1\n0\n", "")


def test_predict_pipeline_from_stdin_keeps_input_order_and_ignores_extra_columns(iris_model, ffnet):
    text = (DATASETS / "iris.csv").read_text()
    result = ffnet("predict", iris_model, input=text)
    assert result.returncode == 0 and result.stderr == ""
    table = rows(result.stdout)
    assert table[0] == ["species"] and len(table) == 151
    truth = [r[-1] for r in rows(text)[1:]]
    assert np.mean([p[0] == t for p, t in zip(table[1:], truth)]) > 0.9


def test_predict_proba_writes_one_column_per_class_summing_to_one(iris_model, ffnet):
    result = ffnet("predict", iris_model, "--proba", "--data", DATASETS / "iris.csv")
    table = rows(result.stdout)
    assert table[0] == ["setosa", "versicolor", "virginica"]
    P = np.array(table[1:], dtype=float)
    assert P.shape == (150, 3) and np.allclose(P.sum(axis=1), 1, atol=1e-6)


def test_predict_only_needs_the_feature_columns(iris_model, ffnet):
    lines = (DATASETS / "iris.csv").read_text().splitlines()
    features_only = "\n".join(",".join(line.split(",")[:4]) for line in lines[:6]) + "\n"
    result = ffnet("predict", iris_model, input=features_only)
    assert result.returncode == 0, result.stderr
    assert rows(result.stdout)[1:] == [["setosa"]] * 5


def test_eval_json_has_the_contract_keys(iris_model, ffnet):
    result = ffnet("eval", iris_model, "--data", DATASETS / "iris.csv", "--json")
    assert result.returncode == 0 and result.stderr == ""
    metrics = json.loads(result.stdout)
    assert set(metrics) == {"n", "loss", "accuracy", "precision", "recall", "f1", "confusion", "classes"}
    assert metrics["n"] == 150 and np.sum(metrics["confusion"]) == 150
    assert metrics["classes"] == ["setosa", "versicolor", "virginica"]


def test_eval_table_shows_metrics_and_confusion_on_stdout(iris_model, ffnet):
    result = ffnet("eval", iris_model, "--data", DATASETS / "iris.csv")
    assert result.returncode == 0 and "accuracy" in result.stdout and "confusion" in result.stdout


def test_eval_regression_reports_errors_and_r2(tmp_path, ffnet):
    assert ffnet("train", CONFIGS / "regression.yaml", "--out", "out", "--quiet").returncode == 0
    result = ffnet("eval", "out/model.json", "--data", "-", "--json", input=(DATASETS / "regression.csv").read_text())
    metrics = json.loads(result.stdout)
    assert set(metrics) == {"n", "loss", "mse", "rmse", "mae", "r2"}
    assert metrics["rmse"] == pytest.approx(np.sqrt(metrics["mse"])) and metrics["loss"] == pytest.approx(metrics["mse"] / 2)


def test_gradcheck_prints_a_table_and_passes(ffnet):
    result = ffnet("gradcheck", CONFIGS / "moons.yaml")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "layers[2].bias" in result.stdout and "passed" in result.stdout


def test_gradcheck_json_reports_every_parameter_tensor(ffnet):
    result = ffnet("gradcheck", CONFIGS / "iris.yaml", "--set", "train.l2=0.1", "--set", "train.l1=0.01", "--samples", "4", "--json")
    report = json.loads(result.stdout)
    assert result.returncode == 0 and report["passed"] is True
    assert [p["name"] for p in report["parameters"]] == ["layers[0].weights", "layers[0].bias", "layers[1].weights", "layers[1].bias"]
    assert report["parameters"][0]["shape"] == [4, 16]
    assert report["max_relative_error"] < 1e-5


def test_gradcheck_of_the_lecture_model_counts_kinks(ffnet):
    (CONFIGS / "xor.yaml")
    result = ffnet("gradcheck", CONFIGS / "xor.yaml", "--model", CONFIGS / "xor_by_hand.json",
                   "--set", "model.hidden[0].units=2", "--set", "model.output=linear", "--set", "loss=squared_error", "--json")
    report = json.loads(result.stdout)
    assert result.returncode == 0, result.stderr
    assert report["passed"] is True and report["kinks"] > 0


def test_gradcheck_exits_1_when_a_derivative_is_broken(monkeypatch, capsys):
    from ffnet_cli import activations
    monkeypatch.setitem(ACTIVATIONS, "tanh", (activations.tanh, lambda A, out=None: 1 - A))  # should be 1 - A^2
    with pytest.raises(SystemExit) as stop:
        main(["gradcheck", str(CONFIGS / "moons.yaml"), "--json"])
    assert stop.value.code == 1
    report = json.loads(capsys.readouterr().out)
    assert report["passed"] is False
    assert [p["name"] for p in report["parameters"] if not p["passed"]][:2] == ["layers[0].weights", "layers[0].bias"]


def test_predict_into_a_closed_pipe_ends_quietly(iris_model, tmp_path):
    import subprocess, sys
    big = tmp_path / "big.csv"
    lines = (DATASETS / "iris.csv").read_text().splitlines()
    big.write_text(lines[0] + "\n" + "\n".join(lines[1:] * 400) + "\n")
    pipeline = f"{sys.executable} -m ffnet_cli predict {iris_model} --data {big} | head -n 2"
    result = subprocess.run(["bash", "-o", "pipefail", "-c", pipeline], capture_output=True, text=True)
    assert result.stdout.splitlines() == ["species", "setosa"]
    assert "Traceback" not in result.stderr and "Error" not in result.stderr


GOOD_CONFIG = "data: {train: d.csv}\nmodel: {output: sigmoid}\n"
BAD = [  # (name, config, data, where the message starts to say what is wrong)
    ("unknown key with a suggestion", "data: {train: d.csv}\nmodel: {output: sigmoid}\ntrain: {epocs: 3}\n", XOR_ROWS,
     "c.yaml: train.epocs: unknown key 'epocs'; did you mean 'epochs'?"),
    ("unknown activation", "data: {train: d.csv}\nmodel: {hidden: [{units: 2, activation: rleu}], output: sigmoid}\n",
     XOR_ROWS, "c.yaml: model.hidden[0].activation: unknown activation 'rleu'; did you mean 'relu'?"),
    ("bool is not a number", "data: {train: d.csv}\nmodel: {output: sigmoid}\ntrain: {learning_rate: true}\n", XOR_ROWS,
     "c.yaml: train.learning_rate: expected a number > 0, got true"),
    ("output/loss pair", "data: {train: d.csv}\nmodel: {output: softmax}\nloss: log_loss\n", XOR_ROWS, "c.yaml: loss: "),
    ("missing output", "data: {train: d.csv}\nmodel: {hidden: []}\n", XOR_ROWS, "c.yaml: model.output: "),
    ("zero units", "data: {train: d.csv}\nmodel: {hidden: [{units: 0}], output: sigmoid}\n", XOR_ROWS,
     "c.yaml: model.hidden[0].units: "),
    ("yaml syntax", "data: {train: d.csv\nmodel: [\n", XOR_ROWS, "c.yaml: line "),
    ("python tag", "data: !!python/object/apply:os.system ['echo hacked']\n", XOR_ROWS, "c.yaml: line 1"),
    ("missing data file", "data: {train: nope.csv}\nmodel: {output: sigmoid}\n", XOR_ROWS, "nope.csv: no such file"),
    ("non-numeric cell", GOOD_CONFIG, "x1,x2,y\n0,0,0\n0,abc,1\n", "d.csv: line 3, column 2"),
    ("ragged row", GOOD_CONFIG, "x1,x2,y\n0,0,0\n0,1\n", "d.csv: line 3"),
    ("one class only", GOOD_CONFIG, "x1,x2,y\n0,0,1\n0,1,1\n", "only one class"),
    ("empty data file", GOOD_CONFIG, "", "d.csv: "),
]


@pytest.mark.parametrize("name,config,data,message", BAD, ids=[b[0] for b in BAD])
def test_bad_config_or_data_is_one_error_line_with_exit_2(tmp_path, ffnet, name, config, data, message):
    (tmp_path / "d.csv").write_text(data)
    (tmp_path / "c.yaml").write_text(config)
    result = ffnet("train", "c.yaml", "--quiet")
    assert (result.returncode, result.stdout) == (2, "")
    assert result.stderr.startswith("error: ") and result.stderr.count("\n") == 1, result.stderr
    assert message in result.stderr
    assert not (tmp_path / "runs").exists()


def test_debug_shows_the_traceback(tmp_path, ffnet):
    (tmp_path / "c.yaml").write_text("data: {train: nope.csv}\nmodel: {output: sigmoid}\n")
    result = ffnet("train", "c.yaml", "--debug")
    assert result.returncode != 0 and "Traceback" in result.stderr


def test_usage_error_exits_2(ffnet):
    result = ffnet("train")
    assert result.returncode == 2 and "Traceback" not in result.stderr
