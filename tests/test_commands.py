"""init, config, schema, info, plot and predict --format jsonl: what each prints or writes."""

import csv
import io
import json
import shutil
import struct

import numpy as np
import pytest

from conftest import CONFIGS, DATASETS
from ffnet_cli.cli_config import as_written, dump_yaml
from ffnet_cli.config import load_config
from ffnet_cli.templates import TEMPLATES, template
from ffnet_cli.yamlio import load_yaml

TEMPLATE_DATA = {"classification": ("train.csv", "iris.csv"), "regression": ("train.csv", "regression.csv"),
                 "multilabel": ("train.csv", "multilabel.csv"), "xor": ("xor.csv", "xor.csv")}


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """Trained runs: xor and regression (two inputs) and iris (four), each in its own folder."""
    from conftest import run_ffnet
    folder = tmp_path_factory.mktemp("runs")
    for name, sets in (("xor", ["train.epochs=300"]), ("regression", ["train.epochs=20"]), ("iris", [])):
        args = [a for s in sets for a in ("--set", s)]
        result = run_ffnet("train", CONFIGS / f"{name}.yaml", "--out", folder / name, "--quiet", *args)
        assert result.returncode == 0, result.stderr
    return folder


@pytest.mark.parametrize("name", sorted(TEMPLATES))
def test_every_template_loads_and_trains(tmp_path, name):
    from ffnet_cli.train import train
    data, source = TEMPLATE_DATA[name]
    (tmp_path / "my.yaml").write_text(template(name))
    shutil.copy(DATASETS / source, tmp_path / data)
    cfg = load_config(str(tmp_path / "my.yaml"), ["train.epochs=3"])
    result = train(cfg)
    assert len(result.history) == 3 and result.final["train"]["n"] > 0


def test_init_prints_the_classification_template_and_writes_only_new_files(tmp_path, ffnet):
    result = ffnet("init")
    assert (result.returncode, result.stdout) == (0, template("classification"))
    assert ffnet("init", "xor", "--out", "x.yaml").returncode == 0
    assert (tmp_path / "x.yaml").read_text() == template("xor")
    again = ffnet("init", "regression", "--out", "x.yaml")
    assert again.returncode == 2 and again.stderr == "error: x.yaml: already exists; ffnet init writes only new " \
                                                     "files (choose another name, or delete it)\n"
    assert (tmp_path / "x.yaml").read_text() == template("xor")
    assert ffnet("init", "bogus").returncode == 2


def test_config_prints_every_default_and_the_overrides(ffnet):
    result = ffnet("config", CONFIGS / "xor_logistic.yaml", "--set", "train.optimizer=adam")
    assert result.returncode == 0 and result.stderr == ""
    doc = load_yaml(result.stdout)
    assert doc["train"]["batch_size"] == 4 and doc["train"]["clip_norm"] is None and doc["data"]["missing"] == "error"
    assert doc["train"]["optimizer"] == {"name": "adam", "beta1": 0.9, "beta2": 0.999, "epsilon": 1e-8}
    assert doc["data"]["train"] == "../datasets/xor.csv"  # relative to the config's folder, as written


@pytest.mark.parametrize("config", sorted(p.name for p in CONFIGS.glob("*.yaml")))
def test_the_resolved_config_loads_back_to_the_same_config(tmp_path, config):
    (tmp_path / "configs").mkdir()
    original = tmp_path / "configs" / config
    shutil.copy(CONFIGS / config, original)
    cfg = load_config(str(original), ["train.early_stopping={patience: 3}", "data.validation_split=0.25"])
    resolved = tmp_path / "configs" / "resolved.yaml"
    resolved.write_text(dump_yaml(as_written(cfg)))
    again = load_config(str(resolved))
    assert again.raw == cfg.raw
    assert (again.data, again.model, again.train, again.loss, again.seed) == (cfg.data, cfg.model, cfg.train,
                                                                             cfg.loss, cfg.seed)


def schema_validator(ffnet):
    jsonschema = pytest.importorskip("jsonschema", reason="the test extra installs jsonschema")
    result = ffnet("schema")
    assert result.returncode == 0 and result.stderr == ""
    schema = json.loads(result.stdout)
    jsonschema.Draft202012Validator.check_schema(schema)  # a valid JSON Schema
    return jsonschema.Draft202012Validator(schema)


def test_every_example_config_and_template_validates_against_the_schema(ffnet):
    validator = schema_validator(ffnet)
    docs = [load_yaml(p.read_text()) for p in CONFIGS.glob("*.yaml")] + [load_yaml(template(n)) for n in TEMPLATES]
    for doc in docs:
        assert list(validator.iter_errors(doc)) == []
    resolved = ffnet("config", CONFIGS / "iris.yaml", "--set", "train.schedule={name: step, gamma: 0.3}")
    assert list(validator.iter_errors(load_yaml(resolved.stdout))) == []


@pytest.mark.parametrize("change", [{"train": {"epoch": 3}}, {"train": {"epochs": 0}}, {"train": {"l2": True}},
                                    {"model": {"output": "softmax", "hidden": [{"units": 4, "activation": "ReLU"}]}},
                                    {"train": {"optimizer": {"name": "adam", "momentum": 0.9}}}])
def test_the_schema_refuses_what_ffnet_refuses(ffnet, change):
    validator = schema_validator(ffnet)
    doc = {"data": {"train": "d.csv"}, "model": {"output": "softmax"}}
    for section, values in change.items():
        doc[section] = {**doc.get(section, {}), **values}
    assert list(validator.iter_errors(doc)) != []


def test_info_shows_layers_parameters_encoding_provenance_and_final_metrics(runs, ffnet):
    result = ffnet("info", runs / "iris" / "model.json")
    assert result.returncode == 0 and result.stderr == ""
    out = result.stdout
    assert "task        multiclass: species (3 classes: setosa, versicolor, virginica)" in out
    assert "network     4 inputs → 16 relu → 3 softmax; 131 parameters; loss cross_entropy, float32" in out
    assert "    1       4     16  relu                80" in out and "    2      16      3  softmax             51" in out
    assert "sepal_length  number, z-scored with mean" in out
    assert "written by ffnet 0." in out and "seed 0, 100 epochs, batch 16, sgd, learning rate 0.1" in out
    assert "stopped at epoch 100 (completed)" in out and "final metrics" in out


def test_info_json_has_the_facts_and_the_metrics_of_the_run(runs, ffnet):
    info = json.loads(ffnet("info", runs / "iris" / "model.json", "--json").stdout)
    metrics = json.loads((runs / "iris" / "metrics.json").read_text())
    assert info["parameters"] == 131 and [l["units"] for l in info["layers"]] == [16, 3]
    assert info["inputs"][0]["column"] == "sepal_length" and set(info["inputs"][0]) == {"column", "kind", "mean", "std"}
    assert info["metrics"]["final"] == metrics["final"] and info["metrics"]["stop_reason"] == "completed"
    by_hand = json.loads(ffnet("info", CONFIGS / "xor_by_hand.json", "--json").stdout)
    assert by_hand["metrics"] is None and by_hand["parameters"] == 9 and by_hand["inputs"][0] == {"column": "x1",
                                                                                                 "kind": "number"}


def png_facts(path):
    """(width, height, distinct colours) of a PNG file: the header read by hand, the pixels by matplotlib."""
    from matplotlib.image import imread
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and data[12:16] == b"IHDR"
    width, height = struct.unpack(">II", data[16:24])
    pixels = imread(path)
    assert pixels.shape[:2] == (height, width)
    return width, height, len(np.unique(pixels.reshape(-1, pixels.shape[-1]), axis=0))


def test_plot_writes_curves_and_the_decision_boundary_of_a_two_input_model(runs, ffnet):
    pytest.importorskip("matplotlib", reason="the plot extra; the test extra installs it")
    result = ffnet("plot", runs / "xor")
    assert result.returncode == 0, result.stderr
    assert sorted(p.name for p in (runs / "xor").glob("*.png")) == ["boundary.png", "curves.png"]
    curves, boundary = png_facts(runs / "xor" / "curves.png"), png_facts(runs / "xor" / "boundary.png")
    assert curves[:2] == (1000, 400) and boundary[:2] == (600, 500)
    assert curves[2] > 50 and boundary[2] > 50  # drawn, not blank


def test_plot_of_a_regression_run_draws_its_surface_into_another_folder(runs, tmp_path, ffnet):
    pytest.importorskip("matplotlib", reason="the plot extra; the test extra installs it")
    result = ffnet("plot", runs / "regression", "--out", "pictures")
    assert result.returncode == 0, result.stderr
    width, height, colours = png_facts(tmp_path / "pictures" / "boundary.png")
    assert (width, height) == (600, 500) and colours > 50
    assert not (runs / "regression" / "boundary.png").exists()


def test_plot_of_a_four_input_model_draws_only_the_curves_and_says_why(runs, tmp_path, ffnet):
    pytest.importorskip("matplotlib", reason="the plot extra; the test extra installs it")
    result = ffnet("plot", runs / "iris", "--out", tmp_path / "p")
    assert result.returncode == 0
    assert sorted(p.name for p in (tmp_path / "p").iterdir()) == ["curves.png"]
    assert "note: no boundary.png: the model has 4 inputs, a picture needs 2" in result.stderr


def test_plot_without_matplotlib_exits_2_with_the_install_command(runs, monkeypatch, capsys):
    import sys
    from ffnet_cli.cli import main
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # `import matplotlib` now raises ImportError
    monkeypatch.delitem(sys.modules, "ffnet_cli.plot", raising=False)
    with pytest.raises(SystemExit) as exit_:
        main(["plot", str(runs / "iris")])
    assert exit_.value.code == 2
    assert "pip install 'ffnet[plot]'" in capsys.readouterr().err


def test_predict_jsonl_writes_one_object_per_row_with_the_csv_values(runs, ffnet):
    data = DATASETS / "iris.csv"
    for extra in ([], ["--proba"]):
        table = list(csv.reader(io.StringIO(ffnet("predict", runs / "iris" / "model.json", "--data", data,
                                                  *extra).stdout)))
        lines = ffnet("predict", runs / "iris" / "model.json", "--data", data, "--format", "jsonl", *extra).stdout
        objects = [json.loads(line) for line in lines.splitlines()]
        assert len(objects) == 150 and list(objects[0]) == table[0]
        for row, obj in zip(table[1:], objects):
            if extra:
                assert np.allclose([float(v) for v in row], list(obj.values()), rtol=1e-6)
            else:
                assert list(obj.values()) == row
    xor = ffnet("predict", CONFIGS / "xor_by_hand.json", "--data", DATASETS / "xor.csv", "--format", "jsonl")
    assert xor.stdout == '{"y": 0}\n{"y": 1}\n{"y": 1}\n{"y": 0}\n'
