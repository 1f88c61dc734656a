"""Blocks of CSV lines into columns: float64 numbers, or Text codes once a column holds words.

Most blocks go to numpy's C parser (np.loadtxt), typed per column once the first lines have shown
which columns hold words (bytes fields, turned into codes by np.unique); missing spellings are
rewritten to `nan` first. A block the C parser cannot take (quotes, blank lines, a word in a
column of numbers, a longer word than the field width) goes to the csv module, a column at a time.
"""

import csv
import io
import mmap

import numpy as np

from .csvcells import (FIELD_SIZE_LIMIT, decode, first_line_parses, missing_as_nan, nth_line_end, parse_block,
                       spell_cells, strict_floats)
from .errors import DataError
from .frame import MISSING, MISSING_CODE, Frame, Text, format_number, too_large

MAX_SPELLINGS = 1001  # label spellings kept per column: more than MAX_CLASSES is refused anyway
HEAD = 1000  # lines of the first block read by the csv module, to learn which columns hold words


class Columns:
    """The columns read so far, written into arrays sized for the file's lines (grown for a stream):
    float64 values (n, c), and int32 codes into `labels` for each column that holds words."""

    def __init__(self, source: str, columns: tuple[str, ...], spelled: set[int], budget: int, capacity: int = 0,
                 by_column: bool = False):
        self.source, self.columns, self.budget, self.by_column = source, columns, budget, by_column
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
        rest = self.head(chunk, first_line, m)
        if rest is not None:
            self.add(*rest)

    def head(self, chunk: bytes, first_line: int, m: int):
        """Read a block; or, while no row has shown which columns hold words, only its first HEAD lines, and
        return the rest (chunk, first line, lines) for `add` or another parser (arrowread.py)."""
        plain = b'"' not in chunk
        if plain and self._typed(chunk, first_line, m):
            return None
        if plain and not self.rows and m > HEAD:  # learn the columns from the first lines, then go fast
            cut = nth_line_end(chunk, HEAD)
            self._cells(chunk[:cut], first_line)
            return chunk[cut:], first_line + HEAD, m - HEAD
        self._cells(chunk, first_line)
        return None

    def _typed(self, chunk: bytes, first_line: int, m: int) -> bool:
        """The fast path: numpy's C parser, numbers as float64 and words as bytes fields."""
        if not chunk or chunk.isspace():  # isspace, not strip(): no copy of the block
            return False  # blank lines: no rows (and np.loadtxt would warn on stderr that it found no data)
        words = {j for j in range(len(self.columns)) if self.codes[j] is not None}
        dtype = (np.float64 if not words else
                 [(f"f{j}", f"S{self.widths[j]}" if j in words else "f8") for j in range(len(self.columns))])
        if not self.rows and not first_line_parses(chunk, dtype):
            return False  # a word on the first line: the whole block would fail too, after two passes over it
        table = parse_block(chunk, dtype)
        if table is None and b"\n\n" not in chunk and not chunk.startswith((b"\n", b"\r")):
            spelled = missing_as_nan(chunk)  # looked for only now: the search costs a pass over the block
            table = parse_block(spelled, dtype) if spelled is not chunk else None
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
        self._rows(range(first_line, first_line + m))
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
            values = strict_floats(cells)
            if values is not None:
                if j in self.spellings:
                    spell_cells(self.spellings[j], cells, MAX_SPELLINGS)
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
            self.values = (_by_column(self.capacity, len(self.slot)) if self.by_column
                           else np.empty((self.capacity, len(self.slot))))
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

    def extend(self, first_line: int, m: int, numbers: dict, words: dict) -> None:
        """m more rows, within the capacity, parsed elsewhere (arrowread.py), in pieces: numbers {j: [(values,
        a mask of the missing ones or None)]}; words {j: [(cells, indices)]}: a piece's distinct cells as
        written, and each row's index into them."""
        at = self.rows
        for j, pieces in numbers.items():
            start = at
            for values, missing in pieces:
                column = self.values[start:start + len(values), self.slot[j]]
                column[:] = values
                if missing is not None:
                    np.copyto(column, np.nan, where=missing)
                start += len(values)
        for j, pieces in words.items():
            start = at
            for cells, indices in pieces:
                lookup = np.array([self._code(j, cell) for cell in cells], np.int32)
                np.take(lookup, indices, out=self.text[j][start:start + len(indices)], mode="clip")  # clip: unbuffered
                start += len(indices)
        self._rows(range(first_line, first_line + m))

    def _rows(self, lines) -> None:
        """Count rows in, with their lines: an array, or a range (merged with the range before it)."""
        last = self.lines[-1] if self.lines else None
        if isinstance(lines, range) and isinstance(last, range) and last.stop == lines.start:
            self.lines[-1] = range(last.start, lines.stop)
        else:
            self.lines.append(lines)
        self.rows += len(lines)

    def frame(self) -> Frame:
        if not self.rows:
            raise DataError("no data rows, only a header", file=self.source)
        n = self.rows
        data = tuple(Text(self.text[j][:n], tuple(self.labels[j])) if j in self.text else self.values[:n, self.slot[j]]
                     for j in range(len(self.columns)))
        spellings = {j: s for j, s in self.spellings.items() if j not in self.text}
        last = self.lines[-1][-1]  # the lines only grow
        kind = np.int32 if last < 2**31 else np.int64  # 4 bytes a row, not 8
        lines = [np.arange(r.start, r.stop, dtype=kind) if isinstance(r, range) else r for r in self.lines]
        lines = lines[0].astype(kind, copy=False) if len(lines) == 1 else np.concatenate(lines, dtype=kind)
        return Frame(self.source, self.columns, data, lines, "line", spellings, rows=n)


def _by_column(n: int, k: int) -> np.ndarray:
    """An empty (n, k) float64 array stored a column after another (each column contiguous, for a parser that
    gives columns). numpy asks for huge pages, where the unfilled end of each column makes up to 2 MiB
    resident: fine for columns of a million rows, but 80 % more memory for 300,000; there small pages it is,
    though each costs a page fault (about 40 % more time to fill)."""
    if n * 8 >= 8 << 20:
        return np.empty((k, n)).T
    memory = mmap.mmap(-1, max(n * k * 8, 1), flags=mmap.MAP_PRIVATE | mmap.MAP_ANONYMOUS)
    if hasattr(memory, "madvise") and hasattr(mmap, "MADV_NOHUGEPAGE"):
        memory.madvise(mmap.MADV_NOHUGEPAGE)
    return np.frombuffer(memory, np.float64, n * k).reshape(k, n).T
