"""predict's CSV output: the same bytes as csv.writer cell by cell, probabilities in one notation."""

import csv
import io

import numpy as np
import pytest

from ffnet_cli.writers import fixed_point, write_csv


def cell_by_cell(header, values) -> str:
    """What predict wrote before: csv.writer, whole numbers without a point, others as str()."""
    def cell(value):
        if isinstance(value, str):
            return value
        if float(value).is_integer() and abs(value) < 2**53:
            return str(int(value))
        return str(value)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    writer.writerows([cell(v) for v in row] for row in values)
    return out.getvalue()


def written(header, values, proba=False) -> str:
    out = io.StringIO()
    write_csv(out, header, values, proba)
    return out.getvalue()


def test_labels_are_the_bytes_csv_writer_writes_quotes_included():
    labels = np.array(["setosa", "red, dark", 'say "hi"', " padded", "x"], dtype=object)
    values = labels[np.random.default_rng(0).integers(0, 5, 1000)][:, None]
    assert written(["species, kind"], values) == cell_by_cell(["species, kind"], values)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_values_are_the_bytes_csv_writer_writes(dtype):
    rng = np.random.default_rng(1)
    values = np.concatenate([rng.normal(size=(200, 2)) * 10.0 ** rng.integers(-8, 8, (200, 2)),
                             np.array([[0.0, -0.0], [1.0, 3.0], [1e20, -2.5e-7], [2.0**60, 0.1]])]).astype(dtype)
    assert written(["a", "b"], values) == cell_by_cell(["a", "b"], values)


def test_multilabel_zeros_and_ones():
    values = np.random.default_rng(2).integers(0, 2, (50, 3))
    assert written(["a", "b", "c"], values) == cell_by_cell(["a", "b", "c"], values)


def test_probabilities_are_one_fixed_point_notation():
    P = np.array([[0.99999666, 2.2089177e-06, 1.0243172e-06], [1.0, 0.0, 1.1920929e-07]], dtype=np.float32)
    assert written(["a", "b", "c"], P, proba=True) == ("a,b,c\n0.99999666,0.00000221,0.00000102\n"
                                                         "1.00000000,0.00000000,0.00000012\n")
    assert fixed_point(np.array([[0.5, 0.25]]), 12) == "0.500000000000,0.250000000000\n"


def test_large_outputs_are_written_a_block_at_a_time_with_the_same_result(monkeypatch):
    from ffnet_cli import writers
    P = np.random.default_rng(3).random((1000, 2))
    whole = written(["a", "b"], P, proba=True)
    monkeypatch.setattr(writers, "ROWS", 7)
    assert written(["a", "b"], P, proba=True) == whole
