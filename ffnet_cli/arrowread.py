"""The `fast` extra: pyarrow's multi-threaded C++ parser reads the bulk of a large CSV file.

csvread reads a file's first lines with numpy's parsers (csvcolumns.Columns), which learn there which
columns hold words; read_batches then parses the rest of a regular file, BATCH bytes at a time, with
pyarrow into the same Columns: numbers as float64 (a missing spelling as NaN), words and the numbers of
`labels` columns as dictionaries, whose few distinct cells are read in Python by the numpy path's own
rules (Columns._code, frame.to_float). pyarrow parses the next batch on a worker thread while the
main thread writes the last one into the Columns.

The numpy path is the reference. A batch ends where that path ends one of its blocks (the last line end
before a multiple of csvread.BLOCK bytes), and a batch that pyarrow might read differently (a quote, a
lone \\r, a blank line, a ragged row, a word among numbers, bytes that are not UTF-8, a NUL, a number
spelled in a way only pyarrow takes...) is handed back unread, with the rest of the file, to the numpy
path, which reads it as it always does: the Frame and every error are the numpy path's own. No C call
parses more than one batch (tens of milliseconds), so a signal is honoured between batches, and memory
holds the Columns and two batches of text with their parsed columns.
"""

import itertools
import mmap
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np

from . import csvcolumns
from .csvcells import BOM
from .frame import MISSING, to_float

BATCH = 4 << 20  # bytes of text per pyarrow call, rounded down to whole blocks of the numpy path
MIN_SIZE = 8 << 20  # a smaller file is read by numpy alone: importing pyarrow takes about 50 ms
ASCII_SPACE = " \t\n\r\x0b\x0c"  # what bytes.strip() strips, with which the numpy path spells numbers

ARROW = False  # (pyarrow, pyarrow.csv) once looked for; None where absent (or switched off, as tests do)


def modules():
    global ARROW
    if ARROW is False:
        try:
            import pyarrow
            import pyarrow.csv
            ARROW = (pyarrow, pyarrow.csv)
        except ImportError:
            ARROW = None
    return ARROW


def worth_trying(size: int, first_chunk: bytes) -> bool:
    """Whether pyarrow reads the rest of a file of `size` bytes (0: not a regular file) after its first block;
    a file that quotes its cells in the first block would be handed back at once."""
    return size >= MIN_SIZE and b'"' not in first_chunk and modules() is not None


@dataclass
class Batch:
    """Whole lines of the file, text[start:end]; total: the bytes read before it (Records' state where it
    starts: the tail text[start:total] read past the last line end); lead: the rest of the first block, which
    the first batch begins with; last: it ends the file, or cannot be parsed."""

    total: int
    start: int
    end: int
    last: bool
    lead: tuple | None


def read_batches(table, records, release, lead=None) -> None:
    """Parse the rest of records' stream (a regular file) into table (csvcolumns.Columns) a batch at a time,
    up to the end of the file or to a batch for the numpy path, handed back to records (csvread.Records.rewind)."""
    pa, pc = modules()
    size = max(1, BATCH // records.block) * records.block  # whole blocks: a batch ends where a numpy block ends
    options = _options(pa, pc, table, size)
    line = records.line if lead is None else lead[1]  # where the next batch to write starts
    text = mmap.mmap(records.stream.fileno(), 0, access=mmap.ACCESS_READ)  # pyarrow reads the page cache itself
    view = memoryview(text)
    worker = ThreadPoolExecutor(1, thread_name_prefix="ffnet-arrow")
    try:
        ahead = None  # the batch being parsed, and its future
        for batch in itertools.chain(_batches(records, text, size, lead), [None]):
            parsing = worker.submit(_parse, pa, pc, options, text, view, batch) if batch is not None else None
            if ahead is not None:
                rows = _write(table, text, ahead[0], ahead[1].result(), line, release)
                if not rows:
                    _hand_back(table, records, text, ahead[0], line)
                    return
                line += rows
            ahead = (batch, parsing) if batch is not None else None
        records.finish()
    finally:
        worker.shutdown(cancel_futures=True)
        _close(view, text)


def _batches(records, text, size: int, lead):
    """The batches of the rest of the file: each ends where the numpy path would end a block, at the last
    line end before its reads' end (size bytes on); the last one ends the file, or cannot be parsed."""
    total = records.total
    start = total - len(records.pending) - (len(lead[0]) if lead is not None else 0)
    while start < len(text):
        stop = min(total + size, len(text))
        last = stop == len(text)
        end = len(text) if last else text.rfind(b"\n", start, stop) + 1
        if stop > records.budget:
            end = 0  # a file that grew: for the numpy path to say so
        yield Batch(total, start, end, last or not end, lead)
        if last or not end:
            return
        total, start, lead = stop, end, None


def _hand_back(table, records, text, batch: Batch, line: int) -> None:
    """The numpy path goes on from the start of `batch` (at `line`): from the first block's rest if it is the first."""
    if batch.lead is not None:
        table.add(*batch.lead)
        records.rewind(records.total, records.pending, records.line)
    else:
        records.rewind(batch.total, text[batch.start:batch.total], line)


def _close(view, text) -> None:
    try:
        view.release()
        text.close()
    except BufferError:  # a view still held (by a traceback): the map goes with the last reference
        pass


def _options(pa, pc, table, size: int) -> dict:
    """read_csv's options: no quoting (a quote is handed back), blank lines kept as rows (handed back), every
    column's type given; a missing spelling is null only in a column of numbers."""
    names = [f"c{j}" for j in range(len(table.columns))]
    text = pa.dictionary(pa.int32(), pa.string())
    types = {name: text if table.codes[j] is not None or j in table.spellings else pa.float64()
             for j, name in enumerate(names)}
    return dict(read_options=pc.ReadOptions(column_names=names, block_size=max(1 << 16, size // 4)),
                parse_options=pc.ParseOptions(quote_char=False, ignore_empty_lines=False),
                convert_options=pc.ConvertOptions(column_types=types, null_values=sorted(MISSING),
                                                  strings_can_be_null=False),
                memory_pool=pa.system_memory_pool())  # malloc: freed batches go back to the system (malloc_trim)


def _parse(pa, pc, options, text, view, batch: Batch):
    """The batch parsed by pyarrow (on the worker thread), or None where it cannot be."""
    start, end = batch.start, batch.end
    if not end or text[start:start + 3] == BOM:
        return None  # pyarrow drops a byte order mark that starts its text; the numpy path only a file's
    if text.find(b"\r", start, end) >= 0 and _lone_cr(text[start:end]):
        return None
    try:
        return pc.read_csv(pa.py_buffer(view[start:end]), **options)
    except pa.ArrowException:  # a ragged row, a word among numbers, bytes that are not UTF-8...
        return None


def _lone_cr(text: bytes) -> bool:
    """A \\r not before \\n: a line end to pyarrow and the csv module, not to the numpy path's line count."""
    return text.count(b"\r") != text.count(b"\r\n")


def _write(table, text, batch: Batch, parsed, line: int, release) -> int:
    """Write a parsed batch, starting at `line`, into table: its count of rows (a row a line), or 0 (and nothing
    written) where the numpy path could read it otherwise."""
    columns = _columns(table, text.find(b"(", batch.start, batch.end) >= 0, parsed) if parsed is not None else None
    if columns is None:
        return 0
    numbers, words, spelled = columns
    table.extend(line, parsed.num_rows, numbers, words)
    for j, new in spelled.items():
        table.spellings[j].update(new)
    first, last = batch.start // mmap.PAGESIZE * mmap.PAGESIZE, batch.end // mmap.PAGESIZE * mmap.PAGESIZE
    if hasattr(text, "madvise") and last > first:  # the pages read go back: mapped file pages count as resident
        text.madvise(mmap.MADV_DONTNEED, first, last - first)
    release(batch.end - batch.start)
    return parsed.num_rows


def _columns(table, paren: bool, parsed):
    """(numbers, words, new spellings) of a parsed batch for Columns.extend, or None: a batch for the numpy path.
    paren: the batch has a "(": pyarrow reads nan(...) as NaN, Python's float() does not."""
    m = parsed.num_rows
    if not m or m > table.capacity - table.rows:
        return None  # the numpy path grows its arrays (and checks the memory budget) as it always does
    numbers, texts = {}, {}
    for j, column in enumerate(parsed.columns):
        if table.codes[j] is None and j not in table.spellings:  # read as float64 (_options)
            numbers[j] = [_floats(chunk) for chunk in column.chunks]
            if paren and any(_nan_cells(values, missing) for values, missing in numbers[j]):
                return None
        else:
            texts[j] = [(chunk.dictionary.to_pylist(), _data(chunk.indices, np.int32)) for chunk in column.chunks]
    if _blank_line(m, parsed, numbers, texts):
        return None
    words, spelled = {}, {}
    for j, pieces in texts.items():
        if table.codes[j] is not None:
            if any('"' in cell or "\0" in cell for cells, _ in pieces for cell in cells):
                return None  # a quote the csv module would have read as quoting; a NUL the numpy path refuses
            words[j] = pieces
        else:
            found = _labelled_numbers(pieces, table.spellings[j])
            if found is None:
                return None
            numbers[j], spelled[j] = found
    return numbers, words, spelled


def _data(array, dtype) -> np.ndarray:
    """A view of a pyarrow array's values (to_numpy would import pandas where it is installed: 0.3 s, 30 MB)."""
    return np.frombuffer(array.buffers()[1], dtype, len(array) + array.offset)[array.offset:]


def _floats(chunk):
    """(values, missing): a view of a float64 chunk's values, and a mask of those that mean NaN (or None)."""
    values = _data(chunk, np.float64)
    if not chunk.null_count:
        return values, None
    nulls = ~np.frombuffer(chunk.buffers()[0], np.uint8)  # the validity bitmap, 1 for a null
    return values, np.unpackbits(nulls, count=len(chunk) + chunk.offset, bitorder="little")[chunk.offset:].view(bool)


def _nan_cells(values: np.ndarray, missing) -> bool:
    """Whether a cell that is not missing reads NaN (-nan, NAN, or nan(...), which Python's float() refuses)."""
    nan = np.isnan(values)
    if missing is not None:
        nan[missing] = False
    return bool(nan.any())


def _blank_line(m: int, parsed, numbers: dict, texts: dict) -> bool:
    """Whether some row has only empty fields, as a blank line reads (the numpy path skips a blank line).
    A column of numbers without a missing cell, or of words without an empty one, rules it out at once."""
    if any(parsed.column(j).null_count == 0 for j in numbers) or any(
            all("" not in cells for cells, _ in pieces) for pieces in texts.values()):
        return False
    blank = np.ones(m, dtype=bool)
    for pieces in numbers.values():
        blank &= np.concatenate([missing if missing is not None else np.zeros(len(values), dtype=bool)
                                 for values, missing in pieces])
    for pieces in texts.values():
        blank &= np.concatenate([indices == (cells.index("") if "" in cells else -1) for cells, indices in pieces])
    return bool(blank.any())


def _labelled_numbers(pieces, spelled: dict):
    """(float64 pieces, new spellings) of a `labels` column of numbers, read a distinct cell at a time as the
    numpy path reads it: the first spelling of each value in file order (pyarrow's dictionaries list the
    cells in the order they first appear); None where the numpy path could read it otherwise."""
    values, new = [], {}
    for cells, indices in pieces:
        lookup = np.empty(len(cells))
        for k, cell in enumerate(cells):
            label = cell.strip()
            if label != cell.strip(ASCII_SPACE):
                return None  # whitespace that str.strip takes and bytes.strip leaves: spelled otherwise there
            number = np.nan if label in MISSING else to_float(label)
            if number is None or (number != number and label not in MISSING):
                return None  # a word; or a NaN spelled -nan, which the csv module's path spells and numpy's does not
            lookup[k] = number
            if number == number and number not in spelled:
                new.setdefault(number, label)
        values.append((lookup[indices], None))
    if new and len(spelled) + len(new) > csvcolumns.MAX_SPELLINGS:
        return None  # past the limit the numpy path keeps a spelling per block, as each block comes
    return values, new
