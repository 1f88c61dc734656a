"""The opening summary's data part and the warnings for setups that usually mean a mistake."""

import numpy as np

from ffnet_cli.config import parse_config
from ffnet_cli.dataset import load_dataset
from ffnet_cli.summary import describe, warnings
from ffnet_cli.train import new_model

def table(label_first=False, n=60, scales=(1.0, 1.0)):
    """Wine-like rows: a class 1..3 and two measurements, the second continuous."""
    rng = np.random.default_rng(1)
    label = np.arange(n) % 3 + 1
    a = (rng.normal(0, scales[0], n) + label).round(6)
    b = (rng.normal(0, scales[1], n) + label).round(6)
    if label_first:
        return "class,a,b\n" + "".join(f"{c},{x},{y}\n" for c, x, y in zip(label, a, b))
    return "a,b,class\n" + "".join(f"{x},{y},{c}\n" for c, x, y in zip(label, a, b))


def setup(tmp_path, text, data="", output="softmax"):
    (tmp_path / "d.csv").write_text(text)
    cfg = parse_config(f"data: {{train: d.csv{', ' + data if data else ''}}}\nmodel: {{output: {output}}}\n",
                       str(tmp_path / "c.yaml"))
    rng = np.random.default_rng(0)
    data_set = load_dataset(cfg, rng)
    model = new_model(cfg, data_set, rng)
    return describe(cfg, data_set, model, "runs/c"), warnings(cfg, data_set, model)


def test_a_clean_setup_has_no_warning_and_describes_rows_inputs_target(tmp_path):
    summary, said = setup(tmp_path, table(), "validation_split: 0.25")
    assert said == []
    assert summary["rows"] == {"train": 45, "validation": 15} and summary["dropped"] is None
    assert [(i["column"], i["became"]) for i in summary["inputs"]] == [("a", "z-scored"), ("b", "z-scored")]
    assert (summary["targets"], summary["task"], summary["classes"]) == (["class"], "multiclass", ["1", "2", "3"])
    assert summary["layers"] == ["2 inputs", "3 softmax"]


def test_softmax_on_a_continuous_target_warns_it_looks_like_regression(tmp_path):
    _, said = setup(tmp_path, table(), "target: b")
    assert said[0].startswith("target 'b' has 60 distinct numeric values: it looks like a regression target")


def test_label_in_the_first_column_with_the_default_target_points_to_it(tmp_path):
    _, said = setup(tmp_path, table(label_first=True))
    assert said == ["target 'b' has 60 distinct numeric values: it looks like a regression target; for a value, "
                    "use model.output: linear",
                    "the target is the last column, 'b', by default; column 'class' looks like the class labels: "
                    "set data.target: class"]


def test_a_word_label_column_is_pointed_to_as_well(tmp_path):
    text = table(label_first=True).replace("\n1,", "\nlow,").replace("\n2,", "\nmid,").replace("\n3,", "\nhigh,")
    _, said = setup(tmp_path, text)
    assert said[-1].endswith("column 'class' looks like the class labels: set data.target: class")


def test_very_different_scales_without_standardize_warn(tmp_path):
    _, said = setup(tmp_path, table(scales=(0.01, 500.0)), "standardize: false")
    assert len(said) == 1 and said[0].startswith("features are on very different scales (standard deviations from 0.")
    assert said[0].endswith(") and data.standardize is false; set it to true")
    _, said = setup(tmp_path, table(scales=(0.01, 500.0)))
    assert said == []


def test_a_validation_split_without_every_class_warns(tmp_path):
    text = "a,y\n" + "".join(f"{i},{'rare' if i == 0 else 'common' if i % 2 else 'other'}\n" for i in range(40))
    _, said = setup(tmp_path, text, "validation_split: 0.05")
    assert said == ["the validation split (2 rows) has only 1 of the 3 classes; use a larger data.validation_split"]


def test_an_id_like_category_column_and_a_constant_column_warn(tmp_path):
    text = "name,k,y\n" + "".join(f"car {i},7,{i % 2}\n" for i in range(120))
    _, said = setup(tmp_path, text, output="sigmoid")
    assert said == ["column 'name' has 120 categories for 120 training rows: an ID or free text? "
                    "Leave it out with data.features",
                    "column 'k' is constant in the training split: no use as a feature"]


def test_dropping_many_rows_warns_and_the_count_is_in_the_summary(tmp_path):
    text = "a,y\n" + "".join(f"{'NA' if i % 3 == 0 else i},{i % 2}\n" for i in range(30))
    summary, said = setup(tmp_path, text, "missing: drop", output="sigmoid")
    assert summary["rows"] == {"train": 20}
    assert summary["dropped"] == "10 rows of the train file left out (missing cells; data.missing: drop)"
    assert said == ["10 of 30 rows of the train file have a missing cell and were left out; data.missing: impute keeps them"]


def test_the_summary_writes_optimizer_settings_as_a_config_would():
    from ffnet_cli.summary import _settings
    assert _settings({"name": "sgd", "momentum": 0.9, "nesterov": False}) == "sgd (momentum 0.9, nesterov false)"
    assert _settings({"name": "adam", "beta1": 0.9, "beta2": 0.999, "epsilon": 1e-08}) == \
        "adam (beta1 0.9, beta2 0.999, epsilon 1e-08)"


def test_the_warnings_look_at_a_few_rows_of_wide_data_not_a_float64_copy_of_all(tmp_path):
    import tracemalloc
    rng = np.random.default_rng(0)
    X = rng.normal(size=(8000, 1000)).astype(np.float32)  # 32 MB; as float64, 64 MB
    np.savez(tmp_path / "d.npz", X=X * np.array([1.0, 1000.0] * 500, dtype=np.float32), y=np.arange(8000) % 2)
    cfg = parse_config("data: {train: d.npz, standardize: false}\nmodel: {output: sigmoid}\ntrain: {dtype: float32}\n",
                       str(tmp_path / "c.yaml"))
    data_set = load_dataset(cfg, np.random.default_rng(0))
    model = new_model(cfg, data_set, np.random.default_rng(0))
    tracemalloc.start()
    said = warnings(cfg, data_set, model)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert any("very different scales" in s for s in said)  # the check still looks, at a sample
    assert peak < X.nbytes  # a sample of rows, not every row widened to float64
