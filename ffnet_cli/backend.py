"""The array module (`xp`) that the training math runs on: numpy on the CPU, CuPy on a GPU.

The math is written once against `xp`; array_module(a) says which module an array belongs to,
so that a function handed CuPy arrays computes with CuPy.
"""

import numpy as np


def array_module(a):
    """numpy, or cupy for a CuPy array (found by its type, so cupy is never imported for numpy arrays)."""
    if type(a).__module__.partition(".")[0] == "cupy":
        import cupy
        return cupy
    return np


def to_numpy(a) -> np.ndarray:
    """A host (numpy) copy of a CuPy array; numpy arrays and scalars pass through."""
    return a.get() if hasattr(a, "get") and array_module(a) is not np else np.asarray(a)
