"""CSV text into a Frame, a block of whole lines at a time: bounded memory, and no long C call.

The file is read in blocks of about BLOCK bytes, cut after the last line that ends outside quotes;
csvcolumns.Columns parses each block. Between blocks the interpreter runs, so a signal handler
runs within a block's time (tens of milliseconds), and memory holds the parsed columns plus one
block, never the whole text or a Python object per cell.
"""

import csv
import io
import os
import stat
import sys

import numpy as np

from . import arrowread
from .csvcells import BOM, FIELD_SIZE_LIMIT, decode
from .csvcolumns import Columns
from .errors import DataError
from .fileio import open_file
from .frame import Frame, memory_budget, too_large

BLOCK = 1 << 20  # 1 MiB of text per parsing step: a few milliseconds of C, a small transient
TRIM_EVERY = 16 << 20  # bytes of text between two returns of freed memory to the system
MAX_RECORD = 1 << 26  # 64 MiB: a longer line (or header) is not a table row
MAX_COLUMNS = 100_000


def read_csv(path: str, stdin=None, labels=None) -> Frame:
    budget = memory_budget()  # fixed at the start: what is available shrinks as the data comes in
    source, stream, owned = _open(path, stdin, budget)
    try:
        records = Records(stream, source, budget)
        header, line, rest = _header(records, source)
        columns = _check_header(header, line, source)
        wanted = set(labels(columns) if callable(labels) else labels or ())
        size = _file_size(stream)
        fast = arrowread.worth_trying(size, rest[0])
        table = Columns(source, columns, {j for j, name in enumerate(columns) if name in wanted}, budget,
                        _expected_rows(size, rest[0], rest[2]), by_column=fast)
        release = _heap_trimmer()
        more = None  # the rest of the first block, once its first lines have shown which columns hold words
        if rest[0]:
            more = table.head(*rest)
            if more is not None and not (fast and table.rows):
                table.add(*more)
                more = None
            release(len(rest[0]))
        if fast and table.rows:
            arrowread.read_batches(table, records, release, more)
        for chunk, first_line, lines in records:
            table.add(chunk, first_line, lines)
            release(len(chunk))
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
    stream = open_file(path, DataError, "data")
    size = os.fstat(stream.fileno()).st_size
    if size > budget:
        stream.close()
        raise too_large(path, size, budget, "the file")
    return path, stream, True


def _heap_trimmer():
    """A call, made after each block, that hands freed memory back to the system every TRIM_EVERY
    bytes of text. glibc keeps freed blocks of the parser's size in its heap (it raises its mmap
    threshold to their size), where they pile up to the file's size; malloc_trim returns them.
    Trimming after every block would make each new block fault its pages in afresh (slower by a
    quarter). A no-op without glibc."""
    try:
        import ctypes
        trim = ctypes.CDLL("libc.so.6").malloc_trim
    except (OSError, AttributeError):
        return lambda size: None
    since = [0]

    def release(size: int) -> None:
        since[0] += size
        if since[0] >= TRIM_EVERY:
            trim(0)
            since[0] = 0
    return release


def _expected_rows(size: int, rest: bytes, lines: int) -> int:
    """About how many rows a regular file of `size` bytes holds, from the bytes per line of its first block,
    with room to spare (untouched rows of np.empty cost no memory); 0 for a pipe (size 0), whose arrays grow."""
    return int(size / (len(rest) / lines) * 1.25) + 1024 if size and lines else 0


def _file_size(stream) -> int:
    """The size of a regular file; 0 for a pipe or anything else."""
    try:
        status = os.fstat(stream.fileno())
    except (OSError, ValueError, AttributeError, io.UnsupportedOperation):
        return 0
    return status.st_size if stat.S_ISREG(status.st_mode) else 0


class Records:
    """The chunks of a stream, (chunk, first line, lines): bytes of whole records ending in b"\\n", the
    1-based line the chunk starts at, and its count of lines, read a BLOCK at a time.

    Its state between chunks (`pending`: the bytes read past the last whole record; `line`: the line
    they start at; `total`: the bytes read so far) is all another parser needs to take over at a
    record boundary of a regular file, and `rewind` hands the rest back (arrowread.py)."""

    def __init__(self, stream, source: str, budget: int):
        self.stream, self.source, self.budget, self.block = stream, source, budget, BLOCK
        self.read = getattr(stream, "read1", stream.read)  # read1: returns what a pipe has, never waits for a full block
        self.pending, self.line, self.total, self.start, self.ended = b"", 1, 0, True, False

    def __iter__(self):
        return self

    def __next__(self):
        while not self.ended:
            block = self._next_block()
            self.pending += block
            if not block:
                self.ended = True
                if self.pending and not self.pending.endswith(b"\n"):
                    self.pending += b"\n"
            end = _last_boundary(self.pending)
            if end > 0:
                chunk, self.pending = self.pending[:end], self.pending[end:]
                lines = chunk.count(b"\n")
                self.line += lines
                return chunk, self.line - lines, lines
            if len(self.pending) > MAX_RECORD:
                raise DataError(f"a line longer than {MAX_RECORD >> 20} MiB; this does not look like a CSV table",
                                file=self.source, where=f"line {self.line}")
        raise StopIteration

    def _next_block(self) -> bytes:
        try:
            block = self.read(self.block)
        except OSError as e:
            raise DataError(f"cannot read the file ({e.strerror or e})", file=self.source) from None
        self.total += len(block)
        if self.total > self.budget:
            raise too_large(self.source, self.total, self.budget, "the data stream")
        if self.start and block:
            block, self.start = block.removeprefix(BOM), False
        self._refuse_nul(block)
        return block

    def _refuse_nul(self, block: bytes) -> None:
        nul = block.find(b"\0")
        if nul >= 0:  # checked here: Python's csv module refuses NUL before 3.11 and accepts it after
            decode(self.pending + block[:nul], self.source, self.line)  # text that is not UTF-8 before it says so first
            at = self.line + self.pending.count(b"\n") + block.count(b"\n", 0, nul)
            raise DataError("does not look like a CSV text file (it has a NUL byte)", file=self.source,
                            where=f"line {at}")

    def rewind(self, total: int, pending: bytes, line: int) -> None:
        """Go on from a record boundary another parser reached: `pending` read after it, `total` bytes read
        in all (the stream is put back there), `line` its first line. pending is checked as each block is."""
        self.stream.seek(total)
        self.total, self.pending, self.line = total, b"", line
        self._refuse_nul(pending)
        self.pending = pending

    def finish(self) -> None:
        """Another parser read the stream to its end."""
        self.pending, self.ended = b"", True


def _last_boundary(buffer: bytes) -> int:
    """Length of the longest prefix of whole records (0 if none)."""
    if b'"' not in buffer:
        return buffer.rfind(b"\n") + 1
    ends = _boundaries(buffer)
    return int(ends[-1]) + 1 if len(ends) else 0


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
    for chunk, line, _ in blocks:
        body = chunk.lstrip()
        if not body:  # only blank lines so far
            continue
        line += chunk.count(b"\n", 0, len(chunk) - len(body))
        end = body.find(b"\n") + 1  # the first line end, unless a quote before it may hide it
        end = int(_boundaries(body)[0]) + 1 if body.find(b'"', 0, end) >= 0 else end
        csv.field_size_limit(FIELD_SIZE_LIMIT)
        try:
            row = next(csv.reader(io.StringIO(decode(body[:end], source, line), newline="")))
        except csv.Error as e:
            raise DataError(f"cannot parse the CSV ({e})", file=source, where=f"line {line}") from None
        rest = body[end:]
        return row, line, (rest, line + body.count(b"\n", 0, end), rest.count(b"\n"))
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
