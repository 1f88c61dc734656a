"""Help that answers and errors that help: -h everywhere, examples, placeholders that read, --set
hints for options that are config keys, and the config messages that point at the fix."""

import re

import pytest
import typer

from conftest import CONFIGS
from ffnet_cli.cli import app  # the commands register on importing the CLI
from ffnet_cli.config import keys_named, parse_config
from ffnet_cli.errors import ConfigError

COMMANDS = sorted(typer.main.get_command(app).commands)
MINIMAL = "data: {train: t.csv}\nmodel: {output: softmax}\n"


def config_error(text, overrides=()) -> ConfigError:
    with pytest.raises(ConfigError) as info:
        parse_config(text, "c.yaml", overrides)
    return info.value


def test_the_new_commands_are_registered():
    assert {"init", "config", "schema", "info", "plot", "train", "eval", "predict", "gradcheck"} <= set(COMMANDS)


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_has_h_and_help_an_example_and_readable_placeholders(ffnet, command):
    short, long = ffnet(command, "-h"), ffnet(command, "--help")
    assert short.returncode == long.returncode == 0 and short.stdout == long.stdout
    text = long.stdout
    assert "Example:" in text and f"ffnet {command}" in text.split("Example:")[1]
    assert "--debug" in text and "-h" in text
    assert not re.search(r"<(str|int|float|text)|\{[a-z_]+\}|TEXT", text), text  # no `<str>`, `{config}`
    usage = next(line for line in text.splitlines() if "Usage:" in line)
    assert "{" not in usage
    lines = text.splitlines()
    at = next(i for i, line in enumerate(lines) if "Example:" in line)
    if lines[at].strip() == "Example:":  # examples on their own lines are indented under it
        indent = len(lines[at]) - len(lines[at].lstrip())
        assert lines[at + 1].startswith(" " * (indent + 2) + "ffnet "), lines[at:at + 2]


def test_the_main_help_lists_commands_in_panels_and_shows_debug(ffnet):
    result = ffnet("-h")
    assert result.returncode == 0
    for panel in ("Write and check configs", "Train and check", "Use a trained model"):
        assert panel in result.stdout
    assert "--debug" in result.stdout and "Example:" in result.stdout


def test_train_help_points_to_the_config_keys(ffnet):
    text = " ".join(ffnet("train", "-h").stdout.split())
    assert "`ffnet schema` lists them all" in text and "`ffnet init` writes a commented starter config" in text
    assert "README's \"Config reference\"" in text


def test_help_ranges_are_true(ffnet):
    text = ffnet("gradcheck", "-h").stdout
    eps = next(line for line in text.splitlines() if "--eps" in line)
    assert "x>=0" not in eps and "0 < eps <= 1" in eps
    for wrong in ("0", "2", "inf", "nan"):  # what the help says is refused is refused
        assert ffnet("gradcheck", CONFIGS / "xor.yaml", "--eps", wrong).returncode == 2


@pytest.mark.parametrize("argv, hint", [
    (["--epochs", "10"], "--set train.epochs=10"),
    (["--epochs=10"], "--set train.epochs=10"),
    (["--learning-rate", "0.1"], "--set train.learning_rate=0.1"),
    (["--batch_size"], "--set train.batch_size=VALUE"),
    (["--units", "8"], "--set model.hidden[0].units=8"),
])
def test_an_unknown_option_that_names_a_config_key_suggests_set(ffnet, argv, hint):
    result = ffnet("train", CONFIGS / "xor.yaml", *argv)
    assert result.returncode == 2 and result.stdout == ""
    assert result.stderr == f"error: No such option: {argv[0].split('=')[0]}; a config key is set with {hint} " \
                            f"(see 'ffnet train --help')\n"


def test_an_unknown_option_without_a_config_key_gets_no_set_hint(ffnet):
    assert "--set" not in ffnet("train", CONFIGS / "xor.yaml", "--bogus").stderr
    assert "--set" not in ffnet("predict", "m.json", "--epochs", "3").stderr  # predict has no --set


def test_option_names_map_to_every_key_they_could_mean():
    assert keys_named("monitor") == ["train.schedule.monitor", "train.early_stopping.monitor"]
    assert keys_named("train.epochs") == ["train.epochs"] and keys_named("epoch") == ["train.epochs"]
    assert keys_named("verbose") == []


def test_a_name_in_the_wrong_case_gets_did_you_mean():
    err = config_error("data: {train: t.csv}\nmodel: {output: softmax, hidden: [{units: 4, activation: ReLU}]}\n")
    assert (err.where, err.message) == ("model.hidden[0].activation", "unknown activation 'ReLU'; did you mean "
                                        "'relu'? (allowed: relu, tanh, sigmoid, linear)")
    assert config_error(MINIMAL + "train: {Epochs: 3}\n").message == "unknown key 'Epochs'; did you mean 'epochs'?"


def test_a_value_from_set_is_reported_against_the_set_not_the_file():
    err = config_error(MINIMAL, ["train.epochs=abc"])
    assert str(err) == "--set train.epochs=abc: expected an integer >= 1, got 'abc'"
    err = config_error(MINIMAL, ["train.optimizer={name: adam, beta3: 1}"])
    assert str(err).startswith("--set train.optimizer={name: adam, beta3: 1}: train.optimizer.beta3: 'beta3' is not")
    assert str(config_error(MINIMAL + "train: {epochs: abc}\n")).startswith("c.yaml: train.epochs:")


def test_a_bare_dash_from_set_gets_the_hint_to_quote_it():
    err = config_error(MINIMAL, ["data.train=-"])
    assert str(err) == ("--set data.train=-: expected a file or folder name, got a list; a leading - makes a YAML "
                        "list: quote the text, as in --set \"data.train='-'\"")


def test_a_hidden_layer_written_as_a_number_gets_the_mapping_to_write():
    err = config_error("data: {train: t.csv}\nmodel: {output: softmax, hidden: [32, 16]}\n")
    assert (err.where, err.message) == ("model.hidden[0]", "expected a mapping, got 32: a hidden layer is written "
                                        "{units: 32} (or {units: 32, activation: relu})")


def test_the_divergence_hint_suggests_standardize_only_when_it_is_off(tmp_path, ffnet):
    rows = "x,y\n" + "".join(f"{1000 * i},{i % 2}\n" for i in range(20))
    (tmp_path / "d.csv").write_text(rows)
    base = "data: {train: d.csv, standardize: %s}\nmodel: {output: linear}\ntrain: {learning_rate: 10, epochs: 50}\n"
    for standardize, hint in (("false", "or data.standardize: true"), ("true", "or a train.clip_norm")):
        (tmp_path / "c.yaml").write_text(base % standardize)
        result = ffnet("train", "c.yaml", "--quiet")
        assert result.returncode == 1 and hint in result.stderr, result.stderr
        assert ("standardize" in result.stderr) == (standardize == "false")
