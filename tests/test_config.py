"""The config loader: YAML dialect, schema, defaults, error messages, paths and `--set`."""

import json
import os
import time

import pytest

from ffnet_cli.config import Config, Layer, load_config, parse_config
from ffnet_cli.errors import ConfigError

MINIMAL = "data: {train: train.csv}\nmodel: {output: sigmoid}\n"


def write(tmp_path, text, name="config.yaml"):
    path = tmp_path / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return str(path)


def load(tmp_path, text, overrides=()):
    return load_config(write(tmp_path, text), overrides)


def error(tmp_path, text, overrides=()):
    with pytest.raises(ConfigError) as info:
        load(tmp_path, text, overrides)
    return info.value


def test_defaults_are_filled_in(tmp_path):
    cfg = load(tmp_path, MINIMAL)
    assert isinstance(cfg, Config)
    assert cfg.seed == 0
    assert cfg.data.train == str(tmp_path / "train.csv")
    assert (cfg.data.test, cfg.data.target, cfg.data.features) == (None, None, None)
    assert cfg.data.validation_split == 0.0
    assert cfg.data.standardize is True
    assert (cfg.data.categorical, cfg.data.missing) == ("auto", "error")
    assert cfg.model.hidden == ()
    assert cfg.model.output == "sigmoid"
    assert cfg.loss == "log_loss"
    t = cfg.train
    assert (t.epochs, t.batch_size, t.learning_rate) == (100, 32, 0.01)
    assert t.optimizer == {"name": "sgd", "momentum": 0.0, "nesterov": False}
    assert t.schedule == {"name": "constant"}
    assert (t.warmup_epochs, t.early_stopping, t.class_weight, t.clip_norm) == (0, None, None, None)
    assert (t.l2, t.l1, t.dtype, t.device) == (0.0, 0.0, "float32", "cpu")
    assert cfg.model.init == "auto"
    assert cfg.output_dir is None


def test_hidden_layer_activation_defaults_to_relu(tmp_path):
    cfg = load(tmp_path, "data: {train: t.csv}\nmodel: {output: sigmoid, hidden: [{units: 3}]}\n")
    assert cfg.model.hidden == (Layer(units=3, activation="relu"),)


def test_exponent_notation_is_read_as_a_float(tmp_path):
    cfg = load(tmp_path, MINIMAL + "train: {learning_rate: 1e-3, l2: 1E5, l1: .5}\n")
    assert cfg.train.learning_rate == 0.001
    assert cfg.train.l2 == 100000.0
    assert cfg.train.l1 == 0.5


def test_signed_exponent_is_a_number_and_checked_as_one(tmp_path):
    err = error(tmp_path, MINIMAL + "train: {learning_rate: -2e+3}\n")
    assert err.where == "train.learning_rate"
    assert err.message == "expected a number > 0, got -2000.0"


@pytest.mark.parametrize("output, loss", [
    ("linear", "squared_error"), ("sigmoid", "log_loss"), ("softmax", "cross_entropy"),
])
def test_default_loss_follows_the_output(tmp_path, output, loss):
    cfg = load(tmp_path, f"data: {{train: t.csv}}\nmodel: {{output: {output}}}\n")
    assert cfg.loss == loss
    assert cfg.raw["loss"] == loss


def test_squared_error_is_allowed_with_softmax(tmp_path):
    cfg = load(tmp_path, "data: {train: t.csv}\nmodel: {output: softmax}\nloss: squared_error\n")
    assert cfg.loss == "squared_error"


def test_loss_that_does_not_fit_the_output_is_refused(tmp_path):
    err = error(tmp_path, "data: {train: t.csv}\nmodel: {output: softmax}\nloss: log_loss\n")
    assert err.where == "loss"
    assert err.message == ("loss 'log_loss' does not fit output 'softmax'; "
                           "valid losses for softmax: cross_entropy, squared_error")


def test_unknown_top_level_key_suggests_the_closest(tmp_path):
    err = error(tmp_path, MINIMAL + "trian: {epochs: 3}\n")
    assert err.where == "trian"
    assert err.message == "unknown key 'trian'; did you mean 'train'?"


def test_unknown_nested_key_names_its_dotted_path(tmp_path):
    err = error(tmp_path, MINIMAL + "train: {learnig_rate: 0.1}\n")
    assert err.where == "train.learnig_rate"
    assert err.message == "unknown key 'learnig_rate'; did you mean 'learning_rate'?"


def test_unknown_key_without_a_close_match_lists_the_valid_keys(tmp_path):
    err = error(tmp_path, MINIMAL + "output: {zzz: 1}\n")
    assert err.where == "output.zzz"
    assert err.message == "unknown key 'zzz' (allowed: dir)"


def test_unknown_activation_suggests_the_closest_and_lists_all(tmp_path):
    err = error(tmp_path, "data: {train: t.csv}\nmodel:\n  output: sigmoid\n"
                "  hidden: [{units: 2}, {units: 2, activation: rleu}]\n")
    assert err.where == "model.hidden[1].activation"
    assert err.message == ("unknown activation 'rleu'; did you mean 'relu'? "
                           "(allowed: relu, tanh, sigmoid, linear)")


def test_unknown_output_is_refused(tmp_path):
    err = error(tmp_path, "data: {train: t.csv}\nmodel: {output: sofmax}\n")
    assert err.where == "model.output"
    assert err.message == ("unknown output 'sofmax'; did you mean 'softmax'? "
                           "(allowed: linear, sigmoid, softmax)")


def test_name_that_is_not_a_string_is_refused(tmp_path):
    err = error(tmp_path, MINIMAL + "train: {dtype: [float64]}\n")
    assert (err.where, err.message) == ("train.dtype", "expected one of float32, float64, got a list")


def test_bool_is_not_an_integer(tmp_path):
    err = error(tmp_path, MINIMAL + "train: {epochs: true}\n")
    assert (err.where, err.message) == ("train.epochs", "expected an integer >= 1, got true")


def test_bool_is_not_a_number(tmp_path):
    err = error(tmp_path, MINIMAL + "train: {learning_rate: true}\n")
    assert (err.where, err.message) == ("train.learning_rate", "expected a number > 0, got true")


def test_yes_is_a_string_not_a_bool(tmp_path):
    err = error(tmp_path, MINIMAL.replace("train.csv}", "train.csv, standardize: yes}"))
    assert (err.where, err.message) == ("data.standardize", "expected true or false, got 'yes'")


def test_float_units_are_refused(tmp_path):
    err = error(tmp_path, "data: {train: t.csv}\nmodel: {output: linear, hidden: [{units: 2.5}]}\n")
    assert err.where == "model.hidden[0].units"
    assert err.message == "expected an integer >= 1, got 2.5"


def test_whole_float_is_not_an_integer(tmp_path):
    err = error(tmp_path, MINIMAL + "train: {epochs: 3.0}\n")
    assert err.message == "expected an integer >= 1, got 3.0"


def test_integer_is_accepted_where_a_number_is_wanted(tmp_path):
    cfg = load(tmp_path, MINIMAL + "train: {learning_rate: 1}\n")
    assert cfg.train.learning_rate == 1.0 and isinstance(cfg.train.learning_rate, float)


def test_string_is_not_a_number(tmp_path):
    err = error(tmp_path, MINIMAL + "train: {l2: 'small'}\n")
    assert err.message == "expected a number >= 0, got 'small'"


@pytest.mark.parametrize("text, where, got", [
    ("model: {output: linear, hidden: [{units: 0}]}", "model.hidden[0].units", "0"),
    ("model: {output: linear}\ntrain: {epochs: 0}", "train.epochs", "0"),
    ("model: {output: linear}\ntrain: {batch_size: -4}", "train.batch_size", "-4"),
])
def test_sizes_below_one_are_refused(tmp_path, text, where, got):
    err = error(tmp_path, "data: {train: t.csv}\n" + text + "\n")
    assert (err.where, err.message) == (where, f"expected an integer >= 1, got {got}")


def test_negative_seed_is_refused(tmp_path):
    err = error(tmp_path, MINIMAL + "seed: -1\n")
    assert (err.where, err.message) == ("seed", "expected an integer >= 0, got -1")


def test_zero_learning_rate_is_refused(tmp_path):
    err = error(tmp_path, MINIMAL + "train: {learning_rate: 0}\n")
    assert (err.where, err.message) == ("train.learning_rate", "expected a number > 0, got 0")


def test_infinite_learning_rate_is_refused(tmp_path):
    err = error(tmp_path, MINIMAL + "train: {learning_rate: .inf}\n")
    assert err.message == "expected a number > 0, got inf"


@pytest.mark.parametrize("value", ["1.0", "-0.1"])
def test_validation_split_outside_zero_to_one_is_refused(tmp_path, value):
    err = error(tmp_path, f"data: {{train: t.csv, validation_split: {value}}}\n"
                "model: {output: linear}\n")
    assert err.where == "data.validation_split"
    assert err.message == f"expected a number in [0, 1), got {value}"


def test_missing_required_key_is_named(tmp_path):
    err = error(tmp_path, "data: {train: t.csv}\nmodel: {hidden: []}\n")
    assert (err.where, err.message) == ("model.output", "missing required key 'output'")


def test_duplicate_key_is_refused_with_path_and_lines(tmp_path):
    err = error(tmp_path, MINIMAL + "train:\n  epochs: 3\n  epochs: 4\n")
    assert err.where == "train.epochs"
    assert err.message == "duplicate key 'epochs' at line 5 (first at line 4)"


def test_python_tag_is_refused_and_not_run(tmp_path):
    marker = tmp_path / "ran"
    err = error(tmp_path, MINIMAL + f"seed: !!python/object/apply:os.system ['touch {marker}']\n")
    assert not marker.exists()
    assert err.where == "line 3, column 7"
    assert err.message == ("the tag '!!python/object/apply:os.system' is not allowed: "
                           "ffnet reads plain YAML, not Python objects")


def test_yaml_syntax_error_reports_line_and_column(tmp_path):
    err = error(tmp_path, "data:\n  train: [a, b\nmodel: {output: linear}\n")
    assert err.where == "line 3, column 6"
    assert err.message.startswith("invalid YAML: ")
    assert err.file == str(tmp_path / "config.yaml")


def test_empty_file_is_refused(tmp_path):
    err = error(tmp_path, "# nothing here\n")
    assert err.message == "config is empty"


def test_top_level_list_is_refused(tmp_path):
    err = error(tmp_path, "- seed\n- data\n")
    assert err.where is None
    assert err.message.startswith("expected a mapping with keys seed, data, model")
    assert err.message.endswith("got a list")


def test_alias_bomb_is_refused_quickly(tmp_path):
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    for i in range(1, 10):
        lines.append(f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 10) + "]")
    start = time.perf_counter()
    err = error(tmp_path, "\n".join(lines) + "\n")
    assert time.perf_counter() - start < 1.0
    assert "once aliases are expanded" in err.message


def test_recursive_alias_is_refused(tmp_path):
    err = error(tmp_path, MINIMAL + "seed: &s [*s]\n")
    assert err.message == "recursive alias"


def test_deep_nesting_is_refused(tmp_path):
    err = error(tmp_path, "seed: " + "[" * 5000 + "]" * 5000 + "\n")
    assert err.message == "invalid YAML: nested too deeply"


def test_oversized_file_is_refused(tmp_path):
    err = error(tmp_path, MINIMAL + "#" * (1 << 20) + "\n")
    assert err.message == "config file is larger than 1 MiB"


def test_missing_file_is_named(tmp_path):
    path = str(tmp_path / "nope.yaml")
    with pytest.raises(ConfigError) as info:
        load_config(path)
    assert (info.value.file, info.value.message) == (path, "no such file")


def test_directory_as_config_is_refused(tmp_path):
    with pytest.raises(ConfigError) as info:
        load_config(str(tmp_path))
    assert info.value.file == str(tmp_path)
    assert info.value.message == "is a directory, not a config file"


def test_paths_are_resolved_against_the_config_folder(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    write(tmp_path, "data: {train: ../data/train.csv, test: test.csv}\n"
          "model: {output: linear}\noutput: {dir: /abs/out}\n", name="conf/c.yaml")
    cfg = load_config("conf/c.yaml")
    assert cfg.path == "conf/c.yaml"
    assert cfg.data.train == os.path.join("data", "train.csv")
    assert cfg.data.test == os.path.join("conf", "test.csv")
    assert cfg.output_dir == "/abs/out"
    assert cfg.raw["data"]["train"] == cfg.data.train


def test_quoted_dash_is_kept_as_stdin(tmp_path):
    cfg = load(tmp_path, "data: {train: '-'}\nmodel: {output: linear}\n")
    assert cfg.data.train == "-"


def test_set_overrides_a_float(tmp_path):
    cfg = load(tmp_path, MINIMAL, ["train.learning_rate=0.1"])
    assert cfg.train.learning_rate == 0.1


def test_set_indexes_into_hidden_layers(tmp_path):
    cfg = load(tmp_path, "data: {train: t.csv}\nmodel:\n  output: linear\n"
               "  hidden: [{units: 2}, {units: 3, activation: tanh}]\n",
               ["model.hidden[1].units=8", "model.hidden[0].activation=sigmoid"])
    assert cfg.model.hidden == (Layer(2, "sigmoid"), Layer(8, "tanh"))


def test_set_creates_a_missing_section(tmp_path):
    cfg = load(tmp_path, MINIMAL, ["output.dir=out"])
    assert cfg.output_dir == str(tmp_path / "out")


def test_set_path_is_resolved_against_the_config_folder(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    write(tmp_path, MINIMAL, name="conf/c.yaml")
    cfg = load_config("conf/c.yaml", ["data.train=other.csv"])
    assert cfg.data.train == os.path.join("conf", "other.csv")


def test_set_quoted_dash_means_stdin(tmp_path):
    cfg = load(tmp_path, MINIMAL, ["data.train='-'"])
    assert cfg.data.train == "-"


def test_set_parses_a_list_value(tmp_path):
    cfg = load(tmp_path, MINIMAL, ["data.features=[x1, x2]"])
    assert cfg.data.features == ("x1", "x2")


def test_set_without_equals_is_refused(tmp_path):
    err = error(tmp_path, MINIMAL, ["train.epochs"])
    assert (err.file, err.where) == ("--set train.epochs", None)
    assert err.message == "expected KEY=VALUE, e.g. train.learning_rate=0.1"


def test_set_with_a_bad_index_is_refused(tmp_path):
    err = error(tmp_path, MINIMAL, ["model.hidden[x].units=3"])
    assert err.file == "--set model.hidden[x].units=3"
    assert err.message.startswith("bad key 'model.hidden[x].units'")


def test_set_with_an_index_out_of_range_is_refused(tmp_path):
    err = error(tmp_path, "data: {train: t.csv}\nmodel: {output: linear, hidden: [{units: 2}]}\n",
                ["model.hidden[1].units=3"])
    assert err.file == "--set model.hidden[1].units=3"
    assert err.message == "index 1 out of range: model.hidden has 1 item(s)"


def test_set_indexing_a_mapping_is_refused(tmp_path):
    err = error(tmp_path, MINIMAL, ["train[0]=3"])
    assert err.message == "train is not a list"


def test_set_unknown_key_gets_the_same_error_as_in_the_file(tmp_path):
    err = error(tmp_path, MINIMAL, ["train.learnig_rate=0.1"])
    assert (err.file, err.where) == ("--set train.learnig_rate=0.1", None)
    assert err.message == "unknown key 'learnig_rate'; did you mean 'learning_rate'?"


def test_target_string_becomes_a_one_tuple(tmp_path):
    cfg = load(tmp_path, "data: {train: t.csv, target: y}\nmodel: {output: linear}\n")
    assert cfg.data.target == ("y",)
    assert cfg.raw["data"]["target"] == ["y"]


def test_target_list_becomes_a_tuple(tmp_path):
    cfg = load(tmp_path, "data: {train: t.csv, target: [y1, y2]}\nmodel: {output: linear}\n")
    assert cfg.data.target == ("y1", "y2")


def test_huge_network_is_refused(tmp_path):
    err = error(tmp_path, "data: {train: t.csv}\nmodel:\n  output: linear\n"
                "  hidden: [{units: 20000}, {units: 20000}]\n")
    assert err.where == "model.hidden"
    assert err.message.startswith("network too large: 400,000,000 parameters")


def test_single_layer_wider_than_a_million_units_is_refused(tmp_path):
    err = error(tmp_path, "data: {train: t.csv}\n"
                "model: {output: linear, hidden: [{units: 1000001}]}\n")
    assert err.message.startswith("network too large: 0 parameters")


def test_raw_is_json_serialisable_with_defaults(tmp_path):
    cfg = load(tmp_path, "data: {train: t.csv}\nmodel: {output: softmax, hidden: [{units: 4}]}\n")
    raw = json.loads(json.dumps(cfg.raw, allow_nan=False))
    assert raw["model"]["hidden"] == [{"units": 4, "activation": "relu", "dropout": 0.0, "init": "auto"}]
    assert raw["train"]["learning_rate"] == 0.01
    assert raw["loss"] == "cross_entropy"
    assert raw["output"] == {"dir": None}


def test_parse_config_uses_path_for_messages_and_relative_paths():
    cfg = parse_config("data: {train: t.csv}\nmodel: {output: linear}\n", "exp/c.yaml")
    assert cfg.data.train == os.path.join("exp", "t.csv")
    with pytest.raises(ConfigError) as info:
        parse_config("seed: x\n", "exp/c.yaml")
    assert info.value.file == "exp/c.yaml"


def test_parameter_count_with_the_datas_inputs_and_outputs_is_checked_before_allocating():
    from ffnet_cli.config import MAX_PARAMS, check_parameter_count
    check_parameter_count([4, 16, 3])  # (4 + 1) * 16 + (16 + 1) * 3 parameters: fine
    with pytest.raises(ConfigError) as info:
        check_parameter_count([100_000, 5_000, 2], "c.yaml")
    assert (info.value.file, info.value.where) == ("c.yaml", "model.hidden")
    assert info.value.message == (f"network too large: 500,015,002 parameters with 100,000 inputs and 2 outputs "
                                  f"(limit: {MAX_PARAMS:,})")
