"""ffnet's data side measured against pandas and numpy in the same run: CSV reading (time and peak
memory), predict's CSV writing against the forward pass, and the resident memory of training from
a folder with a 1.2 GB X.npy.

  read    - ffnet_cli.readers.read_frame (`ffnet`: with the fast extra, pyarrow, where it is installed;
            `ffnet-numpy`: numpy's parsers alone, the core install), pandas.read_csv (default C parser),
            numpy.loadtxt, on 300,000 x 20 and 1,000,000 x 10 numeric tables and a 1,000,000-row mixed
            table (three word columns, four numbers, 1 % NA cells; loadtxt cannot read it). Seconds:
            best of --repeats, the readers taking turns. Peak memory: each reader once in a fresh
            subprocess, its peak RSS (VmHWM) less the RSS before reading, against the file size; for
            ffnet also with pyarrow imported before (the difference is pyarrow's import).
  write   - 1,000,000 rows: labels and probabilities of a 10-16-3 softmax model as predict writes
            them (writers.write_csv), csv.writer one cell at a time (the old way), and the forward pass.
  folder  - `ffnet train` of one epoch (batch 512, 100-64-1 sigmoid) from a folder with X.npy
            (3,000,000 x 100 float32, 1.2 GB) and y.npy, in a subprocess: its peak RSS; beside it a
            plain np.memmap loop gathering the same random minibatches.

Prints a table per part and one JSON object (--json FILE). Run from the repository root, in a venv
with `pip install -e '.[test,fast]' pandas`:
    python benchmarks/bench_data.py            # about 3 minutes and 2 GB of temporary files
    python benchmarks/bench_data.py --quick    # smaller tables, a 120 MB X.npy
"""

import argparse
import csv
import io
import json
import os
import subprocess
import sys
import tempfile
import time

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PEAK = """
import numpy as np
{imports}
def status(key):  # VmHWM: the peak RSS of this process image (ru_maxrss would count the forking parent's)
    with open("/proc/self/status") as f:
        return next(int(line.split()[1]) * 1024 for line in f if line.startswith(key))
before = status("VmRSS:")
{call}
print(status("VmHWM:") - before)
"""
# `ffnet train` in this process image, printing its peak RSS (VmHWM) on stderr when it exits.
CLI_PEAK = """
import atexit, sys
from ffnet_cli.cli import main
def peak():
    with open("/proc/self/status") as f:
        print("peak", next(int(line.split()[1]) * 1024 for line in f if line.startswith("VmHWM:")), file=sys.stderr)
atexit.register(peak)
sys.argv = ["ffnet"] + sys.argv[1:]
main()
"""
READERS = {  # ffnet: with the `fast` extra (pyarrow) when it is installed; ffnet-numpy: numpy's parser alone
    "ffnet": ("from ffnet_cli.readers import read_frame", "read_frame({path!r})"),
    "ffnet-numpy": ("from ffnet_cli import arrowread\narrowread.ARROW = None\nfrom ffnet_cli.readers import read_frame",
                    "read_frame({path!r})"),
    "ffnet-imported": ("from ffnet_cli import arrowread\narrowread.modules()\nfrom ffnet_cli.readers import read_frame",
                       "read_frame({path!r})"),  # peak memory only: pyarrow imported before reading
    "pandas": ("import pandas", "pandas.read_csv({path!r})"),
    "loadtxt": ("", "np.loadtxt({path!r}, delimiter=',', skiprows=1)"),
}


def tables(folder: str, quick: bool) -> dict:
    """The three CSV files: numbers written with 6 significant digits, words from small vocabularies."""
    rng = np.random.default_rng(0)
    scale = 10 if quick else 1
    paths = {}
    for n, c in ((300_000 // scale, 20), (1_000_000 // scale, 10)):
        path = os.path.join(folder, f"numbers_{n}x{c}.csv")
        with open(path, "w") as f:
            f.write(",".join(f"x{i}" for i in range(c)) + "\n")
            np.savetxt(f, rng.normal(size=(n, c)), delimiter=",", fmt="%.6g")
        paths[f"{n:,} x {c} numbers"] = path
    n = 1_000_000 // scale
    columns = {"island": rng.choice(["Biscoe", "Dream", "Torgersen"], n), "bill": rng.normal(44, 5, n).round(1),
               "depth": rng.normal(17, 2, n).round(1), "flipper": rng.integers(170, 230, n).astype(str),
               "mass": rng.integers(2700, 6300, n).astype(str), "sex": rng.choice(["female", "male"], n),
               "species": rng.choice(["Adelie", "Chinstrap", "Gentoo"], n)}
    cells = np.column_stack([np.asarray(v).astype(str) for v in columns.values()])
    cells[rng.random(cells.shape) < 0.01] = "NA"
    cells[:, -1] = columns["species"]
    path = os.path.join(folder, f"mixed_{n}.csv")
    with open(path, "w") as f:
        f.write(",".join(columns) + "\n")
        f.write("\n".join(",".join(row) for row in cells.tolist()) + "\n")
    paths[f"{n:,} rows mixed (3 word columns, NA cells)"] = path
    return paths


def time_reads(paths: dict, repeats: int) -> list[dict]:
    import pandas

    from ffnet_cli import arrowread
    from ffnet_cli.readers import read_frame

    def numpy_only(path):
        found, arrowread.ARROW = arrowread.ARROW, None
        try:
            return read_frame(path)
        finally:
            arrowread.ARROW = found

    calls = {"ffnet": read_frame, "ffnet-numpy": numpy_only, "pandas": pandas.read_csv,
             "loadtxt": lambda p: np.loadtxt(p, delimiter=",", skiprows=1)}
    rows = []
    for name, path in paths.items():
        best = {}
        for _ in range(repeats):
            for reader, call in calls.items():
                if reader == "loadtxt" and name.endswith(")"):
                    continue  # words and NA cells: loadtxt cannot read the mixed table
                start = time.perf_counter()
                call(path)
                best[reader] = min(best.get(reader, np.inf), time.perf_counter() - start)
        size = os.path.getsize(path)
        peaks = {reader: _peak(path, reader) for reader in [*best, "ffnet-imported"]}
        rows.append({"table": name, "mb": size / 1e6, "seconds": best, "peak_mb": {k: v / 1e6 for k, v in peaks.items()},
                     "ffnet_over_pandas": best["ffnet"] / best["pandas"], "ffnet_peak_over_file": peaks["ffnet"] / size,
                     "ffnet_peak_over_file_pyarrow_imported": peaks["ffnet-imported"] / size})
        print(f"  {name}: " + ", ".join(f"{k} {v:.2f}s" for k, v in best.items()), file=sys.stderr)
    return rows


def _peak(path: str, reader: str) -> int:
    imports, call = READERS[reader]
    code = PEAK.format(imports=imports, call=call.format(path=path))
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True)
    return int(result.stdout.strip())


def time_writes(n: int) -> dict:
    from ffnet_cli.model import Model
    from ffnet_cli.network import init_params
    from ffnet_cli.writers import write_csv
    rng = np.random.default_rng(0)
    model = Model(tuple(f"x{i}" for i in range(10)), ("species",), "softmax", "cross_entropy",
                  ("Adelie", "Chinstrap", "Gentoo"), None, ("relu", "softmax"),
                  init_params([10, 16, 3], ("relu", "softmax"), rng, "float32"), "float32")
    X = rng.normal(size=(n, 10)).astype(np.float32)
    timings = {}
    start = time.perf_counter()
    _, A = model.outputs(X)
    timings["forward pass"] = time.perf_counter() - start
    labels, (names, P) = model.predicted_labels(A), model.probability_columns(A)
    for what, header, values, proba in (("labels", ["species"], labels, False), ("probabilities", names, P, True)):
        start = time.perf_counter()
        write_csv(io.StringIO(), header, values, proba)
        timings[f"{what}: write_csv"] = time.perf_counter() - start
        start = time.perf_counter()
        writer = csv.writer(io.StringIO(), lineterminator="\n")
        writer.writerow(header)
        writer.writerows([str(v) for v in row] for row in values)
        timings[f"{what}: csv.writer per cell"] = time.perf_counter() - start
    return timings


NAIVE = """
import sys, numpy as np
X = np.load(sys.argv[1] + "/X.npy", mmap_mode="r")
rng = np.random.default_rng(0)
for start in range(0, len(X), 512):
    batch = np.asarray(X[np.sort(rng.integers(0, len(X), 512))], dtype=np.float32)
with open("/proc/self/status") as f:
    print(next(int(line.split()[1]) * 1024 for line in f if line.startswith("VmHWM:")))
"""


def folder_rss(folder: str, n: int, d: int = 100) -> dict:
    """Peak RSS of `ffnet train` (one epoch) on a folder with an X.npy of n x d float32."""
    data = os.path.join(folder, "big")
    os.makedirs(data, exist_ok=True)
    X = np.lib.format.open_memmap(os.path.join(data, "X.npy"), mode="w+", dtype=np.float32, shape=(n, d))
    rng = np.random.default_rng(0)
    y = np.empty(n, np.int8)
    for start in range(0, n, 100_000):
        block = rng.normal(size=(min(100_000, n - start), d)).astype(np.float32)
        X[start:start + len(block)] = block
        y[start:start + len(block)] = block[:, 0] + block[:, 1] > 0
    X.flush()
    del X
    np.save(os.path.join(data, "y.npy"), y)
    config = os.path.join(folder, "big.yaml")
    with open(config, "w") as f:
        f.write("data: {train: big, validation_split: 0.1}\nmodel: {hidden: [{units: 64}], output: sigmoid}\n"
                "train: {epochs: 1, batch_size: 512, learning_rate: 0.05}\n")
    size = os.path.getsize(os.path.join(data, "X.npy"))
    start = time.perf_counter()
    run = subprocess.run([sys.executable, "-c", CLI_PEAK, "train", config, "--quiet", "--out", os.path.join(folder, "run")],
                         cwd=ROOT, capture_output=True, text=True)
    seconds = time.perf_counter() - start
    assert run.returncode == 0, run.stderr
    peak = int(run.stderr.split("peak")[-1])
    naive = subprocess.run([sys.executable, "-c", NAIVE, data], capture_output=True, text=True, check=True)
    return {"x_npy_mb": size / 1e6, "rows": n, "features": d, "ffnet_train_peak_rss_mb": peak / 1e6,
            "ffnet_train_seconds": seconds, "plain_memmap_loop_peak_rss_mb": int(naive.stdout) / 1e6}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="tables a tenth the size, a 120 MB X.npy")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--json", help="also write the results to this file")
    parser.add_argument("--skip-folder", action="store_true", help="leave out the 1.2 GB folder run")
    args = parser.parse_args()
    results = {"machine": {"cpus": os.cpu_count(), "python": sys.version.split()[0], "numpy": np.__version__}}
    try:
        import pandas
        results["machine"]["pandas"] = pandas.__version__
    except ImportError:
        sys.exit("bench_data.py compares with pandas: pip install pandas")
    try:
        import pyarrow
        results["machine"]["pyarrow"] = pyarrow.__version__
    except ImportError:
        results["machine"]["pyarrow"] = None
    with tempfile.TemporaryDirectory() as folder:
        print("writing the tables", file=sys.stderr)
        paths = tables(folder, args.quick)
        print("reading", file=sys.stderr)
        results["read"] = time_reads(paths, args.repeats)
        print("writing predictions", file=sys.stderr)
        results["write"] = time_writes(100_000 if args.quick else 1_000_000)
        if not args.skip_folder:
            print("training from a folder", file=sys.stderr)
            results["folder"] = folder_rss(folder, 300_000 if args.quick else 3_000_000)
    print("\nCSV reading (seconds, best of %d; peak memory above the RSS before reading, MB)" % args.repeats)
    print(f"ffnet: {'with the fast extra (pyarrow)' if results['machine']['pyarrow'] else 'numpy only'}; "
          "ffnet-numpy: numpy's parser alone")
    print("| table | file MB | ffnet | ffnet-numpy | pandas | loadtxt | ffnet/pandas | ffnet-numpy/pandas | peak ffnet "
          "(pyarrow imported before) / ffnet-numpy / pandas / loadtxt | ffnet peak/file (imported before) "
          "| ffnet-numpy peak/file |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for row in results["read"]:
        s, p, mb = row["seconds"], row["peak_mb"], row["mb"]
        print(f"| {row['table']} | {mb:.0f} | {s['ffnet']:.2f} | {s['ffnet-numpy']:.2f} | {s['pandas']:.2f} | "
              f"{s.get('loadtxt', float('nan')):.2f} | {row['ffnet_over_pandas']:.2f} | "
              f"{s['ffnet-numpy'] / s['pandas']:.2f} | {p['ffnet']:.0f} ({p['ffnet-imported']:.0f}) / "
              f"{p['ffnet-numpy']:.0f} / {p['pandas']:.0f} / {p.get('loadtxt', float('nan')):.0f} MB | "
              f"{row['ffnet_peak_over_file']:.2f} ({row['ffnet_peak_over_file_pyarrow_imported']:.2f}) | "
              f"{p['ffnet-numpy'] / mb:.2f} |")
    print("\npredict's CSV output, %s rows (seconds)" % ("100,000" if args.quick else "1,000,000"))
    for what, seconds in results["write"].items():
        print(f"  {what:<40} {seconds:.3f}")
    if "folder" in results:
        f = results["folder"]
        print(f"\nfolder: X.npy {f['x_npy_mb']:.0f} MB ({f['rows']:,} x {f['features']} float32): ffnet train peak RSS "
              f"{f['ffnet_train_peak_rss_mb']:.0f} MB in {f['ffnet_train_seconds']:.0f} s; a plain np.memmap loop over the "
              f"same minibatches: {f['plain_memmap_loop_peak_rss_mb']:.0f} MB")
    if args.json:
        with open(args.json, "w") as out:
            json.dump(results, out, indent=1)


if __name__ == "__main__":
    main()
