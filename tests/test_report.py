"""What `ffnet train` shows: the live view's frame, the log when stderr is not a terminal, jsonl,
--quiet, and the opening summary."""

import io
import json
import re
import time

import pytest
from rich.console import Console

from conftest import CONFIGS, DATASETS
from ffnet_cli.config import load_config
from ffnet_cli.live import REFRESH, TrainingReport, sparkline
from ffnet_cli.report import cell, columns, number, print_summary

ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")
BOX = set("─│┃━┏┓┗┛┡┩╇┳┻┼╭╮╰╯═║")


def record(epoch, loss, val_loss=None, objective=None, accuracy=0.5, lr=0.1, seconds=0.0012):
    out = {"epoch": epoch, "loss": loss, "objective": loss if objective is None else objective,
           "learning_rate": lr, "accuracy": accuracy}
    if val_loss is not None:
        out.update(val_loss=val_loss, val_accuracy=0.9)
    return out | {"seconds": seconds}


def health():
    return [{"layer": 0, "grad_norm": 0.0123, "update_ratio": 1.1e-3, "dead": 0.25, "saturated": None},
            {"layer": 1, "grad_norm": 0.5, "update_ratio": 0.2, "dead": None, "saturated": None}]


def frame(report, width=80, height=40) -> list[str]:
    """The live view as plain lines, rendered wider than the report's own console (that the view
    is laid out for), so that a line too long for the terminal shows instead of being cropped."""
    console = Console(file=io.StringIO(), width=200, height=height, force_terminal=False, record=True)
    console.print(report._view())
    return console.export_text().splitlines()


def live_report(tmp_path, epochs=100, overrides=(), width=80):
    (tmp_path / "c.yaml").write_text(f"data: {{train: {DATASETS / 'iris.csv'}, validation_split: 0.2}}\n"
                                     f"model: {{output: softmax}}\ntrain: {{epochs: {epochs}}}\n")
    cfg = load_config(str(tmp_path / "c.yaml"), list(overrides))
    console = Console(file=io.StringIO(), width=width, height=40, force_terminal=True)
    report = TrainingReport(console, cfg, "ffnet train c.yaml --set train.epochs=100 → runs/c")
    report.on_start({"layers": ["4 inputs", "16 relu", "3 softmax"], "optimizer": "sgd (momentum 0.9)"})
    return report


def feed(report, losses, health_fn=health, draw_last=True):
    """Epoch records as train() gives them; the last one is drawn (the view draws every 0.25 s)."""
    for epoch, loss in enumerate(losses, 1):
        if epoch == len(losses) and draw_last:
            report.drawn = float("-inf")
        report.on_epoch(record(epoch, loss, val_loss=loss + 0.1), health_fn)


def test_numbers_are_never_longer_than_8_characters_and_keep_their_digits():
    values = [0.93791, 12.3456, 1234.56, 99999.4, 1.2e-4, -0.1234, 3.21e6, -1234.46, 0.0]
    shown = [number(v) for v in values]
    assert shown == ["0.9379", "12.346", "1234.6", "99999", "1.20e-04", "-0.1234", "3.21e+06", "-1234.5", "0"]
    assert all(len(s) <= 8 for s in shown)
    assert (cell("seconds", 0.00091), cell("seconds", 0.25), cell("learning_rate", 0.001)) == ("0.9", "250", "0.001")


def test_objective_is_a_column_only_when_a_penalty_makes_it_differ_from_loss():
    plain = [record(1, 0.5), record(2, 0.4)]
    penalised = [record(1, 0.5, objective=0.6), record(2, 0.4, objective=0.45)]
    assert "objective" not in columns(plain, 80)
    assert "objective" in columns(penalised, 80)


def test_a_narrow_terminal_drops_time_and_rate_columns_instead_of_cutting_numbers():
    rows = [record(1, 0.5, val_loss=0.6, objective=0.7)]
    assert columns(rows, 80) == ["epoch", "loss", "objective", "accuracy", "val_loss", "val_accuracy",
                                 "learning_rate", "seconds"]
    assert columns(rows, 52) == ["epoch", "loss", "objective", "accuracy", "val_loss", "val_accuracy"]
    assert columns(rows, 45) == ["epoch", "loss", "accuracy", "val_loss", "val_accuracy"]


@pytest.mark.parametrize("width", [80, 60])
def test_live_view_keeps_first_best_and_latest_rows_and_fits_the_width(tmp_path, width):
    report = live_report(tmp_path, width=width)
    losses = [1.0 - 0.05 * e for e in range(1, 11)] + [0.9] * 90  # best at epoch 10, rows every 4 epochs
    feed(report, losses)
    report.on_batch(101, 32, 120, 0.3456)
    lines = frame(report, width)
    assert lines[0] == "ffnet train c.yaml --set train.epochs=100 → runs/c"  # the config, --set and folder
    table = [line.split()[0] for line in lines[2:] if re.match(r"\s+(\d+|⋮)(\s|$)", line)]
    assert table == ["1", "⋮", "10", "⋮"] + [str(e) for e in range(32, 101, 4)]  # first, best, latest
    best = next(line for line in lines if line.split()[:1] == ["10"])
    assert best.endswith("← best") and "0.5000" in best
    assert all(len(line) <= width for line in lines)
    assert not any("…" in line for line in lines)  # no number is cut
    text = " ".join(lines)
    assert "epoch 101: 32/120 rows, running loss 0.3456" in text
    assert "best epoch 10 (val_loss 0.6000)" in text and "lr 0.1" in text and "sgd (momentum 0.9)" in text
    assert re.search(r"epoch 100/100 .* elapsed, ETA", text)


def test_live_view_shows_the_loss_curve_and_each_layers_health(tmp_path):
    report = live_report(tmp_path)
    feed(report, [1.0, 0.5, 0.25, 0.125])
    text = "\n".join(frame(report))
    curve = re.search(r"^loss\s+(\S+)  1\.0000 → 0\.1250$", text, re.M)
    assert curve and curve.group(1) == sparkline([1.0, 0.5, 0.25, 0.125]) == "█▆▃▁"
    assert re.search(r"^1: 16 relu\s+0\.0123\s+1\.1e-03\s+25%\s+-$", text, re.M)
    assert re.search(r"^2: 3 softmax\s+0\.5000\s+2\.0e-01\s+-\s+-$", text, re.M)
    assert "healthy near 1e-3" in text


def test_health_is_computed_only_when_the_view_is_drawn(tmp_path):
    report = live_report(tmp_path, epochs=200)
    calls = []
    started = time.perf_counter()
    feed(report, [1.0] * 200, lambda: calls.append(1) or health(), draw_last=False)
    assert 1 <= len(calls) <= 2 + (time.perf_counter() - started) / REFRESH  # not 200: at most every 0.25 s,
    assert report.health_epoch == 200  # and for the last epoch


def test_early_stopping_status_counts_epochs_without_improvement(tmp_path):
    report = live_report(tmp_path, overrides=["train.early_stopping={patience: 5}"])
    feed(report, [0.5, 0.4, 0.45, 0.46])
    assert "best epoch 2 (val_loss 0.5000) · 2 of 5 epochs without improvement" in " ".join(frame(report))


def test_training_on_a_terminal_draws_the_live_view_and_ends_with_the_final_frame(tmp_path):
    from ffnet_cli.summary import describe
    from ffnet_cli.train import train
    cfg = load_config(str(CONFIGS / "iris.yaml"), ["train.epochs=30"])
    console = Console(file=io.StringIO(), width=80, height=40, force_terminal=True)
    with TrainingReport(console, cfg, "ffnet train configs/iris.yaml → runs/iris") as report:
        result = train(cfg, on_start=lambda data, model: report.on_start(describe(cfg, data, model, "runs/iris")),
                       on_epoch=report.on_epoch, on_batch=report.on_batch)
        report.finish(result)
    shown = ANSI.sub("", console.file.getvalue())
    assert "ffnet train configs/iris.yaml → runs/iris" in shown
    final = shown[shown.rindex("ffnet train configs/iris.yaml"):]
    assert "completed 30 epochs" in final and "layer health, last batch of epoch 30" in final
    assert re.search(r"^\s+30\s+\d\.\d{4}", final, re.M)


def test_log_when_stderr_is_not_a_terminal_has_an_opening_line_a_line_per_interval_and_plain_tables(ffnet):
    result = ffnet("train", CONFIGS / "iris.yaml", "--out", "out", "--set", "train.epochs=50")
    assert result.returncode == 0, result.stderr
    lines = result.stderr.splitlines()
    assert lines[0] == f"ffnet train {CONFIGS / 'iris.yaml'} --set train.epochs=50 -> out: 50 epochs, a line every 2"
    epoch_lines = [line for line in lines if line.startswith("epoch ")]
    assert [int(line.split()[1].split("/")[0]) for line in epoch_lines] == [1] + list(range(2, 51, 2))
    assert re.fullmatch(r"epoch 1/50  loss \d\.\d{4}  accuracy \d\.\d{4}  val_loss \d\.\d{4}  "
                        r"val_accuracy \d\.\d{4}  lr 0\.1  \d+\.\dms", epoch_lines[0])
    assert any(line.startswith("completed 50 epochs; best epoch ") for line in lines)
    assert "final metrics" in lines and any(re.fullmatch(r"accuracy\s+\d\.\d{4}\s+\d\.\d{4}", x) for x in lines)
    assert not BOX & set(result.stderr) and all(line == line.rstrip() for line in lines)


def test_log_format_jsonl_writes_the_epoch_records_of_metrics_json(tmp_path, ffnet):
    result = ffnet("train", CONFIGS / "iris.yaml", "--out", "out", "--set", "train.epochs=50", "--log-format", "jsonl")
    assert result.returncode == 0, result.stderr
    logged = [json.loads(line) for line in result.stderr.splitlines() if line.startswith("{")]
    epochs = json.loads((tmp_path / "out" / "metrics.json").read_text())["epochs"]
    assert logged == [epochs[0]] + epochs[1::2]  # epoch 1, then every 2nd: a line every ceil(50 / 25) epochs
    assert not any(line.startswith("epoch ") for line in result.stderr.splitlines())


def test_quiet_prints_nothing_but_warnings(tmp_path, ffnet):
    args = ("train", CONFIGS / "breast_cancer.yaml", "--set", "data.standardize=false", "--set", "train.epochs=2",
            "--set", "train.learning_rate=1e-9", "--quiet")
    for _ in range(2):  # the second run moves the first to runs/breast_cancer/previous-1, silently
        result = ffnet(*args)
        assert result.returncode == 0 and result.stdout == ""
        assert [line.split(":")[0] for line in result.stderr.splitlines()] == ["warning"]
    assert (tmp_path / "runs/breast_cancer/previous-1/model.json").is_file()


def test_the_opening_summary_says_where_the_output_goes_and_why(ffnet):
    result = ffnet("train", CONFIGS / "xor.yaml", "--set", "train.epochs=1")
    assert re.search(r"^output +runs/xor \(runs/<config stem>, relative to the current folder; an earlier run",
                     result.stderr, re.M)
    result = ffnet("train", CONFIGS / "xor.yaml", "--set", "train.epochs=1", "--out", "elsewhere")
    assert re.search(r"^output +elsewhere \(--out, relative to the current folder\)$", result.stderr, re.M)


def test_the_opening_summary_fits_80_columns_and_shows_keys_it_does_not_know():
    summary = {"rows": {"train": 1200, "validation": 300},
               "inputs": [{"column": f"pixel_{i}", "kind": "number", "became": "z-scored"} for i in range(64)]
               + [{"column": "island", "kind": "category", "became": "one-hot (3)"}],
               "targets": ["label"], "task": "multiclass", "classes": [str(c) for c in range(10)],
               "layers": ["67 inputs", "64 relu", "10 softmax"], "parameters": 5002, "loss": "cross_entropy",
               "optimizer": "adam (beta1 0.9, beta2 0.999, epsilon 1e-08)", "learning_rate": 0.001,
               "schedule": "cosine (min_learning_rate 0.0), warm-up 5 epochs", "early_stopping": "val_loss, patience 10",
               "epochs": 100, "batch_size": 32, "dtype": "float64", "device": "cpu", "output": "runs/mnist",
               "output_rule": "--out, relative to the current folder", "dropped_rows": 3}
    console = Console(file=io.StringIO(), width=80, record=True)
    print_summary(console, summary)
    lines = console.export_text().splitlines()
    assert all(len(line) <= 80 for line in lines)
    text = "\n".join(lines)
    assert "pixel_7, ... (64 in all); one-hot (3): island" in re.sub(r"\n +", " ", text)
    assert lines[-1] == "dropped rows  3" and "float64" in text and "early stopping on val_loss, patience 10" in text
