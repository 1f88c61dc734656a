"""The noise floor of a finite difference: how much of (J(theta + eps) - J(theta - eps)) / 2 eps is
rounding, so that gradcheck never fails a correct backward pass because of it.

A computed objective carries a rounding error e, and its finite difference about e / eps: for a
loss in the thousands, 1e-6 of noise at eps = 1e-6. |J| is not the measure of e: a small loss can be
the difference of large numbers (residuals of targets in the hundreds; logits of 1e4 from unscaled
inputs). To first order e <= u * sum over intermediates v of |dJ/dv| |v| (u: machine epsilon), and
the floor sums it over what a step re-rounds:
  - layer i's pre-activations Z_i = A_{i-1} W_i + b_i: per unit k, sum_n |dZ_i| (|A_{i-1}| |W_i| + |b_i|),
    times sqrt(fan_in + 1) for the rounding of the dot product's sum (the probabilistic bound
    lambda sqrt(m) u of a sum of m terms, Higham and Mary 2019);
  - the per-sample loss's parts before they cancel (softplus(z) beside t z, ...), times sqrt(n)
    for the sum over the samples; each penalty, times sqrt(its number of weights).
A step of an element of layer i, unit k re-rounds only Z_i[:, k], the later layers and the loss
(the earlier layers' rounding is the same at both ends and cancels), so that element's floor is
SAFETY * u * (those sizes) / eps.
"""

import math

import numpy as np

from .activations import ACTIVATIONS
from .losses import mean, output_delta
from .network import forward

U = float(np.finfo(np.float64).eps)
SAFETY = 10.0  # the largest error seen in correct cases is below 0.6 of the floor at SAFETY 1 (tests/test_gradcheck.py)

# name -> (n,) size of the numbers a per-sample loss adds up before they cancel
LOSS_SIZES = {
    "squared_error": lambda Z, A, T: (0.5 * (A - T) ** 2 + np.abs(A - T) * (np.abs(A) + np.abs(T))).sum(axis=1),
    "log_loss": lambda Z, A, T: (np.logaddexp(0, Z) + np.abs(T * Z)).sum(axis=1),
    "cross_entropy": lambda Z, A, T: (np.abs(T) * (np.abs(Z.max(axis=1, keepdims=True)) + np.log(Z.shape[1])
                                                   + np.abs(Z))).sum(axis=1),
}


def loss_size(loss, Z, A, T, weights=None) -> float:
    """The loss's part of the sizes: its per-sample parts, averaged as J averages, times sqrt(n) for the sum."""
    return float(mean(LOSS_SIZES[loss](Z, A, T), weights)) * math.sqrt(len(T))


def noise_sizes(params, activations, loss, X, T, weights=None):
    """(loss part, [per-unit part (units,) of each layer]): the sizes whose rounding reaches J."""
    As, Z = forward(params, activations, X)
    dZ = output_delta(activations[-1], loss, As[-1], T, weights)  # dJ/dZ_L, then back layer by layer
    layers = [None] * len(params)
    for i in range(len(params) - 1, -1, -1):
        W, b = params[i]
        summed = np.abs(As[i]) @ np.abs(W) + np.abs(b)  # (n, units): the size of what Z_i's dot products add up
        layers[i] = (np.abs(dZ) * summed).sum(axis=0) * math.sqrt(W.shape[0] + 1)
        if i:
            dZ = (dZ @ W.T) * ACTIVATIONS[activations[i - 1]][1](As[i])
    return loss_size(loss, Z, As[-1], T, weights), layers


def penalty_sizes(params, penalised, l2, l1):
    """[(L2 part, L1 part)] per layer: each penalty's size times sqrt(its number of weights)."""
    return [(0.5 * l2 * float(np.vdot(W, W)) * math.sqrt(W.size) if p else 0.0,
             l1 * float(np.abs(W).sum()) * math.sqrt(W.size) if p else 0.0) for (W, _), p in zip(params, penalised)]


def floor(size: float, eps: float):
    """The noise floor of a finite difference with step eps of a computation of this size."""
    return SAFETY * U / eps * size
