"""The network as plain data: a list of (W, b) arrays, one per layer, and their activations.

Layer i computes Z = A_prev @ W + b with W (inputs, units) and b (units,), then its
activation; the last layer's activation is the output unit. Shapes use n for the samples
of a (mini)batch.
"""

import numpy as np

from .activations import ACTIVATIONS, OUTPUTS
from .losses import LOSSES, output_delta


def init_params(sizes, activations, rng, dtype=np.float64):
    """He-normal weights for relu layers, Glorot-uniform otherwise; zero biases.

    sizes: [inputs, units_1, ..., outputs]; activations: one name per layer.
    Weights are drawn layer by layer, input side first, from the one seeded rng.
    """
    params = []
    for fan_in, fan_out, act in zip(sizes[:-1], sizes[1:], activations):
        if act == "relu":
            W = rng.standard_normal((fan_in, fan_out)) * np.sqrt(2.0 / fan_in)
        else:
            limit = np.sqrt(6.0 / (fan_in + fan_out))
            W = rng.uniform(-limit, limit, (fan_in, fan_out))
        params.append((W.astype(dtype), np.zeros(fan_out, dtype=dtype)))
    return params


def forward(params, activations, X, Zs=None):
    """Forward pass. Returns (As, Z): As = [X, A_1, ..., A_L], Z the output layer's input (n, k).

    When a list Zs is given, each hidden layer's Z is appended to it (gradcheck looks for kinks).
    """
    As = [X]
    for (W, b), act in zip(params[:-1], activations[:-1]):
        Z = As[-1] @ W + b
        if Zs is not None:
            Zs.append(Z)
        As.append(ACTIVATIONS[act][0](Z))
    W, b = params[-1]
    Z = As[-1] @ W + b
    As.append(OUTPUTS[activations[-1]](Z))
    return As, Z


def backward(params, activations, As, dZ):
    """Backprop of the output delta dZ = dJ/dZ_L (n, k) by the chain rule.

    Per layer i, from the output back:  dW_i = A_{i-1}^T dZ_i,  db_i = sum_n dZ_i,
    and for the layer below  dZ_{i-1} = (dZ_i W_i^T) * act'(A_{i-1}).
    Returns [(dW, db)] in layer order.
    """
    grads = [None] * len(params)
    for i in range(len(params) - 1, -1, -1):
        W, _ = params[i]
        grads[i] = (As[i].T @ dZ, dZ.sum(axis=0))
        if i:
            dZ = (dZ @ W.T) * ACTIVATIONS[activations[i - 1]][1](As[i])
    return grads


def penalty(params, l2, l1):
    """l2/2 * sum(W^2) + l1 * sum(|W|) over the weight matrices (biases are not penalised)."""
    total = 0.0
    for W, _ in params:
        if l2:
            total += 0.5 * l2 * float(np.sum(W * W))
        if l1:
            total += l1 * float(np.sum(np.abs(W)))
    return total


def objective_and_grads(params, activations, loss, X, T, l2=0.0, l1=0.0):
    """Data loss J, objective J' = J + penalty, gradients of J' and the output A.

    dJ'/dW = dJ/dW + l2 * W + l1 * sign(W)
    """
    As, Z = forward(params, activations, X)
    A = As[-1]
    data_loss = LOSSES[loss](Z, A, T)
    grads = backward(params, activations, As, output_delta(activations[-1], loss, A, T))
    if l2 or l1:
        grads = [(dW + l2 * W + l1 * np.sign(W), db) for (dW, db), (W, _) in zip(grads, params)]
    return data_loss, data_loss + penalty(params, l2, l1), grads, A
