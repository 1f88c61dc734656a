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


GPU_INSTALL = ("pip install 'ffnet[gpu]' (CuPy for CUDA 12; for CUDA 11 install cupy-cuda11x, see the README's "
               "'Training on a GPU')")


def device_module(device: str, config_path: str | None = None):
    """The array module for `train.device`: numpy for cpu; CuPy for gpu, once it is installed and sees a GPU."""
    from .errors import ConfigError

    if device == "cpu":
        return np
    try:
        import cupy
    except ImportError:
        raise ConfigError(f"train.device is gpu, but CuPy is not installed; {GPU_INSTALL}",
                          file=config_path, where="train.device") from None
    try:
        count = cupy.cuda.runtime.getDeviceCount()
    except Exception as e:  # CUDARuntimeError, or a CuPy built for another CUDA than the driver's
        count, why = 0, f" ({type(e).__name__}: {e})"
    else:
        why = ""
    if count == 0:
        raise ConfigError(f"train.device is gpu, but CuPy sees no GPU{why}; check the driver (nvidia-smi) and "
                          "that the CuPy wheel matches your CUDA version, or set train.device: cpu",
                          file=config_path, where="train.device")
    return cupy
