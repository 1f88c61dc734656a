"""Data files read into a Frame: CSV with a header row, or .npz; and access to its columns.

Every bad input raises DataError naming the file and the place: `line L, column C (name)`
in a CSV (L and C 1-based, as an editor shows them), `row R, column C (name)` in an .npz.
"""

import csv
import difflib
import io
import sys
import zipfile
import zlib
from dataclasses import dataclass, field as dataclass_field
from typing import Sequence, TextIO

import numpy as np

from .errors import DataError
from .fileio import read_file

FIELD_SIZE_LIMIT = 1 << 20  # 1 MiB: a longer CSV field is not a number or a label
SHOWN = 20  # how many columns, classes or unseen labels an error lists


@dataclass(frozen=True, eq=False)
class Frame:
    """A table read from CSV or .npz: column names and cells, with where each row came from.

    cells (n, c): float64 for a CSV of numbers only (`raw` then keeps each row's text, for labels
    and messages), else str objects. An .npz keeps its X (n, d) as cells, in its own float dtype and
    uncopied, and its y as the block `y` (n, k) of the last k columns. lines (n,): each row's 1-based
    line (row in an .npz).
    """

    source: str
    columns: tuple[str, ...]
    cells: np.ndarray
    lines: np.ndarray
    raw: tuple[str, ...] | None = dataclass_field(default=None, repr=False)
    unit: str = "line"  # what `lines` counts: "line" in a CSV, "row" in an .npz
    y: np.ndarray | None = dataclass_field(default=None, repr=False)  # .npz: the target columns (n, k), float64


def column(frame: Frame, j: int) -> np.ndarray:
    """Column j (n,), from the cells or, in an .npz, from the y block after them."""
    d = frame.cells.shape[1]
    return frame.cells[:, j] if j < d else frame.y[:, j - d]


def read_frame(path: str, stdin: TextIO | None = None) -> Frame:
    """A CSV with a header row, or (by the .npz suffix) an .npz with arrays X (n, d) and y (n,) or (n, k).

    '-' reads CSV from `stdin` (default sys.stdin).
    """
    if path == "-":
        source, text = "<stdin>", _read_stdin(sys.stdin if stdin is None else stdin)
    elif path.lower().endswith(".npz"):
        return _read_npz(path)
    else:
        source, text = path, _decode(_read_bytes(path), path)
    if not text.strip():
        raise DataError("file is empty", file=source)
    nul = text.find("\0")
    if nul >= 0:  # checked here: Python's csv module refuses NUL before 3.11 and accepts it after
        raise DataError("does not look like a CSV text file (it has a NUL byte)", file=source,
                        where=f"line {text.count(chr(10), 0, nul) + 1}")
    return _parse_numeric_csv(text, source) or _parse_any_csv(text, source)


def _read_bytes(path: str, size: int = -1) -> bytes:
    data = read_file(path, DataError, "data", size=size)
    if not data:
        raise DataError("file is empty", file=path)
    return data


def _read_stdin(stdin: TextIO) -> str:
    if stdin.isatty():
        message = "refusing to read data from a terminal; pipe a CSV file into stdin or pass --data FILE"
        raise DataError(message, file="<stdin>")
    buffer = getattr(stdin, "buffer", None)  # bytes when we can: the encoding is ours, not the locale's
    return _decode(buffer.read(), "<stdin>") if buffer is not None else stdin.read().removeprefix("\ufeff")


def _decode(data: bytes, source: str) -> str:
    try:
        return data.decode("utf-8-sig")  # -sig: a byte order mark is fine
    except UnicodeDecodeError as e:
        line = data.count(b"\n", 0, e.start) + 1
        raise DataError(f"does not look like a UTF-8 CSV file (byte 0x{data[e.start]:02x} cannot be decoded)",
                        file=source, where=f"line {line}") from None


def _parse_numeric_csv(text: str, source: str) -> Frame | None:
    """Fast path for a plain table of numbers (numpy's C parser, no Python str per cell), else None.

    Any quote, blank line or non-number leaves the file to the csv module, which explains what is wrong.
    """
    if '"' in text:
        return None
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    lines = text.split("\n")
    if lines[-1] == "":
        lines.pop()
    if len(lines) < 2 or not all(line.strip() for line in lines):
        return None
    columns = _check_header(lines[0].split(","), 1, source)
    rows = lines[1:]
    try:
        cells = np.loadtxt(rows, delimiter=",", comments=None, ndmin=2, dtype=np.float64)
    except ValueError:
        return None
    if cells.shape != (len(rows), len(columns)):
        return None
    return Frame(source, columns, cells, np.arange(2, len(rows) + 2), raw=tuple(rows))


def _parse_any_csv(text: str, source: str) -> Frame:
    csv.field_size_limit(FIELD_SIZE_LIMIT)
    reader = csv.reader(io.StringIO(text, newline=""))
    header, header_line, rows, lines = None, 0, [], []
    try:
        for row in reader:
            if not row:  # a blank line
                continue
            if header is None:
                header, header_line = row, reader.line_num
            else:
                rows.append(row)
                lines.append(reader.line_num)
    except csv.Error as e:
        raise DataError(f"cannot parse the CSV ({e})", file=source, where=f"line {reader.line_num}") from None
    columns = _check_header(header, header_line, source)
    if not rows:
        raise DataError("no data rows, only a header", file=source)
    c = len(columns)
    if any(len(row) != c for row in rows):
        i = next(i for i, row in enumerate(rows) if len(row) != c)
        raise DataError(f"row has {len(rows[i])} fields but the header has {c}", file=source, where=f"line {lines[i]}")
    return Frame(source, columns, np.array(rows, dtype=object), np.array(lines))


def _check_header(header: list[str], line: int, source: str) -> tuple[str, ...]:
    names = [name.strip() for name in header]
    for j, name in enumerate(names):
        where = f"line {line}, column {j + 1}"
        if not name:
            raise DataError("empty column name in the header", file=source, where=where)
        if name in names[:j]:
            raise DataError(f"duplicate column name {name!r} in the header", file=source, where=where)
    return tuple(names)


def _read_npz(source: str) -> Frame:
    """Load straight from the file (no copy of its bytes in memory), keeping X's float dtype."""
    if _read_bytes(source, 2) != b"PK":  # an .npz is a zip archive; np.load would try other formats
        raise DataError("not a valid .npz file (not a zip archive)", file=source)
    bad_file = (zipfile.BadZipFile, ValueError, OSError, EOFError, zlib.error)
    try:
        archive = np.load(source, allow_pickle=False)
    except bad_file as e:
        raise DataError(f"not a valid .npz file ({e})", file=source) from None
    with archive:
        missing = [key for key in ("X", "y") if key not in archive.files]
        if missing:
            raise DataError(f"no array {' or '.join(missing)} in the .npz file; it has: "
                            f"{', '.join(archive.files) or 'no arrays'}", file=source)
        try:
            X, y = archive["X"], archive["y"]
        except bad_file as e:
            raise DataError(f"cannot read arrays X and y ({e})", file=source) from None
    for name, A, ndims in (("X", X, (2,)), ("y", y, (1, 2))):
        if A.ndim not in ndims or A.dtype.kind not in "biuf":
            shape = " or ".join(f"{d}-D" for d in ndims)
            raise DataError(f"{name} must be a {shape} array of numbers, got shape {A.shape} of {A.dtype}",
                            file=source, where=name)
    if len(y) != len(X):
        raise DataError(f"y has {len(y)} rows but X has {len(X)}", file=source, where="y")
    if len(X) == 0:
        raise DataError("no data rows", file=source)
    Y = y.reshape(len(y), -1)  # (n, k)
    targets = ["y"] if y.ndim == 1 else [f"y{k + 1}" for k in range(Y.shape[1])]
    columns = tuple([f"x{i + 1}" for i in range(X.shape[1])] + targets)
    if X.dtype.kind != "f":
        X = X.astype(np.float64)
    return Frame(source, columns, X, np.arange(1, len(X) + 1), unit="row", y=Y.astype(np.float64))


def require_columns(frame: Frame, names: Sequence[str], kind: str) -> None:
    """Refuse a file without the named columns, listing what it has."""
    indices(frame, names, f"{kind} column")


def as_names(names: str | Sequence[str]) -> tuple[str, ...]:
    return (names,) if isinstance(names, str) else tuple(names)


def indices(frame: Frame, names: Sequence[str], kind: str = "column") -> list[int]:
    """Positions of the named columns; a missing one is refused at the header, listing what the file has."""
    missing = [name for name in names if name not in frame.columns]
    if missing:
        close = difflib.get_close_matches(missing[0], frame.columns, n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        raise DataError(f"no {kind} {', '.join(map(repr, missing))}{hint}; the file has: "
                        f"{listing(frame.columns, SHOWN)}", file=frame.source,
                        where="line 1" if frame.unit == "line" else None)
    return [frame.columns.index(name) for name in names]


def listing(items: Sequence[str], limit: int) -> str:
    more = f", ... ({len(items)} in all)" if len(items) > limit else ""
    return ", ".join(items[:limit]) + more


def place(frame: Frame, i: int, j: int) -> str:
    return f"{frame.unit} {frame.lines[i]}, column {j + 1} ({frame.columns[j]})"


def cell_text(frame: Frame, i: int, j: int) -> str:
    """Cell (i, j) as the file wrote it."""
    if frame.cells.dtype.kind != "f":
        return str(frame.cells[i, j])
    if frame.raw is not None:
        return field(frame.raw[i], j, len(frame.columns))
    return format_number(column(frame, j)[i])


def field(row: str, j: int, c: int) -> str:
    """Field j of a row of c unquoted comma-separated fields, splitting only as far as needed."""
    if j < c // 2:
        return row.split(",", j + 1)[j]
    return row.rsplit(",", c - j)[-(c - j)]


def format_number(v: float) -> str:
    v = float(v)
    return str(int(v)) if v.is_integer() else repr(v)


def to_float(text: str) -> float | None:
    try:
        return float(text)
    except (ValueError, TypeError):
        return None


def feature_matrix(frame: Frame, names: Sequence[str]) -> np.ndarray:
    """(n, d) of the named columns, in that order; every cell a finite number.

    float64, except that an .npz keeps X's own float dtype, and its X itself (no copy) when the
    names are its columns in order: a large float32 X is never held twice or widened.
    """
    idx = indices(frame, names)
    if frame.y is not None:
        whole = idx == list(range(frame.cells.shape[1]))
        X = frame.cells if whole else np.column_stack([column(frame, j) for j in idx])
    else:
        try:
            X = np.take(frame.cells, idx, axis=1).astype(np.float64, copy=False)
        except (ValueError, TypeError):
            _raise_first_non_number(frame, idx)
    bad = ~np.isfinite(X)
    if bad.any():
        i, k = np.argwhere(bad)[0]
        count = int(bad.sum())
        raise DataError(f"{count} cell{'s are' if count > 1 else ' is'} NaN or infinite; "
                        f"the first is {cell_text(frame, i, idx[k])!r}", file=frame.source, where=place(frame, i, idx[k]))
    return X


def _raise_first_non_number(frame: Frame, idx: list[int]):
    first = None
    for j in idx:
        cells = column(frame, j)
        try:
            cells.astype(np.float64)
            continue
        except (ValueError, TypeError):
            i = next(i for i, text in enumerate(cells) if to_float(text) is None)
        if first is None or (i, j) < first:
            first = (i, j)
    i, j = first
    text = cell_text(frame, i, j)
    message = "empty cell where a number is expected" if not text.strip() else f"not a number: {text!r}"
    raise DataError(message, file=frame.source, where=place(frame, i, j))
