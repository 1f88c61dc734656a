"""What people see on stderr and stdout: the live training table, metrics and gradcheck tables.

Only the CLI imports this module; the library reports through callbacks and return values.
"""

import sys
import time

from rich.console import Console, Group
from rich.live import Live
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

MAX_ROWS = 25  # the live table shows about this many rows; long runs report every `interval` epochs


def _fmt(value) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.4f}" if abs(value) < 1e4 else f"{value:.4g}"
    return str(value)


class TrainingReport:
    """Renders epoch records: a live table with a progress bar on a terminal, a line per interval otherwise."""

    def __init__(self, epochs: int, console: Console, title: str):
        self.epochs = epochs
        self.console = console
        self.title = title
        self.interval = max(1, -(-epochs // MAX_ROWS))
        self.rows: list[dict] = []
        self.live = None
        self.progress = None
        self.started = time.perf_counter()

    def __enter__(self):
        if self.console.is_terminal:
            self.progress = Progress(TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
                                     TimeRemainingColumn(), console=self.console)
            self.task = self.progress.add_task("epochs", total=self.epochs)
            self.live = Live(self._render(), console=self.console, refresh_per_second=8, transient=False)
            self.live.__enter__()
        return self

    def __exit__(self, *exc):
        if self.live is not None:
            self.live.update(self._render(), refresh=True)
            self.live.__exit__(*exc)
        return False

    def on_epoch(self, record: dict, health=None) -> None:
        epoch = record["epoch"]
        shown = epoch % self.interval == 0 or epoch in (1, self.epochs)
        if self.live is not None:
            self.progress.update(self.task, completed=epoch)
            if shown:  # the progress bar redraws itself; the table only changes when a row is added
                self.rows.append(record)
                self.live.update(self._render())
        elif shown:
            parts = [f"epoch {epoch}/{self.epochs}"]
            parts += [f"{k} {_fmt(v)}" for k, v in record.items() if k not in ("epoch", "seconds")]
            parts.append(f"{record['seconds'] * 1000:.1f}ms")
            print("  ".join(parts), file=self.console.file, flush=True)

    def _render(self):
        table = Table(title=self.title, title_justify="left")
        keys = list(self.rows[-1]) if self.rows else ["epoch", "loss", "objective", "seconds"]
        keys = [k for k in keys if k != "seconds"] + ["seconds"]  # time goes last
        for key in keys:
            table.add_column("time (s)" if key == "seconds" else key, justify="right")
        for row in self.rows[-MAX_ROWS:]:
            table.add_row(*(_fmt(row.get(k)) if k != "seconds" else f"{row[k]:.3f}" for k in keys))
        return Group(table, self.progress)


def print_summary(console: Console, summary: dict) -> None:
    """The opening summary: data, network, training settings, output folder (a few plain lines)."""
    rows = ", ".join(f"{n} {name}" for name, n in summary["rows"].items())
    if summary.get("dropped"):  # rows with missing cells left out (data.missing: drop or impute)
        rows += f" ({', '.join(f'{n} of the {name} file' for name, n in summary['dropped'].items())} left out)"
    inputs = ", ".join(f"{i['column']} ({i['became']})" for i in summary["inputs"][:8])
    if len(summary["inputs"]) > 8:
        inputs += f", ... ({len(summary['inputs'])} in all)"
    classes = f", classes {', '.join(summary['classes'])}" if summary["classes"] else ""
    lines = [f"data      {rows} rows; inputs {inputs}",
             f"target    {', '.join(summary['targets'])}: {summary['task']}{classes}",
             f"network   {' -> '.join(summary['layers'])}; {summary['parameters']:,} parameters; loss {summary['loss']}",
             f"training  {summary['epochs']} epochs, batch {summary['batch_size']}, {summary['optimizer']}, "
             f"learning rate {summary['learning_rate']:g}, schedule {summary['schedule']}"
             + (f", early stopping on {summary['early_stopping']}" if summary["early_stopping"] else ""),
             f"output    {summary['output']}"]
    for line in lines:
        console.print(line, markup=False)


def metrics_table(final: dict, title: str = "final metrics") -> Table:
    """One row per metric, one column per split."""
    table = Table(title=title, title_justify="left")
    table.add_column("metric")
    for split in final:
        table.add_column(split, justify="right")
    keys = [k for k in next(iter(final.values())) if k not in ("confusion", "classes")]
    for key in keys:
        table.add_row(key, *(_fmt(m.get(key)) for m in final.values()))
    return table


def confusion_table(metrics: dict) -> Table:
    """Rows: true class; columns: predicted class. Multi-label models get one 2x2 block per label."""
    classes, confusion = metrics["classes"], metrics["confusion"]
    if confusion and isinstance(confusion[0][0], list):  # multi-label
        table = Table(title="confusion per label (rows: true, columns: predicted)", title_justify="left")
        for col in ("label", "true", "pred 0", "pred 1"):
            table.add_column(col, justify="right")
        for label, block in zip(classes, confusion):
            for truth, row in zip((0, 1), block):
                table.add_row(label if truth == 0 else "", str(truth), *map(str, row))
        return table
    table = Table(title="confusion (rows: true, columns: predicted)", title_justify="left")
    table.add_column("true \\ predicted")
    for c in classes:
        table.add_column(c, justify="right")
    for c, row in zip(classes, confusion):
        table.add_row(c, *map(str, row))
    return table


def gradcheck_table(result: dict) -> Table:
    table = Table(title="gradcheck: backprop vs central differences (float64)", title_justify="left")
    for col, justify in (("parameter", "left"), ("shape", "left"), ("max abs error", "right"),
                         ("max rel error", "right"), ("kinks", "right"), ("result", "left")):
        table.add_column(col, justify=justify)
    for p in result["parameters"]:
        table.add_row(p["name"], "x".join(map(str, p["shape"])), f"{p['max_abs_error']:.3e}",
                      f"{p['max_relative_error']:.3e}", str(p["kinks"]),
                      "[green]pass[/]" if p["passed"] else "[bold red]FAIL[/]")
    return table


def stderr_console() -> Console:
    return Console(file=sys.stderr, highlight=False)
