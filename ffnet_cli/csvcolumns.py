"""Blocks of CSV lines into columns: float64 numbers, or Text codes once a column holds words.

Most blocks go to numpy's C parser (np.loadtxt), typed per column once the first lines have shown
which columns hold words (bytes fields, turned into codes by np.unique); missing spellings are
rewritten to `nan` first. A block the C parser cannot take (quotes, blank lines, a word in a
column of numbers, a longer word than the field width) goes to the csv module, a column at a time.
"""

import csv
import io

import numpy as np

from .errors import DataError
from .frame import MISSING, MISSING_CODE, Frame, Text, format_number, to_float, too_large

FIELD_SIZE_LIMIT = 1 << 20  # 1 MiB: a longer CSV field is not a number or a label
MAX_SPELLINGS = 1001  # label spellings kept per column: more than MAX_CLASSES is refused anyway
HEAD = 1000  # lines of the first block read by the csv module, to learn which columns hold words
MISSING_SPELLINGS = tuple(m.encode() for m in sorted(MISSING) if m not in ("", "nan", "NaN"))  # nan: parsed as is


def decode(chunk: bytes, source: str, line: int) -> str:
    try:
        return chunk.decode("utf-8")
    except UnicodeDecodeError as e:
        at = line + chunk.count(b"\n", 0, e.start)
        raise DataError(f"does not look like a UTF-8 CSV file (byte 0x{chunk[e.start]:02x} cannot be decoded)",
                        file=source, where=f"line {at}") from None


class Columns:
    """The columns read so far, written into arrays sized for the file's lines (grown for a stream):
    float64 values (n, c), and int32 codes into `labels` for each column that holds words."""

    def __init__(self, source: str, columns: tuple[str, ...], spelled: set[int], budget: int, capacity: int = 0):
        self.source, self.columns, self.budget = source, columns, budget
        c = len(columns)
        self.capacity = max(capacity, 1024)
        self.values, self.slot = None, {}  # (capacity, numbers) float64 once the first rows show the kinds
        self.text = {}  # per word column: its codes (capacity,) int32
        self.codes = [None] * c  # per word column: {cell as written, or label: code}
        self.labels = [None] * c  # per word column: the labels (stripped cells), in code order
        self.widths = [8] * c  # bytes per field for the C parser: twice the longest label seen
        self.fields = [{} for _ in range(c)]  # per word column: {bytes field as parsed: code}
        self.spellings = {j: {} for j in spelled}
        self.lines, self.rows = [], 0

    def add(self, chunk: bytes, first_line: int, m: int) -> None:
        plain = b'"' not in chunk
        if plain and self._typed(chunk, first_line, m):
            return
        if plain and not self.rows and m > HEAD:  # learn the columns from the first lines, then go fast
            cut = _nth_line_end(chunk, HEAD)
            self._cells(chunk[:cut], first_line)
            self.add(chunk[cut:], first_line + HEAD, m - HEAD)
            return
        self._cells(chunk, first_line)

    def _typed(self, chunk: bytes, first_line: int, m: int) -> bool:
        """The fast path: numpy's C parser, numbers as float64 and words as bytes fields."""
        words = {j for j in range(len(self.columns)) if self.codes[j] is not None}
        dtype = (np.float64 if not words else
                 [(f"f{j}", f"S{self.widths[j]}" if j in words else "f8") for j in range(len(self.columns))])
        table = _parse(chunk, dtype)
        if table is None and b"\n\n" not in chunk and not chunk.startswith((b"\n", b"\r")):
            spelled = _missing_as_nan(chunk)  # looked for only now: the search costs a pass over the block
            table = _parse(spelled, dtype) if spelled is not chunk else None
            chunk = spelled
        if table is None or len(table) != m or (not words and table.shape[1] != len(self.columns)):
            return False
        fields = [table[:, j] if not words else table[f"f{j}"] for j in range(len(self.columns))]
        if any((np.strings.str_len(fields[j]) >= self.widths[j]).any() for j in words):
            return False  # a field may have been cut at the width: the csv module reads this block
        rows = self._grow(m)
        if not words and len(self.slot) == len(self.columns):
            self.values[rows] = table  # a copy of rows: no transpose
        for j, values in enumerate(fields):
            if j in words:
                self.text[j][rows] = self._word_codes(j, values)
            else:
                if words:
                    self.values[rows, self.slot[j]] = values
                if j in self.spellings:
                    self._spell_numbers(self.spellings[j], values, chunk, j)
        self._rows(np.arange(first_line, first_line + m))
        return True

    def _word_codes(self, j: int, values: np.ndarray) -> np.ndarray:
        """Codes of a block of bytes fields: compared with the few fields seen before, sorted only if new."""
        seen = self.fields[j]
        codes = np.full(len(values), -2, np.int32)
        if len(seen) <= 32:  # a category column: a comparison per known field beats sorting the block
            for field, code in seen.items():
                codes[values == field] = code
        new = codes == -2
        if new.any():
            found, inverse = np.unique(values[new], return_inverse=True)
            lookup = np.array([seen.setdefault(v, self._code(j, v.decode("utf-8", "replace"))) for v in found.tolist()],
                              np.int32)
            codes[new] = lookup[inverse.ravel()]
        return codes

    def _code(self, j: int, cell: str) -> int:
        codes = self.codes[j]
        code = codes.get(cell)
        if code is None:
            label = cell.strip()
            code = MISSING_CODE if label in MISSING else codes.get(label)
            if code is None:
                code = codes[label] = len(self.labels[j])
                self.labels[j].append(label)
                self.widths[j] = max(self.widths[j], 2 * len(label.encode()) + 2)
            codes[cell] = code
        return code

    def _spell_numbers(self, spelled: dict, values: np.ndarray, chunk: bytes, j: int) -> None:
        if len(spelled) >= MAX_SPELLINGS:
            return
        found, first = np.unique(values, return_index=True)
        new = [(v, r) for v, r in zip(found.tolist(), first.tolist()) if v not in spelled and v == v]
        if new:
            ends = np.flatnonzero(np.frombuffer(chunk, np.uint8) == 10)
            for v, r in new[:MAX_SPELLINGS]:
                start = ends[r - 1] + 1 if r else 0
                spelled[v] = chunk[start:ends[r]].split(b",")[j].strip().decode("ascii")

    def _cells(self, chunk: bytes, first_line: int) -> None:
        """The general path: the csv module's rows, converted a column at a time."""
        csv.field_size_limit(FIELD_SIZE_LIMIT)
        reader = csv.reader(io.StringIO(decode(chunk, self.source, first_line), newline=""))
        rows, lines, c = [], [], len(self.columns)
        try:
            for row in reader:
                if not row:  # a blank line
                    continue
                if len(row) != c:
                    raise DataError(f"row has {len(row)} fields but the header has {c}", file=self.source,
                                    where=f"line {first_line + reader.line_num - 1}")
                rows.append(row)
                lines.append(first_line + reader.line_num - 1)
        except csv.Error as e:
            raise DataError(f"cannot parse the CSV ({e})", file=self.source,
                            where=f"line {first_line + reader.line_num - 1}") from None
        if rows:
            converted = [self._column(j, cells) for j, cells in enumerate(zip(*rows))]
            at = self._grow(len(rows))
            for j, values in enumerate(converted):
                if j in self.text:
                    self.text[j][at] = values
                else:
                    self.values[at, self.slot[j]] = values
            self._rows(np.array(lines))

    def _column(self, j: int, cells: tuple[str, ...]) -> np.ndarray:
        """float64 values, or codes once the column holds a word."""
        if self.codes[j] is None:
            values = _strict_floats(cells)
            if values is not None:
                if j in self.spellings:
                    _spell_cells(self.spellings[j], cells)
                return values
            self._to_text(j)
        return np.fromiter((self._code(j, cell) for cell in cells), np.int32, len(cells))

    def _to_text(self, j: int) -> None:
        """Column j has turned out to hold words: its numbers so far become their text, as first written."""
        spelled = self.spellings.get(j, {})
        self.codes[j], self.labels[j] = {}, []
        if self.values is None:  # the first rows: no numbers so far
            return
        found, inverse = np.unique(self.values[:self.rows, self.slot[j]], return_inverse=True)
        lookup = np.array([self._code(j, spelled.get(v, format_number(v)) if v == v else "")
                           for v in found.tolist()], np.int32)
        self.text[j] = np.empty(self.capacity, np.int32)
        self.text[j][:self.rows] = lookup[inverse.ravel()]

    def _grow(self, m: int) -> slice:
        """The rows the next m rows go to: the arrays made once the first rows have shown which columns
        hold words, and grown for a stream (whose size is not known ahead)."""
        end = self.rows + m
        if self.values is None:
            self.slot = {j: k for k, j in enumerate(j for j in range(len(self.columns)) if self.codes[j] is None)}
            self.capacity = max(self.capacity, end)
            self.values = np.empty((self.capacity, len(self.slot)))
            self.text = {j: np.empty(self.capacity, np.int32) for j in range(len(self.columns)) if j not in self.slot}
        if end > self.capacity:
            size = max(end, 2 * self.capacity)
            if size * 8 * (len(self.columns) + 1) > self.budget:
                raise too_large(self.source, size * 8 * (len(self.columns) + 1), self.budget)
            self.values = np.concatenate([self.values[:self.rows], np.empty((size - self.rows, len(self.slot)))])
            for j, codes in self.text.items():
                self.text[j] = np.concatenate([codes[:self.rows], np.empty(size - self.rows, np.int32)])
            self.capacity = size
        return slice(self.rows, end)

    def _rows(self, lines: np.ndarray) -> None:
        self.lines.append(lines)
        self.rows += len(lines)

    def frame(self) -> Frame:
        if not self.rows:
            raise DataError("no data rows, only a header", file=self.source)
        n = self.rows
        data = tuple(Text(self.text[j][:n], tuple(self.labels[j])) if j in self.text else self.values[:n, self.slot[j]]
                     for j in range(len(self.columns)))
        spellings = {j: s for j, s in self.spellings.items() if j not in self.text}
        return Frame(self.source, self.columns, data, np.concatenate(self.lines), "line", spellings, rows=n)


def _missing_as_nan(chunk: bytes) -> bytes:
    """The block with every field spelled missing (an empty one too) written `nan`, which numpy's
    parser reads as NaN; the block itself when it has none. Fields are found with array passes;
    only the missing ones are visited in Python."""
    u = np.frombuffer(chunk, np.uint8)
    ends = np.flatnonzero((u == 44) | (u == 10))  # every field ends at a comma or a line end
    starts = np.concatenate([[0], ends[:-1] + 1])
    stops = ends - ((ends > starts) & (u[ends - 1] == 13))  # a \r before the line end is not in the field
    length = stops - starts
    missing = length == 0
    for spelling in MISSING_SPELLINGS:
        candidates = np.flatnonzero(length == len(spelling))
        match = np.ones(len(candidates), dtype=bool)
        for k, byte in enumerate(spelling):
            match &= u[starts[candidates] + k] == byte
        missing[candidates[match]] = True
    if not missing.any():
        return chunk
    pieces, done = [], 0
    for start, stop in zip(starts[missing].tolist(), stops[missing].tolist()):
        pieces += [chunk[done:start], b"nan"]
        done = stop
    pieces.append(chunk[done:])
    return b"".join(pieces)


def _parse(chunk: bytes, dtype):
    """The block as a float64 matrix (n, c) or a record array of typed fields (n,); None if it will not parse."""
    try:
        if dtype is np.float64:
            return _arrow_numbers(chunk) if _arrow() else np.loadtxt(io.BytesIO(chunk), delimiter=",",
                                                                      comments=None, ndmin=2, dtype=dtype)
        return np.loadtxt(io.BytesIO(chunk), delimiter=",", comments=None, ndmin=1, dtype=dtype,
                          encoding="latin1")  # latin1: bytes fields keep the file's bytes
    except ValueError:
        return None


def _arrow():
    """pyarrow.csv where the `fast` extra is installed (its C++ reader parses a block of numbers on every
    core, into the same correctly rounded float64 as numpy's parser), else None."""
    global ARROW
    if ARROW is False:
        try:
            import pyarrow
            import pyarrow.csv
            ARROW = (pyarrow, pyarrow.csv)
        except ImportError:
            ARROW = None
    return ARROW


ARROW = False  # not looked for yet


def _arrow_numbers(chunk: bytes):
    """The block as float64 (n, c) read by pyarrow: every field a number as numpy's parser reads them
    (no missing spellings, no other field counts: ValueError), else None for the slower paths."""
    pa, pc = _arrow()
    names = [f"f{j}" for j in range(chunk[:chunk.index(b"\n")].count(b",") + 1)]
    try:
        table = pc.read_csv(pa.py_buffer(chunk), read_options=pc.ReadOptions(
            column_names=names, block_size=max(1 << 16, len(chunk) // 2)), convert_options=pc.ConvertOptions(
            column_types=dict.fromkeys(names, pa.float64()), null_values=[], strings_can_be_null=False))
    except pa.ArrowInvalid:
        raise ValueError("not a block of numbers") from None
    out = np.empty((len(names), table.num_rows))
    for column, row in zip(table.columns, out):
        row[:] = column.to_numpy()
    return out.T


def _nth_line_end(chunk: bytes, n: int) -> int:
    """The length of the first n lines of chunk."""
    at = -1
    for _ in range(n):
        at = chunk.index(b"\n", at + 1)
    return at + 1


def _spell_cells(spelled: dict, cells) -> None:
    for cell in dict.fromkeys(cells):
        if len(spelled) >= MAX_SPELLINGS:
            return
        label = cell.strip()
        if label not in MISSING:
            spelled.setdefault(float(label), label)


def _strict_floats(cells: tuple[str, ...]) -> np.ndarray | None:
    """The cells as float64 (a missing cell is NaN) when every present cell is a number, else None.

    Strict like numpy's CSV parser: numpy's str-to-float cast would read `1_0` as 10 and other
    scripts' digits as numbers, so the cells must be ASCII without an underscore.
    """
    joined = "".join(cells)
    if joined.isascii() and "_" not in joined:
        try:
            return np.array(cells, dtype=np.float64)
        except ValueError:
            pass
    values = {}
    for cell in dict.fromkeys(cells):
        label = cell.strip()
        value = np.nan if label in MISSING else to_float(label)
        if value is None:
            return None
        values[cell] = value
    return np.fromiter(map(values.__getitem__, cells), np.float64, len(cells))
