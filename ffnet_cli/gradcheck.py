"""Check backprop against central finite differences, element by element, in float64.

The one implementation behind both `ffnet gradcheck` and the tests.
"""

import numpy as np

from .losses import mean_loss
from .network import forward, objective_and_grads, penalty


def _objective(params, activations, loss, X, T, l2, l1):
    """J' at params, and the sign pattern of every relu input (to spot kinks)."""
    Zs = []
    As, Z = forward(params, activations, X, Zs)
    relu_signs = [Zi > 0 for Zi, act in zip(Zs, activations) if act == "relu"]
    return float(mean_loss(loss, Z, As[-1], T)) + float(sum(penalty(W, l2, l1) for W, _ in params)), relu_signs


def gradcheck(params, activations, loss, X, T, l2=0.0, l1=0.0, eps=1e-6, rtol=1e-5, atol=1e-8) -> dict:
    """Compare dJ'/dtheta from backprop with (J'(theta + eps) - J'(theta - eps)) / 2 eps.

    An element passes when |backprop - numeric| <= atol + rtol * |numeric|. An element
    whose +-eps step moves a relu input or an L1-penalised weight across zero sits on a
    kink: it is counted, not judged. Returns the `gradcheck --json` object.
    """
    params = [(np.array(W, dtype=np.float64), np.array(b, dtype=np.float64)) for W, b in params]
    X, T = np.asarray(X, dtype=np.float64), np.asarray(T, dtype=np.float64)
    _, _, grads, _ = objective_and_grads(params, activations, loss, X, T, l2, l1)
    report = []
    for i, ((W, b), (dW, db)) in enumerate(zip(params, grads)):
        for name, theta, analytic in ((f"layers[{i}].weights", W, dW), (f"layers[{i}].bias", b, db)):
            numeric = np.zeros_like(theta)
            kink = np.zeros(theta.shape, dtype=bool)
            for idx in np.ndindex(theta.shape):
                original = theta[idx]
                theta[idx] = original + eps
                f_plus, signs_plus = _objective(params, activations, loss, X, T, l2, l1)
                theta[idx] = original - eps
                f_minus, signs_minus = _objective(params, activations, loss, X, T, l2, l1)
                theta[idx] = original
                numeric[idx] = (f_plus - f_minus) / (2 * eps)
                crosses_relu = any(np.any(p != m) for p, m in zip(signs_plus, signs_minus))
                crosses_l1 = bool(l1) and theta is W and abs(original) < eps
                kink[idx] = crosses_relu or crosses_l1
            report.append(_compare(name, analytic, numeric, kink, rtol, atol))
    return {
        "passed": all(p["passed"] for p in report),
        "max_abs_error": max(p["max_abs_error"] for p in report),
        "max_relative_error": max(p["max_relative_error"] for p in report),
        "kinks": sum(p["kinks"] for p in report),
        "parameters": report,
    }


def _compare(name, analytic, numeric, kink, rtol, atol) -> dict:
    diff = np.abs(analytic - numeric)
    scale = np.maximum(np.abs(analytic), np.abs(numeric))
    relative = np.divide(diff, scale, out=np.zeros_like(diff), where=scale > 0)
    ok = (diff <= atol + rtol * np.abs(numeric)) | kink
    judged = ~kink
    return {
        "name": name,
        "shape": list(analytic.shape),
        "max_abs_error": float(diff[judged].max(initial=0.0)),
        "max_relative_error": float(relative[judged].max(initial=0.0)),
        "kinks": int(kink.sum()),
        "passed": bool(ok.all()),
    }


def gradcheck_config(cfg, model=None, samples=10, eps=1e-6, rtol=1e-5, atol=1e-8) -> dict:
    """gradcheck() of a config's network (or of a saved model's weights) on the first `samples`
    rows of its training data, in float64, with the config's penalties."""
    from dataclasses import replace

    from .dataset import load_dataset
    from .train import new_model

    # All training rows in file order, float64, no test file needed.
    cfg = replace(cfg, data=replace(cfg.data, validation_split=0.0, test=None), train=replace(cfg.train, dtype="float64"))
    rng = np.random.default_rng(cfg.seed)
    data = load_dataset(cfg, rng, model)
    net = new_model(cfg, data, rng, model)
    split = data.splits["train"]
    X, T = net.scale(split.X[:samples]), split.T[:samples]
    return gradcheck(net.params, net.activations, net.loss, X, T, cfg.train.l2, cfg.train.l1, eps, rtol, atol)
