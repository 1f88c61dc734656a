"""`train --resume DIR`: a run continued in any number of pieces writes the same model.json, byte for
byte, as one uninterrupted run, whatever stopped it (its epochs, Ctrl-C, early stopping)."""

import itertools
import json

import numpy as np
import pytest

from conftest import DATASETS
from ffnet_cli.config import load_config
from ffnet_cli.errors import ConfigError
from ffnet_cli.session import train_run

SETTINGS = {
    "adam + step schedule + early stopping + dropout, float32": (
        "float32", "optimizer: adam, learning_rate: 0.01, schedule: {name: step, step_size: 4, gamma: 0.7}, "
                   "early_stopping: {patience: 6}", 0.2),
    "sgd momentum + exponential + warm-up, float64": (
        "float64", "optimizer: {name: sgd, momentum: 0.9}, learning_rate: 0.05, warmup_epochs: 3, "
                   "schedule: exponential", 0.0),
    "rmsprop + plateau + l2 + clip, float32": (
        "float32", "optimizer: rmsprop, learning_rate: 0.01, l2: 0.001, clip_norm: 1.0, "
                   "schedule: {name: plateau, patience: 2, monitor: loss, min_delta: 0.02}", 0.0),
}


def write_config(tmp_path, dtype, settings, dropout):
    path = tmp_path / "c.yaml"
    path.write_text(f"seed: 5\ndata: {{train: {DATASETS / 'iris.csv'}, validation_split: 0.2}}\n"
                    f"model: {{hidden: [{{units: 12, dropout: {dropout}}}, {{units: 8, activation: tanh}}], "
                    f"output: softmax}}\n"
                    f"train: {{epochs: 30, batch_size: 16, dtype: {dtype}, {settings}}}\n")
    return str(path)


def run(path, folder, epochs=None, resume=None, stop_after=None):
    cfg = load_config(path, [f"train.epochs={epochs}"] if epochs else [])
    calls = itertools.count()
    should_stop = None if stop_after is None else lambda: next(calls) >= stop_after
    return train_run(cfg, str(folder), False, resume=resume and str(resume), should_stop=should_stop)


@pytest.mark.parametrize("case", SETTINGS)
def test_a_run_resumed_in_pieces_writes_the_same_model_json(tmp_path, case):
    dtype, settings, dropout = SETTINGS[case]
    path = write_config(tmp_path, dtype, settings, dropout)
    whole, _, _ = run(path, tmp_path / "whole")
    run(path, tmp_path / "pieces", epochs=4)
    run(path, tmp_path / "pieces", epochs=11, resume=tmp_path / "pieces")
    pieced, _, _ = run(path, tmp_path / "pieces", resume=tmp_path / "pieces")
    assert (tmp_path / "pieces/model.json").read_bytes() == (tmp_path / "whole/model.json").read_bytes()
    strip = [{k: v for k, v in r.items() if k != "seconds"} for r in whole.history]
    assert [{k: v for k, v in r.items() if k != "seconds"} for r in pieced.history] == strip
    if "plateau" in settings:  # the plateau cut the rate, across the pieces
        assert len({r["learning_rate"] for r in whole.history[4:]}) > 1
    metrics = json.loads((tmp_path / "pieces/metrics.json").read_text())
    assert metrics["stop_reason"] == whole.stop_reason and metrics["stopped_epoch"] == whole.history[-1]["epoch"]


@pytest.mark.parametrize("dtype,settings,dropout", [
    ("float32", "optimizer: adam, learning_rate: 0.01, early_stopping: {patience: 100}", 0.3),
    # cosine depends on train.epochs, so its pieces are cut by interruption, never by fewer epochs
    ("float64", "optimizer: {name: sgd, momentum: 0.5, nesterov: true}, schedule: cosine, learning_rate: 0.1", 0.0),
])
def test_an_interrupted_run_resumes_from_its_last_whole_epoch(tmp_path, dtype, settings, dropout):
    path = write_config(tmp_path, dtype, settings, dropout)
    run(path, tmp_path / "whole")
    stopped, _, _ = run(path, tmp_path / "cut", stop_after=8 * 5 + 3)  # 8 batches an epoch: in epoch 6
    assert stopped.stop_reason == "interrupted" and len(stopped.history) == 5
    assert json.loads((tmp_path / "cut/metrics.json").read_text())["stop_reason"] == "interrupted"
    run(path, tmp_path / "cut", stop_after=8 * 9 + 1, resume=tmp_path / "cut")  # interrupted again
    run(path, tmp_path / "cut", resume=tmp_path / "cut")
    assert (tmp_path / "cut/model.json").read_bytes() == (tmp_path / "whole/model.json").read_bytes()


def test_a_finished_run_resumes_to_more_epochs(tmp_path):
    path = write_config(tmp_path, "float64", "learning_rate: 0.05", 0.0)
    run(path, tmp_path / "whole")
    run(path, tmp_path / "more", epochs=30 - 13)
    result, _, _ = run(path, tmp_path / "more", resume=tmp_path / "more")
    assert [r["epoch"] for r in result.history] == list(range(1, 31))
    assert (tmp_path / "more/model.json").read_bytes() == (tmp_path / "whole/model.json").read_bytes()


def test_resuming_with_another_setting_than_epochs_names_the_key(tmp_path):
    path = write_config(tmp_path, "float64", "learning_rate: 0.05", 0.0)
    run(path, tmp_path / "r", epochs=3)
    cfg = load_config(path, ["train.learning_rate=0.1"])
    with pytest.raises(ConfigError) as info:
        train_run(cfg, str(tmp_path / "r"), False, resume=str(tmp_path / "r"))
    assert info.value.where == "train.learning_rate" and "only train.epochs" in info.value.message


def test_resuming_a_folder_without_a_run_is_refused(tmp_path):
    path = write_config(tmp_path, "float64", "learning_rate: 0.05", 0.0)
    (tmp_path / "empty").mkdir()
    with pytest.raises(ConfigError) as info:
        run(path, tmp_path / "empty", resume=tmp_path / "empty")
    assert "state.npz" in info.value.message


def test_the_cli_resumes_a_run_in_place(tmp_path, ffnet):
    path = write_config(tmp_path, "float32", "optimizer: adam, learning_rate: 0.01", 0.0)
    assert ffnet("train", path, "--out", "whole", "--quiet").returncode == 0
    assert ffnet("train", path, "--out", "r", "--quiet", "--set", "train.epochs=7").returncode == 0
    again = ffnet("train", path, "--resume", "r", "--quiet")
    assert again.returncode == 0, again.stderr
    assert (tmp_path / "r/model.json").read_bytes() == (tmp_path / "whole/model.json").read_bytes()
    both = ffnet("train", path, "--resume", "r", "--init", "r/model.json")
    assert both.returncode == 2 and "not both" in both.stderr
    np.testing.assert_equal(len(json.loads((tmp_path / "r/metrics.json").read_text())["epochs"]), 30)


def test_a_run_cut_between_its_best_epoch_and_its_stop_keeps_counting_patience(tmp_path):
    path = write_config(tmp_path, "float32", "optimizer: adam, learning_rate: 0.05, early_stopping: {patience: 4}", 0.0)
    whole, _, _ = run(path, tmp_path / "whole")
    best, stopped = whole.best_epoch, whole.history[-1]["epoch"]
    assert whole.stop_reason == "early_stopping" and stopped == best + 4
    run(path, tmp_path / "cut", epochs=best + 2)  # two epochs of patience used up before the cut
    resumed, _, _ = run(path, tmp_path / "cut", resume=tmp_path / "cut")
    assert (resumed.best_epoch, resumed.history[-1]["epoch"]) == (best, stopped)
    assert (tmp_path / "cut/model.json").read_bytes() == (tmp_path / "whole/model.json").read_bytes()
