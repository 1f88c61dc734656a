"""Bad input never crashes ffnet, and nothing is ever lost.

Every case runs the real CLI in a subprocess on a small folder of files and checks that it
answers with the contract's exit code and exactly one `error:` line naming the file and the
place, with no traceback, nothing on stdout, and no file created or changed.
"""

import copy
import json
import os
import pty
import subprocess
from typing import NamedTuple

import numpy as np
import pytest

from conftest import FFNET

XOR = "x1,x2,y\n0,0,0\n0,1,1\n1,0,1\n1,1,0\n"
CONFIG = "data: {train: d.csv}\nmodel: {output: sigmoid, hidden: [{units: 2}]}\ntrain: {epochs: 2}\n"

# The lecture's hand-set XOR network, once as a classifier (sigmoid over labels 0/1) and once
# as the contract's linear example; both read x1, x2 and predict y.
CLASSIFIER = {
    "format": "ffnet-model", "version": 1, "features": ["x1", "x2"], "targets": ["y"],
    "output": "sigmoid", "loss": "log_loss", "classes": ["0", "1"], "standardize": None,
    "layers": [{"activation": "relu", "weights": [[1, 1], [1, 1]], "bias": [0, -1]},
               {"activation": "sigmoid", "weights": [[1], [-2]], "bias": [0]}],
}
LINEAR = dict(CLASSIFIER, output="linear", loss="squared_error", classes=None,
              layers=[CLASSIFIER["layers"][0], {"activation": "linear", "weights": [[1], [-2]], "bias": [0]}])

# Files every case starts from; a case adds files or replaces these.
BASE = {"d.csv": XOR, "c.yaml": CONFIG, "m.json": json.dumps(CLASSIFIER), "lin.json": json.dumps(LINEAR)}


def config(extra="", head="data: {train: d.csv}\nmodel: {output: sigmoid}\n"):
    return head + extra


def model(*changes, base=CLASSIFIER):
    """model.json text with (path, value) changes; value DROP deletes the key."""
    doc = copy.deepcopy(base)
    for path, value in changes:
        node = doc
        for key in path[:-1]:
            node = node[key]
        if value is DROP:
            del node[path[-1]]
        else:
            node[path[-1]] = value
    return json.dumps(doc)  # NaN and Infinity are written as such: bad on purpose


DROP = object()


def npz(**arrays):
    import io
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    return buffer.getvalue()


GOOD_NPZ = npz(X=np.array([[0, 0], [0, 1], [1, 0], [1, 1.0]]), y=np.array([0, 1, 1, 0]))


class Case(NamedTuple):
    name: str
    files: dict
    argv: list
    code: int
    error: str  # a substring of the error line: the file, the place, the gist
    stdin: bytes | str | None = None  # "tty": a terminal


TRAIN = ["train", "c.yaml", "--quiet"]
PREDICT = ["predict", "m.json", "--data", "d.csv"]
EVAL = ["eval", "m.json", "--data", "d.csv"]

CONFIG_CASES = [
    Case("yaml syntax error", {"c.yaml": "data: {train: d.csv\nmodel: [\n"}, TRAIN, 2,
         "c.yaml: line 2, column 6: invalid YAML: expected ',' or '}', but got ':'"),
    Case("empty file", {"c.yaml": ""}, TRAIN, 2, "c.yaml: config is empty"),
    Case("top level is a list", {"c.yaml": "- data\n- model\n"}, TRAIN, 2,
         "c.yaml: expected a mapping with keys seed, data, model, loss, train, output at the top level, got a list"),
    Case("duplicate key", {"c.yaml": config("train:\n  epochs: 3\n  epochs: 4\n")}, TRAIN, 2,
         "c.yaml: train.epochs: duplicate key 'epochs' at line 5 (first at line 4)"),
    Case("unknown top-level key", {"c.yaml": config("trian: {epochs: 3}\n")}, TRAIN, 2,
         "c.yaml: trian: unknown key 'trian'; did you mean 'train'?"),
    Case("unknown nested key", {"c.yaml": config("train: {learnig_rate: 0.1}\n")}, TRAIN, 2,
         "c.yaml: train.learnig_rate: unknown key 'learnig_rate'; did you mean 'learning_rate'?"),
    Case("unknown key in a layer",
         {"c.yaml": "data: {train: d.csv}\nmodel: {output: sigmoid, hidden: [{units: 2, activaton: tanh}]}\n"},
         TRAIN, 2, "c.yaml: model.hidden[0].activaton: unknown key 'activaton'; did you mean 'activation'?"),
    Case("bool is not a number", {"c.yaml": config("train: {learning_rate: true}\n")}, TRAIN, 2,
         "c.yaml: train.learning_rate: expected a number > 0, got true"),
    Case("quoted number is a string", {"c.yaml": config("train: {learning_rate: '0.1'}\n")}, TRAIN, 2,
         "c.yaml: train.learning_rate: expected a number > 0, got '0.1'"),
    Case("zero units", {"c.yaml": "data: {train: d.csv}\nmodel: {output: sigmoid, hidden: [{units: 0}]}\n"},
         TRAIN, 2, "c.yaml: model.hidden[0].units: expected an integer >= 1, got 0"),
    Case("negative learning rate in exponent form", {"c.yaml": config("train: {learning_rate: -1e-3}\n")}, TRAIN, 2,
         "c.yaml: train.learning_rate: expected a number > 0, got -0.001"),
    Case("validation split of 1", {"c.yaml": config().replace("d.csv}", "d.csv, validation_split: 1}")}, TRAIN, 2,
         "c.yaml: data.validation_split: expected a number in [0, 1), got 1"),
    Case("unknown activation", {"c.yaml": "data: {train: d.csv}\nmodel: {output: sigmoid, hidden: [{units: 2, "
                                          "activation: rleu}]}\n"}, TRAIN, 2,
         "c.yaml: model.hidden[0].activation: unknown activation 'rleu'; did you mean 'relu'? "
         "(allowed: relu, tanh, sigmoid, linear)"),
    Case("unknown output", {"c.yaml": "data: {train: d.csv}\nmodel: {output: sofmax}\n"}, TRAIN, 2,
         "c.yaml: model.output: unknown output 'sofmax'; did you mean 'softmax'? (allowed: linear, sigmoid, softmax)"),
    Case("unknown loss", {"c.yaml": config("loss: mse\n")}, TRAIN, 2,
         "c.yaml: loss: unknown loss 'mse' (allowed: squared_error, log_loss, cross_entropy)"),
    Case("unknown optimizer", {"c.yaml": config("train: {optimizer: adamw}\n")}, TRAIN, 2,
         "c.yaml: train.optimizer: unknown optimizer 'adamw'; did you mean 'adam'?"),
    Case("softmax with log loss", {"c.yaml": "data: {train: d.csv}\nmodel: {output: softmax}\nloss: log_loss\n"},
         TRAIN, 2, "c.yaml: loss: loss 'log_loss' does not fit output 'softmax'; valid losses for softmax: "
                   "cross_entropy, squared_error"),
    Case("missing data.train", {"c.yaml": "data: {test: d.csv}\nmodel: {output: sigmoid}\n"}, TRAIN, 2,
         "c.yaml: data.train: missing required key 'train'"),
    Case("python tag", {"c.yaml": config("seed: !!python/object/apply:os.system ['touch hacked']\n")}, TRAIN, 2,
         "c.yaml: line 3, column 7: the tag '!!python/object/apply:os.system' is not allowed"),
    Case("billion laughs", {"c.yaml": "a: &a [x, x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"{chr(98 + i)}: &{chr(98 + i)} [{', '.join(['*' + chr(97 + i)] * 10)}]\n" for i in range(8))}, TRAIN, 2,
         "config too large: more than 10000 values once aliases are expanded"),
    Case("nested too deeply", {"c.yaml": "a: " + "[" * 5000 + "]" * 5000 + "\n"}, TRAIN, 2,
         "c.yaml: invalid YAML: nested too deeply"),
    Case("oversized file", {"c.yaml": config("# " + "x" * (1 << 20) + "\n")}, TRAIN, 2,
         "c.yaml: config file is larger than 1 MiB"),
    Case("not utf-8", {"c.yaml": b"data: {train: d.csv}\nmodel: {output: \xff\xfe}\n"}, TRAIN, 2,
         "c.yaml: config file is not UTF-8 text (byte 37)"),
    Case("network too large", {"c.yaml": "data: {train: d.csv}\nmodel: {output: sigmoid, hidden: [{units: 30000},"
                                         " {units: 30000}]}\n"}, TRAIN, 2,
         "c.yaml: model.hidden: network too large: 900,000,000 parameters"),
    Case("control character", {"c.yaml": config("seed: \x01\n")}, TRAIN, 2,
         "c.yaml: line 3, column 7: invalid YAML: the character U+0001 is not allowed"),
    Case("NUL in a path", {"c.yaml": 'data: {train: "d.csv\\0"}\nmodel: {output: sigmoid}\n'}, TRAIN, 2,
         "c.yaml: data.train: expected a file or folder name, got 'd.csv\\x00'"),
    Case("stdin read twice", {"c.yaml": "data: {train: '-', test: '-'}\nmodel: {output: sigmoid}\n"}, TRAIN, 2,
         "c.yaml: data.test: stdin can be read only once"),
    Case("config file missing", {}, ["train", "nope.yaml", "--quiet"], 2, "nope.yaml: no such file"),
    Case("config is a folder", {"sub/x": ""}, ["train", "sub", "--quiet"], 2, "sub: is a directory, not a config file"),
    Case("--set without =", {}, TRAIN + ["--set", "train.epochs"], 2,
         "error: --set train.epochs: expected KEY=VALUE, e.g. train.learning_rate=0.1"),
    Case("--set unknown key", {}, TRAIN + ["--set", "train.epoch=3"], 2,
         "error: --set train.epoch=3: unknown key 'epoch'; did you mean 'epochs'?"),
    Case("--set index out of range", {}, TRAIN + ["--set", "model.hidden[3].units=2"], 2,
         "error: --set model.hidden[3].units=2: index 3 out of range: model.hidden has 1 item(s)"),
    # YAML 1.1 reads these as 10, 8, 16 and 90; people mean something else, or a typo
    Case("underscore in a number", {"c.yaml": config("train: {epochs: 1_0}\n")}, TRAIN, 2,
         "c.yaml: train.epochs: expected an integer >= 1, got '1_0'"),
    Case("underscore in a float", {"c.yaml": config("train: {learning_rate: 0.0_1}\n")}, TRAIN, 2,
         "c.yaml: train.learning_rate: expected a number > 0, got '0.0_1'"),
    Case("--set underscore in a number", {}, TRAIN + ["--set", "train.epochs=1_0"], 2,
         "error: --set train.epochs=1_0: expected an integer >= 1, got '1_0'"),
    Case("leading zero is not octal", {"c.yaml": config("train: {epochs: 010}\n")}, TRAIN, 2,
         "c.yaml: train.epochs: expected an integer >= 1, got '010'"),
    Case("hex number", {"c.yaml": config("train: {batch_size: 0x10}\n")}, TRAIN, 2,
         "c.yaml: train.batch_size: expected an integer >= 1, got '0x10'"),
    Case("sexagesimal number", {"c.yaml": config("train: {epochs: 1:30}\n")}, TRAIN, 2,
         "c.yaml: train.epochs: expected an integer >= 1, got '1:30'"),
    Case("--set bad yaml value", {}, TRAIN + ["--set", "train.epochs=[1"], 2,
         "error: --set train.epochs=[1: invalid YAML"),
    Case("gradcheck of a bad config", {"c.yaml": config("train: {epochs: -1}\n")}, ["gradcheck", "c.yaml"], 2,
         "c.yaml: train.epochs: expected an integer >= 1, got -1"),
]

DATA_CASES = [
    Case("data file missing", {"c.yaml": config().replace("d.csv", "nope.csv")}, TRAIN, 2, "nope.csv: no such file"),
    Case("data path is a folder", {"c.yaml": config().replace("d.csv", "sub"), "sub/x": ""}, TRAIN, 2,
         "sub: is a directory, not a data file"),
    Case("empty data file", {"d.csv": ""}, TRAIN, 2, "d.csv: file is empty"),
    Case("header only", {"d.csv": "x1,x2,y\n"}, TRAIN, 2, "d.csv: no data rows, only a header"),
    Case("ragged row", {"d.csv": "x1,x2,y\n0,0,0\n0,1\n1,1,0\n"}, TRAIN, 2,
         "d.csv: line 3: row has 2 fields but the header has 3"),
    Case("word in a feature column", {"d.csv": "x1,x2,y\n0,0,0\n0,abc,1\n1,1,0\n"}, TRAIN, 2,
         "d.csv: line 3, column 2 (x2): not a number: 'abc'"),
    Case("empty feature cell", {"d.csv": "x1,x2,y\n0,0,0\n,1,1\n1,1,0\n"}, TRAIN, 2,
         "d.csv: line 3, column 1 (x1): missing value (1 missing cell in all); set data.missing: drop"),
    Case("nan cell is missing", {"d.csv": "x1,x2,y\n0,0,0\n0,nan,1\n1,1,0\n"}, TRAIN, 2,
         "d.csv: line 3, column 2 (x2): missing value (1 missing cell in all)"),
    Case("inf cells", {"d.csv": "x1,x2,y\n0,0,0\n0,-inf,1\ninf,1,0\n"}, TRAIN, 2,
         "d.csv: line 3, column 2 (x2): '-inf' is not a finite number (1 such cell in the column)"),
    Case("missing target column", {"c.yaml": config().replace("d.csv}", "d.csv, target: label}")}, TRAIN, 2,
         "d.csv: line 1: no column 'label'; the file has: x1, x2, y"),
    Case("missing feature column", {"c.yaml": config().replace("d.csv}", "d.csv, features: [x1, x3]}")}, TRAIN, 2,
         "d.csv: line 1: no column 'x3'; the file has: x1, x2, y"),
    Case("a single class", {"d.csv": "x1,x2,y\n0,0,1\n0,1,1\n"}, TRAIN, 2,
         "d.csv: column 3 (y): only one class ('1') in target column 'y'; a classifier needs two or more"),
    Case("binary garbage", {"d.csv": b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\xff\xd8"}, TRAIN, 2,
         "d.csv: line 1: does not look like a UTF-8 CSV file (byte 0x89 cannot be decoded)"),
    Case("nul bytes", {"d.csv": "x1,x2,y\n0,\x00,1\n"}, TRAIN, 2, "d.csv: line 2: does not look like a CSV text file (it has a NUL byte)"),
    Case("duplicate column name", {"d.csv": "x1,x1,y\n0,0,0\n1,1,1\n"}, TRAIN, 2,
         "d.csv: line 1, column 2: duplicate column name 'x1' in the header"),
    Case("truncated npz", {"c.yaml": config().replace("d.csv", "d.npz"), "d.npz": GOOD_NPZ[:len(GOOD_NPZ) // 2]},
         TRAIN, 2, "d.npz: not a valid .npz file"),
    Case("npz without X", {"c.yaml": config().replace("d.csv", "d.npz"),
                           "d.npz": npz(features=np.ones((2, 2)), y=np.array([0, 1]))}, TRAIN, 2,
         "d.npz: no array X in the .npz file; it has: features, y"),
    Case("text file named .npz", {"c.yaml": config().replace("d.csv", "d.npz"), "d.npz": XOR}, TRAIN, 2,
         "d.npz: not a valid .npz file (not a zip archive)"),
    Case("bad test file", {"c.yaml": config().replace("d.csv}", "d.csv, test: t.csv}"),
                           "t.csv": "x1,x2,y\n0,0,0\n1,1,2\n"}, TRAIN, 2,
         "t.csv: line 3, column 3 (y): 1 label not among the model's classes: '2'; the model's classes are 0, 1"),
    Case("empty stdin for train", {"c.yaml": config().replace("d.csv", "'-'")}, TRAIN, 2, "<stdin>: file is empty",
         stdin=""),
    Case("eval: csv lacks a feature", {"e.csv": "x1,y\n0,0\n1,1\n"}, ["eval", "m.json", "--data", "e.csv"], 2,
         "e.csv: line 1: X has 1 feature, but the model expects 2: no column 'x2'; the file has: x1, y"),
    Case("eval: npz with 3 features", {"e.npz": npz(X=np.ones((2, 3)), y=np.array([0, 1]))},
         ["eval", "m.json", "--data", "e.npz"], 2,
         "e.npz: X: X has 3 features, but the model expects 2: the model's features are x1, x2"),
    Case("eval: unseen labels", {"e.csv": "x1,x2,y\n0,0,0\n0,1,cat\n1,1,7\n"}, ["eval", "m.json", "--data", "e.csv"],
         2, "e.csv: line 3, column 3 (y): 2 labels not among the model's classes: '7', 'cat'; "
            "the model's classes are 0, 1"),
    Case("eval: no target column", {"e.csv": "x1,x2\n0,0\n"}, ["eval", "m.json", "--data", "e.csv"], 2,
         "e.csv: line 1: no target column 'y'; the file has: x1, x2"),
    Case("predict: word in a feature", {"d.csv": "x1,x2\n0,1\nyes,0\n"}, PREDICT, 2,
         "d.csv: line 3, column 1 (x1): not a number: 'yes'"),
    Case("predict: empty stdin", {}, ["predict", "m.json"], 2, "<stdin>: file is empty", stdin=""),
    Case("predict: stdin is a terminal", {}, ["predict", "m.json"], 2,
         "<stdin>: refusing to read data from a terminal", stdin="tty"),
]

MODEL_CASES = [
    Case("model file missing", {}, ["predict", "nope.json", "--data", "d.csv"], 2, "nope.json: no such file"),
    Case("empty model file", {"m.json": ""}, PREDICT, 2, "m.json: file is empty"),
    Case("truncated json", {"m.json": json.dumps(CLASSIFIER, indent=1)[:200]}, PREDICT, 2,
         "m.json: line 18, column 2: invalid JSON: Unterminated string"),
    Case("binary model file", {"m.json": b"\x89PNG\r\n\x1a\n\xff"}, PREDICT, 2, "m.json: not a JSON model file"),
    Case("wrong format", {"m.json": model((("format",), "keras"))}, PREDICT, 2,
         "m.json: format: expected 'ffnet-model', got 'keras'"),
    Case("newer version", {"m.json": model((("version",), 3))}, PREDICT, 2,
         "m.json: version: version 3 is newer than this ffnet reads (2); upgrade ffnet"),
    Case("missing layers", {"m.json": model((("layers",), DROP))}, PREDICT, 2, "m.json: missing key 'layers'"),
    Case("layer shapes do not chain", {"m.json": model((("layers", 1, "weights"), [[1], [2], [3]]))}, PREDICT, 2,
         "m.json: layers[1].weights: has 3 rows, but its layer gets 2 inputs"),
    Case("NaN weight", {"m.json": model((("layers", 0, "weights"), [[1, float("nan")], [1, 1]]))}, PREDICT, 2,
         "m.json: invalid JSON: NaN is not a number JSON allows"),
    Case("Infinity bias", {"m.json": model((("layers", 1, "bias"), [float("inf")]))}, PREDICT, 2,
         "m.json: invalid JSON: Infinity is not a number JSON allows"),
    Case("overflowing number", {"m.json": model().replace('"bias": [0, -1]', '"bias": [0, -1e999]')}, PREDICT, 2,
         "m.json: layers[0].bias[1]: -inf is not a finite float64 number"),
    Case("ragged weights", {"m.json": model((("layers", 0, "weights"), [[1, 1], [1]]))}, PREDICT, 2,
         "m.json: layers[0].weights: expected a non-empty 2-D list of numbers"),
    Case("absurd nesting", {"m.json": "[" * 100000 + "]" * 100000}, PREDICT, 2, "m.json: invalid JSON: nested too deeply"),
    Case("unknown layer activation", {"m.json": model((("layers", 0, "activation"), "swish"))}, PREDICT, 2,
         "m.json: layers[0].activation: got 'swish', expected relu, tanh, sigmoid, linear"),
    Case("last activation is not the output", {"m.json": model((("layers", 1, "activation"), "tanh"))}, PREDICT, 2,
         "m.json: layers[1].activation: got 'tanh', expected the output 'sigmoid'"),
    Case("duplicate features", {"m.json": model((("features",), ["x1", "x1"]))}, PREDICT, 2,
         "m.json: features: 'x1' listed twice"),
    Case("softmax without classes", {"m.json": model((("output",), "softmax"), (("loss",), "cross_entropy"),
                                                     (("classes",), None), (("layers", 1, "activation"), "softmax"))},
         PREDICT, 2, "m.json: classes: a softmax model needs its classes"),
    Case("zero std", {"m.json": model((("standardize",), {"mean": [0, 0], "std": [1, 0]}))}, PREDICT, 2,
         "m.json: standardize.std: every std must be > 0"),
    Case("--init of a bad model", {"bad.json": "{"}, TRAIN + ["--init", "bad.json"], 2,
         "bad.json: line 1, column 2: invalid JSON"),
    Case("--init model with other layers", {}, TRAIN + ["--init", "m.json", "--set", "model.hidden[0].units=3"], 2,
         "c.yaml: model: the --init model's layers"),
    Case("gradcheck --model of a bad model", {"m.json": model((("version",), 0))},
         ["gradcheck", "c.yaml", "--model", "m.json"], 2, "m.json: version: expected a version >= 1, got 0"),
    Case("--proba of a linear model", {}, ["predict", "lin.json", "--data", "d.csv", "--proba"], 2,
         "lin.json: output: --proba needs a classification model"),
]

DIVERGING = ("data: {train: r.csv, standardize: false}\nmodel: {output: linear}\n"
             "train: {epochs: 20, batch_size: 2, learning_rate: 1e6}\n")
REGRESSION = "x,y\n" + "".join(f"{x},{3 * x}\n" for x in range(1, 21))

RUNTIME_CASES = [
    Case("diverging learning rate", {"c.yaml": DIVERGING, "r.csv": REGRESSION}, TRAIN, 1,
         "c.yaml: training diverged: the objective became inf at epoch 1, batch "),
    Case("--out is a file", {}, TRAIN + ["--out", "d.csv"], 2, "cannot create the output folder:"),
    Case("--out under a file", {}, TRAIN + ["--out", "d.csv/run"], 2, "d.csv/run: cannot create the output folder:"),
    Case("output.dir under a file", {"c.yaml": config("output: {dir: d.csv/run}\n")}, TRAIN, 2,
         "cannot create the output folder:"),
    Case("model.json is a folder", {"out/model.json/x": ""}, TRAIN + ["--out", "out"], 2,
         "out: model.json in the output folder is a folder, not a file"),
    # an empty name is a mistake, never "not given"
    Case("--out empty", {}, TRAIN + ["--out", ""], 2, "error: '': the output folder name is empty"),
    Case("--resume empty", {}, TRAIN + ["--resume", ""], 2, "error: '': the output folder name is empty"),
    Case("--init empty", {}, TRAIN + ["--init", ""], 2, "error: '': the file name is empty"),
    Case("gradcheck --model empty", {}, ["gradcheck", "c.yaml", "--model", ""], 2,
         "error: '': the file name is empty"),
    Case("eval --data empty", {}, ["eval", "m.json", "--data", ""], 2, "error: '': the file name is empty"),
    Case("predict of an empty model name", {}, ["predict", "", "--data", "d.csv"], 2,
         "error: '': the file name is empty"),
    Case("--out name too long", {}, TRAIN + ["--out", "a/" + "x" * 300 + "/b"], 2,
         "a folder name is longer than this system allows (255 bytes)"),
    Case("--out path too long", {}, TRAIN + ["--out", "/".join(["d" * 200] * 21)], 2,
         "the path is too long for this system"),
    Case("missing argument", {}, ["train"], 2, "error: Missing argument 'CONFIG' (see 'ffnet train --help')"),
    Case("unknown option", {}, TRAIN + ["--epochs", "3"], 2, "No such option: --epochs"),
    Case("bad option value", {}, ["gradcheck", "c.yaml", "--samples", "0"], 2, "Invalid value for '--samples'"),
    Case("zero finite-difference step", {}, ["gradcheck", "c.yaml", "--eps", "0"], 2,
         "Invalid value for '--eps': 0.0 is not > 0"),
    Case("unknown command", {}, ["fit", "c.yaml"], 2, "No such command 'fit'"),
]

CASES = CONFIG_CASES + DATA_CASES + MODEL_CASES + RUNTIME_CASES


def write_files(folder, files):
    for name, content in {**BASE, **files}.items():
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content)


def snapshot(folder):
    """Every file and folder under folder: relative path -> bytes (None for a folder)."""
    found = {}
    for root, dirs, files in os.walk(folder):
        for name in dirs:
            found[os.path.relpath(os.path.join(root, name), folder)] = None
        for name in files:
            path = os.path.join(root, name)
            with open(path, "rb") as f:
                found[os.path.relpath(path, folder)] = f.read()
    return found


def run_cli(folder, argv, stdin=None):
    """`python -m ffnet_cli ARGV` in folder; stdin: text, "tty" for a terminal, or None (no input)."""
    env = dict(os.environ, COLUMNS="200")
    command = [*FFNET, *argv]
    if stdin == "tty":
        main, child = pty.openpty()
        try:
            return subprocess.run(command, cwd=folder, stdin=child, capture_output=True, timeout=60, env=env)
        finally:
            os.close(main)
            os.close(child)
    data = b"" if stdin is None else stdin.encode() if isinstance(stdin, str) else stdin
    return subprocess.run(command, cwd=folder, input=data, capture_output=True, timeout=60, env=env)


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_bad_input_is_one_error_line_and_changes_nothing(tmp_path, case):
    write_files(tmp_path, case.files)
    before = snapshot(tmp_path)
    result = run_cli(tmp_path, case.argv, case.stdin)
    stderr = result.stderr.decode()
    assert result.returncode == case.code, stderr
    assert "Traceback" not in stderr
    lines = stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), stderr
    assert case.error in lines[0]
    assert result.stdout == b""
    assert snapshot(tmp_path) == before


def test_there_are_at_least_60_distinct_cases():
    assert len({c.name for c in CASES}) == len(CASES) >= 60
    assert min(len(CONFIG_CASES), len(DATA_CASES), len(MODEL_CASES), len(RUNTIME_CASES)) >= 5


def test_debug_shows_a_traceback_instead(tmp_path):
    write_files(tmp_path, {"c.yaml": config("train: {epochs: 0}\n")})
    result = run_cli(tmp_path, TRAIN + ["--debug"])
    assert result.returncode != 0
    assert b"Traceback" in result.stderr and b"ConfigError" in result.stderr


# ---- model files, in-process: the loader's answer to more kinds of damage


@pytest.mark.parametrize("text, where, message", [
    ("[1, 2]", None, "expected a JSON object"),
    (model((("version",), "1")), "version", "expected int, got str"),
    (model((("features",), DROP)), None, "missing key 'features'"),
    (model((("targets",), [])), "targets", "expected a non-empty list of strings"),
    (model((("classes",), ["0", "0"])), "classes", "'0' listed twice"),
    (model((("classes",), ["0", "1", "2"])), "classes", "a sigmoid output over one target column needs exactly 2 classes"),
    (model((("layers",), []),), "layers", "expected at least one layer"),
    (model((("layers", 0), "relu"),), "layers[0]", "expected an object with activation, weights and bias"),
    (model((("layers", 0, "bias"), [0])), "layers[0].bias", "has 1 values, but the weights have 2 columns"),
    (model((("layers", 0, "weights"), [[1, "a"], [1, 1]])), "layers[0].weights",
     "expected a non-empty 2-D list of numbers"),
    (model((("layers", 0, "weights"), [[True, 1], [1, 1]])), "layers[0].weights",
     "expected a non-empty 2-D list of numbers"),
    (model((("layers", 0, "weights"), [[10**400, 1], [1, 1]])), "layers[0].weights",
     "expected a non-empty 2-D list of numbers"),
    (model((("dtype",), "float32"), (("layers", 0, "bias"), [0, 1e300])), "layers[0].bias[1]",
     "1e+300 is not a finite float32 number"),
    (model((("dtype",), "int8")), "dtype", "expected float32 or float64, got 'int8'"),
    (model((("loss",), "cross_entropy")), "loss", "loss 'cross_entropy' does not go with output 'sigmoid' (allowed: log_loss, squared_error)"),
    (model((("standardize",), {"mean": [0], "std": [1]})), "standardize",
     "expected 2 values in mean and std, one per feature"),
    (model((("standardize",), [0, 1])), "standardize", "expected null or an object with mean and std"),
    (model((("layers", 1, "weights"), [[1, 1], [-2, 1]]), (("layers", 1, "bias"), [0, 0])), "layers[1].weights",
     "has 2 output units, but the targets and classes need 1"),
], ids=lambda v: None)
def test_damaged_model_file_is_a_model_file_error_naming_the_json_path(tmp_path, text, where, message):
    from ffnet_cli.errors import ModelFileError
    from ffnet_cli.modelfile import load_model
    path = tmp_path / "m.json"
    path.write_text(text)
    with pytest.raises(ModelFileError) as info:
        load_model(str(path))
    assert (info.value.file, info.value.where, info.value.message) == (str(path), where, message)


def test_oversized_model_file_is_refused_before_parsing(tmp_path, monkeypatch):
    from ffnet_cli import modelfile
    monkeypatch.setattr(modelfile, "MAX_MODEL_BYTES", 2**20)
    path = tmp_path / "m.json"
    path.write_text(json.dumps(CLASSIFIER) + " " * 2**20)
    with pytest.raises(modelfile.ModelFileError, match="larger than 1 MiB"):
        modelfile.load_model(str(path))


# ---- nothing is lost: output files


def test_a_model_with_nan_weights_is_never_written(tmp_path):
    from ffnet_cli.errors import DivergedError
    from ffnet_cli.modelfile import model_from_dict, save_model
    net = model_from_dict(CLASSIFIER)
    net.params[0][0][0, 0] = np.nan
    with pytest.raises(DivergedError):
        save_model(net, str(tmp_path / "model.json"))
    assert os.listdir(tmp_path) == []


def test_nan_metrics_are_written_as_null(tmp_path):
    from ffnet_cli.modelfile import save_metrics
    save_metrics({"final": {"train": {"r2": float("nan"), "loss": 0.5}}}, str(tmp_path / "metrics.json"))
    doc = json.loads((tmp_path / "metrics.json").read_text())
    assert doc["final"]["train"] == {"r2": None, "loss": 0.5}


def test_a_failed_write_keeps_the_previous_file_and_leaves_no_temporary(tmp_path, monkeypatch):
    import errno
    from ffnet_cli.errors import OutputError
    from ffnet_cli.fileio import atomic_write
    path = tmp_path / "model.json"
    path.write_text("previous\n")

    def disk_full(fd):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
    monkeypatch.setattr(os, "fsync", disk_full)
    with pytest.raises(OutputError, match="No space left on device; the previous file, if any, is unchanged"):
        atomic_write(str(path), "new\n")
    assert os.listdir(tmp_path) == ["model.json"]
    assert path.read_text() == "previous\n"


def test_the_default_folder_keeps_an_earlier_run_in_previous_n(tmp_path):
    write_files(tmp_path, {})
    first = run_cli(tmp_path, TRAIN)
    assert first.returncode == 0, first.stderr
    earlier = (tmp_path / "runs/c/model.json").read_bytes()
    for n, quiet in ((1, False), (2, True)):
        again = run_cli(tmp_path, TRAIN[:2] + ["--quiet"] * quiet + ["--set", f"seed={n}"])
        assert again.returncode == 0, again.stderr
        said = f"the earlier run in runs/c was moved to runs/c/previous-{n}"
        assert (said in again.stderr.decode().splitlines()) is not quiet  # --quiet prints nothing but problems
        assert again.stderr == b"" or not quiet
    assert (tmp_path / "runs/c/previous-1/model.json").read_bytes() == earlier
    assert sorted(os.listdir(tmp_path / "runs/c/previous-2")) == ["metrics.json", "model.json", "state.npz"]
    assert sorted(os.listdir(tmp_path / "runs/c")) == ["metrics.json", "model.json", "previous-1", "previous-2", "state.npz"]


def test_a_chosen_folder_is_overwritten_in_place(tmp_path):
    write_files(tmp_path, {})
    for _ in range(2):
        result = run_cli(tmp_path, TRAIN + ["--out", "out"])
        assert (result.returncode, result.stderr) == (0, b"")
    assert sorted(os.listdir(tmp_path / "out")) == ["metrics.json", "model.json", "state.npz"]


def test_divergence_exits_1_and_keep_diverged_writes_only_the_last_finite_weights(tmp_path):
    from ffnet_cli.modelfile import load_model
    write_files(tmp_path, {"c.yaml": DIVERGING, "r.csv": REGRESSION})
    result = run_cli(tmp_path, TRAIN + ["--keep-diverged"])
    assert result.returncode == 1
    lines = result.stderr.decode().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: c.yaml: training diverged: the objective became inf at epoch 1")
    assert "try a smaller train.learning_rate or data.standardize: true" in lines[0]
    assert lines[0].endswith("; the last finite weights are in runs/c/model.last-finite.json (no model.json was written)")
    assert os.listdir(tmp_path / "runs/c") == ["model.last-finite.json"]
    kept = load_model(str(tmp_path / "runs/c/model.last-finite.json"))  # loads: every number finite
    assert all(np.isfinite(W).all() and np.isfinite(b).all() for W, b in kept.params)
