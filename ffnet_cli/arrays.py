"""Arrays as data: an .npz with X (and y), or a folder with X.npy (read by rows, never whole) and y.npy.

Sizes are checked from the arrays' headers before anything is decompressed or allocated, so a
small file that claims (or decompresses to) gigabytes is refused at once.
"""

import os
import zipfile
import zlib

import numpy as np

from .errors import DataError
from .fileio import read_file
from .frame import Frame, listing, memory_budget, too_large

BAD_FILE = (zipfile.BadZipFile, ValueError, OSError, EOFError, zlib.error, KeyError)
READ_BLOCK = 8192  # rows per sequential read of a mapped X (statistics): a few MB of float64 at a time


def read_npz(source: str) -> Frame:
    """X (n, d) kept in its own float dtype and uncopied; y (n,) or (n, k) optional (new data has no labels)."""
    magic = read_file(source, DataError, "data", size=2)
    if magic != b"PK":  # an .npz is a zip archive; np.load would try other formats
        raise DataError("not a valid .npz file (not a zip archive)" if magic else "file is empty", file=source)
    budget = memory_budget()
    try:
        with zipfile.ZipFile(source) as archive:
            names = [name.removesuffix(".npy") for name in archive.namelist()]
            if "X" not in names:
                raise DataError(f"no array X in the .npz file; it has: {listing(names) or 'no arrays'}", file=source)
            wanted = [key for key in ("X", "y") if key in names]
            total = sum(_declared_bytes(archive, key + ".npy", source) for key in wanted)
        if total > budget:
            raise too_large(source, total, budget, "its arrays X and y")
        with np.load(source, allow_pickle=False) as arrays:
            X = arrays["X"]
            y = arrays["y"] if "y" in wanted else None
    except BAD_FILE as e:
        raise DataError(f"not a valid .npz file ({e})", file=source) from None
    return _frame(source, X, y, "npz")


def _declared_bytes(archive: zipfile.ZipFile, member: str, source: str) -> int:
    """The array's size from its .npy header, read without decompressing the data."""
    with archive.open(member) as f:
        try:
            version = np.lib.format.read_magic(f)
            header = (np.lib.format.read_array_header_1_0 if version == (1, 0) else
                      np.lib.format.read_array_header_2_0)(f)
        except ValueError as e:
            raise DataError(f"cannot read arrays X and y ({e})", file=source, where=member[:-4]) from None
    shape, _, dtype = header
    if dtype.hasobject:
        raise DataError(f"cannot read arrays X and y ({member[:-4]} holds Python objects)", file=source,
                        where=member[:-4])
    return int(np.prod(shape, dtype=np.float64)) * dtype.itemsize


def read_folder(folder: str) -> Frame:
    """A folder with X.npy, memory-mapped and read by rows, and y.npy (optional), read whole."""
    path = os.path.join(folder, "X.npy")
    try:
        X = np.load(path, mmap_mode="r", allow_pickle=False)
    except (ValueError, OSError, EOFError) as e:
        raise DataError(f"not a valid .npy file ({e})", file=path) from None
    y = None
    y_path = os.path.join(folder, "y.npy")
    if os.path.exists(y_path):
        try:
            y = np.load(y_path, mmap_mode="r", allow_pickle=False)
        except (ValueError, OSError, EOFError) as e:
            raise DataError(f"not a valid .npy file ({e})", file=y_path) from None
        if y.nbytes > memory_budget():
            raise too_large(y_path, y.nbytes, memory_budget(), "y")
    frame = _frame(folder, X, y, "folder")
    return Frame(frame.source, frame.columns, frame.data, None, "row",
                 block=MappedRows(path, X.offset, X.shape, X.dtype), rows=frame.rows)


def _frame(source: str, X, y, kind: str) -> Frame:
    if X.ndim != 2 or X.dtype.kind not in "biuf":
        raise DataError(f"X must be a 2-D array of numbers, got shape {X.shape} of {X.dtype}", file=source, where="X")
    if y is not None:
        if y.ndim not in (1, 2) or y.dtype.kind not in "biuf":
            raise DataError(f"y must be a 1-D or 2-D array of numbers, got shape {y.shape} of {y.dtype}",
                            file=source, where="y")
        if len(y) != len(X):
            raise DataError(f"y has {len(y)} rows but X has {len(X)}", file=source, where="y")
    if len(X) == 0:
        raise DataError("no data rows", file=source)
    columns = [f"x{i + 1}" for i in range(X.shape[1])]
    data = ()
    if y is not None:
        Y = np.array(y, dtype=np.float64).reshape(len(y), -1)  # (n, k)
        columns += ["y"] if y.ndim == 1 else [f"y{k + 1}" for k in range(Y.shape[1])]
        data = tuple(Y[:, k] for k in range(Y.shape[1]))
    if kind == "npz" and X.dtype.kind != "f":
        X = X.astype(np.float64)
    return Frame(source, tuple(columns), data, None, "row", block=X if kind == "npz" else None, rows=len(X))


class MappedRows:
    """Rows of an X.npy on disk, read when asked (os.preadv into a small buffer): a split of a mapped X.

    Reading rows leaves no pages mapped, so the resident memory stays the buffers', whatever the
    file's size. `index`: the file rows of this split (None: all rows, in order); `fill` (d,):
    the value of a missing (NaN) cell per column; `transform`: applied to every block of rows read
    (the model's scaling, in its dtype).
    """

    ndim = 2

    def __init__(self, path, offset, shape, dtype, index=None, fill=None, transform=None, out_dtype=None):
        self.path, self.offset, self.file_shape, self.file_dtype = path, offset, shape, np.dtype(dtype)
        self.index, self.fill, self.transform = index, fill, transform
        self.dtype = np.dtype(out_dtype or (dtype if np.dtype(dtype).kind == "f" else np.float64))
        self.row_bytes = shape[1] * self.file_dtype.itemsize
        self.fd = None

    def _with(self, **changes) -> "MappedRows":
        settings = dict(index=self.index, fill=self.fill, transform=self.transform, out_dtype=self.dtype)
        return MappedRows(self.path, self.offset, self.file_shape, self.file_dtype, **{**settings, **changes})

    @property
    def shape(self):
        return (len(self), self.file_shape[1])

    def __len__(self):
        return self.file_shape[0] if self.index is None else len(self.index)

    def take(self, rows) -> "MappedRows":
        """The rows `rows` (positions in this split) as a split of their own."""
        return self._with(index=np.asarray(rows) if self.index is None else self.index[rows])

    def astype(self, dtype, copy=True) -> "MappedRows":
        return self._with(out_dtype=dtype)

    def scaled(self, transform) -> "MappedRows":
        return self._with(transform=transform)

    def with_fill(self, fill) -> "MappedRows":
        return self._with(fill=fill)

    def __getitem__(self, key):
        """Rows of a slice as an array (n, d), fill and transform applied; [:, j] reads column j."""
        if isinstance(key, tuple):
            rows, j = key
            return np.concatenate([self[start:start + READ_BLOCK][:, j] for start in range(0, len(self), READ_BLOCK)])
        positions = np.arange(len(self))[key]
        return self._finish(self._read(positions))

    def gather(self, rows, out):
        """The rows `rows` (in order) into the buffer out (len(rows), d): one minibatch."""
        out[...] = self._finish(self._read(np.asarray(rows)))
        return out

    def blocks(self):
        """(positions, raw rows) of consecutive blocks of READ_BLOCK rows, before fill and transform."""
        for start in range(0, len(self), READ_BLOCK):
            positions = np.arange(start, min(start + READ_BLOCK, len(self)))
            yield positions, self._read(positions)

    def _finish(self, raw):
        if self.fill is not None:
            missing = np.isnan(raw)
            if missing.any():
                raw[missing] = np.broadcast_to(self.fill, raw.shape)[missing]
        out = raw if self.transform is None else self.transform(raw)
        return out.astype(self.dtype, copy=False)

    def _read(self, positions) -> np.ndarray:
        rows = positions if self.index is None else self.index[positions]
        buffer = np.empty((len(rows), self.file_shape[1]), self.file_dtype)
        if self.fd is None:
            self.fd = os.open(self.path, os.O_RDONLY)
        breaks = np.flatnonzero(np.diff(rows) != 1) + 1  # a run of consecutive rows is one read
        starts, ends = [0] + breaks.tolist(), breaks.tolist() + [len(rows)]
        for start, end, row in zip(starts, ends, rows[starts].tolist() if len(rows) else []):
            _pread(self.fd, buffer[start:end], self.offset + row * self.row_bytes)
        return buffer

    def __del__(self):
        if self.fd is not None:
            os.close(self.fd)


def _pread(fd: int, array: np.ndarray, offset: int) -> None:
    view, done = memoryview(array).cast("B"), 0
    while done < len(view):
        got = os.preadv(fd, [view[done:]], offset + done)
        if got <= 0:
            raise DataError("the file ended early (was it truncated?)", file=f"fd {fd}")
        done += got
