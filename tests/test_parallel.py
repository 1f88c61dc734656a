"""Several `ffnet train` runs started at once into one folder: every run keeps its own whole files.

Real processes, started together; each run has its own seed, so its files can be told apart. The
suite repeats each case a few times; run it many times by hand to gain confidence, e.g.
`for i in $(seq 50); do python -m pytest -q -x tests/test_parallel.py || break; done`.
"""

import json
import os
import select
import signal
import subprocess

import numpy as np
import pytest

from conftest import FFNET, default_signals

XOR = "x1,x2,y\n0,0,0\n0,1,1\n1,0,1\n1,1,0\n"
CONFIG = "data: {train: d.csv}\nmodel: {output: sigmoid, hidden: [{units: 128}, {units: 128}]}\ntrain: {epochs: 3}\n"
RUN_FILES = ["metrics.json", "model.json", "state.npz"]
RUNS = 4


def train_at_once(folder, seeds, *args, stop_at_once=False):
    """Start one `ffnet train` per seed, all at once, and wait for every one to end successfully.

    stop_at_once: the runs go on (for 10^6 epochs) until all of them train, then one Ctrl-C each
    stops them together, so that they save at the very same time.
    """
    more = ["--set", "train.epochs=1000000"] if stop_at_once else ["--quiet"]
    runs = [subprocess.Popen([*FFNET, "train", "c.yaml", "--set", f"seed={seed}", *more, *args], cwd=folder,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, bufsize=0, preexec_fn=default_signals)
            for seed in seeds]
    try:
        if stop_at_once:
            for run in runs:
                wait_for_first_epoch(run)
            for run in runs:
                run.send_signal(signal.SIGINT)
        for run in runs:
            out, err = run.communicate(timeout=120)
            assert run.returncode == (130 if stop_at_once else 0), err.decode()
    finally:
        for run in runs:
            if run.poll() is None:
                run.kill()


def wait_for_first_epoch(run):
    """Read stderr up to the first epoch line (unbuffered: select must see what readline has not read)."""
    line = ""
    while not line.startswith("epoch "):
        ready, _, _ = select.select([run.stderr], [], [], 60)
        assert ready, "no progress line within 60 s"
        line = run.stderr.readline().decode()
        assert line, "stderr closed before the first epoch"


def run_seed(folder) -> int:
    """The seed of the run whose files are in folder, after checking that they belong together:
    model.json holds state.npz's parameters and seed, metrics.json has state.npz's epochs."""
    assert sorted(n for n in os.listdir(folder) if not n.startswith("previous-")) == RUN_FILES, folder
    model = json.loads((folder / "model.json").read_text())
    metrics = json.loads((folder / "metrics.json").read_text())
    with np.load(folder / "state.npz", allow_pickle=False) as state:
        meta, theta = json.loads(str(state["meta"])), state["theta"]
    weights = np.concatenate([np.ravel(layer[key]) for layer in model["layers"] for key in ("weights", "bias")])
    assert np.array_equal(np.sort(weights), np.sort(theta)), folder  # the same parameters
    assert model["config"]["seed"] == meta["config"]["seed"], folder
    assert metrics["epochs"] == meta["history"], folder
    return model["config"]["seed"]


@pytest.mark.parametrize("stop_at_once", [False, True, True], ids=["finishing", "stopped at once", "again"])
def test_runs_started_at_once_into_the_default_folder_each_keep_their_files(tmp_path, stop_at_once):
    (tmp_path / "d.csv").write_text(XOR)
    (tmp_path / "c.yaml").write_text(CONFIG)
    train_at_once(tmp_path, [100])  # an earlier run, to be kept as well
    train_at_once(tmp_path, range(RUNS), stop_at_once=stop_at_once)

    folder = tmp_path / "runs/c"
    previous = sorted(n for n in os.listdir(folder) if n.startswith("previous-"))
    assert previous == [f"previous-{n}" for n in range(1, RUNS + 1)]  # each N once, none empty, none missing
    seeds = [run_seed(folder)] + [run_seed(folder / name) for name in previous]
    assert sorted(seeds) == [0, 1, 2, 3, 100]
    assert run_seed(folder / "previous-1") == 100


@pytest.mark.parametrize("stop_at_once", [False, True], ids=["finishing", "stopped at once"])
def test_runs_started_at_once_into_one_out_folder_leave_one_whole_run(tmp_path, stop_at_once):
    (tmp_path / "d.csv").write_text(XOR)
    (tmp_path / "c.yaml").write_text(CONFIG)
    train_at_once(tmp_path, range(RUNS), "--out", "out", stop_at_once=stop_at_once)
    assert run_seed(tmp_path / "out") in range(RUNS)  # the last to finish, whole; nothing else left there
