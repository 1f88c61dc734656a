"""What `ffnet train` shows on stderr while it runs: the live view on a terminal, a log otherwise.

On a terminal: a table of epoch rows (the first, the best and the latest kept), the loss curve as
a sparkline, each layer's health (gradient norm, update/weight ratio, dead or saturated units), and
a status line with the epoch's running loss, the learning rate, the best epoch, elapsed time and
ETA. Drawn as plain fixed-width text, at most a few times a second: rich's Table costs ~15 ms a
draw, this ~1 ms (benchmarks/live_view.py measures the whole view's cost on training).
Elsewhere: an opening line, one line (or with --log-format jsonl one JSON object) per reporting
interval, and a closing line. Only the CLI imports this module; the library reports through callbacks.
"""

import json
import math
import textwrap
import time

from rich.console import Console
from rich.live import Live
from rich.segment import Segment
from rich.text import Text

from .report import HEALTH_NOTE, LABELS, cell, clock, columns, health_lines, number, print_summary, text_table
from .schedules import Improvement

MAX_ROWS = 25  # a row (or log line) every ceil(epochs / 25) epochs
REFRESH = 0.25  # seconds between redraws of the live view
CURVE_WIDTH = 40  # characters of the loss sparkline
SPARKS = "▁▂▃▄▅▆▇█"


def sparkline(values, width: int = CURVE_WIDTH) -> str:
    """The values as a row of block characters, on a log scale when all are positive (losses)."""
    values = [v for v in values if v is not None and math.isfinite(v)]
    if not values:
        return ""
    log = all(v > 0 for v in values)
    values = [math.log(v) for v in values] if log else values
    if len(values) > width:  # mean of each of `width` equal slices
        values = [sum(part) / len(part) for part in
                  (values[i * len(values) // width:(i + 1) * len(values) // width] for i in range(width))]
    low, high = min(values), max(values)
    span = (high - low) or 1.0
    return "".join(SPARKS[min(7, int((v - low) / span * 8))] for v in values)


class Curve:
    """A long series kept in bounded memory: past 4 * CURVE_WIDTH points, neighbours are averaged."""

    def __init__(self):
        self.points, self.stride, self.pending, self.first, self.last = [], 1, [], None, None

    def add(self, value) -> None:
        if value is None or not math.isfinite(value):
            return
        self.first = value if self.first is None else self.first
        self.last = value
        self.pending.append(value)
        if len(self.pending) == self.stride:
            self.points.append(sum(self.pending) / self.stride)
            self.pending = []
        if len(self.points) >= 4 * CURVE_WIDTH:
            self.points = [(a + b) / 2 for a, b in zip(self.points[::2], self.points[1::2])]
            self.stride *= 2


class Lines:
    """Lines that already fit the width, rendered without rich's wrapping (a tenth of the cost)."""

    def __init__(self, lines):
        self.lines = lines

    def __rich_console__(self, console, options):
        for line in self.lines:
            yield from line.render(console)
            yield Segment.line()


def wrapped(text: str, width: int, style: str = "") -> list[Text]:
    return [Text(line, style=style) for line in textwrap.wrap(text, max(width, 20), break_on_hyphens=False)]


class TrainingReport:
    """Renders a run as it trains: on_start(summary), on_batch and on_epoch (train's callbacks),
    finish(result); used as a context manager, so that the live view is closed on any exit."""

    def __init__(self, console: Console, cfg, title: str, log_format: str = "text"):
        self.console, self.title, self.epochs = console, title, cfg.train.epochs
        self.interval = max(1, -(-self.epochs // MAX_ROWS))
        stopping = cfg.train.early_stopping
        self.monitor = stopping.monitor if stopping else ("val_loss" if cfg.data.validation_split > 0 else "loss")
        self.best = Improvement(self.monitor, stopping.min_delta if stopping else 0.0)
        self.patience = stopping.patience if stopping else None
        self.live_view = console.is_terminal and log_format == "text"
        self.jsonl = log_format == "jsonl"
        self.rows, self.best_record, self.last, self.batch = [], None, None, None
        self.health, self.health_epoch = [], None
        self.curves = {"loss": Curve(), "val_loss": Curve()}
        self.labels, self.optimizer, self.stop_reason = [], "", None
        self.first_epoch, self.done = None, 0
        self.started = self.drawn = time.perf_counter()
        self.live = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        if self.live is not None:
            self.live.update(self._view(), refresh=True)
            self.live.stop()
        elif self.stop_reason is not None and self.last is not None:
            if self.last is not self.rows[-1]:
                self._log(self.last)
            print(self._closing(), file=self.console.file, flush=True)
        return False

    def on_start(self, summary: dict) -> None:
        """The data is read and the network built: print the opening summary; the clock starts."""
        self.labels = [f"{i + 1}: {layer}" for i, layer in enumerate(summary.get("layers", [])[1:])]
        self.optimizer = summary.get("optimizer") or ""
        if not self.live_view:  # the live view has the title as its first line
            print(f"{self.title.replace(' → ', ' -> ')}: {self.epochs} epochs, a line every {self.interval}",
                  file=self.console.file, flush=True)
        print_summary(self.console, summary)
        self.started = time.perf_counter()

    def on_batch(self, epoch: int, done: int, total: int, loss: float) -> None:
        self.batch = (epoch, done, total, loss)
        if self.live_view and self._due():
            self._draw()

    def on_epoch(self, record: dict, health=None) -> None:
        """After each epoch: its metrics.json record, and the layers' health (a list, or a function
        that computes it, called only when the view is redrawn)."""
        epoch = record["epoch"]
        self.first_epoch = self.first_epoch or epoch
        self.last, self.batch, self.done = record, None, self.done + 1
        self.curves["loss"].add(record["loss"])
        self.curves["val_loss"].add(record.get("val_loss"))
        if self.best.update(record):
            self.best_record = record
        if epoch % self.interval == 0 or epoch in (self.first_epoch, self.epochs):
            self.rows = self.rows + [record] if len(self.rows) < 64 else self.rows[:1] + self.rows[-60:] + [record]
            if not self.live_view:
                self._log(record)
        last = epoch == self.epochs or (self.patience is not None and self.best.wait >= self.patience)
        if self.live_view and (self._due() or last):
            self.health, self.health_epoch = (health() if callable(health) else health) or [], epoch
            self._draw()

    def finish(self, result) -> None:
        """Training is over (completed, stopped early, interrupted or diverged)."""
        self.stop_reason = "diverged" if result.diverged else result.stop_reason
        if self.last is not None and self.last is not self.rows[-1]:
            self.rows.append(self.last)

    def _log(self, record: dict) -> None:
        if self.jsonl:
            from .modelfile import finite_or_null
            line = json.dumps(finite_or_null(record), allow_nan=False)
        else:
            keys = [k for k in columns([record], 10**6) if k not in ("epoch", "seconds")]
            line = "  ".join([f"epoch {record['epoch']}/{self.epochs}"]
                             + [f"{LABELS.get(k, k) if k == 'learning_rate' else k} {cell(k, record[k])}" for k in keys]
                             + [f"{cell('seconds', record['seconds'])}ms"])
        print(line, file=self.console.file, flush=True)

    def _due(self) -> bool:
        return time.perf_counter() - self.drawn >= REFRESH

    def _draw(self) -> None:
        self.drawn = time.perf_counter()
        if self.live is None:
            self.live = Live(console=self.console, auto_refresh=False, redirect_stdout=False, transient=False)
            self.live.start()
        self.live.update(self._view(), refresh=True)

    def _view(self) -> Lines:
        width = self.console.width
        lines = wrapped(self.title, width, "bold")
        if self.rows:
            shown = self._pick(max(3, min(20, self.console.height - 20 - len(self.health))))
            keys = columns([r for r in shown if r is not None], width - 8)
            best = self.best_record
            lines += text_table(shown, keys, {best["epoch"]: ("bold green", "← best")} if best else {})
        lines.append(Text())
        for name, curve in self.curves.items():
            points = curve.points + ([sum(curve.pending) / len(curve.pending)] if curve.pending else [])
            if points:
                lines.append(Text(f"{name:<9}") + Text(sparkline(points, min(CURVE_WIDTH, width - 30)), style="cyan")
                             + Text(f"  {number(curve.first)} → {number(curve.last)}", style="dim"))
        if self.health:
            lines += [Text(), Text(f"layer health, last batch of epoch {self.health_epoch}", style="bold")]
            lines += health_lines(self.health, self.labels) + wrapped(HEALTH_NOTE, width, "dim")
        return Lines(lines + [Text()] + self._status(width))

    def _pick(self, latest: int) -> list:
        """The first row, the best row and the latest rows, with None where rows are left out."""
        picked = self.rows[-latest:]
        for row in (self.rows[0], self.best_record):
            if row is not None and row not in picked:
                picked.append(row)
        picked.sort(key=lambda r: r["epoch"])
        out = picked[:1]
        for a, b in zip(picked, picked[1:]):
            out += [None, b] if b["epoch"] - a["epoch"] > self.interval else [b]
        return out

    def _status(self, width: int) -> list[Text]:
        elapsed = time.perf_counter() - self.started
        todo = self.epochs - (self.first_epoch or 1) + 1
        part = self.batch[1] / self.batch[2] if self.batch else 0.0
        text = f"  epoch {self.last['epoch'] if self.last else '-'}/{self.epochs}  {clock(elapsed)} elapsed"
        if self.stop_reason is None and self.done + part > 0:
            text += f", ETA {clock(elapsed / (self.done + part) * (todo - self.done - part))}"
        size = max(5, min(30, width - len(text) - 1))  # the bar shrinks: a line longer than the width is cut
        bar = min(size, int(size * (self.done + part) / max(todo, 1)))
        line = Text("━" * bar, style="green") + Text("━" * (size - bar), style="dim") + Text(text)
        lines = [line]
        if self.stop_reason is not None:
            lines.append(Text(self._outcome(), style="bold"))
        elif self.batch:
            epoch, done, total, loss = self.batch
            lines.append(Text(f"epoch {epoch}: {done:,}/{total:,} rows, running loss {number(loss)}"))
        facts = [f"lr {cell('learning_rate', self.last['learning_rate'])}" if self.last else "", self.optimizer]
        if self.best_record is not None:
            facts.append(f"best epoch {self.best_record['epoch']} ({self.monitor} {number(self.best.best)})")
            if self.patience:
                facts.append(f"{self.best.wait} of {self.patience} epochs without improvement")
        return lines + wrapped(" · ".join(f for f in facts if f), width, "dim")

    def _outcome(self) -> str:
        return {"completed": f"completed {self.epochs} epochs",
                "early_stopping": f"stopped early: no {self.monitor} improvement for {self.patience} epochs",
                "interrupted": "interrupted: the model as of the last whole batch is saved",
                "diverged": "diverged: no model is saved (see the error below)"}.get(self.stop_reason, self.stop_reason)

    def _closing(self) -> str:
        line = self._outcome() + ("" if self.stop_reason == "completed" else f" at epoch {self.last['epoch']}")
        if self.best_record is not None:
            line += f"; best epoch {self.best_record['epoch']} ({self.monitor} {number(self.best.best)})"
        return line + f"; {clock(time.perf_counter() - self.started)} elapsed"
