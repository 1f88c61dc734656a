"""Losses, computed stably from the logits, and the output delta dJ/dZ of their mean.

With Z the output layer's input, A = output(Z) and T the targets, all (n, k), the per-sample losses:
    squared_error  1/2 sum_k (a_k - t_k)^2
    log_loss       -sum_k [t_k log a_k + (1 - t_k) log(1 - a_k)] = sum_k [softplus(z_k) - t_k z_k]
    cross_entropy  -sum_k t_k log a_k = sum_k t_k (logsumexp(z) - z_k)
J is their mean over the samples, or with sample weights w (class weights) sum_i w_i l_i / sum_i w_i.
"""

from .backend import array_module


def squared_error(Z, A, T):
    D = A - T
    return 0.5 * (D * D).sum(axis=1)


def log_loss(Z, A, T):
    # log(1 + e^z) - t z, with log(1 + e^z) = logaddexp(0, z): no log(0), no overflow.
    return (array_module(Z).logaddexp(0, Z) - T * Z).sum(axis=1)


def cross_entropy(Z, A, T):
    xp = array_module(Z)
    m = Z.max(axis=1, keepdims=True)
    lse = m + xp.log(xp.exp(Z - m).sum(axis=1, keepdims=True))  # (n, 1) log-sum-exp
    return (T * (lse - Z)).sum(axis=1)


# name -> per-sample loss (n,) of (Z, A, T)
LOSSES = {
    "squared_error": squared_error,
    "log_loss": log_loss,
    "cross_entropy": cross_entropy,
}

# Which losses each output unit allows; the first is its default.
VALID_LOSSES = {
    "linear": ("squared_error",),
    "sigmoid": ("log_loss", "squared_error"),
    "softmax": ("cross_entropy", "squared_error"),
}
DEFAULT_LOSS = {output: losses[0] for output, losses in VALID_LOSSES.items()}

# The output/loss pairs whose output delta dJ/dZ is (A - T) / n: the output's Jacobian cancels.
CANONICAL = {("linear", "squared_error"), ("sigmoid", "log_loss"), ("softmax", "cross_entropy")}


def mean(per_sample, weights=None):
    """J from per-sample losses (n,): their mean, or their weighted mean. A 0-d array (kept on the device)."""
    if weights is None:
        return per_sample.mean()
    return (weights @ per_sample) / weights.sum()


def mean_loss(loss: str, Z, A, T, weights=None):
    """J of the named loss."""
    return mean(LOSSES[loss](Z, A, T), weights)


def softmax_cross_entropy(Z, A, T, weights=None):
    """A <- softmax(Z) and the mean cross-entropy together, for the training step.

    Z is shifted in place by its row maximum m, so with s = sum_k e^(z_k - m) per row,
    A = e^(Z - m) / s and the loss is mean_n [log s - sum_k t_k (z_k - m)] (rows of T sum to 1):
    cross_entropy() above, from the sums softmax needs anyway.
    """
    xp = array_module(Z)
    Z -= Z.max(axis=1, keepdims=True)
    xp.exp(Z, out=A)
    s = A.sum(axis=1, keepdims=True)  # (n, 1), each >= 1: log never sees 0
    A /= s
    if weights is None:
        return (xp.log(s).sum() - xp.vdot(T, Z)) / len(T)
    return mean(xp.log(s[:, 0]) - (T * Z).sum(axis=1), weights)


def output_delta(output: str, loss: str, A, T, weights=None, scale=1.0, out=None):
    """scale * dJ/dZ of the (weighted) mean loss J at the output layer, (n, k); into `out` if given.

    For the three canonical pairs (linear + squared_error, sigmoid + log_loss,
    softmax + cross_entropy) the output's Jacobian cancels against the loss and the
    delta is (A - T) / n (row i weighted by w_i / sum w with weights). Squared error on a
    sigmoid or softmax output goes through the output's Jacobian.
    """
    xp = array_module(A)
    G = xp.subtract(A, T, out=out)  # dJ/dA for squared error; dJ/dZ for the canonical pairs, times n
    if weights is None:
        G /= len(T) / scale
    else:
        G *= (weights * (scale / weights.sum()))[:, None]
    if (output, loss) in CANONICAL:
        return G
    if output == "sigmoid":
        G *= A * (1 - A)  # diagonal Jacobian sigma'(z) = a (1 - a)
        return G
    # softmax Jacobian dA_i/dZ_j = a_i (delta_ij - a_j), so dZ = A * (G - sum_j G_j a_j)
    G -= (G * A).sum(axis=1, keepdims=True)
    G *= A
    return G
