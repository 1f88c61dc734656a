"""Check backprop against central finite differences, element by element, in float64.

The one implementation behind both `ffnet gradcheck` and the tests. For every element theta_i
the numeric derivative is (J'(theta_i + eps) - J'(theta_i - eps)) / (the step actually taken),
compared with backprop's dJ'/dtheta_i, for the whole objective J' = J + L2 + L1 and for each of
its terms on their own (so that a wrong penalty gradient is told apart from a wrong backward pass).

An element passes when |backprop - numeric| <= atol + rtol * |numeric| + its noise floor, the
rounding noise of the finite difference (noise.py). Relative errors divide by
max(|backprop|, |numeric|, noise floor + atol): an element whose gradient is 0 shows the size of its
noise against what is tolerated, not a 100% error.
"""

import math

import numpy as np

from .errors import DivergedError
from .losses import mean_loss
from .network import forward, objective_and_grads, penalty
from .noise import floor, loss_size, noise_sizes, penalty_sizes
from .probe import setup, train_steps
from .train import divergence_hint, sample_weights

# CS231n's rule of thumb for relative errors (here: the error beyond the noise floor); above the last: "wrong".
BANDS = ((1e-7, "great"), (1e-4, "fine"), (1e-2, "watch"))


def band(relative_error: float) -> str:
    """The band of a relative error: great, fine, watch or wrong."""
    for limit, name in BANDS:
        if relative_error < limit:
            return name
    return "wrong"


def gradcheck(params, activations, loss, X, T, l2=0.0, l1=0.0, eps=1e-6, rtol=1e-5, atol=1e-8, weights=None,
              directional=0, inputs=False, rng=None) -> dict:
    """Compare dJ'/dtheta from backprop with central differences; returns the `gradcheck --json` object.

    An element whose +-eps step moves a relu input or an L1-penalised weight across zero sits on a
    kink: counted, not judged. `weights`: per-sample weights of the data loss (class weights).
    directional K: also K checks along random unit directions over all parameters at once (from
    rng); inputs: also check dJ/dX.
    """
    params = [(np.array(W, dtype=np.float64), np.array(b, dtype=np.float64)) for W, b in params]
    X, T = np.asarray(X, dtype=np.float64), np.asarray(T, dtype=np.float64)
    net = (params, tuple(activations), loss, X, T, weights)
    tol = (eps, rtol, atol)
    grads = {"total": objective_and_grads(*net[:5], l2, l1, weights)[2],
             "data": objective_and_grads(*net[:5], 0.0, 0.0, weights)[2]}
    for term, penalties in (("l2", (l2, 0.0)), ("l1", (0.0, l1))):
        if any(penalties):  # what backprop adds for the term alone (biases: nothing)
            with_term = objective_and_grads(*net[:5], *penalties, weights)[2]
            grads[term] = [(dW - data_dW, db - data_db) for (dW, db), (data_dW, data_db) in zip(with_term, grads["data"])]
    tensors = [(i, part) for i in range(len(params)) for part in (0, 1)]
    rows = _check_tensors(net, [True] * len(params), l2, l1, tensors, grads, tol)
    result = _summary(rows["total"])
    result["terms"] = {term: _summary(rows[term]) for term in grads if term != "total"}
    checked = [result] + list(result["terms"].values())
    if inputs:
        result["inputs"] = _check_inputs(net, tol)
        checked.append(result["inputs"])
    if directional:
        result["directions"] = _directional(net, l2, l1, grads["total"], directional,
                                            rng if rng is not None else np.random.default_rng(0), tol)
        checked += result["directions"]
    result["passed"] = all(part["passed"] for part in checked)
    result.update(eps=eps, rtol=rtol, atol=atol, samples=len(X))
    return result


def _evaluate(params, activations, loss, X, T, weights):
    """J, the size of the loss's parts (the first term of noise_sizes), and the sign pattern of every
    relu input (a step that flips one crossed a kink)."""
    Zs = []
    As, Z = forward(params, activations, X, Zs)
    relu = [Zi > 0 for Zi, act in zip(Zs, activations) if act == "relu"]
    return float(mean_loss(loss, Z, As[-1], T, weights)), loss_size(loss, Z, As[-1], T, weights), relu


def _check_tensors(net, penalised, l2, l1, tensors, grads, tol) -> dict:
    """{term: [row per tensor]}: every element of each (layer, 0 weights | 1 bias) tensor stepped by +-eps.

    An element that fails is measured again with steps of +-2 eps, and judged by Richardson's
    (4 D(eps) - D(2 eps)) / 3, which cancels the eps^2 term of the truncation error: a correct
    derivative of a strongly curved objective (logits of 1e4) passes, a wrong one still fails.
    """
    params, activations, loss, X, T, weights = net
    eps, rtol, atol = tol
    loss_part, layers = noise_sizes(*net)
    pens = penalty_sizes(params, penalised, l2, l1)
    fixed = [penalty(W, l2, l1) if p else 0.0 for (W, _), p in zip(params, penalised)]
    rows = {term: [] for term in grads}
    for i, part in tensors:
        W, theta = params[i][0], params[i][part]
        with_penalty = penalised[i] and part == 0

        def central(idx, multiple):
            """Each term's central difference for steps of +-multiple * eps on theta[idx], the largest
            size of the loss's parts at either end, and whether a relu input changed sign."""
            original = theta[idx]
            step = (original + multiple * eps) - original  # as rounding takes it at theta: both ends exact
            ends = []
            for end in (original + step, original - step):
                theta[idx] = end
                data, size, signs = _evaluate(params, activations, loss, X, T, weights)
                l2_term = penalty(W, l2, 0.0) if with_penalty else 0.0
                l1_term = penalty(W, 0.0, l1) if with_penalty else 0.0
                total = data + sum(fixed[:i]) + l2_term + l1_term + sum(fixed[i + 1:])
                ends.append(({"total": total, "data": data, "l2": l2_term, "l1": l1_term}, size, signs))
            theta[idx] = original
            (plus, size_plus, signs_plus), (minus, size_minus, signs_minus) = ends
            return ({term: (plus[term] - minus[term]) / (2 * step) for term in plus}, max(size_plus, size_minus),
                    any(np.any(p != m) for p, m in zip(signs_plus, signs_minus)))

        values = {term: np.zeros_like(theta) for term in ("total", "data", "l2", "l1")}
        loss_parts = np.full(theta.shape, loss_part)  # the loss's parts can be larger at theta +- eps (a perfect fit)
        relu_kink = np.zeros(theta.shape, dtype=bool)
        for idx in np.ndindex(theta.shape):
            numeric, size, relu_kink[idx] = central(idx, 1)
            loss_parts[idx] = max(loss_part, size)
            for term in values:
                values[term][idx] = numeric[term]
        l1_kink = (np.abs(theta) <= eps) if with_penalty and l1 else np.zeros(theta.shape, dtype=bool)
        kinks = {"data": relu_kink, "total": relu_kink | l1_kink, "l2": np.zeros_like(relu_kink), "l1": l1_kink}
        data_floor = floor(loss_parts + layers[i] + sum(s.sum() for s in layers[i + 1:]), eps)
        floors = {"data": data_floor, "total": data_floor + floor(sum(a + b for a, b in pens), eps),
                  "l2": np.full(theta.shape, floor(pens[i][0], eps)), "l1": np.full(theta.shape, floor(pens[i][1], eps))}
        checked = {term: g[i][part] for term, g in grads.items()}
        again = np.zeros(theta.shape, dtype=bool)
        for term, analytic in checked.items():
            again |= ~_passes(analytic, values[term], kinks[term], floors[term], rtol, atol)
        for idx in map(tuple, np.argwhere(again)):
            numeric, size, kink = central(idx, 2)
            relu_kink[idx] |= kink  # a kink within 2 eps spoils the extrapolation: counted as a kink
            l1_kink[idx] |= with_penalty and bool(l1) and abs(theta[idx]) <= 2 * eps
            for term in values:
                values[term][idx] = (4 * values[term][idx] - numeric[term]) / 3
        for term in floors:
            floors[term] = np.where(again, 1.5 * floors[term], floors[term])  # noise of (4 D1 - D2) / 3
        kinks["data"], kinks["total"] = relu_kink, relu_kink | l1_kink
        name = f"layers[{i}].{'weights' if part == 0 else 'bias'}"
        for term, analytic in checked.items():
            row = compare(name, analytic, values[term], kinks[term], floors[term], rtol, atol)
            rows[term].append({**row, "extrapolated": int(again.sum())})
    return rows


def _check_inputs(net, tol) -> dict:
    """dJ/dX, checked as the weights of a linear first layer fed one-hot rows: with E = I (n, n),
    E X = X, and backprop's dW of that layer is E^T dZ = dJ/dX (n, d). Penalties do not depend on X."""
    params, activations, loss, X, T, weights = net
    widened = [(X.copy(), np.zeros(X.shape[1]))] + list(params)
    net = (widened, ("linear",) + activations, loss, np.eye(len(X)), T, weights)
    grads = {"data": objective_and_grads(*net[:5], 0.0, 0.0, weights)[2]}
    row = _check_tensors(net, [False] * len(widened), 0.0, 0.0, [(0, 0)], grads, tol)["data"][0]
    return {**row, "name": "inputs"}


def _directional(net, l2, l1, grads, k, rng, tol) -> list[dict]:
    """K checks of the derivative along a random unit direction v over every parameter at once
    (JAX check_grads style): (J'(theta + eps v) - J'(theta - eps v)) / 2 eps against g . v; one that
    fails is measured again at 2 eps and extrapolated, as in _check_tensors."""
    params, activations, loss, X, T, weights = net
    eps, rtol, atol = tol
    loss_part, layers = noise_sizes(*net)
    pens = penalty_sizes(params, [True] * len(params), l2, l1)
    sizes = sum(s.sum() for s in layers) + sum(a + b for a, b in pens)

    def central(v, multiple):
        """(numeric, analytic g . v, largest size of the loss's parts, kink) for steps of +-multiple * eps v."""
        # the steps as float rounding takes them at theta, so that theta -+ step are both exact
        steps = [tuple((p + multiple * eps * d) - p for p, d in zip(pair, dirs)) for pair, dirs in zip(params, v)]
        ends = []
        for sign in (1.0, -1.0):
            moved = [(W + sign * sW, b + sign * sb) for (W, b), (sW, sb) in zip(params, steps)]
            data, size, signs = _evaluate(moved, activations, loss, X, T, weights)
            ends.append((moved, data + sum(penalty(W, l2, l1) for W, _ in moved), size, signs))
        (up, f_plus, size_plus, s_plus), (down, f_minus, size_minus, s_minus) = ends
        analytic = sum(float(np.vdot(dW, sW)) + float(np.vdot(db, sb)) for (dW, db), (sW, sb) in zip(grads, steps))
        kink = any(np.any(p != m) for p, m in zip(s_plus, s_minus)) or bool(
            l1 and any(np.any(np.sign(Wu) != np.sign(Wd)) for (Wu, _), (Wd, _) in zip(up, down)))
        return ((f_plus - f_minus) / (2 * multiple * eps), analytic / (multiple * eps),
                max(loss_part, size_plus, size_minus), kink)

    out = []
    for j in range(k):
        v = [(rng.standard_normal(W.shape), rng.standard_normal(b.shape)) for W, b in params]
        norm = math.sqrt(sum(float(np.vdot(a, a)) for pair in v for a in pair))
        v = [(vW / norm, vb / norm) for vW, vb in v]
        numeric, analytic, size, kink = central(v, 1)
        noise = floor(sizes + size, eps)
        again = not _passes(analytic, numeric, kink, noise, rtol, atol)
        if again:
            numeric_2, _, _, kink_2 = central(v, 2)
            numeric, kink, noise = (4 * numeric - numeric_2) / 3, kink or kink_2, 1.5 * noise
        row = compare(f"direction {j + 1}", analytic, numeric, kink, np.asarray(noise), rtol, atol)
        out.append({**row, "extrapolated": int(again), "analytic": analytic, "numeric": numeric})
    return out


def _passes(analytic, numeric, kink, floor, rtol, atol):
    """Per element: |backprop - numeric| <= atol + rtol |numeric| + noise floor, or a kink."""
    return (np.abs(analytic - numeric) <= atol + rtol * np.abs(numeric) + floor) | kink


def compare(name, analytic, numeric, kink, floor, rtol, atol) -> dict:
    """One row of the report: an array of backprop values against their numeric estimates."""
    analytic, numeric = np.asarray(analytic, dtype=np.float64), np.asarray(numeric, dtype=np.float64)
    kink = np.asarray(kink, dtype=bool)
    diff = np.abs(analytic - numeric)
    scale = np.maximum(np.maximum(np.abs(analytic), np.abs(numeric)), floor + atol)  # below: zero, as tolerated
    relative = np.divide(diff, scale, out=np.zeros_like(diff), where=scale > 0)
    relative[np.isnan(diff)] = np.nan
    ok = _passes(analytic, numeric, kink, floor, rtol, atol)
    judged = ~kink
    max_relative = float(np.max(relative[judged], initial=0.0))
    # The band judges what rounding cannot explain: the error beyond the noise floor, relative.
    beyond = np.divide(np.maximum(diff - floor, 0.0), scale, out=np.zeros_like(diff), where=scale > 0)
    beyond[np.isnan(diff)] = np.nan
    worst = float(np.max(beyond[judged], initial=0.0))
    return {
        "name": name,
        "shape": list(analytic.shape),
        "max_abs_error": float(np.max(diff[judged], initial=0.0)),
        "max_relative_error": max_relative,
        "kinks": int(np.sum(kink)),
        "passed": bool(np.all(ok)),
        "noise_floor": float(np.max(floor, initial=0.0)),
        "band": band(worst) if not math.isnan(worst) else "wrong",
    }


def _summary(rows: list[dict]) -> dict:
    def worst(key):  # NaN (a derivative that came out NaN) wins
        return float(np.max([r[key] for r in rows], initial=0.0))

    return {
        "passed": all(r["passed"] for r in rows),
        "max_abs_error": worst("max_abs_error"),
        "max_relative_error": worst("max_relative_error"),
        "kinks": sum(r["kinks"] for r in rows),
        "noise_floor": worst("noise_floor"),
        "parameters": rows,
    }


def gradcheck_config(cfg, model=None, samples=10, eps=1e-6, rtol=1e-5, atol=1e-8, burn_in=0, directional=0,
                     inputs=False) -> dict:
    """gradcheck() of a config's network (or of a model file's network on the config's data) on the first
    `samples` rows of the training split, in float64, with the config's penalties and class weights;
    after `burn_in` minibatch steps of training from there when asked. Dropout is off in the check."""
    cfg, data, net, rng = setup(cfg, model)
    split = data.splits["train"]
    weights = sample_weights(cfg, data)
    if burn_in:
        dropout = [layer.dropout for layer in cfg.model.hidden]  # training as train does it (none for a model file)
        losses = train_steps(cfg, net, net.scale(split.X), split.T, burn_in, rng, weights, dropout=dropout)
        if not np.isfinite(losses[-1]):
            raise DivergedError(f"the burn-in diverged: the loss became {losses[-1]} at step {len(losses)}; "
                                f"{divergence_hint(cfg)}", file=cfg.path)
    X, T = net.scale(split.X[:samples]), split.T[:samples]
    result = gradcheck(net.params, net.activations, net.loss, X, T, cfg.train.l2, cfg.train.l1, eps, rtol, atol,
                       None if weights is None else weights[:samples], directional, inputs,
                       np.random.default_rng(cfg.seed))
    result["burn_in"] = burn_in
    return result
