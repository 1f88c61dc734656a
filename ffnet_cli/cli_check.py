"""`ffnet gradcheck`, `ffnet sanity` and `ffnet explain`: prove the backward pass, check a setup
before training, show the math of a network."""

import math
from typing import Optional

import typer

from .cli_common import ConfigArg, JsonOpt, SetOpt, app, print_json, stdout_console, writing_stdout


def number(low: float, high: float | None = None, low_open: bool = False):
    """The parser of an option that takes a finite number in a range (nan and inf are refused)."""
    def parse(value) -> float:
        if isinstance(value, float):
            return value
        try:
            x = float(value)
        except (TypeError, ValueError):
            raise typer.BadParameter(f"{value!r} is not a number") from None
        if not math.isfinite(x):
            raise typer.BadParameter(f"{value} is not a finite number")
        if x < low or (low_open and x == low):
            raise typer.BadParameter(f"{x} is not {'>' if low_open else '>='} {low:g}")
        if high is not None and x > high:
            raise typer.BadParameter(f"{x} is not <= {high:g}")
        return x
    return parse


@app.command()
def gradcheck(
    config: ConfigArg,
    set_: SetOpt = [],
    model: Optional[str] = typer.Option(None, "--model", help="Check this model file's network (layers, activations, "
                                        "output, loss, encoding) on the config's data, with the config's penalties."),
    samples: int = typer.Option(10, "--samples", min=1, help="Check on the first N rows of the training split."),
    eps: float = typer.Option(1e-6, "--eps", parser=number(0.0, 1.0, low_open=True), metavar="FLOAT",
                              help="Finite-difference step, 0 < eps <= 1."),
    rtol: float = typer.Option(1e-5, "--rtol", parser=number(0.0), metavar="FLOAT", help="Relative tolerance, a finite number >= 0."),
    atol: float = typer.Option(1e-8, "--atol", parser=number(0.0), metavar="FLOAT", help="Absolute tolerance, a finite number >= 0."),
    burn_in: int = typer.Option(0, "--burn-in", min=0, metavar="N",
                                help="First train N minibatch steps with the config's optimizer, then check there."),
    directional: int = typer.Option(0, "--directional", min=0, metavar="K",
                                    help="Also check K random directions over all parameters at once."),
    inputs: bool = typer.Option(False, "--inputs", help="Also check dJ/dX, the gradient of the network's inputs."),
    json_: JsonOpt = False,
):
    """Check the backward pass against central finite differences, in float64; exit 1 on failure.

    Each element passes when |backprop - numeric| <= atol + rtol*|numeric| + its noise floor (the
    rounding noise of the finite difference, estimated from the size of the objective's parts);
    relu and L1 kinks are counted, not judged. The data loss, the L2 and the L1 terms are also
    checked one by one.

    Example:  ffnet gradcheck configs/iris.yaml --set train.l2=0.01 --samples 5 --directional 3 --inputs
    """
    from .config import load_config
    from .gradcheck import gradcheck_config
    from .modelfile import load_model

    cfg = load_config(config, set_)
    result = gradcheck_config(cfg, load_model(model) if model else None, samples, eps, rtol, atol, burn_in,
                              directional, inputs)
    if json_:
        print_json(result)
    else:
        from .report_checks import gradcheck_table, gradcheck_verdict, terms_table
        console = stdout_console()
        with writing_stdout():
            console.print(gradcheck_table(result))
            console.print(terms_table(result))
            console.print(gradcheck_verdict(result))
    if not result["passed"]:
        raise typer.Exit(1)


@app.command()
def sanity(config: ConfigArg, set_: SetOpt = [], json_: JsonOpt = False):
    """Run the pre-flight checks before a long training run; exit 1 when one fails.

    Each check passes, warns or fails with its numbers, and says what to try: the initial loss
    near its expected value, finite non-zero gradients in every layer, no layer dead at
    initialisation, inputs roughly standardised, raising l2 raises the objective, and the
    network overfits 20 rows with penalties off.

    Example:  ffnet sanity configs/iris.yaml --set train.learning_rate=1.0
    """
    from .config import load_config
    from .sanity import sanity_config

    result = sanity_config(load_config(config, set_))
    if json_:
        print_json(result)
    else:
        from .report_checks import sanity_table
        console = stdout_console()
        with writing_stdout():
            console.print(sanity_table(result))
            failed = [c["check"] for c in result["checks"] if c["status"] == "fail"]
            console.print(f"FAILED: {', '.join(failed)}" if failed else "passed", style="bold red" if failed else "green")
    if not result["passed"]:
        raise typer.Exit(1)


@app.command()
def explain(
    source: str = typer.Argument(..., metavar="CONFIG|MODEL", help="A YAML config, or a model.json written by ffnet train."),
    set_: SetOpt = [],
):
    """Show the network a config or model file defines: layers, shapes, parameter counts, and the
    forward and backward formulas in the lecture's notation.

    A config's input and output sizes come from its training data, which is read as train reads it.

    Example:  ffnet explain configs/iris.yaml --set model.hidden[0].units=8
    """
    import sys

    from .explain import explain as explain_network, network_of

    network = network_of(source, set_)
    text = "\n".join(explain_network(network)) + "\n"
    try:
        text.encode(sys.stdout.encoding or "ascii")
    except (UnicodeEncodeError, LookupError):
        text = "\n".join(explain_network(network, plain=True)) + "\n"
    with writing_stdout():
        sys.stdout.write(text)
