"""Check backprop against central finite differences, element by element, in float64.

The one implementation behind both `ffnet gradcheck` and the tests.
"""

import numpy as np

from .losses import LOSSES
from .network import forward, objective_and_grads, penalty


def _objective(params, activations, loss, X, T, l2, l1):
    """J' at params, and the sign pattern of every relu input (to spot kinks)."""
    Zs = []
    As, Z = forward(params, activations, X, Zs)
    relu_signs = [Zi > 0 for Zi, act in zip(Zs, activations) if act == "relu"]
    return LOSSES[loss](Z, As[-1], T) + penalty(params, l2, l1), relu_signs


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
