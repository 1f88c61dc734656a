#!/usr/bin/env python3
"""Regenerate the synthetic example datasets of ffnet (plain numpy).

Writes, next to this script:

  moons.csv       x1,x2,label      two interleaving half circles ("two moons"),
                                   400 rows (200 per class), Gaussian noise sd 0.12
  multilabel.csv  x1,x2,x3,x4,a,b,c
                                   400 rows, x ~ Uniform(-1.5, 1.5)^4, three 0/1
                                   targets, noise-free:
                                     a = [x1 * x2 > 0]
                                     b = [x3^2 + x4^2 < 1]
                                     c = [x1 + x3 > 0.5]
  regression.csv  x1,x2,y          400 rows, x1 ~ U(-3, 3), x2 ~ U(-2, 2),
                                   y = sin(x1) + 0.5 * x2^2 + N(0, 0.05^2)

Every dataset draws from its own generator np.random.default_rng(seed) with the
seeds in SEEDS below, so the files do not depend on each other or on the order
in which they are written. Numbers are written with 6 decimals, so running the
script again rewrites the files byte for byte identically.

Usage:
  python make_synthetic.py           # (re)write the three CSV files
  python make_synthetic.py --check   # only verify that the files on disk match
"""

import os
import sys

import numpy as np

SEEDS = {"moons": 1, "multilabel": 2, "regression": 3}
N_ROWS = 400
HERE = os.path.dirname(os.path.abspath(__file__))


def make_moons(rng, n=N_ROWS, noise=0.12):
    """Two interleaving half circles; label 0 = upper moon, 1 = lower moon."""
    n0 = n // 2
    n1 = n - n0
    t0 = np.linspace(0.0, np.pi, n0)
    t1 = np.linspace(0.0, np.pi, n1)
    upper = np.column_stack([np.cos(t0), np.sin(t0)])
    lower = np.column_stack([1.0 - np.cos(t1), 0.5 - np.sin(t1)])
    X = np.vstack([upper, lower]) + rng.normal(0.0, noise, size=(n, 2))
    y = np.concatenate([np.zeros(n0, dtype=int), np.ones(n1, dtype=int)])
    order = rng.permutation(n)
    return ["x1", "x2", "label"], X[order], y[order][:, None]


def make_multilabel(rng, n=N_ROWS):
    """Four uniform features, three independent nonlinear 0/1 labels."""
    X = rng.uniform(-1.5, 1.5, size=(n, 4))
    x1, x2, x3, x4 = X.T
    a = x1 * x2 > 0
    b = x3 ** 2 + x4 ** 2 < 1
    c = x1 + x3 > 0.5
    Y = np.column_stack([a, b, c]).astype(int)
    return ["x1", "x2", "x3", "x4", "a", "b", "c"], X, Y


def make_regression(rng, n=N_ROWS, noise=0.05):
    """Smooth nonlinear surface y = sin(x1) + 0.5 x2^2 plus Gaussian noise."""
    x1 = rng.uniform(-3.0, 3.0, size=n)
    x2 = rng.uniform(-2.0, 2.0, size=n)
    y = np.sin(x1) + 0.5 * x2 ** 2 + rng.normal(0.0, noise, size=n)
    return ["x1", "x2", "y"], np.column_stack([x1, x2]), y[:, None]


def to_csv(header, X, Y):
    """CSV text: features with 6 decimals; integer targets as integers."""
    lines = [",".join(header)]
    int_targets = np.issubdtype(Y.dtype, np.integer)
    for xrow, yrow in zip(X, Y):
        cells = ["%.6f" % v for v in xrow]
        cells += [("%d" % v) if int_targets else ("%.6f" % v) for v in yrow]
        lines.append(",".join(cells))
    return "\n".join(lines).replace("-0.000000", "0.000000") + "\n"


MAKERS = {
    "moons": make_moons,
    "multilabel": make_multilabel,
    "regression": make_regression,
}


def main(argv):
    check = "--check" in argv
    ok = True
    for name, maker in MAKERS.items():
        text = to_csv(*maker(np.random.default_rng(SEEDS[name])))
        path = os.path.join(HERE, name + ".csv")
        if check:
            try:
                with open(path, newline="") as f:
                    same = f.read() == text
            except OSError:
                same = False
            print("%s: %s" % (path, "ok" if same else "DIFFERS"))
            ok = ok and same
        else:
            with open(path, "w", newline="") as f:
                f.write(text)
            print("wrote %s" % path)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
