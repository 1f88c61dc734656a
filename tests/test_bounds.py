"""Inputs read within bounds, and messages that say what the data seems to be (issues #8 and #12).

Each case failed before: a quadratic header check, a 7 GB one-hot of an ID column, an endless read
of /dev/zero, a zip bomb decompressed whole, `1_0` read as 10, NaN predictions printed as class 0.
"""

import io
import json
import zipfile

import numpy as np
import pytest

from ffnet_cli import frame as frames
from ffnet_cli.config import parse_config
from ffnet_cli.dataset import load_dataset
from ffnet_cli.errors import DataError, ModelFileError
from ffnet_cli.modelfile import load_model, model_from_dict
from ffnet_cli.readers import read_frame
from ffnet_cli.targets import encode_targets

XOR_MODEL = {"format": "ffnet-model", "version": 1, "features": ["x1", "x2"], "targets": ["y"], "output": "linear",
             "layers": [{"activation": "relu", "weights": [[1, 1], [1, 1]], "bias": [0, -1]},
                        {"activation": "linear", "weights": [[1], [-2]], "bias": [0]}]}


def write(tmp_path, name, content):
    path = tmp_path / name
    path.write_bytes(content) if isinstance(content, bytes) else path.write_text(content)
    return str(path)


def error_of(call, *args, kind=DataError, **kwargs):
    with pytest.raises(kind) as info:
        call(*args, **kwargs)
    return info.value


# ---- sizes


def test_a_header_of_a_million_columns_is_refused_at_once(tmp_path, ffnet):
    write(tmp_path, "wide.csv", ",".join(f"c{i}" for i in range(10**6)) + "\n" + "0," * (10**6 - 1) + "0\n")
    result = ffnet("predict", write(tmp_path, "m.json", json.dumps(XOR_MODEL)), "--data", "wide.csv")
    assert result.returncode == 2
    assert "wide.csv: line 1: the header has 1,000,000 columns; ffnet reads at most 100,000" in result.stderr


def test_a_wide_header_is_checked_in_linear_time_and_duplicates_found(tmp_path):
    names = [f"c{i}" for i in range(40000)]
    frame = read_frame(write(tmp_path, "wide.csv", ",".join(names) + "\n" + ",".join(["1"] * 40000) + "\n"))
    assert len(frame.columns) == 40000 and frame.position("c39999") == 39999
    error = error_of(read_frame, write(tmp_path, "dup.csv", ",".join(names + ["c7"]) + "\n" + "1," * 40000 + "1\n"))
    assert (error.where, error.message) == ("line 1, column 40001", "duplicate column name 'c7' in the header")


def test_a_target_with_more_than_1000_classes_is_refused_before_one_hot(tmp_path):
    text = "x,id\n" + "".join(f"{i % 7},row{i}\n" for i in range(10000))
    frame = read_frame(write(tmp_path, "ids.csv", text))
    error = error_of(encode_targets, frame, ["id"], "softmax")
    assert error.where == "column 2 (id)"
    assert error.message.startswith("target 'id' has 10,000 distinct values, more than the 1,000 classes a "
                                    "classifier may have: is it an ID column, or a value to predict")


def test_dev_zero_is_refused_at_its_first_block(tmp_path, ffnet):
    result = ffnet("predict", write(tmp_path, "m.json", json.dumps(XOR_MODEL)), "--data", "/dev/zero")
    assert result.returncode == 2
    assert result.stderr == "error: /dev/zero: line 1: does not look like a CSV text file (it has a NUL byte)\n"


def test_a_file_larger_than_memory_allows_is_refused_before_reading(tmp_path, monkeypatch):
    path = write(tmp_path, "d.csv", "a,b\n" + "1,2\n" * 1000)
    monkeypatch.setattr(frames, "available_memory", lambda: 2000)
    error = error_of(read_frame, path)
    assert error.message.startswith("the file would take 0.0 MiB of memory, more than this machine allows (0.0 MiB)")
    assert "train from a folder with X.npy and y.npy" in error.message


class EndlessStream(io.RawIOBase):
    """A pipe that never ends: rows of numbers, forever."""

    def readable(self):
        return True

    def readinto(self, buffer):
        data = (b"1,2\n" * (len(buffer) // 4 + 1))[:len(buffer)]
        buffer[:len(data)] = data
        return len(data)

    def isatty(self):
        return False


def test_an_endless_stream_is_refused_once_it_passes_the_memory_budget(monkeypatch):
    monkeypatch.setattr(frames, "available_memory", lambda: 64 << 20)
    stdin = io.TextIOWrapper(io.BufferedReader(EndlessStream()))
    error = error_of(read_frame, "-", stdin)
    assert error.file == "<stdin>" and "more than this machine allows (32 MiB)" in error.message


def zip_bomb(shape, data: bytes) -> bytes:
    """An .npz whose X.npy header claims `shape` (float64); `data` follows it, deflated."""
    header = io.BytesIO()
    np.lib.format.write_array_header_1_0(header, {"descr": "<f8", "fortran_order": False, "shape": shape})
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("X.npy", header.getvalue() + data)
        y = io.BytesIO()
        np.save(y, np.zeros(shape[0]))
        archive.writestr("y.npy", y.getvalue())
    return buffer.getvalue()


def test_an_npz_that_claims_more_than_memory_is_refused_before_decompressing(tmp_path):
    path = write(tmp_path, "bomb.npz", zip_bomb((10**5, 10**5), bytes(1 << 20)))
    error = error_of(read_frame, path)
    assert error.message.startswith("its arrays X and y would take 76,295 MiB of memory, more than this machine allows")


def test_a_compressed_npz_is_sized_from_its_headers(tmp_path, monkeypatch):
    path = tmp_path / "zeros.npz"
    np.savez_compressed(path, X=np.zeros((2000, 1000)), y=np.zeros(2000))  # 16 MB in 16 KB
    monkeypatch.setattr(frames, "available_memory", lambda: 8 << 20)
    assert path.stat().st_size < 100_000
    assert error_of(read_frame, str(path)).message.startswith("its arrays X and y would take 15 MiB of memory")


# ---- cells


def test_an_underscore_is_not_a_digit_separator(tmp_path):
    frame = read_frame(write(tmp_path, "d.csv", "x,y\n2,0\n1_0,1\n"))
    assert frame.data[0].values == ("2", "1_0")  # Python's float() would read 10


def test_a_number_beyond_float32_is_one_clear_error_naming_the_cell(tmp_path, ffnet):
    write(tmp_path, "d.csv", "x,y\n1,0\n1e39,1\n2,0\n")
    write(tmp_path, "c.yaml", "data: {train: d.csv, standardize: false}\nmodel: {output: sigmoid}\n")
    result = ffnet("train", "c.yaml", "--quiet")
    assert result.returncode == 2
    assert result.stderr == ("error: d.csv: line 3, column 1 (x): 1e+39 does not fit in float32 (largest 3.4e+38); "
                             "use train.dtype: float64 or rescale the column\n")


# ---- model files whose parts do not fit


@pytest.mark.parametrize("change, where, message", [
    ({"output": "softmax", "targets": ["y", "z"], "classes": ["0", "1"]}, "targets",
     "a softmax output predicts one target column (its units are the classes); this model lists 2"),
    ({"output": "sigmoid", "targets": ["y", "z"], "classes": ["0", "1"]}, "classes",
     "a sigmoid output with classes predicts one target column; this model lists 2"),
    ({"classes": ["0", "1"]}, "classes", "a linear output predicts values: its classes must be null"),
])
def test_a_model_whose_output_targets_and_classes_do_not_fit_is_refused_on_load(change, where, message):
    doc = dict(XOR_MODEL, **change)
    doc["layers"] = [XOR_MODEL["layers"][0], dict(XOR_MODEL["layers"][1], activation=doc["output"])]
    error = error_of(model_from_dict, doc, kind=ModelFileError)
    assert error.where == where and error.message.startswith(message)


def test_outputs_that_overflow_to_nan_are_an_error_never_a_class(tmp_path, ffnet):
    doc = dict(XOR_MODEL, output="sigmoid", classes=["0", "1"])
    doc["layers"] = [{"activation": "relu", "weights": [[1e308, 1e308], [1e308, 1e308]], "bias": [0, 0]},
                     {"activation": "sigmoid", "weights": [[1e308], [-1e308]], "bias": [0]}]
    write(tmp_path, "m.json", json.dumps(doc))
    result = ffnet("predict", "m.json", "--data", write(tmp_path, "d.csv", "x1,x2\n1,1\n0,0\n"))
    assert (result.returncode, result.stdout) == (2, "")
    assert "m.json: the model's outputs are NaN or infinite for 1 of 2 rows (the first: line 2 of" in result.stderr


def test_a_model_file_with_a_byte_order_mark_loads(tmp_path):
    path = write(tmp_path, "m.json", "\ufeff" + json.dumps(XOR_MODEL))
    assert load_model(path).features == ("x1", "x2")


# ---- messages that say what the data seems to be


def test_a_headerless_csv_to_predict_says_it_seems_to_have_no_header(tmp_path, ffnet):
    write(tmp_path, "m.json", json.dumps(XOR_MODEL))
    write(tmp_path, "d.csv", "0,1\n1,1\n")
    result = ffnet("predict", "m.json", "--data", "d.csv")
    assert result.returncode == 2
    assert result.stderr == ("error: d.csv: line 1: the file seems to have no header row (its first line holds "
                             "numbers: 0, 1); the model expects a header naming its features: x1, x2\n")


def test_predict_with_a_config_instead_of_a_model_says_so(tmp_path, ffnet):
    write(tmp_path, "c.yaml", "data: {train: d.csv}\nmodel: {output: sigmoid}\n")
    result = ffnet("predict", "c.yaml", "--data", write(tmp_path, "d.csv", "x1,x2\n0,1\n"))
    assert result.returncode == 2
    assert result.stderr.startswith("error: c.yaml: this is a YAML config, not a model file")


def test_a_word_target_with_a_linear_output_hints_at_softmax(tmp_path):
    write(tmp_path, "d.csv", "x,species\n1,setosa\n2,virginica\n")
    cfg = parse_config("data: {train: d.csv}\nmodel: {output: linear}\n", str(tmp_path / "c.yaml"))
    error = error_of(load_dataset, cfg, np.random.default_rng(0))
    assert (error.where, error.message) == ("line 2, column 2 (species)", "not a number: 'setosa'; a column of class "
                                            "labels needs model.output: softmax (or sigmoid for two classes)")


def test_an_npz_for_a_model_with_named_features_says_the_names_differ(tmp_path, ffnet):
    doc = dict(XOR_MODEL, features=["age", "height"])
    write(tmp_path, "m.json", json.dumps(doc))
    np.savez(tmp_path / "d.npz", X=np.ones((2, 2)))
    result = ffnet("predict", "m.json", "--data", "d.npz")
    assert result.returncode == 2
    assert result.stderr == ("error: d.npz: X: the model reads its features by name (age, height), and X's columns "
                             "are named x1...x2; give the data as a CSV file with those columns\n")


def test_long_lists_of_names_are_cut_at_twenty(tmp_path):
    frame = read_frame(write(tmp_path, "d.csv", ",".join(f"c{i}" for i in range(64)) + "\n" + "1," * 63 + "1\n"))
    error = error_of(frames.indices, frame, ["nope"])
    assert error.message.endswith("c17, c18, c19, ... (64 in all)")


def test_predict_reads_an_npz_with_only_x(tmp_path, ffnet):
    write(tmp_path, "m.json", json.dumps(XOR_MODEL))
    np.savez(tmp_path / "d.npz", X=np.array([[0, 0], [0, 1], [1, 0], [1, 1.0]]))
    result = ffnet("predict", "m.json", "--data", "d.npz")
    assert (result.returncode, result.stdout) == (0, "y\n0\n1\n1\n0\n"), result.stderr


def test_a_signal_is_honoured_within_a_second_while_a_large_csv_is_parsed(tmp_path):
    """No single C call runs long: the handler's exception arrives between blocks, not after the file."""
    import signal
    import time
    path = tmp_path / "big.csv"
    block = io.BytesIO()
    np.savetxt(block, np.random.default_rng(0).normal(size=(10_000, 10)), delimiter=",", fmt="%.6g")
    with open(path, "wb") as f:  # 1,000,000 rows, 90 MB: a whole-file parse takes seconds
        f.write(",".join(f"x{i}" for i in range(10)).encode() + b"\n" + block.getvalue() * 100)

    class Stop(Exception):
        pass

    def handler(signum, frame):
        raise Stop(time.perf_counter())

    previous = signal.signal(signal.SIGALRM, handler)
    try:
        sent = time.perf_counter() + 0.3
        signal.setitimer(signal.ITIMER_REAL, 0.3)
        with pytest.raises(Stop) as info:
            read_frame(str(path))
            time.sleep(5)  # reading ended before the signal: the test fails on the raise below
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
    assert info.value.args[0] - sent < 1.0  # the contract: honoured within a second
