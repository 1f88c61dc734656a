"""ffnet's training speed side by side with PyTorch CPU, scikit-learn and the BLAS floor, in one run.

For each case (network sizes, dtype, batch size) every system trains the same relu/softmax MLP
on the same seeded synthetic data with plain minibatch SGD, one after the other in this process:
  ffnet   - ffnet_cli.train.train on a Config and a temporary .npz: what `ffnet train` runs;
            seconds per epoch as train() records them (shuffle, batches, per-epoch metrics)
  torch   - PyTorch CPU, nn.Sequential of Linear/ReLU, CrossEntropyLoss, torch.optim.SGD (or .Adam)
  sklearn - MLPClassifier(solver="sgd", momentum=0, alpha=0) (or solver="adam"), per epoch of fit()
  floor   - only the matrix products an epoch needs (3 forward, 3 dW, 2 dX per batch, out=)
The systems take turns, one epoch each per round; the first round is a warm-up, the median of the
rest is reported.
Then peak RSS of `ffnet train` in a subprocess against the data file's size, and `ffnet predict`
on a 10-row CSV against `python -c "import numpy"`.

Prints one JSON object. Run (from the repository root, in a venv with `pip install -e '.[bench]'`):
    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE python benchmarks/bench.py > benchmarks/latest.json
"""

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
import warnings

import numpy as np

from ffnet_cli.config import load_config
from ffnet_cli.train import train

BIG, SMALL = (784, 256, 256, 10), (20, 64, 64, 3)
CASES = [(BIG, dtype, batch, "sgd") for dtype in ("float32", "float64") for batch in (32, 128, 512)]
CASES += [(SMALL, dtype, batch, "sgd") for dtype in ("float32", "float64") for batch in (32, 128)]
CASES += [(BIG, "float32", 128, "adam"), (SMALL, "float32", 128, "adam")]
LR = {"sgd": 0.01, "adam": 0.001}


def make_data(n, sizes, seed=0):
    """Features (n, d) from N(0, 1), labels (n,) of a noisy linear rule."""
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, sizes[0]))
    W = rng.standard_normal((sizes[0], sizes[-1]))
    y = np.argmax(X @ W + 0.5 * rng.standard_normal((n, sizes[-1])), axis=1)
    return X, y


def write_case(folder, X, y, sizes, dtype, batch, epochs, optimizer="sgd"):
    """A data .npz and a config for ffnet; returns the config path."""
    np.savez(os.path.join(folder, "data.npz"), X=X.astype(dtype), y=y)
    hidden = "\n".join(f"    - {{units: {u}, activation: relu}}" for u in sizes[1:-1])
    config = (f"seed: 0\ndata:\n  train: data.npz\n  standardize: false\nmodel:\n  hidden:\n{hidden}\n  output: softmax\n"
              f"train:\n  epochs: {epochs}\n  batch_size: {batch}\n  learning_rate: {LR[optimizer]}\n  dtype: {dtype}\n"
              f"  optimizer: {optimizer}\n")
    path = os.path.join(folder, "config.yaml")
    with open(path, "w") as f:
        f.write(config)
    return path


# Each system is a generator that trains one more epoch per next() and yields its seconds, so that
# run_case can take the systems in turns, epoch by epoch: load from other processes on the machine
# then falls on all of them alike.

def bench_ffnet(config_path):
    cfg = load_config(config_path)  # epochs: 1, so each train() is one epoch from a fresh start
    while True:
        yield train(cfg).history[0]["seconds"]


def bench_torch(X, y, sizes, batch, optimizer="sgd"):
    import torch
    torch.manual_seed(0)
    layers = []
    for i, (a, b) in enumerate(zip(sizes[:-1], sizes[1:])):
        layers += [torch.nn.Linear(a, b)] + ([torch.nn.ReLU()] if i < len(sizes) - 2 else [])
    model = torch.nn.Sequential(*layers).to(torch.float64 if X.dtype == np.float64 else torch.float32)
    opt = (torch.optim.SGD if optimizer == "sgd" else torch.optim.Adam)(model.parameters(), lr=LR[optimizer])
    loss_fn = torch.nn.CrossEntropyLoss()
    Xt, yt = torch.from_numpy(X), torch.from_numpy(y.astype(np.int64))
    while True:
        t0 = time.perf_counter()
        perm = torch.randperm(len(Xt))
        for start in range(0, len(Xt), batch):
            rows = perm[start:start + batch]
            opt.zero_grad(set_to_none=True)
            loss_fn(model(Xt[rows]), yt[rows]).backward()
            opt.step()
        yield time.perf_counter() - t0


def bench_sklearn(X, y, sizes, batch, optimizer="sgd"):
    from sklearn.neural_network import MLPClassifier
    clf = MLPClassifier(hidden_layer_sizes=sizes[1:-1], solver=optimizer, batch_size=batch, learning_rate_init=LR[optimizer],
                        momentum=0.0, alpha=0.0, max_iter=1, tol=0, shuffle=True, random_state=0, warm_start=True)
    while True:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # ConvergenceWarning after each one-epoch fit
            t0 = time.perf_counter()
            clf.fit(X, y)
            yield time.perf_counter() - t0


def bench_floor(X, sizes, batch):
    """Only the matrix products of an epoch, into preallocated outputs: what BLAS alone needs."""
    rng = np.random.default_rng(0)
    dt = X.dtype
    Ws = [(rng.standard_normal((a, b)) * np.sqrt(2 / a)).astype(dt) for a, b in zip(sizes[:-1], sizes[1:])]
    As = [np.empty((batch, b), dt) for b in sizes[1:]]
    dZs = [rng.standard_normal((batch, b)).astype(dt) for b in sizes[1:]]
    dWs = [np.empty_like(W) for W in Ws]
    while True:
        t0 = time.perf_counter()
        for start in range(0, len(X) - batch + 1, batch):
            A = X[start:start + batch]
            for W, Z in zip(Ws, As):
                A = np.matmul(A, W, out=Z)
            for i in range(len(Ws) - 1, -1, -1):
                np.matmul((As[i - 1] if i else X[start:start + batch]).T, dZs[i], out=dWs[i])
                if i:
                    np.matmul(dZs[i], Ws[i].T, out=dZs[i - 1])
        yield (time.perf_counter() - t0) * len(X) / (len(X) // batch * batch)


def run_case(sizes, dtype, batch, optimizer, n, repeats, systems):
    X, y = make_data(n, sizes)
    X = X.astype(dtype)
    out = {"sizes": list(sizes), "dtype": dtype, "batch": batch, "optimizer": optimizer, "n": n}
    with tempfile.TemporaryDirectory() as folder:
        config = write_case(folder, X, y, sizes, dtype, batch, 1, optimizer)
        runs = {"floor": bench_floor(X, sizes, batch), "ffnet": bench_ffnet(config),
                "torch": bench_torch(X, y, sizes, batch, optimizer), "sklearn": bench_sklearn(X, y, sizes, batch, optimizer)}
        times = {name: [] for name in systems}
        for _ in range(repeats + 1):  # the first round warms up and is not counted
            for name in systems:
                times[name].append(next(runs[name]))
        for name in systems:
            out[name] = round(statistics.median(times[name][1:]), 4)
    if "torch" in out:
        out["ffnet/torch"] = round(out["ffnet"] / out["torch"], 3)
    if "sklearn" in out:
        out["ffnet/sklearn"] = round(out["ffnet"] / out["sklearn"], 3)
    out["floor/ffnet"] = round(out["floor"] / out["ffnet"], 3)
    return out


MAXRSS = ("import resource, subprocess, sys; code = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL).returncode; "
          "print(code, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)")


def peak_rss(n, sizes, dtype):
    """Peak RSS (MB) of `ffnet train` on an .npz of n rows, one epoch, against the file's size (MB)."""
    X, y = make_data(n, sizes)
    with tempfile.TemporaryDirectory() as folder:
        config = write_case(folder, X, y, sizes, dtype, 128, 1)
        data_mb = os.path.getsize(os.path.join(folder, "data.npz")) / 2**20
        # A small wrapper process starts ffnet: a child forked straight from this (large) process would
        # report this process's size as its own peak.
        done = subprocess.run([sys.executable, "-c", MAXRSS, sys.executable, "-m", "ffnet_cli", "train", config,
                               "--quiet", "--out", folder], capture_output=True, text=True, check=True)
    code, rss_kb = map(int, done.stdout.split())
    rss_mb = rss_kb / 1024  # ru_maxrss is in kB on Linux
    return {"n": n, "sizes": list(sizes), "dtype": dtype, "data_mb": round(data_mb, 1), "peak_rss_mb": round(rss_mb, 1),
            "limit_mb": round(1.5 * data_mb + 150, 1), "rss/data": round(rss_mb / data_mb, 2), "exit": code}


def wall(cmd, runs, **kwargs):
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, **kwargs)
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def startup(runs=15):
    """Median wall seconds of `ffnet predict` on 10 rows and `ffnet --help`, against importing numpy."""
    X, y = make_data(40, SMALL)
    with tempfile.TemporaryDirectory() as folder:
        config = write_case(folder, X, y, SMALL, "float32", 32, 1)
        subprocess.run([sys.executable, "-m", "ffnet_cli", "train", config, "--quiet", "--out", folder], check=True)
        csv = os.path.join(folder, "rows.csv")
        np.savetxt(csv, X[:10], delimiter=",", header=",".join(f"x{i + 1}" for i in range(X.shape[1])), comments="")
        ffnet = [os.path.join(os.path.dirname(sys.executable), "ffnet")]
        numpy = wall([sys.executable, "-c", "import numpy"], runs)
        predict = wall(ffnet + ["predict", os.path.join(folder, "model.json"), "--data", csv], runs)
        help_ = wall(ffnet + ["--help"], runs)
    return {"import_numpy_s": round(numpy, 4), "predict_10_rows_s": round(predict, 4), "help_s": round(help_, 4),
            "predict/import_numpy": round(predict / numpy, 2), "help/import_numpy": round(help_ / numpy, 2)}


def machine():
    """The machine, library versions and the BLAS / thread settings every system ran with."""
    info = {"nproc": os.cpu_count(), "python": platform.python_version(), "numpy": np.__version__,
            "env": {k: os.environ.get(k) for k in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE", "OPENBLAS_NUM_THREADS",
                                                   "OMP_NUM_THREADS", "MKL_NUM_THREADS")},
            "loadavg_at_start": os.getloadavg()}
    try:
        with open("/proc/cpuinfo") as f:
            info["cpu"] = next(line.split(":", 1)[1].strip() for line in f if line.startswith("model name"))
    except (OSError, StopIteration):
        info["cpu"] = platform.processor()
    for name in ("torch", "sklearn"):
        try:
            info[name] = __import__(name).__version__
        except ImportError:
            info[name] = None
    if info["torch"]:
        import torch
        info["torch_threads"] = torch.get_num_threads()
        info["torch_blas"] = "mkl" if torch.backends.mkl.is_available() else "other"
    try:
        from threadpoolctl import threadpool_info
        info["threadpools"] = [{k: p.get(k) for k in ("internal_api", "prefix", "version", "num_threads", "architecture")}
                               for p in threadpool_info()]
    except ImportError:
        blas = np.show_config(mode="dicts")["Build Dependencies"]["blas"]
        info["threadpools"] = [{"numpy_blas": blas.get("name"), "version": blas.get("version")}]
    return info


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=20000, help="samples (default 20000)")
    parser.add_argument("--repeats", type=int, default=5, help="timed epochs per system and case (>= 3)")
    parser.add_argument("--systems", default="floor,ffnet,torch,sklearn")
    parser.add_argument("--quick", action="store_true", help="only float32 batch 128 (both networks, SGD and Adam)")
    args = parser.parse_args()
    systems = args.systems.split(",")
    cases = [c for c in CASES if c[1] == "float32" and c[2] == 128] if args.quick else CASES
    if "torch" in systems or "sklearn" in systems:  # import both first, so every case runs under the same thread pools
        import sklearn.neural_network  # noqa: F401
        import torch  # noqa: F401
    out = {"machine": machine(), "seconds_per_epoch": []}
    for sizes, dtype, batch, optimizer in cases:
        case = run_case(sizes, dtype, batch, optimizer, args.n, max(args.repeats, 3), systems)
        print(json.dumps(case), file=sys.stderr, flush=True)
        out["seconds_per_epoch"].append(case)
    out["memory"] = [peak_rss(args.n, BIG, "float32"), peak_rss(args.n, BIG, "float64")]
    out["startup"] = startup()
    out["machine"]["loadavg_at_end"] = os.getloadavg()
    print(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
