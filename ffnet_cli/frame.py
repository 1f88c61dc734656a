"""The Frame a data file is read into (readers.py), and access to its columns and cells.

A Frame holds one array per column: float64 numbers (NaN marks a missing cell) or Text (codes
into the distinct cells). Every bad input raises DataError naming the file and the place:
`line L, column C (name)` in a CSV (L and C 1-based, as an editor shows them), `row R, column C
(name)` in an .npz or a folder.
"""

import difflib
import os
from dataclasses import dataclass, field as dataclass_field
from typing import Sequence

import numpy as np

from .errors import DataError

SHOWN = 20  # how many columns, classes or unseen labels a message lists
MISSING = frozenset({"", "NA", "N/A", "NaN", "nan", "null", "None", "?"})  # the spellings of a missing cell
MISSING_CODE = -1  # a Text code for a missing cell


@dataclass(frozen=True, eq=False)
class Text:
    """A column of text cells: codes (n,) int32 index into values, MISSING_CODE for a missing cell."""

    codes: np.ndarray
    values: tuple[str, ...]


@dataclass(frozen=True, eq=False)
class Frame:
    """A table: column names, one array per column, and where each row came from.

    data[j]: float64 (n,) for a column of numbers (NaN: missing), the .npz's own float dtype for
    its X columns, or Text. lines (n,): each row's 1-based line (row in an .npz); None counts rows
    from 1. spellings[j]: for a numeric column read as labels, each value's text as first written.
    block: an .npz's X (n, d) or a folder's mapped X (dataset.MappedRows), whose columns are x1..xd.
    """

    source: str
    columns: tuple[str, ...]
    data: tuple = ()
    lines: np.ndarray | None = None
    unit: str = "line"  # what `lines` counts: "line" in a CSV, "row" in an .npz or a folder
    spellings: dict = dataclass_field(default_factory=dict, repr=False)
    block: object = dataclass_field(default=None, repr=False)
    rows: int = 0

    def position(self, name: str) -> int:
        return _positions(self)[name]


def _positions(frame: Frame) -> dict:
    found = frame.__dict__.get("_positions")
    if found is None:  # cached: a wide file has tens of thousands of names
        found = {name: j for j, name in enumerate(frame.columns)}
        object.__setattr__(frame, "_positions", found)
    return found


def column(frame: Frame, j: int):
    """Column j: a float array (n,) or Text. The block's columns (x1..xd) come first."""
    d = 0 if frame.block is None else frame.block.shape[1]
    return frame.block[:, j] if j < d else frame.data[j - d]


def as_names(names: str | Sequence[str]) -> tuple[str, ...]:
    return (names,) if isinstance(names, str) else tuple(names)


def require_columns(frame: Frame, names: Sequence[str], kind: str) -> None:
    """Refuse a file without the named columns, listing what it has."""
    indices(frame, names, f"{kind} column")


def indices(frame: Frame, names: Sequence[str], kind: str = "column") -> list[int]:
    """Positions of the named columns; a missing one is refused at the header, listing what the file has."""
    positions = _positions(frame)
    missing = [name for name in names if name not in positions]
    if missing:
        close = difflib.get_close_matches(missing[0], frame.columns[:10000], n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        raise DataError(f"no {kind} {listing([repr(m) for m in missing], SHOWN)}{hint}; the file has: "
                        f"{listing(frame.columns, SHOWN)}", file=frame.source,
                        where="line 1" if frame.unit == "line" else None)
    return [positions[name] for name in names]


def listing(items: Sequence[str], limit: int = SHOWN) -> str:
    """At most `limit` items, comma separated, then how many there are in all."""
    items = list(items)
    more = f", ... ({len(items)} in all)" if len(items) > limit else ""
    return ", ".join(items[:limit]) + more


def line_of(frame: Frame, i: int) -> int:
    return int(frame.lines[i]) if frame.lines is not None else i + 1


def place(frame: Frame, i: int, j: int) -> str:
    return f"{frame.unit} {line_of(frame, i)}, column {j + 1} ({frame.columns[j]})"


def cell_text(frame: Frame, i: int, j: int) -> str:
    """Cell (i, j) as the file wrote it (a number as people write it)."""
    cells = column(frame, j)
    if isinstance(cells, Text):
        code = cells.codes[i]
        return "" if code == MISSING_CODE else cells.values[code]
    return format_number(cells[i])


def format_number(v: float) -> str:
    v = float(v)
    if not np.isfinite(v):
        return str(v)
    return str(int(v)) if v.is_integer() and abs(v) < 2**53 else repr(v)


def to_float(text: str) -> float | None:
    """The number a cell holds, or None; strict: no `1_0` (10 to Python's float) and ASCII digits only."""
    if not isinstance(text, str) or not text.isascii() or "_" in text:
        return None
    try:
        return float(text)
    except ValueError:
        return None


def is_missing(text: str) -> bool:
    return text.strip() in MISSING


def available_memory() -> int:
    """Bytes of memory this process may still fill: MemAvailable on Linux, else the physical memory."""
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    try:
        return os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError, AttributeError):
        return 8 << 30


def memory_budget() -> int:
    """How many bytes of data a reader may hold: half of what is available, leaving room to train."""
    return available_memory() // 2


def too_large(source: str, size: int, budget: int, what: str = "the data") -> DataError:
    return DataError(f"{what} would take {_mib(size)} MiB of memory, more than this machine allows ({_mib(budget)} "
                     f"MiB); for data larger than memory, train from a folder with X.npy and y.npy (see the README)",
                     file=source)


def _mib(size: int) -> str:
    return f"{size / 2**20:,.0f}" if size >= 10 * 2**20 else f"{size / 2**20:.1f}"
