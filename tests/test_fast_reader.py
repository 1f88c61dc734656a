"""The `fast` extra: pyarrow reads a CSV's batches exactly as the numpy path reads them.

The numpy path (csvcolumns.Columns alone) is the reference. Each test reads a file twice, through
pyarrow (arrowread.read_batches) and through numpy alone, and compares the Frames cell by cell:
the numbers bit for bit and NaN where NaN, the decoded words (code order may differ), line numbers
and spellings; or the errors, message and place. Blocks, batches and the head are shrunk so that a
file of a few hundred bytes takes many batches; every file here makes pyarrow read at least one
batch, and a file it should not read makes it hand the rest back to the numpy path.
"""

import io
import math
import os
import subprocess
import sys
from contextlib import contextmanager

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

pytest.importorskip("pyarrow", reason="the fast extra (pyarrow) is not installed: pip install 'ffnet[fast]'")

from ffnet_cli import arrowread, csvcolumns, csvread, readers  # noqa: E402
from ffnet_cli import frame as frames  # noqa: E402
from ffnet_cli.errors import DataError  # noqa: E402
from ffnet_cli.frame import MISSING_CODE, Text, to_float  # noqa: E402

SETTINGS = settings(max_examples=int(os.environ.get("FFNET_FUZZ_EXAMPLES", 200)), deadline=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])


class Spy:
    """What pyarrow did during a read: rows it wrote, and the line of the batch it handed back (or None)."""

    def __init__(self, monkeypatch):
        self.rows, self.handed_back = 0, None
        write, hand_back = arrowread._write, arrowread._hand_back

        def counting_write(*args):
            rows = write(*args)
            self.rows += rows
            return rows

        def recording_hand_back(table, records, text, batch, line):
            self.handed_back = line
            hand_back(table, records, text, batch, line)
        monkeypatch.setattr(arrowread, "_write", counting_write)
        monkeypatch.setattr(arrowread, "_hand_back", recording_hand_back)


@pytest.fixture
def small(monkeypatch):
    """Blocks of 64 bytes, batches of two blocks, kinds learnt from 2 lines: pyarrow on any file."""
    monkeypatch.setattr(csvread, "BLOCK", 64)
    monkeypatch.setattr(arrowread, "BATCH", 128)
    monkeypatch.setattr(arrowread, "MIN_SIZE", 0)
    monkeypatch.setattr(csvcolumns, "HEAD", 2)
    return Spy(monkeypatch)


def read(path, labels=None):
    """The Frame, or the DataError as (message, file, where)."""
    try:
        return readers.read_frame(str(path), labels=labels)
    except DataError as e:
        return (e.message, e.file, e.where)


@contextmanager
def numpy_only():
    """Reads inside the block go through the numpy path alone, as without the fast extra."""
    saved, arrowread.ARROW = arrowread.ARROW, None
    try:
        yield
    finally:
        arrowread.ARROW = saved


def read_numpy(path, labels=None):
    with numpy_only():
        return read(path, labels)


def cells(column) -> list:
    """A column's cells: text (None when missing) for words, float64 bits (None for NaN) for numbers."""
    if isinstance(column, Text):
        assert len(set(column.values)) == len(column.values)
        assert set(column.codes[column.codes != MISSING_CODE]) == set(range(len(column.values)))  # each label used
        return [None if code == MISSING_CODE else column.values[code] for code in column.codes.tolist()]
    bits = np.asarray(column, dtype=np.float64).view(np.uint64).tolist()
    return [None if math.isnan(v) else b for v, b in zip(np.asarray(column).tolist(), bits)]


def spellings(frame) -> dict:
    return {j: ({k: v for k, v in s.items() if k == k}, sum(k != k for k in s)) for j, s in frame.spellings.items()}


def assert_same(fast, reference):
    """The two reads agree: the same error, or the same Frame cell by cell."""
    assert type(fast) is type(reference), (fast, reference)
    if isinstance(reference, tuple):
        assert fast == reference
        return
    assert (fast.columns, fast.rows, fast.unit) == (reference.columns, reference.rows, reference.unit)
    assert fast.lines.tolist() == reference.lines.tolist()
    for j, (a, b) in enumerate(zip(fast.data, reference.data)):
        assert isinstance(a, Text) == isinstance(b, Text), f"column {j}"
        assert cells(a) == cells(b), f"column {j}"
        if isinstance(a, Text):
            assert sorted(a.values) == sorted(b.values)
    assert spellings(fast) == spellings(reference)


def check(path, spy, labels=None, handed_back="any"):
    """Read path both ways, compare, and check that pyarrow read a batch and handed back where said
    (a line, None for never, "any" for either)."""
    fast = read(path, labels)
    assert_same(fast, read_numpy(path, labels))
    assert spy.rows > 0 or spy.handed_back is not None, "pyarrow read no batch"
    if handed_back != "any":
        assert spy.handed_back == handed_back
    return fast


def table(header, rows, tmp_path, ending="\n", name="d.csv"):
    path = tmp_path / name
    text = ending.join([header] + rows) + ending
    path.write_bytes(text.encode() if isinstance(text, str) else text)
    return path


def numbers(n, seed=0, c=3, missing=0.0):
    rng = np.random.default_rng(seed)
    values = rng.normal(size=(n, c))
    rows = [[f"{v:.6g}" for v in row] for row in values]
    for row in rows:
        for k in range(c):
            if rng.random() < missing:
                row[k] = rng.choice(["", "NA", "?", "nan", "N/A"])
    return [",".join(row) for row in rows]


# ---- clean tables: pyarrow reads every batch


def test_a_table_of_numbers_reads_alike_without_a_hand_back(tmp_path, small):
    fast = check(table("a,b,c", numbers(300), tmp_path), small, handed_back=None)
    assert small.rows == 298 and fast.rows == 300  # all but the 2 head lines


def test_words_numbers_and_missing_cells_read_alike(tmp_path, small):
    rng = np.random.default_rng(1)
    rows = [f"{rng.choice(['Biscoe', ' Dream', 'Torgersen', 'NA', '', 'é ü'])},{v:.3g},"
            f"{rng.choice(['1', '2', '', 'None', 'null'])},{rng.choice(['m', 'f', '?'])}" for v in rng.normal(size=400)]
    check(table("island,x,n,sex", rows, tmp_path), small, handed_back=None)


def test_a_labels_column_of_numbers_keeps_each_first_spelling(tmp_path, small):
    rows = [f"{i % 7},{['1', '1.0', ' 2', '2.00', '3e0', 'NA'][i % 6]}" for i in range(300)]
    fast = check(table("x,y", rows, tmp_path), small, labels=["y"], handed_back=None)
    assert fast.spellings == {1: {1.0: "1", 2.0: "2", 3.0: "3e0"}}


def test_windows_line_ends_read_alike(tmp_path, small):
    check(table("a,b,c", numbers(200, missing=0.05), tmp_path, ending="\r\n"), small, handed_back=None)


def test_a_file_without_a_last_line_end_reads_alike(tmp_path, small):
    path = table("a,b,c", numbers(200), tmp_path)
    path.write_bytes(path.read_bytes().rstrip(b"\n"))
    check(path, small, handed_back=None)


def test_text_code_order_does_not_change_what_training_sees(tmp_path, small):
    from ffnet_cli import dataset
    from ffnet_cli.config import load_config
    rng = np.random.default_rng(2)
    rows = [f"{rng.choice(['c', 'a', 'b', 'NA'])},{x:.4g},{rng.choice(['no', 'yes'])}" for x in rng.normal(size=300)]
    table("w,x,y", rows, tmp_path)
    (tmp_path / "c.yaml").write_text("data: {train: d.csv, missing: impute, validation_split: 0.2}\n"
                                     "model: {output: sigmoid}\n")
    cfg = load_config(str(tmp_path / "c.yaml"))
    fast = dataset.load_dataset(cfg, np.random.default_rng(0))
    assert small.rows > 0
    with numpy_only():
        reference = dataset.load_dataset(cfg, np.random.default_rng(0))
    assert (fast.classes, fast.inputs) == (reference.classes, reference.inputs)
    for name, split in reference.splits.items():
        np.testing.assert_array_equal(fast.splits[name].X, split.X)
        np.testing.assert_array_equal(fast.splits[name].T, split.T)


# ---- what pyarrow hands back, from the batch where it is


def later(rows, at, cell, column=1):
    """rows with one cell replaced, at row `at` (line at + 2)."""
    fields = rows[at].split(",")
    fields[column] = cell
    return rows[:at] + [",".join(fields)] + rows[at + 1:]


@pytest.mark.parametrize("cell", ['"2.5"', '"a,b"', 'x"y', "a\rb", "\x00", "nan(1)", "1_0", "0x10", "\xa01", "word",
                                  " NA", "inf", "-nan"])
def test_an_odd_cell_in_a_column_of_numbers_reads_as_the_numpy_path_reads_it(tmp_path, small, cell):
    check(table("a,b,c", later(numbers(200), 150, cell), tmp_path), small)
    beside_missing = later(later(later(numbers(200), 149, "NA"), 151, ""), 150, cell)  # the batch has nulls too
    check(table("a,b,c", beside_missing, tmp_path, name="missing.csv"), small)


@pytest.mark.parametrize("cell", ['"Dream"', '"a,b"', 'x"y', "a\rb", "a\x00b", "1e3", " 2 ", "\ufeffw"])
def test_an_odd_cell_in_a_column_of_words_reads_as_the_numpy_path_reads_it(tmp_path, small, cell):
    rows = [f"{x},{w}" for x, w in zip(range(200), ["Adelie", "Gentoo", "NA"] * 70)]
    check(table("x,w", later(rows, 150, cell), tmp_path), small)


@pytest.mark.parametrize("cell", ["-nan", "NAN", "\x1c3", "3\x85", "word", '"3"', "nan(2)"])
def test_an_odd_cell_in_a_labels_column_keeps_the_numpy_paths_spellings(tmp_path, small, cell):
    rows = [f"{x},{x % 3}" for x in range(200)]
    check(table("x,y", later(rows, 150, cell), tmp_path), small, labels=["y"])


@pytest.mark.parametrize("text, line", [
    (b"\n", 151), (b" \n", 151), (b",,\n", 151), (b"1,2\n", 151), (b"1,2,3,4\n", 151), (b"\xff,1,2\n", 151),
    (b"\xed\xa0\x80,1,2\n", 151), (b"1,2,3\r4,5,6\n", 151), (b"1,2,3\n\n", None),
])
def test_a_blank_ragged_or_broken_line_is_handed_back_and_read_or_refused_alike(tmp_path, small, text, line):
    lines = numbers(200)
    path = tmp_path / "d.csv"
    path.write_bytes(("a,b,c\n" + "\n".join(lines[:149]) + "\n").encode() + text + ("\n".join(lines[150:]) + "\n").encode()
                     if line else ("a,b,c\n" + "\n".join(lines) + "\n").encode() + text)
    check(path, small)
    assert small.handed_back is not None


def test_a_word_in_the_first_batch_hands_back_the_first_blocks_rest(tmp_path, small):
    rows = later(numbers(200), 3, "word")  # line 5: in the first block, after the head (lines 2 and 3)
    check(table("a,b,c", rows, tmp_path), small, handed_back=4)


def test_more_rows_than_the_first_block_promised_are_handed_back_to_grow_the_arrays(tmp_path, small):
    rows = ["1.5,2.5,3.5," + "w" * 40] + ["1,2,3,w"] * 3000  # the first block: 52 bytes a row
    check(table("a,b,c,d", rows, tmp_path), small)
    assert small.handed_back is not None and small.rows > 0


def test_more_spellings_than_the_limit_are_handed_back(tmp_path, small, monkeypatch):
    monkeypatch.setattr(csvcolumns, "MAX_SPELLINGS", 20)
    rows = [f"{i},{i % 50}" for i in range(400)]
    check(table("x,y", rows, tmp_path), small, labels=["y"])
    assert small.handed_back is not None


def test_a_nul_byte_is_the_numpy_paths_error(tmp_path, small):
    rows = later(numbers(200), 150, "\x00")
    fast = check(table("a,b,c", rows, tmp_path), small)
    assert fast == ("does not look like a CSV text file (it has a NUL byte)", str(tmp_path / "d.csv"), "line 152")


# ---- any table


number_cells = st.one_of(st.floats(allow_nan=False, allow_infinity=True).map(repr),
                         st.floats(allow_nan=False, width=32).map(lambda v: f"{v:.6g}"),
                         st.integers(-10**20, 10**20).map(str))
odd_cells = st.sampled_from(["", "NA", "N/A", "nan", "NaN", "null", "None", "?", " 1 ", "\t2", "1_0", "0x10", "-nan",
                             "nan(1)", "1e999", "inf", "Infinity", "+.5", "5.", ".", "e5", "Adelie", " Dream ", "é",
                             '"', '"q"', "a,b", "\r", "\x00", "\x1c1", "\xa0", "\ufeff"])
word_cells = st.sampled_from(["Adelie", "Gentoo", "Chinstrap", "x y", "NA", "", " Biscoe"])


@st.composite
def tables(draw):
    c = draw(st.integers(1, 4))
    kinds = [draw(st.sampled_from(["numbers", "words"])) for _ in range(c)]
    n = draw(st.integers(1, 60))
    odd = draw(st.floats(0, 0.1))
    rows = []
    for _ in range(n):
        row = [draw(odd_cells) if draw(st.floats(0, 1)) < odd else
               draw(number_cells if kind == "numbers" else word_cells) for kind in kinds]
        rows.append(",".join(row))
    ending = draw(st.sampled_from(["\n", "\n", "\r\n"]))
    text = ",".join(f"c{j}" for j in range(c)) + ending + ending.join(rows) + draw(st.sampled_from([ending, ""]))
    labels = [f"c{j}" for j in range(c) if draw(st.booleans())]
    return text.encode("utf-8", "surrogatepass"), labels


@SETTINGS
@given(tables(), st.sampled_from([(16, 32, 1), (64, 128, 2), (40, 40, 3)]))
def test_any_table_reads_alike_through_pyarrow_and_numpy(tmp_path_factory, monkeypatch, drawn, sizes):
    text, labels = drawn
    block, batch, head = sizes
    monkeypatch.setattr(csvread, "BLOCK", block)
    monkeypatch.setattr(arrowread, "BATCH", batch)
    monkeypatch.setattr(arrowread, "MIN_SIZE", 0)
    monkeypatch.setattr(csvcolumns, "HEAD", head)
    path = tmp_path_factory.mktemp("fuzz") / "t.csv"
    path.write_bytes(text)
    assert_same(read(path, labels), read_numpy(path, labels))


# ---- pyarrow's numbers are Python's


number_like = st.text(alphabet="0123456789.eE+-_infatyINFATY() \t,x", max_size=12)


@SETTINGS
@given(st.one_of(number_like, number_cells, st.floats().map(repr)))
def test_pyarrow_takes_no_number_that_python_reads_otherwise(cell):
    """What the float64 columns rely on: a cell pyarrow reads as a number is the one Python's float() reads
    (after str.strip), or a missing spelling, or NaN from a spelling with "(" (which _columns checks)."""
    pa, pc = arrowread.modules()
    if "," in cell:
        return
    try:
        parsed = pc.read_csv(io.BytesIO(cell.encode() + b",0\n"), **arrowread._options(pa, pc, Kinds(2), 1 << 20))
    except pa.ArrowInvalid:
        return
    value = parsed.column(0)[0].as_py()
    if value is None:
        assert cell in frames.MISSING
        return
    expected = to_float(cell.strip())
    if math.isnan(value) and expected is None:
        assert "(" in cell
        return
    assert expected is not None and np.float64(value).view(np.uint64) == np.float64(expected).view(np.uint64) \
        or (math.isnan(value) and math.isnan(expected)), (cell, value, expected)


class Kinds:
    """A Columns' kinds for _options: every column of numbers."""

    def __init__(self, c):
        self.columns, self.codes, self.spellings = tuple(f"c{j}" for j in range(c)), [None] * c, {}


# ---- the reader around it


def test_a_small_file_does_not_import_pyarrow(tmp_path):
    path = table("a,b", ["1,2"] * 100, tmp_path)
    code = ("import sys; from ffnet_cli.readers import read_frame; read_frame(sys.argv[1]); "
            "print('pyarrow' in sys.modules)")
    result = subprocess.run([sys.executable, "-c", code, str(path)], capture_output=True, text=True, check=True)
    assert result.stdout == "False\n"


def test_a_large_file_read_by_pyarrow_does_not_import_pandas(tmp_path):
    # pyarrow imports pandas lazily, for instance in ChunkedArray.to_numpy: 0.4 s more at every start-up.
    pytest.importorskip("pandas", reason="pandas is not installed here, so nothing could import it")
    path = table("a,b,c", numbers(400), tmp_path)
    code = ("import sys; from ffnet_cli import arrowread, csvcolumns, csvread; from ffnet_cli.readers import read_frame; "
            "csvread.BLOCK, arrowread.BATCH, arrowread.MIN_SIZE, csvcolumns.HEAD = 64, 1024, 0, 2; "  # as `small` does
            "spied = arrowread.read_batches; arrowread.read_batches = lambda *a: print('pyarrow read') or spied(*a); "
            "read_frame(sys.argv[1]); print('pandas' in sys.modules)")
    result = subprocess.run([sys.executable, "-c", code, str(path)], capture_output=True, text=True, check=True)
    assert result.stdout == "pyarrow read\nFalse\n"


def test_without_pyarrow_a_large_file_is_read_by_numpy(tmp_path, small, monkeypatch):
    monkeypatch.setattr(arrowread, "ARROW", None)
    frame = read(table("a,b,c", numbers(100), tmp_path))
    assert frame.rows == 100 and small.rows == 0 and small.handed_back is None
