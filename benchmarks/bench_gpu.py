"""ffnet on a GPU (train.device: gpu, CuPy) against a plain PyTorch CUDA loop: one machine, one run.

Cases (issue #13), float32, 60,000 rows of synthetic data:
  wide  784-1024-1024-10, batch 512, SGD and Adam
  small 784-256-256-10,   batch 128, SGD and Adam
Systems:
  ffnet - ffnet_cli.train.train on a config with train.device gpu and an .npz: what `ffnet train`
          runs, with the per-epoch seconds it records (the epoch ends with a device sync: its
          loss is turned into a number)
  torch - nn.Sequential of Linear/ReLU on cuda, CrossEntropyLoss, torch.optim.SGD / Adam, data on
          the device, torch.randperm on the device, torch.cuda.synchronize() at the end of each epoch
The systems take turns, one epoch each per round; the first round warms up; the median of the rest
is reported, with the ratio ffnet/torch. Prints one JSON object.

    python benchmarks/bench_gpu.py > benchmarks/gpu.json           # on a machine with a GPU
    python benchmarks/bench_gpu.py --device cpu --n 2000 --repeats 1  # the same code on the CPU (a smoke test)
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

import numpy as np

from ffnet_cli.config import load_config
from ffnet_cli.train import train

CASES = [((784, 1024, 1024, 10), 512, "sgd"), ((784, 1024, 1024, 10), 512, "adam"),
         ((784, 256, 256, 10), 128, "sgd"), ((784, 256, 256, 10), 128, "adam")]
LR = {"sgd": 0.01, "adam": 0.001}


def make_data(n, sizes, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, sizes[0])).astype(np.float32)
    W = rng.standard_normal((sizes[0], sizes[-1])).astype(np.float32)
    y = np.argmax(X @ W + 0.5 * rng.standard_normal((n, sizes[-1])), axis=1)
    return X, y


def bench_ffnet(folder, X, y, sizes, batch, optimizer, device):
    np.savez(os.path.join(folder, "data.npz"), X=X, y=y)
    hidden = ", ".join(f"{{units: {u}, activation: relu}}" for u in sizes[1:-1])
    path = os.path.join(folder, "c.yaml")
    with open(path, "w") as f:
        f.write(f"seed: 0\ndata: {{train: data.npz, standardize: false}}\n"
                f"model: {{hidden: [{hidden}], output: softmax}}\n"
                f"train: {{epochs: 1, batch_size: {batch}, learning_rate: {LR[optimizer]}, optimizer: {optimizer}, "
                f"dtype: float32, device: {device}}}\n")
    cfg = load_config(path)
    while True:
        yield train(cfg).history[0]["seconds"]


def bench_torch(X, y, sizes, batch, optimizer, device):
    import torch
    dev = torch.device("cuda" if device == "gpu" else "cpu")
    torch.manual_seed(0)
    layers = []
    for i, (a, b) in enumerate(zip(sizes[:-1], sizes[1:])):
        layers += [torch.nn.Linear(a, b)] + ([torch.nn.ReLU()] if i < len(sizes) - 2 else [])
    model = torch.nn.Sequential(*layers).to(dev)
    opt = (torch.optim.SGD if optimizer == "sgd" else torch.optim.Adam)(model.parameters(), lr=LR[optimizer])
    loss_fn = torch.nn.CrossEntropyLoss()
    Xt, yt = torch.from_numpy(X).to(dev), torch.from_numpy(y.astype(np.int64)).to(dev)
    sync = torch.cuda.synchronize if device == "gpu" else (lambda: None)
    while True:
        sync()
        t0 = time.perf_counter()
        perm = torch.randperm(len(Xt), device=dev)
        for start in range(0, len(Xt), batch):
            rows = perm[start:start + batch]
            opt.zero_grad(set_to_none=True)
            loss_fn(model(Xt[rows]), yt[rows]).backward()
            opt.step()
        sync()
        yield time.perf_counter() - t0


def machine(device):
    info = {"python": sys.version.split()[0], "numpy": np.__version__, "device": device}
    try:
        import torch
        info["torch"] = torch.__version__
        if device == "gpu":
            info["gpu"] = torch.cuda.get_device_name(0)
    except ImportError:
        info["torch"] = None
    if device == "gpu":
        import cupy
        info["cupy"] = cupy.__version__
        try:
            info["nvidia-smi"] = subprocess.run(["nvidia-smi", "--query-gpu=name,driver_version,memory.total",
                                                 "--format=csv,noheader"], capture_output=True, text=True).stdout.strip()
        except OSError:
            pass
    return info


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=60000)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--device", choices=("gpu", "cpu"), default="gpu")
    args = parser.parse_args()
    out = {"machine": machine(args.device), "seconds_per_epoch": []}
    for sizes, batch, optimizer in CASES:
        X, y = make_data(args.n, sizes)
        with tempfile.TemporaryDirectory() as folder:
            runs = {"ffnet": bench_ffnet(folder, X, y, sizes, batch, optimizer, args.device),
                    "torch": bench_torch(X, y, sizes, batch, optimizer, args.device)}
            times = {name: [] for name in runs}
            for _ in range(args.repeats + 1):
                for name, run in runs.items():
                    times[name].append(next(run))
        case = {"sizes": list(sizes), "batch": batch, "optimizer": optimizer, "n": args.n}
        case.update({name: round(statistics.median(t[1:]), 4) for name, t in times.items()})
        case["ffnet/torch"] = round(case["ffnet"] / case["torch"], 3)
        print(json.dumps(case), file=sys.stderr, flush=True)
        out["seconds_per_epoch"].append(case)
    print(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
