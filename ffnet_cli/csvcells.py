"""The cell rules of a CSV block: strict numbers, the missing spellings, and numpy's C parser on a block.

A number is read strictly, as numpy's CSV parser reads it: ASCII, no `1_0` (Python's float() would take
10), surrounding whitespace stripped; a missing cell is one of frame.MISSING. csvcolumns applies these
rules to a block with np.loadtxt, or with the csv module a column at a time.
"""

import io

import numpy as np

from .errors import DataError
from .frame import MISSING, to_float

BOM = b"\xef\xbb\xbf"  # UTF-8's byte order mark: dropped where it starts the file
FIELD_SIZE_LIMIT = 1 << 20  # 1 MiB: a longer CSV field is not a number or a label
MISSING_SPELLINGS = tuple(m.encode() for m in sorted(MISSING) if m not in ("", "nan", "NaN"))  # nan: parsed as is


def decode(chunk: bytes, source: str, line: int) -> str:
    try:
        return chunk.decode("utf-8")
    except UnicodeDecodeError as e:
        at = line + chunk.count(b"\n", 0, e.start)
        raise DataError(f"does not look like a UTF-8 CSV file (byte 0x{chunk[e.start]:02x} cannot be decoded)",
                        file=source, where=f"line {at}") from None


def missing_as_nan(chunk: bytes) -> bytes:
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


def parse_block(chunk: bytes, dtype):
    """The block as a float64 matrix (n, c) or a record array of typed fields (n,); None if it will not parse."""
    try:
        if dtype is np.float64:
            return np.loadtxt(io.BytesIO(chunk), delimiter=",", comments=None, ndmin=2, dtype=dtype)
        return np.loadtxt(io.BytesIO(chunk), delimiter=",", comments=None, ndmin=1, dtype=dtype,
                          encoding="latin1")  # latin1: bytes fields keep the file's bytes
    except ValueError:
        return None


def first_line_parses(chunk: bytes, dtype) -> bool:
    """Whether the C parser takes the block's first line, as written or with its missing cells as `nan`."""
    line = chunk[:chunk.find(b"\n") + 1]
    if not line.strip():
        return True  # a blank line: the block decides
    return parse_block(line, dtype) is not None or parse_block(missing_as_nan(line), dtype) is not None


def nth_line_end(chunk: bytes, n: int) -> int:
    """The length of the first n lines of chunk."""
    at = -1
    for _ in range(n):
        at = chunk.index(b"\n", at + 1)
    return at + 1


def spell_cells(spelled: dict, cells, limit: int) -> None:
    for cell in dict.fromkeys(cells):
        if len(spelled) >= limit:
            return
        label = cell.strip()
        if label not in MISSING:
            spelled.setdefault(float(label), label)


def strict_floats(cells: tuple[str, ...]) -> np.ndarray | None:
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
