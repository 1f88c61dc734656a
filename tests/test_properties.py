"""Random bytes and random structures fed to the config, data and model loaders.

Whatever comes in, a loader either returns its result or raises the project's own error
(ConfigError, DataError, ModelFileError): never another exception, never a crash.
"""

import copy
import csv
import io
import json
import os

import numpy as np
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ffnet_cli import dataset, encoding, frame as frames, readers
from ffnet_cli import targets as target_encoding
from ffnet_cli.config import load_config, parse_config
from ffnet_cli.schema import SCHEMA
from ffnet_cli.errors import ConfigError, DataError, ModelFileError
from ffnet_cli.modelfile import load_model, model_from_dict

# FFNET_FUZZ_EXAMPLES=5000 for a longer search than CI's.
SETTINGS = settings(max_examples=int(os.environ.get("FFNET_FUZZ_EXAMPLES", 150)), deadline=None,
                    suppress_health_check=[HealthCheck.too_slow])


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    return tmp_path_factory.mktemp("fuzz")


# ---- strategies

scalars = st.one_of(
    st.none(), st.booleans(), st.integers(-10**30, 10**30), st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=12), st.sampled_from(["relu", "softmax", "sgd", "1e-3", "-", "yes", "0x1F", ".inf", "~"]),
)
json_values = st.recursive(scalars, lambda inner: st.lists(inner, max_size=4)
                           | st.dictionaries(st.text(max_size=8), inner, max_size=4), max_leaves=20)


def schema_keys(schema):
    keys = []
    for key, spec in schema.items():
        keys.append(key)
        if isinstance(spec, dict):
            keys += schema_keys(spec)
    return keys


KEYS = schema_keys(SCHEMA) + ["units", "activation", "hidden", "x", "trian"]
# Config-shaped documents: mostly the schema's own keys, nested, with any values.
config_docs = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.sampled_from(KEYS), inner, max_size=5),
    max_leaves=25,
)
yaml_fragments = st.lists(st.sampled_from([
    "data:", "  train: d.csv", "model:", "  output: sigmoid", "  hidden:", "    - {units: 2}", "- ", "&a [1, 2]",
    "*a", "!!python/name:os.system", "!!binary aGk=", "train: {epochs: 1e3}", "? [a]", ": b", "{", "]", "'", "\t",
    "<<: *a", "%YAML 1.1", "---", "...", "key: value", "  - - -", "a: b: c", "#", "\x00", "\ufeff",
]), max_size=10).map("\n".join)
overrides = st.lists(st.one_of(st.text(max_size=20), st.sampled_from([
    "train.epochs=3", "model.hidden[0].units=2", "model.hidden[9]=1", "a.b.c=[", "=1", "seed", "x[0]=1",
    "train=1", "data.train.x=1", "model.hidden=[{units: 1}]", "train.learning_rate=!!float nan",
])), max_size=3)


# ---- config


@SETTINGS
@given(st.binary(max_size=300))
def test_config_loader_accepts_only_its_own_error_for_random_bytes(folder, blob):
    path = folder / "random.yaml"
    path.write_bytes(blob)
    try:
        load_config(str(path))
    except ConfigError:
        pass


@SETTINGS
@given(config_docs, overrides)
def test_config_parser_accepts_only_its_own_error_for_random_documents(doc, sets):
    try:
        text = yaml.safe_dump(doc)
    except (yaml.YAMLError, ValueError):
        return
    try:
        cfg = parse_config(text, "random.yaml", sets)
    except ConfigError as e:  # named: the file, or the --set that gave the value
        assert e.file in ("random.yaml", *(f"--set {item}" for item in sets)) and e.message
    else:
        json.dumps(cfg.raw, allow_nan=False)  # a config that loads is plain, finite data


@SETTINGS
@given(yaml_fragments, overrides)
def test_config_parser_accepts_only_its_own_error_for_yaml_fragments(text, sets):
    try:
        parse_config(text, "random.yaml", sets)
    except ConfigError:
        pass


# ---- data

cells = st.one_of(
    st.integers(-5, 5).map(str), st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.sampled_from(["", " ", "a", "b", "nan", "inf", "-inf", "1e999", '"', "1,2", "\n", "0x10", "1_0", "\x00",
                     "NA", "?", "None", "1e39", "\ufeff"]),
    st.text(max_size=4),
)
tables = st.lists(st.lists(cells, min_size=1, max_size=4), min_size=0, max_size=6)


def run_data_pipeline(frame, output, missing="error"):
    """What train and eval do with a frame: pick columns, leave out or fill missing cells, build X and T."""
    features, targets = dataset.resolve_columns(frame, None, None)
    rows = encoding.rows_with_cells(frame, frames.indices(frame, features), frames.indices(frame, targets), missing)
    if rows is not None and not len(rows):
        return
    T, classes = target_encoding.encode_targets(frame, targets, output, rows=rows)
    inputs = encoding.fit_inputs(frame, features, rows, standardize=True, categorical="auto", missing=missing)
    X, _ = encoding.encode(frame, inputs, rows, impute=missing == "impute")
    assert X.shape[0] == T.shape[0] == (frame.rows if rows is None else len(rows))
    assert np.isfinite(X).all() and np.isfinite(T).all()
    target_encoding.encode_targets(frame, targets, output, classes, rows=rows)


@SETTINGS
@given(st.binary(max_size=300), st.sampled_from(["random.csv", "random.npz"]))
def test_data_reader_accepts_only_its_own_error_for_random_bytes(folder, blob, name):
    path = folder / name
    path.write_bytes(blob)
    try:
        run_data_pipeline(readers.read_frame(str(path)), "softmax")
    except DataError:
        pass


@SETTINGS
@given(tables, st.sampled_from(["linear", "sigmoid", "softmax"]), st.sampled_from(["error", "drop", "impute"]))
def test_data_pipeline_accepts_only_its_own_error_for_random_tables(folder, rows, output, missing):
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n", escapechar="\\").writerows(rows)  # Python < 3.11 must escape NUL
    path = folder / "table.csv"
    path.write_text(buffer.getvalue())
    try:
        run_data_pipeline(readers.read_frame(str(path)), output, missing)
    except DataError as e:
        assert e.file == str(path) and e.message


arrays = st.one_of(
    st.builds(lambda shape, kind: np.zeros(shape, dtype=kind),
              st.lists(st.integers(0, 3), max_size=3).map(tuple), st.sampled_from(["f8", "f4", "i4", "u1", "?", "c16", "U2"])),
    st.lists(st.floats(allow_nan=True, allow_infinity=True), max_size=6).map(np.array),
)


@SETTINGS
@given(st.dictionaries(st.sampled_from(["X", "y", "z", "x"]), arrays, max_size=3), st.sampled_from(["linear", "softmax"]))
def test_npz_reader_accepts_only_its_own_error_for_random_arrays(folder, contents, output):
    path = folder / "arrays.npz"
    np.savez(path, **contents)
    try:
        run_data_pipeline(readers.read_frame(str(path)), output)
    except DataError:
        pass


# ---- model files

GOOD_MODEL = {
    "format": "ffnet-model", "version": 1, "features": ["x1", "x2"], "targets": ["y"], "output": "sigmoid",
    "loss": "log_loss", "classes": ["0", "1"], "standardize": {"mean": [0, 0], "std": [1, 1]},
    "layers": [{"activation": "relu", "weights": [[1, 1], [1, 1]], "bias": [0, -1]},
               {"activation": "sigmoid", "weights": [[1], [-2]], "bias": [0]}],
}


def paths(node, prefix=()):
    """Every path into a JSON document, the root included."""
    yield prefix
    children = node.items() if isinstance(node, dict) else enumerate(node) if isinstance(node, list) else ()
    for key, child in children:
        yield from paths(child, prefix + (key,))


GOOD_PATHS = list(paths(GOOD_MODEL))
# Version 2: a category (two one-hot inputs) and a filled, z-scored number.
GOOD_MODEL_V2 = dict(
    {k: v for k, v in GOOD_MODEL.items() if k != "standardize"}, version=2, missing="impute",
    inputs=[{"column": "x1", "kind": "category", "categories": ["a", "b"]},
            {"column": "x2", "kind": "number", "mean": 0.5, "std": 2.0, "fill": 0.5}],
    layers=[{"activation": "relu", "weights": [[1, 1], [1, 1], [1, 1]], "bias": [0, -1]}, GOOD_MODEL["layers"][1]])
GOOD_PATHS_V2 = list(paths(GOOD_MODEL_V2))


def check_model(doc):
    try:
        net = model_from_dict(doc, "random.json")
    except ModelFileError as e:
        assert e.file == "random.json" and e.message
        return
    for W, b in net.params:
        assert np.isfinite(W).all() and np.isfinite(b).all()
    net.outputs(np.zeros((1, net.width)))


def replaced(model, path, value):
    """A copy of the model document with the value at path (a list of keys) replaced."""
    if not path:
        return value
    doc = copy.deepcopy(model)
    node = doc
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value
    return doc


@SETTINGS
@given(st.sampled_from(GOOD_PATHS), json_values)
def test_model_loader_accepts_only_its_own_error_when_any_part_is_replaced(path, value):
    check_model(replaced(GOOD_MODEL, path, value))


@SETTINGS
@given(st.sampled_from(GOOD_PATHS_V2), json_values)
def test_model_loader_accepts_only_its_own_error_when_any_part_of_a_version_2_model_is_replaced(path, value):
    check_model(replaced(GOOD_MODEL_V2, path, value))


@SETTINGS
@given(st.sampled_from([p for p in GOOD_PATHS if p]))
def test_model_loader_accepts_only_its_own_error_when_any_part_is_missing(path):
    doc = copy.deepcopy(GOOD_MODEL)
    node = doc
    for key in path[:-1]:
        node = node[key]
    del node[path[-1]]
    check_model(doc)


@SETTINGS
@given(st.one_of(st.binary(max_size=300),
                 st.integers(0, len(json.dumps(GOOD_MODEL))).map(lambda n: json.dumps(GOOD_MODEL)[:n].encode())))
def test_model_file_loader_accepts_only_its_own_error_for_random_or_truncated_bytes(folder, blob):
    path = folder / "random.json"
    path.write_bytes(blob)
    try:
        load_model(str(path))
    except ModelFileError:
        pass


# ---- every parser path reads a table alike

words = st.sampled_from(["1", "-2.5", "3e2", " 4 ", "NA", "", "?", "nan", "None", "N/A", "null", "Biscoe", "Dream",
                         "x y", "1_0", "0x10", "é", "inf"])


def by_value(label):
    number = None if label is None else frames.to_float(label)
    return label if number is None else frames.format_number(number)


def reference_columns(rows):
    """Each column as the csv module and Python's float() (strictly) read it: numbers or labels."""
    columns = []
    for cells in zip(*rows):
        labels = [None if c.strip() in frames.MISSING else c.strip() for c in cells]
        numbers = [None if label is None else frames.to_float(label) for label in labels]
        if all(label is None or number is not None for label, number in zip(labels, numbers)):
            columns.append(np.array([np.nan if n is None else n for n in numbers]))
        else:
            columns.append(labels)
    return columns


@SETTINGS
@given(st.integers(1, 4).flatmap(lambda c: st.lists(st.lists(words, min_size=c, max_size=c), min_size=1, max_size=40)))
def test_every_parser_path_reads_a_table_alike(folder, rows):
    from ffnet_cli import csvcolumns, csvread
    rows = [row for row in rows if any(cell.strip() for cell in row) or len(row) > 1]  # a blank line is no row
    if not rows:
        return
    path = folder / "paths.csv"
    path.write_text(",".join(f"c{j}" for j in range(len(rows[0]))) + "\n" + "".join(",".join(r) + "\n" for r in rows))
    expected = reference_columns(rows)
    saved = csvcolumns.HEAD, csvread.BLOCK
    try:
        for head, block in ((1000, 1 << 22), (1, 1 << 22), (1, 16), (3, 40)):  # csv module, C parser, small blocks
            csvcolumns.HEAD, csvread.BLOCK = head, block
            frame = readers.read_frame(str(path))
            for column, want in zip(frame.data, expected):
                if isinstance(want, list):
                    assert isinstance(column, frames.Text), (head, block)
                    got = [None if code == frames.MISSING_CODE else column.values[code] for code in column.codes]
                    # A number read in an earlier block than the column's first word keeps its value, not its
                    # spelling (3e2 becomes 300): compare numbers by value.
                    assert list(map(by_value, got)) == list(map(by_value, want)), (head, block)
                else:
                    np.testing.assert_array_equal(column, want)
    finally:
        csvcolumns.HEAD, csvread.BLOCK = saved
