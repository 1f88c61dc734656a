"""`ffnet sanity`: the pre-flight checks an experienced person runs by hand before a long training run
(CS231n's "babysitting the learning process"), each pass, warn or fail with its numbers and a fix.

Every check runs on the config's own network at initialisation (the same seeded draw as `train`),
in float64, through the training engine (workspace.Workspace, optimizers), on at most ROWS rows of
the training split.
"""

import math
from copy import deepcopy

import numpy as np

from .losses import mean_loss
from .network import forward
from .probe import setup, train_steps
from .workspace import Workspace

ROWS = 1000  # rows for the loss, gradient and input checks
OVERFIT_ROWS, OVERFIT_STEPS = 20, 3000
LOSS_RATIO = (3.0, 10.0)  # initial loss off its expected value by more than this factor: warn, fail (classifiers)
INPUT_SCALE = (5.0, 100.0)  # an input column's |mean|, std or 1/std above this: warn, fail
DEAD = 0.5  # a hidden layer with more than this share of dead (relu) or saturated units: warn; all: fail
OVERFIT = (0.05, 0.5)  # loss after overfitting, as a share of the best constant prediction's: pass, warn
OVERFIT_TARGET = 0.01  # training stops there ("near zero")


def _check(name, status, summary, fix=None, **numbers) -> dict:
    """One check's report: its verdict, a line of numbers for people, the fix to try, the numbers as data."""
    return {"check": name, "status": status, "summary": summary, "fix": fix if status != "pass" else None,
            "numbers": numbers}


def sanity_config(cfg) -> dict:
    """Run every check on a config; {"passed": no check failed, "checks": [...]}."""
    cfg, data, net, rng = setup(cfg)
    split = data.splits["train"]
    rows = np.sort(np.random.default_rng(cfg.seed).permutation(len(split.T))[:ROWS])
    X, T = net.scale(split.X[rows]), split.T[rows]
    checks = [initial_loss(net, X, T), gradients(net, X, T), dead_units(net, X, T), inputs_scaled(cfg, net, X),
              l2_raises_objective(cfg, net, X, T), overfit(cfg, net, split, rng)]
    return {"passed": all(c["status"] != "fail" for c in checks), "checks": checks}


def expected_loss(output: str, loss: str, T) -> tuple[float, str]:
    """The loss a network that has learnt nothing should start near, and where it comes from."""
    k = T.shape[1]
    if (output, loss) == ("softmax", "cross_entropy"):
        return math.log(k), f"ln C = ln {k} (uniform probabilities over {k} classes)"
    if (output, loss) == ("sigmoid", "log_loss"):
        return k * math.log(2), f"n_out x ln 2 = {k} x ln 2 (every output 1/2)"
    if output == "linear":
        return float(T.var(axis=0).sum()) / 2, "the target variance / 2 (outputs at the target mean)"
    if output == "sigmoid":  # squared error on probabilities 1/2
        return float(((0.5 - T) ** 2).sum(axis=1).mean()) / 2, "1/2 sum_k (1/2 - t_k)^2 (every output 1/2)"
    return (1 - 1 / k) / 2, f"(1 - 1/C) / 2 (uniform probabilities over {k} classes)"


def initial_loss(net, X, T) -> dict:
    """The data loss at initialisation, near what a network that has learnt nothing gives."""
    Z, A = _outputs(net, X)
    loss = float(mean_loss(net.loss, Z, A, T))
    expected, why = expected_loss(net.output, net.loss, T)
    numbers = {"loss": loss, "expected": expected}
    summary = f"loss {loss:.4g} at initialisation, expected about {expected:.4g}: {why}"
    if not math.isfinite(loss):
        return _check("initial loss", "fail", summary, "the network overflows at initialisation: check the "
                      "initialisation (model.init) and standardise the inputs (data.standardize: true)", **numbers)
    ratio = loss / expected if expected > 0 else (1.0 if loss < 1e-12 else math.inf)
    off = max(ratio, 1 / ratio) if ratio > 0 else math.inf
    status = "pass" if off <= LOSS_RATIO[0] else "warn" if off <= LOSS_RATIO[1] or net.output == "linear" else "fail"
    if net.output == "linear":  # targets far from 0 train, slowly; ffnet has no setting to scale them: a warning
        mean = np.abs(T.mean(axis=0)).max()
        fix = (f"the targets' mean (up to {mean:.3g}) is far from the untrained outputs (about 0): scale the target "
               "columns to mean 0 and standard deviation 1 in the data file, or expect the first epochs to go into "
               "the output bias" if ratio > 1 else "check the target columns (data.target)")
    else:
        fix = ("the untrained outputs are far from uniform: the initial weights are too large; use the default "
               "model.init (auto) and data.standardize: true")
    return _check("initial loss", status, summary + f" ({ratio:.3g}x)", fix, **numbers)


def _outputs(net, X):
    """(Z, A) of the output layer for network inputs X (already scaled)."""
    As, Z = forward(net.params, net.activations, X)
    return Z, As[-1]


def _workspace(net, X, T, l2=0.0):
    ws = Workspace(net.params, net.activations, net.loss, len(X), l2=l2)
    loss, objective, _ = ws(X, T)
    return ws, float(loss), float(objective)


def gradients(net, X, T) -> dict:
    """Finite, non-zero data-loss gradients in every layer, none vanishing against the others."""
    ws, _, _ = _workspace(net, X, T)
    norms = [(float(np.linalg.norm(dW)), float(np.linalg.norm(db))) for dW, db in ws.grads]
    scale = [float(np.linalg.norm(W)) for W, _ in ws.params]
    listed = ", ".join(f"layer {i + 1} |dW| {w:.3g} |db| {b:.3g}" for i, (w, b) in enumerate(norms))
    numbers = {"grad_norms": [w for w, _ in norms], "bias_grad_norms": [b for _, b in norms]}
    if not all(math.isfinite(w) and math.isfinite(b) for w, b in norms):
        return _check("gradients", "fail", listed, "the gradients overflow: standardise the inputs "
                      "(data.standardize: true) and check the initialisation", **numbers)
    zero = [i + 1 for i, (w, b) in enumerate(norms) if w == 0 and b == 0]
    if zero:
        return _check("gradients", "fail", listed, f"layer(s) {', '.join(map(str, zero))} get a zero gradient and "
                      "never learn: a layer above is all zero or dead (check model.init; leave biases and weights "
                      "to the initialiser)", **numbers)
    ratios = [w / s for (w, _), s in zip(norms, scale) if s > 0]
    if len(ratios) > 1 and min(ratios) < 1e-4 * max(ratios):
        return _check("gradients", "warn", listed + "; |dW|/|W| spans " + f"{min(ratios):.2g} to {max(ratios):.2g}",
                      "vanishing gradients: some layers learn 10,000x slower than others; prefer relu, "
                      "fewer layers or model.init: auto", **numbers)
    return _check("gradients", "pass", listed, **numbers)


def dead_units(net, X, T) -> dict:
    """No hidden layer dead (relu: zero on every row), saturated (sigmoid, tanh) or symmetric at initialisation."""
    ws, _, _ = _workspace(net, X, T)
    health = ws.health(ws.theta.copy(), len(X))[:-1]
    As, _ = forward(net.params, net.activations, X)
    parts, status, fixes = [], "pass", []
    for i, layer in enumerate(health):
        A = As[i + 1]  # (n, units) the hidden layer's output
        share = layer["dead"] if layer["dead"] is not None else layer["saturated"]
        word = "dead" if layer["dead"] is not None else "saturated"
        parts.append(f"layer {i + 1}: {share:.0%} {word}" if share is not None else f"layer {i + 1}: linear")
        symmetric = A.shape[1] > 1 and bool(np.all(A == A[:, :1]))
        if symmetric or share == 1.0:
            status = "fail"
            fixes.append(f"layer {i + 1} is " + ("symmetric: every unit computes the same thing, so they never "
                                                 "tell apart (weights left at one value, e.g. 0)" if symmetric else
                                                 f"{word} on every row: nothing flows back through it")
                         + "; leave the weights to the initialiser (model.init: auto)")
        elif share is not None and share > DEAD:
            status = "warn" if status == "pass" else status
            fixes.append(f"layer {i + 1}: {share:.0%} of its units are {word}; standardise the inputs, use "
                         "model.init: auto, or (relu) a smaller learning rate")
    numbers = {"dead": [layer["dead"] for layer in health], "saturated": [layer["saturated"] for layer in health]}
    return _check("dead units", status, "; ".join(parts) or "no hidden layer", "; ".join(fixes), **numbers)


def inputs_scaled(cfg, net, X) -> dict:
    """The network's inputs roughly standardised: every column's mean near 0 and std near 1."""
    mean, std = X.mean(axis=0), X.std(axis=0)
    varying = std > 0
    if not varying.any():
        return _check("inputs scaled", "warn", "every input column is constant", "check data.features", mean=[], std=[])
    names = list(net.features) if len(net.features) == X.shape[1] else [f"input {j + 1}" for j in range(X.shape[1])]
    off = np.where(varying, np.maximum(np.abs(mean), np.maximum(std, 1 / np.where(varying, std, 1))), 0)
    j = int(off.argmax())
    summary = f"worst column {names[j]}: mean {mean[j]:.3g}, std {std[j]:.3g}"
    status = "pass" if off[j] <= INPUT_SCALE[0] else "warn" if off[j] <= INPUT_SCALE[1] else "fail"
    fix = ("set data.standardize: true, so that every numeric column is z-scored" if not cfg.data.standardize else
           "data.standardize is true, yet the inputs are not standardised: look at that column (a rare category "
           "or a near-constant column), or report a bug")
    return _check("inputs scaled", status, summary, fix, mean=mean.tolist(), std=std.tolist())


def l2_raises_objective(cfg, net, X, T) -> dict:
    """Raising l2 raises the objective by l2/2 sum W^2 and the gradient by l2 W (the training engine's)."""
    low = cfg.train.l2
    high = max(2 * low, low + 1e-2)
    ws_low, _, objective_low = _workspace(net, X, T, low)
    ws_high, _, objective_high = _workspace(net, X, T, high)
    squares = float(np.vdot(ws_low.weights, ws_low.weights))
    expected = (high - low) / 2 * squares
    rise = objective_high - objective_low
    weights = len(ws_low.weights)  # grad holds every weight, then every bias
    grad_rise = ws_high.grad[:weights] - ws_low.grad[:weights]
    grad_error = float(np.abs(grad_rise - (high - low) * ws_low.weights).max())
    summary = (f"objective {objective_low:.6g} at l2 {low:g}, {objective_high:.6g} at l2 {high:g}: "
               f"+{rise:.4g} (expected +{expected:.4g})")
    numbers = {"objective": objective_low, "raised_objective": objective_high, "expected_rise": expected,
               "gradient_error": grad_error}
    tolerance = 1e-9 * max(1.0, abs(objective_low), abs(objective_high))
    if squares == 0:
        return _check("l2 raises objective", "warn", summary, "every weight is 0, so the L2 term is too; "
                      "leave the weights to the initialiser", **numbers)
    if not (rise > 0 and abs(rise - expected) <= tolerance + 1e-9 * expected):
        return _check("l2 raises objective", "fail", summary, "the L2 term is missing from the objective or has the "
                      "wrong size: a bug in the penalty", **numbers)
    if grad_error > 1e-9 * (high - low) * float(np.abs(ws_low.weights).max()) + 1e-12:
        return _check("l2 raises objective", "fail", summary + f"; gradient off l2 W by {grad_error:.3g}",
                      "the L2 term is missing from the gradient: a bug in the penalty's gradient", **numbers)
    return _check("l2 raises objective", "pass", summary, **numbers)


def baseline_loss(loss: str, T) -> float:
    """The loss of the best constant prediction on T: what a network that ignores its inputs reaches."""
    p = T.mean(axis=0)
    if loss == "cross_entropy":
        return float(-sum(q * math.log(q) for q in p if q > 0))
    if loss == "log_loss":
        return float(sum(-q * math.log(q) - (1 - q) * math.log(1 - q) for q in p if 0 < q < 1))
    return float(T.var(axis=0).sum()) / 2


def overfit(cfg, net, split, rng) -> dict:
    """The network, penalties and dropout off, fits OVERFIT_ROWS rows to near-zero loss with the config's
    optimizer and learning rate in at most OVERFIT_STEPS minibatch steps."""
    rows = np.sort(np.random.default_rng(cfg.seed).permutation(len(split.T))[:OVERFIT_ROWS])
    X, T = net.scale(split.X[rows]), split.T[rows]
    baseline = baseline_loss(net.loss, T)
    copy = deepcopy(net)

    def loss_of(params):
        As, Z = forward(params, net.activations, X)
        return float(mean_loss(net.loss, Z, As[-1], T))

    losses = train_steps(cfg, copy, X, T, OVERFIT_STEPS, rng, penalties=False,
                         until=lambda params: loss_of(params) <= OVERFIT_TARGET * baseline)
    final = loss_of(copy.params)
    share = final / baseline if baseline > 0 else 0.0
    summary = (f"{len(X)} rows: loss {final:.4g} after {len(losses)} steps, {share:.1%} of the best constant "
               f"prediction's {baseline:.4g}")
    numbers = {"rows": len(X), "steps": len(losses), "loss": final, "baseline": baseline}
    if not math.isfinite(final):
        return _check("overfit a few rows", "fail", summary, "training diverged: try a 10x smaller "
                      "train.learning_rate", **numbers)
    status = "pass" if share <= OVERFIT[0] else "warn" if share <= OVERFIT[1] else "fail"
    linear = all(act == "linear" for act in net.activations[:-1])
    fix = ("the network is a linear model (no hidden layer with a non-linear activation): it cannot fit data that no "
           "hyperplane separates; add a hidden layer with relu or tanh" if linear else
           "try a 10x larger or smaller train.learning_rate, more hidden units, or optimizer: adam; a network that "
           "cannot fit 20 rows will not fit the whole data")
    return _check("overfit a few rows", status, summary, fix, **numbers)
