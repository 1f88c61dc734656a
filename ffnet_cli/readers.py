"""Reading a data file into a Frame: CSV (csvread.py), or an .npz or a folder of .npy arrays (arrays.py)."""

import os
from typing import TextIO

from . import arrays, csvread
from .frame import Frame


def read_frame(path: str, stdin: TextIO | None = None, labels=None) -> Frame:
    """A CSV with a header row; an .npz with arrays X (n, d) and y (n,) or (n, k) (y optional);
    or a folder holding X.npy (memory-mapped) and y.npy. '-' reads CSV from `stdin` (default sys.stdin).

    labels(columns) -> names: columns whose numbers are class labels or categories, so that their
    text as written is kept (`spellings`).
    """
    if path != "-" and path.lower().endswith(".npz"):
        return arrays.read_npz(path)
    if path != "-" and os.path.isdir(path) and os.path.exists(os.path.join(path, "X.npy")):
        return arrays.read_folder(path)
    return csvread.read_csv(path, stdin, labels)
