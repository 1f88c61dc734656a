"""Real tables: categories one-hot, missing cells dropped or filled, numbers z-scored, all kept in the
model (model.json version 2 `inputs`) and applied the same way by eval and predict."""

import json

import numpy as np
import pytest

from ffnet_cli.config import parse_config
from ffnet_cli.dataset import load_dataset
from ffnet_cli.errors import DataError, ModelFileError
from ffnet_cli.modelfile import load_model, model_from_dict, model_to_dict
from ffnet_cli.scoring import evaluate_file, predictions
from ffnet_cli.train import new_model, train

# Two words, one code column, numbers with gaps; the label is the last column.
TABLE = ("island,code,size,weight,kind\n"
         "Biscoe,10,1.0,100,a\n"
         "Dream,9,2.0,NA,b\n"
         "Biscoe,10,3.0,300,a\n"
         "Torgersen,9,,400,b\n"
         "Dream,10,5.0,500,b\n"
         "?,9,6.0,600,b\n")


def config(tmp_path, table=TABLE, data="", model="output: softmax", train="epochs: 2"):
    (tmp_path / "d.csv").write_text(table)
    text = f"data: {{train: d.csv{', ' + data if data else ''}}}\nmodel: {{{model}}}\ntrain: {{{train}}}\n"
    return parse_config(text, str(tmp_path / "c.yaml"))


def dataset(tmp_path, **settings):
    cfg = config(tmp_path, **settings)
    return cfg, load_dataset(cfg, np.random.default_rng(0))


def trained(tmp_path, **settings):
    """Train the config and write its model.json; returns the model file's path."""
    cfg = config(tmp_path, **settings)
    result = train(cfg)
    path = tmp_path / "model.json"
    path.write_text(json.dumps(model_to_dict(result.model)))
    return str(path)


def test_a_word_column_is_one_hot_with_sorted_categories(tmp_path):
    _, data = dataset(tmp_path, data="missing: impute")
    island = data.inputs[0]
    assert (island.kind, island.categories) == ("category", ("Biscoe", "Dream", "Torgersen"))
    X = data.splits["train"].X
    np.testing.assert_array_equal(X[:, :3], [[1, 0, 0], [0, 1, 0], [1, 0, 0], [0, 0, 1], [0, 1, 0], [0, 0, 0]])


def test_a_listed_number_column_is_one_hot_sorted_by_value(tmp_path):
    _, data = dataset(tmp_path, data="missing: impute, categorical: [code]")
    code = data.inputs[1]
    assert (code.kind, code.categories) == ("category", ("9", "10"))  # 9 before 10: by value
    np.testing.assert_array_equal(data.splits["train"].X[:, 3:5], [[0, 1], [1, 0], [0, 1], [1, 0], [0, 1], [1, 0]])


def test_numbers_are_z_scored_with_the_training_mean_and_population_std_one_hot_stays_0_1(tmp_path):
    cfg, data = dataset(tmp_path, data="missing: drop")
    size = data.inputs[2]
    kept = np.array([1.0, 3.0, 5.0])  # rows without a missing cell: Biscoe/1, Biscoe/3, Dream/5
    assert (size.mean, size.std) == (kept.mean(), kept.std(ddof=0))
    model = new_model(cfg, data, np.random.default_rng(0))
    scaled = model.scale(data.splits["train"].X)
    assert data.inputs[0].categories == ("Biscoe", "Dream")  # the kept rows' islands
    np.testing.assert_allclose(scaled[:, 2 + 1], (kept - kept.mean()) / kept.std(), rtol=1e-6)
    np.testing.assert_array_equal(scaled[:, :2], [[1, 0], [1, 0], [0, 1]])


def test_missing_error_names_the_first_missing_cell_in_file_order_with_a_hint(tmp_path):
    with pytest.raises(DataError) as info:
        dataset(tmp_path)
    assert info.value.where == "line 3, column 4 (weight)"
    assert info.value.message == ("missing value (3 missing cells in all); set data.missing: drop to leave such rows "
                                  "out, or impute to fill them in")


def test_missing_drop_leaves_out_rows_and_counts_them(tmp_path):
    _, data = dataset(tmp_path, data="missing: drop")
    assert len(data.splits["train"].T) == 3 and data.dropped == {"train": 3}


def test_missing_impute_fills_numbers_with_the_training_mean_and_categories_with_zeros(tmp_path):
    _, data = dataset(tmp_path, data="missing: impute, standardize: false")
    X = data.splits["train"].X
    weight = data.inputs[3]
    assert weight.fill == np.mean([100, 300, 400, 500, 600])
    assert X[1, 5] == weight.fill and X[3, 4] == np.mean([1, 2, 3, 5, 6])
    np.testing.assert_array_equal(X[5, :3], [0, 0, 0])  # '?' is a missing island


def test_impute_leaves_out_rows_without_a_target(tmp_path):
    _, data = dataset(tmp_path, table=TABLE + "Dream,9,7.0,700,NA\n", data="missing: impute")
    assert len(data.splits["train"].T) == 6 and data.dropped == {"train": 1}


def test_a_column_mixing_numbers_and_words_names_the_first_word_and_hints_at_categorical(tmp_path):
    table = "a,b,y\n1,2,x\n2,3,y\n3,three,x\n4,4,y\n"
    with pytest.raises(DataError) as info:
        dataset(tmp_path, table=table)
    assert info.value.where == "line 4, column 2 (b)"
    assert info.value.message == "not a number: 'three', in a column of numbers; if 'b' is a category, list it in data.categorical"
    _, data = dataset(tmp_path, table=table, data="categorical: [b]")
    assert data.inputs[1].categories == ("2", "3", "4", "three")  # not every one a number: as strings


def test_model_json_version_2_keeps_inputs_and_reads_back(tmp_path):
    path = trained(tmp_path, data="missing: impute, categorical: [code]")
    doc = json.loads(open(path).read())
    assert doc["version"] == 2 and doc["missing"] == "impute" and "standardize" not in doc
    assert doc["inputs"][0] == {"column": "island", "kind": "category", "categories": ["Biscoe", "Dream", "Torgersen"]}
    size = doc["inputs"][2]
    assert set(size) == {"column", "kind", "mean", "std", "fill"} and size["fill"] == size["mean"]
    model = load_model(path)
    assert model.width == 3 + 2 + 1 + 1 + 0 and model.input_names[:3] == ["island=Biscoe", "island=Dream",
                                                                         "island=Torgersen"]
    assert model_to_dict(model) == model_to_dict(model_from_dict(doc))


def test_version_1_model_reads_as_numbers_with_its_standardisation():
    doc = {"format": "ffnet-model", "version": 1, "features": ["x1", "x2"], "targets": ["y"], "output": "linear",
           "standardize": {"mean": [1, 2], "std": [2, 4]},
           "layers": [{"activation": "linear", "weights": [[1], [1]], "bias": [0]}]}
    model = model_from_dict(doc)
    assert [(i.kind, i.mean, i.std) for i in model.inputs] == [("number", 1, 2), ("number", 2, 4)]
    np.testing.assert_allclose(model.outputs(np.array([[3.0, 6.0]]))[1], [[2.0]])


@pytest.mark.parametrize("change, where, message", [
    ({"inputs": [{"column": "x2", "kind": "number"}, {"column": "x1", "kind": "number"}]}, "inputs[0].column",
     "expected 'x1' (one input per feature, in order), got 'x2'"),
    ({"inputs": [{"column": "x1", "kind": "category", "categories": []}, {"column": "x2", "kind": "number"}]},
     "inputs[0].categories", "expected a non-empty list of distinct strings"),
    ({"inputs": [{"column": "x1", "kind": "number", "mean": 1}, {"column": "x2", "kind": "number"}]}, "inputs[0]",
     "mean and std come together"),
    ({"inputs": [{"column": "x1", "kind": "number", "mean": 0, "std": 0}, {"column": "x2", "kind": "number"}]},
     "inputs[0].std", "must be > 0"),
    ({"inputs": [{"column": "x1", "kind": "category", "categories": ["a", "b"]}, {"column": "x2", "kind": "number"}]},
     "layers[0].weights", "has 2 rows, but its layer gets 3 inputs"),
    ({"missing": "maybe"}, "missing", "expected one of error, drop, impute"),
])
def test_bad_inputs_in_a_model_file_are_refused(change, where, message):
    doc = {"format": "ffnet-model", "version": 2, "features": ["x1", "x2"], "targets": ["y"], "output": "linear",
           "layers": [{"activation": "linear", "weights": [[1], [1]], "bias": [0]}], **change}
    with pytest.raises(ModelFileError) as info:
        model_from_dict(doc)
    assert info.value.where == where and message in info.value.message


RAW = "island,code,size,weight\nDream,9,2.0,250\nAtlantis,10,NA,300\nBiscoe,9,4.0,?\nAtlantis,9,1,1\nMars,10,1,1\n"


def test_predict_fills_missing_cells_and_encodes_unseen_categories_as_zeros_with_one_warning(tmp_path):
    path = trained(tmp_path, data="missing: impute")
    (tmp_path / "new.csv").write_text(RAW)
    said = []
    header, values = predictions(path, str(tmp_path / "new.csv"), warn=said.append)
    assert header == ["kind"] and len(values) == 5  # predict never leaves a row out
    assert said == ["column 'island': 3 rows have a category not seen in training; encoded as all zeros"]


def test_predict_refuses_a_missing_cell_the_model_cannot_fill(tmp_path):
    path = trained(tmp_path, data="missing: drop")
    (tmp_path / "new.csv").write_text(RAW)
    with pytest.raises(DataError) as info:
        predictions(path, str(tmp_path / "new.csv"))
    assert info.value.where == "line 3, column 3 (size)"
    assert info.value.message.startswith("missing value, and the model has no fill for it")


def test_eval_leaves_out_rows_as_the_model_was_trained(tmp_path):
    path = trained(tmp_path, data="missing: drop")
    assert evaluate_file(path, str(tmp_path / "d.csv"))["n"] == 3
    path = trained(tmp_path, data="missing: impute")
    assert evaluate_file(path, str(tmp_path / "d.csv"))["n"] == 6


def test_the_test_file_follows_the_missing_policy_and_reports_unseen_categories(tmp_path):
    (tmp_path / "t.csv").write_text("island,code,size,weight,kind\nDream,9,NA,1,a\nMars,9,1,1,b\nBiscoe,9,1,1,a\n")
    _, data = dataset(tmp_path, data="missing: drop, test: t.csv")
    assert len(data.splits["test"].T) == 2 and data.dropped["test"] == 1
    assert data.unseen == {"test": {"island": 1}}


def test_predict_cli_prints_one_warning_line_per_column_with_unseen_categories(tmp_path, ffnet):
    path = trained(tmp_path, data="missing: impute, categorical: [code]")
    (tmp_path / "new.csv").write_text(RAW.replace("Dream,9,2.0", "Dream,11,2.0"))
    result = ffnet("predict", path, "--data", "new.csv")
    assert result.returncode == 0, result.stderr
    assert result.stderr.splitlines() == [
        "warning: column 'island': 3 rows have a category not seen in training; encoded as all zeros",
        "warning: column 'code': 1 row has a category not seen in training; encoded as all zeros"]
    assert len(result.stdout.splitlines()) == 6


def test_data_categorical_must_name_feature_columns(tmp_path):
    from ffnet_cli.errors import ConfigError
    with pytest.raises(ConfigError) as info:
        dataset(tmp_path, data="missing: impute, categorical: [colour]")
    assert (info.value.where, info.value.message) == (
        "data.categorical", "'colour' is not a feature column; data.categorical lists feature columns "
        "(island, code, size, weight)")
    with pytest.raises(ConfigError, match="'kind' is the target"):
        dataset(tmp_path, data="missing: impute, categorical: [kind]")
