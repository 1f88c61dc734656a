"""`ffnet gradcheck`: prove the backward pass against finite differences."""

from typing import Optional

import typer

from .cli_common import ConfigArg, JsonOpt, SetOpt, app, print_json, stdout_console, writing_stdout


@app.command()
def gradcheck(
    config: ConfigArg,
    set_: SetOpt = [],
    model: Optional[str] = typer.Option(None, "--model", help="Check at this model's weights instead of a fresh init."),
    samples: int = typer.Option(10, "--samples", min=1, help="Use the first N rows of the training data."),
    eps: float = typer.Option(1e-6, "--eps", min=0.0, help="Finite-difference step."),
    rtol: float = typer.Option(1e-5, "--rtol", min=0.0, help="Relative tolerance."),
    atol: float = typer.Option(1e-8, "--atol", min=0.0, help="Absolute tolerance."),
    json_: JsonOpt = False,
):
    """Check the backward pass against central finite differences, in float64; exit 1 on failure.

    Example:  ffnet gradcheck configs/iris.yaml --set train.l2=0.01 --samples 5
    """
    from .config import load_config
    from .gradcheck import gradcheck_config
    from .modelfile import load_model

    if not eps > 0:  # a step of 0 would divide by zero
        raise typer.BadParameter(f"{eps} is not > 0", param_hint="'--eps'")
    cfg = load_config(config, set_)
    result = gradcheck_config(cfg, load_model(model) if model is not None else None, samples, eps, rtol, atol)
    if json_:
        print_json(result)
    else:
        from .report import gradcheck_table
        console = stdout_console()
        with writing_stdout():
            console.print(gradcheck_table(result))
            console.print(f"{'passed' if result['passed'] else 'FAILED'}: max relative error "
                          f"{result['max_relative_error']:.3e}, max abs error {result['max_abs_error']:.3e}, "
                          f"{result['kinks']} kink(s) skipped")
    if not result["passed"]:
        raise typer.Exit(1)
