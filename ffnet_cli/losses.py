"""Losses as the mean over samples of the per-sample loss, computed stably from the logits.

With Z the output layer's input, A = output(Z) and T the targets, all (n, k):
    squared_error  1/2 sum_k (a_k - t_k)^2
    log_loss       -sum_k [t_k log a_k + (1 - t_k) log(1 - a_k)] = sum_k [softplus(z_k) - t_k z_k]
    cross_entropy  -sum_k t_k log a_k = sum_k t_k (logsumexp(z) - z_k)
"""

import numpy as np


def squared_error(Z, A, T):
    D = A - T
    return 0.5 * float(np.sum(D * D)) / len(T)


def log_loss(Z, A, T):
    # log(1 + e^z) - t z, with log(1 + e^z) = logaddexp(0, z): no log(0), no overflow.
    return float(np.sum(np.logaddexp(0, Z) - T * Z)) / len(T)


def cross_entropy(Z, A, T):
    m = Z.max(axis=1, keepdims=True)
    lse = m + np.log(np.exp(Z - m).sum(axis=1, keepdims=True))  # (n, 1) log-sum-exp
    return float(np.sum(T * (lse - Z))) / len(T)


def softmax_cross_entropy_(Z, A, T):
    """The training fast path's softmax and cross-entropy together: A <- softmax(Z), returns the loss.

    Z is shifted in place by its row maximum m, so with s = sum_k e^(z_k - m) per row,
    A = e^(Z - m) / s and the loss is mean_n [log s - sum_k t_k (z_k - m)] (rows of T sum to 1):
    cross_entropy() above, from the sums softmax needs anyway.
    """
    Z -= Z.max(axis=1, keepdims=True)
    np.exp(Z, out=A)
    s = A.sum(axis=1, keepdims=True)  # (n, 1), each >= 1: log never sees 0
    A /= s
    return (float(np.log(s).sum()) - float(np.vdot(T, Z))) / len(T)


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


def output_delta(output: str, loss: str, A, T):
    """dJ/dZ of the mean loss J at the output layer, (n, k).

    For the three canonical pairs (linear + squared_error, sigmoid + log_loss,
    softmax + cross_entropy) the output's Jacobian cancels against the loss and the
    delta is (A - T) / n. Squared error on a sigmoid or softmax output goes through
    the output's Jacobian.
    """
    G = (A - T) / len(T)  # dJ/dA for squared error; dJ/dZ for the canonical pairs
    if (output, loss) in CANONICAL:
        return G
    if output == "sigmoid":
        return G * A * (1 - A)  # diagonal Jacobian sigma'(z) = a (1 - a)
    # softmax Jacobian dA_i/dZ_j = a_i (delta_ij - a_j), so dZ = A * (G - sum_j G_j a_j)
    return A * (G - np.sum(G * A, axis=1, keepdims=True))
