"""A folder with X.npy and y.npy is data: read by rows, never whole, and trained like the same arrays
in an .npz (the resident-memory figure for a 1.2 GB X.npy is in benchmarks/bench_data.py)."""

import json

import numpy as np
import pytest

from ffnet_cli.arrays import MappedRows
from ffnet_cli.config import parse_config
from ffnet_cli.dataset import load_dataset
from ffnet_cli.errors import DataError
from ffnet_cli.modelfile import model_to_dict
from ffnet_cli.readers import read_frame
from ffnet_cli.train import train

CONFIG = ("data: {{train: {data}, validation_split: 0.25{extra}}}\nmodel: {{hidden: [{{units: 4}}], output: sigmoid}}\n"
          "train: {{epochs: 3, batch_size: 16, learning_rate: 0.1, dtype: float64}}\n")


def arrays(n=200, d=3, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, d)) * np.array([1.0, 50.0, 0.01])[:d]
    return X, (X[:, 0] + X[:, 1] / 50 > 0).astype(np.int64)


def folder(tmp_path, X, y=None, name="f"):
    path = tmp_path / name
    path.mkdir()
    np.save(path / "X.npy", X)
    if y is not None:
        np.save(path / "y.npy", y)
    return path


def run(tmp_path, data, extra=""):
    return train(parse_config(CONFIG.format(data=data, extra=extra), str(tmp_path / "c.yaml")))


def test_a_folder_trains_like_the_same_arrays_in_an_npz(tmp_path):
    X, y = arrays()
    folder(tmp_path, X, y)
    np.savez(tmp_path / "d.npz", X=X, y=y)
    mapped, loaded = run(tmp_path, "f"), run(tmp_path, "d.npz")
    assert mapped.final.keys() == loaded.final.keys() == {"train", "validation"}
    for (W1, b1), (W2, b2) in zip(mapped.model.params, loaded.model.params):
        np.testing.assert_allclose(W1, W2, rtol=1e-9, atol=1e-12)
    a, b = model_to_dict(mapped.model)["inputs"], model_to_dict(loaded.model)["inputs"]
    for one, other in zip(a, b):
        assert one["mean"] == pytest.approx(other["mean"], rel=1e-12) and one["std"] == pytest.approx(other["std"], rel=1e-12)
    assert mapped.final["validation"]["accuracy"] == loaded.final["validation"]["accuracy"]


def test_the_splits_of_a_folder_stay_on_disk(tmp_path):
    X, y = arrays()
    folder(tmp_path, X, y)
    cfg = parse_config(CONFIG.format(data="f", extra=""), str(tmp_path / "c.yaml"))
    data = load_dataset(cfg, np.random.default_rng(0))
    train_X, val_X = data.splits["train"].X, data.splits["validation"].X
    assert isinstance(train_X, MappedRows) and (len(train_X), len(val_X)) == (150, 50)
    rows = np.sort(np.concatenate([train_X.index, val_X.index]))
    np.testing.assert_array_equal(rows, np.arange(200))
    out = np.empty((3, 3))
    np.testing.assert_array_equal(train_X.gather(np.array([2, 0, 1]), out), X[train_X.index[[2, 0, 1]]])


def test_missing_cells_in_a_folder_follow_data_missing(tmp_path):
    X, y = arrays()
    X[[5, 7], 1] = np.nan
    folder(tmp_path, X, y)
    with pytest.raises(DataError) as info:
        run(tmp_path, "f")
    assert info.value.where == "row 6, column 2 (x2)" and info.value.message.startswith("missing value (2 rows")
    dropped = run(tmp_path, "f", ", missing: drop")
    assert dropped.final["train"]["n"] + dropped.final["validation"]["n"] == 198
    cfg = parse_config(CONFIG.format(data="f", extra=", missing: impute"), str(tmp_path / "c.yaml"))
    data = load_dataset(cfg, np.random.default_rng(0))
    train_rows = data.splits["train"].X.index
    assert data.inputs[1].fill == pytest.approx(np.nanmean(X[train_rows, 1]), rel=1e-12)
    assert not np.isnan(data.splits["train"].X[:]).any()  # filled as the rows are read


def test_an_infinite_cell_in_a_folder_is_refused(tmp_path):
    X, y = arrays()
    X[9, 0] = np.inf
    folder(tmp_path, X, y)
    with pytest.raises(DataError) as info:
        run(tmp_path, "f")
    assert info.value.where == "row 10, column 1 (x1)" and info.value.message == "'inf' is not a finite number"


def test_predict_and_eval_read_a_folder_and_predict_needs_no_y(tmp_path, ffnet):
    X, y = arrays()
    folder(tmp_path, X, y)
    (tmp_path / "c.yaml").write_text(CONFIG.format(data="f", extra=""))
    assert ffnet("train", "c.yaml", "--quiet", "--out", "run").returncode == 0
    folder(tmp_path, X[:5], name="new")
    result = ffnet("predict", "run/model.json", "--data", "new")
    assert result.returncode == 0 and result.stdout.splitlines()[0] == "y" and len(result.stdout.splitlines()) == 6
    metrics = json.loads(ffnet("eval", "run/model.json", "--data", "f", "--json").stdout)
    assert metrics["n"] == 200


def test_a_folder_with_a_bad_x_is_refused(tmp_path):
    path = folder(tmp_path, np.ones(3))
    with pytest.raises(DataError) as info:
        read_frame(str(path))
    assert info.value.message == "X must be a 2-D array of numbers, got shape (3,) of float64"
