"""What the live view of `ffnet train` costs: seconds per epoch with and without it, in one run.

For each case, training runs alternately
  quiet - train() with no callbacks, as `ffnet train --quiet` runs it;
  live  - train() with the live view's on_batch/on_epoch (live.TrainingReport), drawing the full
          view (table, sparklines, per-layer health, status) as on an 80x40 terminal, into
          /dev/null; this includes the per-layer health that train() computes only for a view;
and reports the median over rounds of each run's seconds per epoch (train()'s own wall time of
the epoch loop, TrainResult.seconds, over its epochs) and the ratio live/quiet - 1 (target: < 3%).
On a shared machine that ratio moves by several percent between runs, so the live runs also time
their own callbacks: `callback_share` is the time spent inside the view's on_epoch/on_batch (all
its drawing included) over the quiet epoch time, the part of the cost that load does not blur.
Cases: configs/iris.yaml (120 training rows, a 1 ms epoch: the per-epoch cost of the view is
largest here) and 784-256-256-10 relu/softmax, float32, batch 128, on 20,000 rows of
benchmarks/bench.py's synthetic data.

Prints one JSON object. Run from the repository root:
    OPENBLAS_NUM_THREADS=1 python benchmarks/live_view.py [--rounds N]
(one BLAS thread: on a loaded 2-core machine two threads make single epochs of the large network
vary by 10x, in either run; the view's cost does not depend on the thread count).
"""

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

from rich.console import Console

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))

from bench import BIG, make_data, write_case  # noqa: E402

from ffnet_cli.config import load_config  # noqa: E402
from ffnet_cli.live import TrainingReport  # noqa: E402
from ffnet_cli.summary import describe  # noqa: E402
from ffnet_cli.train import train  # noqa: E402


def timed(callback, spent: list):
    def call(*args):
        start = time.perf_counter()
        callback(*args)
        spent[0] += time.perf_counter() - start
    return call


def seconds_per_epoch(cfg, live: bool) -> tuple[float, float]:
    """(seconds per epoch, of which seconds in the view's callbacks)."""
    spent = [0.0]
    if not live:
        result = train(cfg)
    else:
        with open(os.devnull, "w") as sink:
            console = Console(file=sink, force_terminal=True, width=80, height=40)
            report = TrainingReport(console, cfg, "ffnet train bench.yaml → runs/bench")
            with report:
                result = train(cfg, on_start=lambda data, model: report.on_start(describe(cfg, data, model, "runs")),
                               on_epoch=timed(report.on_epoch, spent), on_batch=timed(report.on_batch, spent))
                report.finish(result)
    return result.seconds / len(result.history), spent[0] / len(result.history)


def measure(cfg, rounds: int) -> dict:
    times = {"quiet": [], "live": []}
    callbacks = []
    seconds_per_epoch(cfg, False)  # warm-up
    for _ in range(rounds):
        for mode in times:
            epoch, spent = seconds_per_epoch(cfg, mode == "live")
            times[mode].append(epoch)
            callbacks += [spent] if mode == "live" else []
    quiet, live = statistics.median(times["quiet"]), statistics.median(times["live"])
    print(f"{cfg.path}: quiet {quiet * 1e3:.3f} ms/epoch, live {live * 1e3:.3f} ms/epoch", file=sys.stderr)
    return {"epochs": cfg.train.epochs, "rounds": rounds, "quiet_seconds_per_epoch": quiet,
            "live_seconds_per_epoch": live, "overhead": live / quiet - 1,
            "callback_seconds_per_epoch": statistics.median(callbacks),
            "callback_share": statistics.median(callbacks) / quiet}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=15)
    args = parser.parse_args()
    out = {"iris": measure(load_config(str(ROOT / "configs/iris.yaml"), ["train.epochs=500"]), args.rounds)}
    with tempfile.TemporaryDirectory() as folder:
        X, y = make_data(20_000, BIG)
        config = write_case(folder, X, y, BIG, "float32", 128, epochs=3)
        out["784-256-256-10 float32 batch 128"] = measure(load_config(config), max(3, args.rounds // 2))
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
