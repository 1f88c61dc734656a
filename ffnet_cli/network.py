"""The network as plain data, and the readable reference of its math.

A network is a list of (W, b) arrays, one per layer, and one activation name per layer; the
last is the output unit. Layer i computes Z = A_prev @ W + b with W (inputs, units) and b
(units,). Shapes use n for the samples of a (mini)batch. This module is the specification that
gradcheck and the tests read; training runs the same formulas over preallocated buffers
(workspace.py).
"""

import numpy as np

from .activations import ACTIVATIONS
from .backend import array_module
from .losses import mean_loss, output_delta


def he_normal(rng, fan_in, fan_out):
    return rng.standard_normal((fan_in, fan_out)) * np.sqrt(2.0 / fan_in)


def he_uniform(rng, fan_in, fan_out):
    limit = np.sqrt(6.0 / fan_in)
    return rng.uniform(-limit, limit, (fan_in, fan_out))


def glorot_normal(rng, fan_in, fan_out):
    return rng.standard_normal((fan_in, fan_out)) * np.sqrt(2.0 / (fan_in + fan_out))


def glorot_uniform(rng, fan_in, fan_out):
    limit = np.sqrt(6.0 / (fan_in + fan_out))
    return rng.uniform(-limit, limit, (fan_in, fan_out))


# name -> draw a (fan_in, fan_out) weight matrix from the rng; "auto" picks per layer (auto_init)
INITIALIZERS = {
    "he_normal": he_normal,
    "he_uniform": he_uniform,
    "glorot_normal": glorot_normal,
    "glorot_uniform": glorot_uniform,
}


def auto_init(activation: str) -> str:
    """He for relu layers (their variance halves), Glorot for the others."""
    return "he_normal" if activation == "relu" else "glorot_uniform"


def init_params(sizes, activations, rng, dtype=np.float64, inits=None):
    """Weights drawn layer by layer, input side first, from the one seeded rng; zero biases.

    sizes: [inputs, units_1, ..., outputs]; activations: one name per layer; inits: one
    initialiser name (or "auto") per layer, default all "auto".
    """
    inits = inits or ["auto"] * len(activations)
    params = []
    for fan_in, fan_out, act, init in zip(sizes[:-1], sizes[1:], activations, inits):
        W = INITIALIZERS[auto_init(act) if init == "auto" else init](rng, fan_in, fan_out)
        params.append((W.astype(dtype), np.zeros(fan_out, dtype=dtype)))
    return params


def forward(params, activations, X, Zs=None):
    """Forward pass. Returns (As, Z): As = [X, A_1, ..., A_L], Z the output layer's input (n, k).

    When a list Zs is given, each hidden layer's Z is appended to it (gradcheck looks for kinks).
    """
    As = [X]
    for (W, b), act in zip(params, activations):
        Z = As[-1] @ W + b  # Z_i = A_{i-1} W_i + b_i  (n, units_i)
        if Zs is not None and len(As) < len(params):
            Zs.append(Z)
        As.append(ACTIVATIONS[act][0](Z))
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


def penalty(W, l2, l1, tmp=None):
    """l2/2 * sum(W^2) + l1 * sum(|W|) of one weight array (biases are never penalised); `tmp` is
    scratch shaped like W."""
    xp = array_module(W)
    total = 0.0
    if l2:
        total = total + 0.5 * l2 * xp.vdot(W, W)
    if l1:
        total = total + l1 * xp.abs(W, out=tmp).sum()
    return total


def add_penalty_grad(dW, W, l2, l1, scale=1.0, tmp=None):
    """dW += scale * (l2 W + l1 sign(W)), the penalty's gradient; `tmp` is scratch shaped like W."""
    xp = array_module(W)
    if l2:
        dW += xp.multiply(W, scale * l2, out=tmp)
    if l1:
        tmp = xp.sign(W, out=tmp)
        tmp *= scale * l1
        dW += tmp
    return dW


def objective_and_grads(params, activations, loss, X, T, l2=0.0, l1=0.0, weights=None):
    """Data loss J, objective J' = J + penalty, the gradients [(dW, db)] of J', and the output A.

    dJ'/dW = dJ/dW + l2 * W + l1 * sign(W); with sample weights w, J = sum w_i l_i / sum w_i.
    """
    As, Z = forward(params, activations, X)
    A = As[-1]
    data_loss = float(mean_loss(loss, Z, A, T, weights))
    grads = backward(params, activations, As, output_delta(activations[-1], loss, A, T, weights))
    grads = [(add_penalty_grad(dW, W, l2, l1), db) for (dW, db), (W, _) in zip(grads, params)]
    objective = data_loss + float(sum(penalty(W, l2, l1) for W, _ in params))
    return data_loss, objective, grads, A
