"""Ctrl-C during `ffnet train`: stop at a batch boundary, save what there is, exit 130, and continue later."""

import json
import os
import select
import signal
import subprocess
import time

import numpy as np

from conftest import FFNET, default_signals
from ffnet_cli.modelfile import load_model

LONG_RUN = """\
seed: 0
data: {train: big.csv}
model: {hidden: [{units: 16, activation: tanh}], output: sigmoid}
train: {epochs: 100000, batch_size: 32, learning_rate: 0.05}
"""


def write_big_csv(path, n=20_000):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(n, 2))
    y = (X[:, 0] * X[:, 1] > 0).astype(int)
    with open(path, "w") as f:
        f.write("x1,x2,y\n")
        f.writelines(f"{a:.5f},{b:.5f},{c}\n" for a, b, c in zip(X[:, 0], X[:, 1], y))


def ffnet(*args):
    return [*FFNET, *args]


def test_ctrl_c_twice_saves_a_loadable_model_that_init_continues(tmp_path):
    write_big_csv(tmp_path / "big.csv")
    (tmp_path / "long.yaml").write_text(LONG_RUN)
    run = subprocess.Popen(ffnet("train", "long.yaml", "--out", "out"), cwd=tmp_path,
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, bufsize=0,  # unbuffered: for select
                           preexec_fn=default_signals)
    try:
        # Not a terminal: one progress line per reporting interval; the first comes after epoch 1.
        # After the opening summary: the first epoch line.
        first = ""
        while not first.startswith("epoch "):
            ready, _, _ = select.select([run.stderr], [], [], 60)
            assert ready, "no progress line within 60 s"
            first = run.stderr.readline().decode()
            assert first, "stderr closed before the first epoch"
        assert first.startswith("epoch 1/100000"), first
        run.send_signal(signal.SIGINT)
        time.sleep(0.05)
        run.send_signal(signal.SIGINT)  # a second Ctrl-C while it stops and saves
        stdout, stderr = run.communicate(timeout=60)
    finally:
        if run.poll() is None:
            run.kill()
    stderr = stderr.decode()
    assert run.returncode == 130, stderr
    assert "Traceback" not in stderr and "error:" not in stderr
    assert stdout == b""
    assert sorted(os.listdir(tmp_path / "out")) == ["metrics.json", "model.json", "state.npz"]  # no temporary left over

    metrics = json.loads((tmp_path / "out/metrics.json").read_text())
    assert metrics["interrupted"] is True
    assert 1 <= len(metrics["epochs"]) < 100000
    saved = load_model(str(tmp_path / "out/model.json"))
    assert all(np.isfinite(W).all() and np.isfinite(b).all() for W, b in saved.params)

    more = subprocess.run(ffnet("train", "long.yaml", "--init", "out/model.json", "--out", "more",
                                "--set", "train.epochs=1", "--quiet"), cwd=tmp_path, capture_output=True, text=True)
    assert more.returncode == 0, more.stderr
    continued = json.loads((tmp_path / "more/metrics.json").read_text())
    assert "interrupted" not in continued
    # It starts where the interrupted run stopped, not from a fresh initialisation.
    assert continued["epochs"][0]["loss"] < metrics["epochs"][0]["loss"]
