"""CSV text into a Frame, a block of whole lines at a time: bounded memory, and no long C call.

Each block of about BLOCK bytes goes to numpy's C parser (np.loadtxt) when it is a plain table of
numbers, which is most blocks of most files; a block with quotes, text, missing cells or blank
lines goes to the csv module and is converted column by column. Between blocks the interpreter
runs, so a signal handler runs within a block's time (tens of milliseconds), and memory holds the
parsed columns plus one block, never the whole text or a Python object per cell.
"""

import csv
import io
import itertools
import os
import sys

import numpy as np

from .errors import DataError
from .readers import MISSING, MISSING_CODE, Frame, Text, format_number, memory_budget, to_float, too_large

BLOCK = 1 << 22  # 4 MiB of text per parsing step
MAX_RECORD = 1 << 26  # 64 MiB: a longer line (or header) is not a table row
MAX_COLUMNS = 100_000
FIELD_SIZE_LIMIT = 1 << 20  # 1 MiB: a longer CSV field is not a number or a label
MAX_SPELLINGS = 1001  # label spellings kept per column: more than MAX_CLASSES is refused anyway
BOM = b"\xef\xbb\xbf"


def read_csv(path: str, stdin=None, labels=None) -> Frame:
    budget = memory_budget()  # fixed at the start: what is available shrinks as the data comes in
    source, stream, owned = _open(path, stdin, budget)
    try:
        blocks = _records(stream, source, budget)
        header, line, rest = _header(blocks, source)
        columns = _check_header(header, line, source)
        wanted = set(labels(columns) if callable(labels) else labels or ())
        table = _Columns(source, columns, {j for j, name in enumerate(columns) if name in wanted}, budget)
        for chunk, first_line in itertools.chain([rest], blocks):
            if chunk:
                table.add(chunk, first_line)
        return table.frame()
    finally:
        if owned:
            stream.close()


def _open(path: str, stdin, budget: int):
    """(source name, binary stream, whether to close it)."""
    if path == "-":
        stdin = sys.stdin if stdin is None else stdin
        if stdin.isatty():
            message = "refusing to read data from a terminal; pipe a CSV file into stdin or pass --data FILE"
            raise DataError(message, file="<stdin>")
        buffer = getattr(stdin, "buffer", None)  # bytes when we can: the encoding is ours, not the locale's
        if buffer is None:
            return "<stdin>", io.BytesIO(stdin.read().encode("utf-8")), True
        return "<stdin>", buffer, False
    try:
        stream = open(path, "rb")
    except FileNotFoundError:
        raise DataError("no such file", file=path) from None
    except IsADirectoryError:
        raise DataError("is a directory, not a data file", file=path) from None
    except PermissionError:
        raise DataError("permission denied", file=path) from None
    except OSError as e:
        raise DataError(f"cannot read the file ({e.strerror or e})", file=path) from None
    except ValueError:  # a NUL byte in the name
        raise DataError("invalid file name", file=repr(path)) from None
    size = os.fstat(stream.fileno()).st_size
    if size > budget:
        stream.close()
        raise too_large(path, size, budget, "the file")
    return path, stream, True


def _records(stream, source: str, budget: int):
    """(chunk, first line): bytes of whole records ending in b"\\n", and the 1-based line the chunk starts at."""
    read = getattr(stream, "read1", stream.read)  # read1: returns what a pipe has, never waits for a full block
    pending, line, total, start = b"", 1, 0, True
    while True:
        try:
            block = read(BLOCK)
        except OSError as e:
            raise DataError(f"cannot read the file ({e.strerror or e})", file=source) from None
        total += len(block)
        if total > budget:
            raise too_large(source, total, budget, "the data stream")
        if start and block:
            block, start = block.removeprefix(BOM), False
        nul = block.find(b"\0")
        if nul >= 0:  # checked here: Python's csv module refuses NUL before 3.11 and accepts it after
            _decode(pending + block[:nul], source, line)  # text that is not UTF-8 before it says so first
            at = line + pending.count(b"\n") + block.count(b"\n", 0, nul)
            raise DataError("does not look like a CSV text file (it has a NUL byte)", file=source, where=f"line {at}")
        pending += block
        if not block and pending and not pending.endswith(b"\n"):
            pending += b"\n"
        end = _boundaries(pending)
        end = int(end[-1]) + 1 if len(end) else 0
        if end > 0:
            chunk, pending = pending[:end], pending[end:]
            yield chunk, line
            line += chunk.count(b"\n")
        elif len(pending) > MAX_RECORD:
            raise DataError(f"a line longer than {MAX_RECORD >> 20} MiB; this does not look like a CSV table",
                            file=source, where=f"line {line}")
        if not block:
            return


def _boundaries(buffer: bytes) -> np.ndarray:
    """Positions of the newlines that end a record: those outside quotes."""
    b = np.frombuffer(buffer, np.uint8)
    newlines = np.flatnonzero(b == 10)
    if b'"' not in buffer:
        return newlines
    quotes = np.flatnonzero(b == 34)
    return newlines[np.searchsorted(quotes, newlines) % 2 == 0]  # an even number of quotes before it


def _header(blocks, source: str):
    """The first non-blank record's fields, its line, and (the rest of its chunk, the line that starts at)."""
    for chunk, line in blocks:
        body = chunk.lstrip()
        if not body:  # only blank lines so far
            continue
        line += chunk.count(b"\n", 0, len(chunk) - len(body))
        end = int(_boundaries(body)[0]) + 1
        csv.field_size_limit(FIELD_SIZE_LIMIT)
        try:
            row = next(csv.reader(io.StringIO(_decode(body[:end], source, line), newline="")))
        except csv.Error as e:
            raise DataError(f"cannot parse the CSV ({e})", file=source, where=f"line {line}") from None
        return row, line, (body[end:], line + body.count(b"\n", 0, end))
    raise DataError("file is empty", file=source)


def _check_header(header: list[str], line: int, source: str) -> tuple[str, ...]:
    if len(header) > MAX_COLUMNS:
        raise DataError(f"the header has {len(header):,} columns; ffnet reads at most {MAX_COLUMNS:,}",
                        file=source, where=f"line {line}")
    names = [name.strip() for name in header]
    seen = {}
    for j, name in enumerate(names):
        where = f"line {line}, column {j + 1}"
        if not name:
            raise DataError("empty column name in the header", file=source, where=where)
        if name in seen:
            raise DataError(f"duplicate column name {name!r} in the header", file=source, where=where)
        seen[name] = j
    return tuple(names)


def _decode(chunk: bytes, source: str, line: int) -> str:
    try:
        return chunk.decode("utf-8")
    except UnicodeDecodeError as e:
        at = line + chunk.count(b"\n", 0, e.start)
        raise DataError(f"does not look like a UTF-8 CSV file (byte 0x{chunk[e.start]:02x} cannot be decoded)",
                        file=source, where=f"line {at}") from None


class _Columns:
    """The columns read so far: per column a list of float64 parts, or of Text codes once it holds text."""

    def __init__(self, source: str, columns: tuple[str, ...], spelled: set[int], budget: int):
        self.source, self.columns, self.budget = source, columns, budget
        c = len(columns)
        self.parts = [[] for _ in range(c)]
        self.codes = [None] * c  # per text column: {cell as written: code}
        self.labels = [None] * c  # per text column: the labels (stripped cells), in code order
        self.spellings = {j: {} for j in spelled}
        self.lines, self.rows, self.nbytes = [], 0, 0

    def add(self, chunk: bytes, first_line: int) -> None:
        if b"\r" in chunk and b'"' not in chunk:
            chunk = chunk.replace(b"\r\n", b"\n").replace(b"\r", b"\n")
        if b'"' in chunk or any(codes is not None for codes in self.codes) or not self._numbers(chunk, first_line):
            self._cells(chunk, first_line)

    def _numbers(self, chunk: bytes, first_line: int) -> bool:
        """The fast path: a block that is a plain table of numbers, parsed by numpy's C parser."""
        m = chunk.count(b"\n")
        try:
            A = np.loadtxt(io.BytesIO(chunk), delimiter=",", comments=None, ndmin=2, dtype=np.float64)
        except ValueError:
            return False
        if A.shape != (m, len(self.columns)):  # blank lines, which loadtxt skips
            return False
        for j, spelled in self.spellings.items():
            self._spell_numbers(spelled, A[:, j], chunk, j)
        for j in range(len(self.columns)):
            self.parts[j].append(A[:, j].copy())  # a copy each, so that the block's matrix is freed now
        self._rows(np.arange(first_line, first_line + m))
        return True

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
        reader = csv.reader(io.StringIO(_decode(chunk, self.source, first_line), newline=""))
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
            for j, cells in enumerate(zip(*rows)):
                self._column(j, cells)
            self._rows(np.array(lines))

    def _column(self, j: int, cells: tuple[str, ...]) -> None:
        if self.codes[j] is None:
            values = _strict_floats(cells)
            if values is not None:
                if j in self.spellings:
                    _spell_cells(self.spellings[j], cells)
                self.parts[j].append(values)
                return
            self._to_text(j)
        codes, labels = self.codes[j], self.labels[j]
        for cell in dict.fromkeys(cells):
            if cell not in codes:
                label = cell.strip()
                code = MISSING_CODE if label in MISSING else codes.get(label)
                if code is None:
                    code = codes[label] = len(labels)
                    labels.append(label)
                codes[cell] = code
        self.parts[j].append(np.fromiter(map(codes.__getitem__, cells), np.int32, len(cells)))

    def _to_text(self, j: int) -> None:
        """Column j has turned out to hold text: its numbers so far become their text, as first written."""
        spelled, codes, labels, parts = self.spellings.get(j, {}), {}, [], []
        for values in self.parts[j]:
            found, inverse = np.unique(values, return_inverse=True)
            texts = [spelled.get(v, format_number(v)) if v == v else None for v in found.tolist()]
            for text in texts:
                if text is not None and text not in codes:
                    codes[text] = len(labels)
                    labels.append(text)
            lookup = np.array([MISSING_CODE if text is None else codes[text] for text in texts], np.int32)
            parts.append(lookup[inverse.ravel()])
        self.parts[j], self.codes[j], self.labels[j] = parts, codes, labels

    def _rows(self, lines: np.ndarray) -> None:
        self.lines.append(lines)
        self.rows += len(lines)
        self.nbytes += len(lines) * 8 * (len(self.columns) + 1)
        if self.nbytes > self.budget:
            raise too_large(self.source, self.nbytes, self.budget)

    def frame(self) -> Frame:
        if not self.rows:
            raise DataError("no data rows, only a header", file=self.source)
        data = []
        for j in range(len(self.columns)):
            parts, self.parts[j] = self.parts[j], None
            joined = np.concatenate(parts)  # one column at a time: the parts of the others stay as they are
            del parts
            data.append(joined if self.codes[j] is None else Text(joined, tuple(self.labels[j])))
        spellings = {j: s for j, s in self.spellings.items() if self.codes[j] is None}
        return Frame(self.source, self.columns, tuple(data), np.concatenate(self.lines), "line", spellings,
                     rows=self.rows)


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

