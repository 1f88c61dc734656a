"""What people see: epoch and layer-health tables, the opening summary of a training run, and the
metrics and confusion tables, as fixed-width text or rich tables (gradcheck's and sanity's are in
report_checks.py).

Only the CLI imports this module; the library reports through callbacks and return values. The
live view of a training run is in live.py.
"""

import json
import math
import sys
import textwrap

from rich.console import Console
from rich.table import Table
from rich.text import Text


LABELS = {"accuracy": "acc", "val_accuracy": "val_acc", "learning_rate": "lr", "seconds": "ms"}
ORDER = ("epoch", "loss", "objective", "accuracy", "r2", "val_loss", "val_accuracy", "val_r2")
DROP_FIRST = ("seconds", "learning_rate", "objective", "accuracy", "r2")  # when the terminal is narrow


def number(value) -> str:
    """A metric in at most 8 characters, never cut: 0.9379, 12.345, 1234.5, 1.20e-04, 3.21e+06."""
    if value is None:
        return "-"
    if isinstance(value, int) or not math.isfinite(value):
        return str(value)
    size = abs(value)
    if size == 0:
        return "0"
    if 1e-3 <= size < 1e5:
        return f"{value:.{max(0, 4 - max(0, int(math.log10(size))))}f}"
    return f"{value:.2e}"


def cell(key: str, value) -> str:
    if key == "seconds":
        ms = value * 1000
        return f"{ms:.1f}" if ms < 100 else f"{ms:.0f}"
    if key == "learning_rate":
        return f"{value:.3g}"
    return number(value)


def clock(seconds: float) -> str:
    if seconds < 60:
        return f"{seconds:.1f}s"
    seconds = int(seconds)
    return f"{seconds // 3600}:{seconds // 60 % 60:02d}:{seconds % 60:02d}"


def columns(records, width: int) -> list[str]:
    """The record keys to show, in ORDER, objective only when it differs from loss (a penalty is
    on), dropping DROP_FIRST ones until the table fits `width` characters."""
    keys = [k for k in ORDER if any(k in r for r in records)]
    keys += [k for k in records[-1] if k not in keys and k not in ("learning_rate", "seconds")]
    keys += ["learning_rate", "seconds"]
    if all(abs(r.get("objective", 0) - r.get("loss", 0)) <= 1e-12 * abs(r.get("loss", 0)) for r in records):
        keys.remove("objective") if "objective" in keys else None
    for drop in DROP_FIRST:
        if sum(widths(records, keys).values()) + 2 * (len(keys) - 1) <= width:
            break
        if drop in keys:
            keys.remove(drop)
    return keys


def widths(records, keys) -> dict:
    return {k: max([len(LABELS.get(k, k))] + [len(cell(k, r[k])) for r in records if k in r]) for k in keys}


def text_table(rows, keys, marks=None) -> list[Text]:
    """Right-aligned fixed-width lines: a header, then one line per record (None: a `⋮` gap).
    marks: {epoch: (style, note)} for rows to highlight."""
    marks = marks or {}
    size = widths([r for r in rows if r is not None], keys)
    lines = [Text("  ".join(LABELS.get(k, k).rjust(size[k]) for k in keys), style="bold")]
    for row in rows:
        if row is None:
            lines.append(Text("⋮".rjust(size["epoch"]), style="dim"))
            continue
        style, note = marks.get(row["epoch"], ("", ""))
        line = Text("  ".join((cell(k, row[k]) if k in row else "-").rjust(size[k]) for k in keys), style=style)
        lines.append(line.append(f"  {note}" if note else "", style="dim"))
    return lines


HEALTH_NOTE = ("update/weight: healthy near 1e-3 (far above: lower the learning rate; far below: raise it). "
               "dead: relu units zero on every row. saturated: sigmoid/tanh outputs near 0 or 1.")


def health_lines(health, labels) -> list[Text]:
    """Per layer, on the epoch's last minibatch, colour-coded against what a healthy network shows."""
    rows = [("layer", "grad norm", "update/weight", "dead", "saturated")]
    styles = []
    for layer in health:
        i, ratio = layer["layer"], layer["update_ratio"]
        rows.append((labels[i] if i < len(labels) else f"layer {i + 1}", number(layer["grad_norm"]),
                     "-" if ratio is None else f"{ratio:.1e}", _share(layer["dead"]), _share(layer["saturated"])))
        styles.append(("", "", "green" if ratio is not None and 1e-4 <= ratio <= 1e-2 else "yellow",
                       "red" if (layer["dead"] or 0) >= 0.5 else "", "red" if (layer["saturated"] or 0) >= 0.5 else ""))
    size = [max(len(row[c]) for row in rows) for c in range(5)]
    lines = []
    for r, row in enumerate(rows):
        line = Text(style="bold" if r == 0 else "")
        for c, value in enumerate(row):
            line.append(("  " if c else "") + (value.ljust(size[c]) if c == 0 else value.rjust(size[c])),
                        style=styles[r - 1][c] if r else "")
        lines.append(line)
    return lines


def _share(value) -> str:
    return "-" if value is None else f"{value:.0%}"


def _fmt(value) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.4f}" if abs(value) < 1e4 else f"{value:.4g}"
    return str(value)

SUMMARY = ("rows", "inputs", "targets", "task", "classes", "layers", "parameters", "loss", "optimizer",
           "learning_rate", "schedule", "early_stopping", "epochs", "batch_size", "dtype", "device", "output",
           "output_rule")


def print_summary(console: Console, summary: dict) -> None:
    """The opening summary: a name column and values wrapped at the console's width under their
    column; keys it does not know (describe() may grow) come last as `key  value` rows."""
    rows = summary_rows(summary)
    indent = max(len(name) for name, _ in rows) + 2
    for name, value in rows:
        lines = textwrap.wrap(value, max(console.width, 40) - indent, break_on_hyphens=False) or [""]
        console.print(Text(name.ljust(indent), style="bold") + Text(("\n" + " " * indent).join(lines)))


def print_plain(console: Console, table: Table) -> None:
    """A table as plain text for logs: no box-drawing characters, no trailing spaces."""
    table.box, table.pad_edge = None, False
    with console.capture() as captured:
        console.print(table)
    console.file.write("\n".join(line.rstrip() for line in captured.get().splitlines()) + "\n")


def summary_rows(s: dict) -> list[tuple[str, str]]:
    """(name, text) per line of the opening summary; a part whose keys are missing is left out."""
    def given(*keys):
        return all(s.get(k) is not None for k in keys)

    rows = [("data", ", ".join(f"{n:,} {split}" for split, n in s["rows"].items()) + " rows")] if given("rows") else []
    groups = {}
    for item in s.get("inputs") or []:
        groups.setdefault(item.get("became") or item.get("kind") or "", []).append(str(item.get("column")))
    if groups:
        rows.append(("inputs", "; ".join(f"{became}: {names(cols)}" for became, cols in groups.items())))
    if given("targets", "task"):
        classes = f", {len(s['classes'])} classes ({names(s['classes'])})" if s.get("classes") else ""
        rows.append(("target", f"{', '.join(s['targets'])}: {s['task']}{classes}"))
    if given("layers", "parameters", "loss"):
        rows.append(("network", f"{' → '.join(s['layers'])}; {s['parameters']:,} parameters; loss {s['loss']}"))
    if given("epochs", "batch_size", "optimizer", "learning_rate", "schedule"):
        training = [f"{s['epochs']} epochs", f"batch {s['batch_size']}", s["optimizer"],
                    f"learning rate {s['learning_rate']:g}, schedule {s['schedule']}"]
        rows.append(("training", ", ".join(training + [str(s[k]) for k in ("dtype", "device")
                                                      if s.get(k) not in (None, "float32", "cpu")])))
    if s.get("early_stopping"):
        rows.append(("stopping", f"early stopping on {s['early_stopping']}"))
    if given("output"):
        rows.append(("output", str(s["output"]) + (f" ({s['output_rule']})" if s.get("output_rule") else "")))
    for key, value in s.items():
        if key not in SUMMARY and value not in (None, [], {}, ""):
            text = value if isinstance(value, str) else (names([str(v) for v in value]) if isinstance(value, list)
                                                         else json.dumps(value, default=str))
            rows.append((key.replace("_", " "), text))
    return rows or [("summary", "-")]


def names(items, most: int = 8) -> str:
    """A list of names for one line: the first few, then how many in all."""
    items = list(items)
    return ", ".join(items) if len(items) <= most else f"{', '.join(items[:most])}, ... ({len(items)} in all)"


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


def stderr_console() -> Console:
    return Console(file=sys.stderr, highlight=False)
