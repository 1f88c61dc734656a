"""What people see of the checks: the gradcheck and sanity tables. Only the CLI imports this module."""

from rich.table import Table

# gradcheck's relative-error bands (gradcheck.BANDS) and sanity's verdicts, as colours
STYLES = {"great": "green", "fine": "green", "watch": "yellow", "wrong": "bold red",
          "pass": "green", "warn": "yellow", "fail": "bold red"}


def _styled(text: str, key: str) -> str:
    return f"[{STYLES[key]}]{text}[/]"


def _error(value) -> str:
    return "nan" if value is None else f"{value:.2e}"


def gradcheck_table(result: dict) -> Table:
    """One row per parameter tensor (then dJ/dX and the random directions, when checked), coloured by
    the relative-error band: < 1e-7 great, < 1e-4 fine, < 1e-2 watch, else wrong."""
    table = Table(title=f"gradcheck: backprop vs central differences (float64, eps {result['eps']:g}, "
                        f"{result['samples']} rows" + (f", after {result['burn_in']} training steps" if result.get("burn_in") else "")
                        + ")", title_justify="left")
    for col, justify in (("checked", "left"), ("shape", "left"), ("max abs error", "right"), ("max rel error", "right"),
                         ("noise floor", "right"), ("kinks", "right"), ("band", "left"), ("result", "left")):
        table.add_column(col, justify=justify)
    sections = [result["parameters"], [result["inputs"]] if "inputs" in result else [], result.get("directions", [])]
    for rows in sections:
        if rows and table.row_count:
            table.add_section()
        for row in rows:
            table.add_row(row["name"], "x".join(map(str, row["shape"])) or "-", _error(row["max_abs_error"]),
                          _styled(_error(row["max_relative_error"]), row["band"]), f"{row['noise_floor']:.1e}",
                          str(row["kinks"]), _styled(row["band"], row["band"]),
                          _styled("pass", "pass") if row["passed"] else _styled("FAIL", "fail"))
    return table


def terms_table(result: dict) -> Table:
    """The data loss and each penalty term checked on its own."""
    table = Table(title="by term of the objective J' = J + L2 + L1", title_justify="left")
    for col in ("term", "max abs error", "max rel error", "noise floor", "kinks", "result"):
        table.add_column(col, justify="left" if col in ("term", "result") else "right")
    names = {"data": "data loss J", "l2": "L2 term, l2/2 sum W^2", "l1": "L1 term, l1 sum |W|"}
    for term, summary in result["terms"].items():
        band = summary["parameters"] and max((r["band"] for r in summary["parameters"]), key=_severity)
        table.add_row(names[term], _error(summary["max_abs_error"]),
                      _styled(_error(summary["max_relative_error"]), band or "great"),
                      f"{summary['noise_floor']:.1e}", str(summary["kinks"]),
                      _styled("pass", "pass") if summary["passed"] else _styled("FAIL", "fail"))
    return table


def _severity(band: str) -> int:
    return ["great", "fine", "watch", "wrong"].index(band)


def gradcheck_verdict(result: dict) -> str:
    line = (f"{'passed' if result['passed'] else 'FAILED'}: max relative error {_error(result['max_relative_error'])}, "
            f"max abs error {_error(result['max_abs_error'])}, noise floor up to {result['noise_floor']:.1e}, "
            f"{result['kinks']} kink(s) skipped")
    return _styled(line, "pass" if result["passed"] else "fail")


def sanity_table(result: dict) -> Table:
    """One row per pre-flight check: its verdict, its numbers, and for warn and fail the fix to try."""
    table = Table(title="sanity: pre-flight checks", title_justify="left", show_lines=True)
    for col in ("check", "result", "numbers", "fix to try"):
        table.add_column(col, overflow="fold")
    for check in result["checks"]:
        table.add_row(check["check"], _styled(check["status"], check["status"]), check["summary"], check["fix"] or "")
    return table
