"""Predictions as CSV text, a block of rows at a time, built by numpy rather than cell by cell.

Labels are joined into one string per block; probabilities are written in one fixed-point decimal
notation (`0.00000012`, never `1.1920929e-07` beside `0`), their digits computed as arrays; values
of a regression in the shortest form that reads back exactly in their dtype (`1` for a whole number).
"""

import numpy as np

ROWS = 1 << 16  # rows per write: memory holds one block's text
DECIMALS = {np.dtype(np.float32): 8, np.dtype(np.float64): 12}  # about the precision of each dtype near 1


def write_csv(stream, header, values, proba: bool = False) -> None:
    """The header row, then one line per row of values (n, k): labels (str), 0/1, numbers, or with
    `proba` probabilities in [0, 1]."""
    stream.write(",".join(map(quote, header)) + "\n")
    values = np.asarray(values)
    for start in range(0, len(values), ROWS):
        block = values[start:start + ROWS]
        stream.write(fixed_point(block, DECIMALS.get(block.dtype, 12)) if proba else _lines(block))


def quote(text: str) -> str:
    """A CSV field: quoted when it holds a comma, a quote or a line break (as csv.writer does)."""
    text = str(text)
    if any(c in text for c in ',"\r\n'):
        return '"' + text.replace('"', '""') + '"'
    return text


def _lines(block: np.ndarray) -> str:
    if block.dtype == object:  # labels: each distinct label quoted once, then joined
        quoted = {label: quote(label) for label in set(block.ravel().tolist())}
        cells = [[quoted[label] for label in row] for row in block.tolist()] if block.shape[1] > 1 else None
        if cells is None:
            return "".join(quoted[label] + "\n" for label in block[:, 0].tolist())
        return "".join(",".join(row) + "\n" for row in cells)
    text = numbers_as_text(block)
    if block.shape[1] == 1:
        return "\n".join(text[:, 0].tolist()) + "\n"
    return "".join(",".join(row) + "\n" for row in text.tolist())


def numbers_as_text(block: np.ndarray) -> np.ndarray:
    """(n, k) str: whole numbers without a decimal point (the lecture's XOR net prints 0, 1, 1, 0),
    others in the shortest form that reads back exactly in their dtype."""
    if block.dtype.kind in "iub":
        return block.astype(np.int64).astype(str)
    text = block.astype(str)
    whole = np.isfinite(block) & (np.abs(block) < 2**53)
    whole[whole] = block[whole] == np.round(block[whole])
    text[whole] = block[whole].astype(np.int64).astype(str)
    return text


def fixed_point(P: np.ndarray, decimals: int) -> str:
    """Rows of P (n, k), values in [0, 1], as `d.ddd...` with `decimals` digits, comma separated.

    Each value is rounded to an integer count of 10^-decimals, whose digits are written straight into
    a byte array: no Python object per value.
    """
    n, k = P.shape
    units = np.rint(np.clip(P.astype(np.float64), 0.0, 1.0) * 10.0 ** decimals).astype(np.int64)  # (n, k)
    width = decimals + 3  # digit, point, decimals, separator
    out = np.empty((n, k, width), np.uint8)
    out[:, :, 0] = ord("0") + units // 10 ** decimals
    out[:, :, 1] = ord(".")
    for d in range(decimals):
        out[:, :, 2 + d] = ord("0") + (units // 10 ** (decimals - 1 - d)) % 10
    out[:, :, -1] = ord(",")
    out[:, -1, -1] = ord("\n")
    return out.tobytes().decode("ascii")
