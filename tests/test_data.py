"""Reading CSV and .npz files into a Frame, and turning its columns into X and T."""

import io

import numpy as np
import pytest

from ffnet_cli.dataset import resolve_columns, split_indices, standardize_stats
from ffnet_cli.encoding import encode, fit_inputs, rows_with_cells
from ffnet_cli.frame import Frame, Text
from ffnet_cli.readers import read_frame
from ffnet_cli.targets import encode_targets, sort_labels
from ffnet_cli.errors import DataError


def feature_matrix(frame, names, missing="error"):
    """The network inputs of the named columns, unscaled, as training builds them."""
    rows = rows_with_cells(frame, [frame.position(n) for n in names], [], missing)
    inputs = fit_inputs(frame, names, rows, standardize=False, categorical="auto", missing=missing)
    return encode(frame, inputs, rows, impute=missing == "impute")[0]


def write(tmp_path, text, name="data.csv"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return str(path)


def frame_of(tmp_path, text):
    return read_frame(write(tmp_path, text))


def data_error(path, stdin=None):
    with pytest.raises(DataError) as info:
        read_frame(path, stdin)
    return info.value


class FakeTerminal(io.StringIO):
    def isatty(self):
        return True


# ---- reading CSV


def test_header_and_rows_are_parsed(tmp_path):
    frame = frame_of(tmp_path, "x1,x2,y\n0,1,1\n1,1,0\n")
    assert frame.columns == ("x1", "x2", "y")
    assert frame.lines.tolist() == [2, 3]
    np.testing.assert_array_equal(feature_matrix(frame, ["x1", "x2", "y"]), [[0, 1, 1], [1, 1, 0]])


def test_quoted_fields_may_hold_commas(tmp_path):
    frame = frame_of(tmp_path, 'x,label\n1,"red, dark"\n2,blue\n')
    assert frame.data[1].values == ("red, dark", "blue")
    T, classes = encode_targets(frame, ["label"], "sigmoid")
    assert classes == ("blue", "red, dark")


def test_stdin_is_read_as_csv():
    frame = read_frame("-", io.StringIO("a,b\n1,2\n"))
    assert frame.source == "<stdin>"
    assert frame.columns == ("a", "b")
    np.testing.assert_array_equal(feature_matrix(frame, ["a"]), [[1.0]])


def test_terminal_stdin_is_refused():
    error = data_error("-", FakeTerminal())
    assert error.file == "<stdin>"
    assert error.message == "refusing to read data from a terminal; pipe a CSV file into stdin or pass --data FILE"


def test_empty_stdin_is_an_empty_file():
    error = data_error("-", io.StringIO(""))
    assert (error.file, error.message) == ("<stdin>", "file is empty")


def test_byte_order_mark_is_not_part_of_the_first_column_name(tmp_path):
    path = tmp_path / "bom.csv"
    path.write_bytes("a,b\n1,2\n".encode("utf-8-sig"))
    assert read_frame(str(path)).columns == ("a", "b")


def test_blank_lines_are_skipped_and_line_numbers_kept(tmp_path):
    frame = frame_of(tmp_path, "a,b\n1,2\n\n3,4\n")
    assert frame.lines.tolist() == [2, 4]


@pytest.mark.parametrize("words", [False, True])
def test_a_block_of_only_blank_lines_is_skipped_without_a_warning(tmp_path, monkeypatch, words):
    """Blocks of 16 bytes: the 40 blank lines fill whole blocks of their own. np.loadtxt warns
    ("input contained no data") on such a block, a line on the user's stderr; it is never asked."""
    import warnings
    from ffnet_cli import csvread
    monkeypatch.setattr(csvread, "BLOCK", 16)
    first = "w,2" if words else "1,2"
    path = write(tmp_path, f"a,b\n{first}\n" + "\n" * 40 + "3,4\n")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        frame = read_frame(path)
    assert frame.rows == 2 and frame.lines.tolist() == [2, 43]


def test_crlf_line_endings_are_read(tmp_path):
    path = tmp_path / "crlf.csv"
    path.write_bytes(b"a,b\r\n1,2\r\n3,4\r\n")
    frame = read_frame(str(path))
    np.testing.assert_array_equal(feature_matrix(frame, ["a", "b"]), [[1, 2], [3, 4]])
    assert frame.lines.tolist() == [2, 3]


def test_numeric_labels_are_kept_as_written_and_matched_by_value(tmp_path):
    frame = read_frame(write(tmp_path, "x,y\n1,1.0\n2,0.0\n"), labels=["y"])
    assert encode_targets(frame, ["y"], "sigmoid")[1] == ("0.0", "1.0")
    other = read_frame(write(tmp_path, "x,y\n1,0\n2,1\n", "other.csv"), labels=["y"])
    T, _ = encode_targets(other, ["y"], "sigmoid", ("0.0", "1.0"))
    np.testing.assert_array_equal(T, [[0], [1]])


# ---- bad CSV files


def test_missing_file(tmp_path):
    path = str(tmp_path / "nope.csv")
    error = data_error(path)
    assert (error.file, error.message) == (path, "no such file")


def test_directory(tmp_path):
    error = data_error(str(tmp_path))
    assert error.message == "is a directory, not a data file"


def test_empty_file(tmp_path):
    error = data_error(write(tmp_path, ""))
    assert error.message == "file is empty"


def test_header_only(tmp_path):
    error = data_error(write(tmp_path, "a,b\n"))
    assert error.message == "no data rows, only a header"


def test_ragged_row_reports_its_line(tmp_path):
    error = data_error(write(tmp_path, "a,b\n1,2\n3,4,5\n"))
    assert (error.where, error.message) == ("line 3", "row has 3 fields but the header has 2")


def test_duplicate_column_name(tmp_path):
    error = data_error(write(tmp_path, "a,b,a\n1,2,3\n"))
    assert (error.where, error.message) == ("line 1, column 3", "duplicate column name 'a' in the header")


def test_empty_column_name(tmp_path):
    error = data_error(write(tmp_path, "a,,c\n1,2,3\n"))
    assert (error.where, error.message) == ("line 1, column 2", "empty column name in the header")


def test_binary_garbage_is_not_a_utf8_csv(tmp_path):
    path = tmp_path / "garbage.csv"
    path.write_bytes(b"a,b\n\x89PNG\xff\xfe\x00\x01")
    error = data_error(str(path))
    assert error.where == "line 2"
    assert error.message.startswith("does not look like a UTF-8 CSV file")


def test_oversized_field_is_a_csv_error_with_its_line(tmp_path):
    error = data_error(write(tmp_path, 'a,b\n1,"' + "x" * (2 << 20) + '"\n'))
    assert error.where == "line 2"
    assert error.message.startswith("cannot parse the CSV")


# ---- columns


def test_default_target_is_the_last_column_and_features_the_rest(tmp_path):
    frame = frame_of(tmp_path, "a,b,c\n1,2,3\n")
    assert resolve_columns(frame, None, None) == (("a", "b"), ("c",))


def test_named_target_and_features(tmp_path):
    frame = frame_of(tmp_path, "a,b,c,d\n1,2,3,4\n")
    assert resolve_columns(frame, ["a", "b"], ["d"]) == (("d",), ("a", "b"))
    assert resolve_columns(frame, "b", None) == (("a", "c", "d"), ("b",))


def test_missing_column_lists_the_available_ones(tmp_path):
    frame = frame_of(tmp_path, "x1,x2,y\n1,2,3\n")
    with pytest.raises(DataError) as info:
        resolve_columns(frame, ["label"], None)
    assert info.value.message == "no column 'label'; the file has: x1, x2, y"


def test_missing_column_suggests_a_close_name(tmp_path):
    frame = frame_of(tmp_path, "x1,x2,label\n1,2,3\n")
    with pytest.raises(DataError) as info:
        resolve_columns(frame, "lable", None)
    assert info.value.message == "no column 'lable' (did you mean 'label'?); the file has: x1, x2, label"


def test_column_both_feature_and_target_is_refused(tmp_path):
    frame = frame_of(tmp_path, "a,b\n1,2\n")
    with pytest.raises(DataError, match="'b' is both a feature and a target"):
        resolve_columns(frame, ["b"], ["a", "b"])


def test_no_feature_columns_is_refused(tmp_path):
    frame = frame_of(tmp_path, "a,b\n1,2\n")
    with pytest.raises(DataError, match="feature columns must be distinct, at least one"):
        resolve_columns(frame, ["a", "b"], None)


# ---- feature matrix


def test_non_numeric_cell_reports_line_column_and_cell(tmp_path):
    frame = frame_of(tmp_path, "x1,x2,y\n1,2,0\n3,abc,1\n4,5,0\n")
    with pytest.raises(DataError) as info:
        feature_matrix(frame, ["x1", "x2"])
    error = info.value
    assert (error.file, error.where) == (frame.source, "line 3, column 2 (x2)")
    assert error.message == "not a number: 'abc', in a column of numbers; if 'x2' is a category, list it in data.categorical"


def test_first_bad_cell_is_the_earliest_line(tmp_path):
    frame = frame_of(tmp_path, "a,b\n1,2\n3,x\ny,4\n")
    with pytest.raises(DataError) as info:
        feature_matrix(frame, ["a", "b"])
    assert info.value.where == "line 3, column 2 (b)"


def test_blank_cell_is_missing(tmp_path):
    frame = frame_of(tmp_path, "a,b\n1,2\n3, \n")
    with pytest.raises(DataError) as info:
        feature_matrix(frame, ["a", "b"])
    assert info.value.where == "line 3, column 2 (b)"
    assert info.value.message.startswith("missing value (1 missing cell in all); set data.missing")


def test_infinite_cells_are_refused_the_first_shown(tmp_path):
    frame = frame_of(tmp_path, "a,b\n1,2\n3,-inf\ninf,-inf\n")
    with pytest.raises(DataError) as info:
        feature_matrix(frame, ["a", "b"])
    assert info.value.where == "line 3, column 2 (b)"
    assert info.value.message == "'-inf' is not a finite number (2 such cells in the column)"


def test_features_come_in_the_order_asked(tmp_path):
    frame = frame_of(tmp_path, "a,b,c\n1,2,3\n")
    np.testing.assert_array_equal(feature_matrix(frame, ["c", "a"]), [[3, 1]])


# ---- .npz


def test_npz_round_trip_with_1d_y(tmp_path):
    X = np.array([[0.5, 1.0], [2.0, 3.0], [4.0, 5.0]])
    np.savez(tmp_path / "d.npz", X=X, y=np.array([0, 1, 2]))
    frame = read_frame(str(tmp_path / "d.npz"))
    assert frame.columns == ("x1", "x2", "y")
    assert frame.lines is None and frame.rows == 3  # rows count from 1
    features, targets = resolve_columns(frame, None, None)
    np.testing.assert_array_equal(feature_matrix(frame, features), X)
    T, classes = encode_targets(frame, targets, "softmax")
    assert classes == ("0", "1", "2")
    np.testing.assert_array_equal(T, np.eye(3))


def test_npz_round_trip_with_2d_y(tmp_path):
    y = np.array([[1.5, -2.0], [0.25, 3.0]])
    np.savez(tmp_path / "d.npz", X=np.ones((2, 3)), y=y)
    frame = read_frame(str(tmp_path / "d.npz"))
    assert frame.columns == ("x1", "x2", "x3", "y1", "y2")
    assert resolve_columns(frame, ["y1", "y2"], None) == (("x1", "x2", "x3"), ("y1", "y2"))
    T, classes = encode_targets(frame, ["y1", "y2"], "linear")
    np.testing.assert_array_equal(T, y)
    assert classes is None


def test_npz_float_labels_are_written_as_numbers(tmp_path):
    np.savez(tmp_path / "d.npz", X=np.ones((3, 1)), y=np.array([1.0, 0.5, 1.0]))
    frame = read_frame(str(tmp_path / "d.npz"))
    assert encode_targets(frame, ["y"], "sigmoid")[1] == ("0.5", "1")


def test_npz_missing_key_lists_the_keys(tmp_path):
    np.savez(tmp_path / "d.npz", features=np.ones((2, 2)), y=np.ones(2))
    error = data_error(str(tmp_path / "d.npz"))
    assert error.message == "no array X in the .npz file; it has: features, y"


def test_truncated_npz(tmp_path):
    np.savez(tmp_path / "d.npz", X=np.ones((20, 2)), y=np.ones(20))
    data = (tmp_path / "d.npz").read_bytes()
    (tmp_path / "d.npz").write_bytes(data[: len(data) // 2])
    error = data_error(str(tmp_path / "d.npz"))
    assert error.message.startswith("not a valid .npz file")


def test_npz_object_array_is_refused(tmp_path):
    np.savez(tmp_path / "d.npz", X=np.array([[1, "a"]], dtype=object), y=np.ones(1))
    error = data_error(str(tmp_path / "d.npz"))
    assert error.message.startswith("cannot read arrays X and y")


def test_npz_y_length_must_match_x(tmp_path):
    np.savez(tmp_path / "d.npz", X=np.ones((3, 2)), y=np.ones(2))
    error = data_error(str(tmp_path / "d.npz"))
    assert (error.where, error.message) == ("y", "y has 2 rows but X has 3")


def test_npz_x_must_be_2d(tmp_path):
    np.savez(tmp_path / "d.npz", X=np.ones(3), y=np.ones(3))
    error = data_error(str(tmp_path / "d.npz"))
    assert (error.where, error.message) == ("X", "X must be a 2-D array of numbers, got shape (3,) of float64")


def test_npz_nan_cell_is_a_missing_value_at_its_row(tmp_path):
    np.savez(tmp_path / "d.npz", X=np.array([[1.0, 2.0], [np.nan, 3.0]]), y=np.ones(2))
    frame = read_frame(str(tmp_path / "d.npz"))
    with pytest.raises(DataError) as info:
        feature_matrix(frame, ["x1", "x2"])
    assert info.value.where == "row 2, column 1 (x1)"
    assert info.value.message.startswith("missing value (1 missing cell in all)")


# ---- targets


def test_classes_sort_numerically_when_all_labels_are_numbers():
    assert sort_labels(["10", "9", "2", "9"]) == ("2", "9", "10")


def test_classes_sort_as_strings_otherwise():
    assert sort_labels(["10", "9", "cat"]) == ("10", "9", "cat")


def test_softmax_targets_are_one_hot_in_class_order(tmp_path):
    frame = frame_of(tmp_path, "x,y\n1,10\n2,9\n3,b10\n4, 9 \n")
    T, classes = encode_targets(frame, ["y"], "softmax")
    assert classes == ("10", "9", "b10")
    np.testing.assert_array_equal(T, [[1, 0, 0], [0, 1, 0], [0, 0, 1], [0, 1, 0]])


def test_softmax_needs_one_target_column(tmp_path):
    frame = frame_of(tmp_path, "x,a,b\n1,0,1\n")
    with pytest.raises(DataError, match="softmax output needs exactly one target column, got 2"):
        encode_targets(frame, ["a", "b"], "softmax")


def test_sigmoid_one_column_maps_the_second_label_to_one(tmp_path):
    frame = frame_of(tmp_path, "x,y\n1,yes\n2,no\n3,yes\n")
    T, classes = encode_targets(frame, ["y"], "sigmoid")
    assert classes == ("no", "yes")
    np.testing.assert_array_equal(T, [[1], [0], [1]])


def test_sigmoid_with_three_labels_suggests_softmax(tmp_path):
    frame = frame_of(tmp_path, "x,y\n1,a\n2,b\n3,c\n")
    with pytest.raises(DataError) as info:
        encode_targets(frame, ["y"], "sigmoid")
    assert info.value.where == "column 2 (y)"
    assert info.value.message == ("a sigmoid output over one column needs exactly 2 classes, found 3: a, b, c; "
                                  "use output: softmax for more than two classes")


def test_sigmoid_several_zero_one_columns(tmp_path):
    frame = frame_of(tmp_path, "x,a,b\n1,0,1\n2,1.0,0\n")
    T, classes = encode_targets(frame, ["a", "b"], "sigmoid")
    assert classes is None
    np.testing.assert_array_equal(T, [[0, 1], [1, 0]])


def test_sigmoid_several_columns_refuse_a_2(tmp_path):
    frame = frame_of(tmp_path, "x,a,b\n1,0,1\n2,1,2\n")
    with pytest.raises(DataError) as info:
        encode_targets(frame, ["a", "b"], "sigmoid")
    assert info.value.where == "line 3, column 3 (b)"
    assert info.value.message == "a sigmoid output over several target columns needs 0 or 1 in each, got '2'"


def test_only_one_class_is_refused(tmp_path):
    frame = frame_of(tmp_path, "x,y\n1,a\n2,a\n")
    with pytest.raises(DataError) as info:
        encode_targets(frame, ["y"], "softmax")
    assert info.value.message == "only one class ('a') in target column 'y'; a classifier needs two or more"


def test_empty_label_is_refused(tmp_path):
    frame = frame_of(tmp_path, "x,y\n1,a\n2,\n")
    with pytest.raises(DataError) as info:
        encode_targets(frame, ["y"], "softmax")
    assert info.value.where == "line 3, column 2 (y)"


def test_linear_targets_are_numbers(tmp_path):
    frame = frame_of(tmp_path, "x,y\n1,0.5\n2,-3\n")
    T, classes = encode_targets(frame, ["y"], "linear")
    np.testing.assert_array_equal(T, [[0.5], [-3.0]])
    assert classes is None


def test_given_classes_are_used_instead_of_discovered(tmp_path):
    frame = frame_of(tmp_path, "x,y\n1,b\n2,b\n")
    T, classes = encode_targets(frame, ["y"], "sigmoid", classes=("a", "b"))
    assert classes == ("a", "b")
    np.testing.assert_array_equal(T, [[1], [1]])


def test_unseen_labels_are_listed_with_the_models_classes(tmp_path):
    frame = frame_of(tmp_path, "x,y\n1,a\n2,d\n3,c\n4,d\n")
    with pytest.raises(DataError) as info:
        encode_targets(frame, ["y"], "softmax", classes=("a", "b"))
    assert info.value.where == "line 3, column 2 (y)"
    assert info.value.message == "2 labels not among the model's classes: 'c', 'd'; the model's classes are a, b"


# ---- standardisation and splits


def test_standardize_stats_population_std_and_constant_column_gets_1():
    X = np.array([[1.0, 5.0], [3.0, 5.0]])
    mean, std = standardize_stats(X)
    np.testing.assert_array_equal(mean, [2.0, 5.0])
    np.testing.assert_array_equal(std, [1.0, 1.0])


def test_split_is_deterministic_for_a_seed():
    a = split_indices(10, 0.3, np.random.default_rng(7))
    b = split_indices(10, 0.3, np.random.default_rng(7))
    np.testing.assert_array_equal(a[0], b[0])
    np.testing.assert_array_equal(a[1], b[1])


def test_split_sizes_are_disjoint_sorted_and_cover_every_row():
    train, val = split_indices(10, 0.3, np.random.default_rng(0))
    assert (len(train), len(val)) == (7, 3)
    assert sorted(np.concatenate([train, val]).tolist()) == list(range(10))
    assert train.tolist() == sorted(train.tolist()) and val.tolist() == sorted(val.tolist())


@pytest.mark.parametrize("n, fraction, sizes",
                         [(10, 0.0, (10, 0)), (10, 0.01, (9, 1)), (2, 0.99, (1, 1)), (1, 0.5, (1, 0))])
def test_split_keeps_at_least_one_row_on_each_side(n, fraction, sizes):
    train, val = split_indices(n, fraction, np.random.default_rng(0))
    assert (len(train), len(val)) == sizes


def test_frame_can_be_built_by_hand():
    frame = Frame("<test>", ("a", "b"), (np.array([1.0]), Text(np.array([0], np.int32), ("x",))), np.array([2]), rows=1)
    np.testing.assert_array_equal(feature_matrix(frame, ["a", "b"]), [[1.0, 1.0]])


def test_npz_that_is_not_a_zip_archive(tmp_path):
    np.save(tmp_path / "d.npy", np.ones(3))
    (tmp_path / "d.npz").write_bytes((tmp_path / "d.npy").read_bytes())
    error = data_error(str(tmp_path / "d.npz"))
    assert error.message == "not a valid .npz file (not a zip archive)"
