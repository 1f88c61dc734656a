"""Activation functions and their derivatives: one table, one function per formula.

Each function takes an optional `out=` (which may be its input, to work in place), so the
readable reference (network.py) and the buffered training step (workspace.py) share them.
Derivatives are written in terms of the activation's output A, as in scikit-learn:
relu' = [A > 0], tanh' = 1 - A^2, sigmoid' = A (1 - A), linear' = 1. Softmax has no
elementwise derivative: its Jacobian is handled with the loss (losses.output_delta).
"""

from .backend import array_module


def relu(Z, out=None, tmp=None):
    return array_module(Z).maximum(Z, 0, out=out)


def relu_grad(A, out=None):
    """[A > 0], as 0/1 in A's dtype when written to out, else as booleans."""
    return array_module(A).greater(A, 0, out=out)


def tanh(Z, out=None, tmp=None):
    return array_module(Z).tanh(Z, out=out)


def tanh_grad(A, out=None):
    """1 - A^2."""
    xp = array_module(A)
    out = xp.multiply(A, A, out=out)
    return xp.subtract(1, out, out=out)


def sigmoid(Z, out=None, tmp=None):
    """e^min(z, 0) / (1 + e^-|z|): exp only sees -|z| <= 0, so it never overflows, and tiny
    values keep their relative precision. `tmp` is scratch shaped like Z (allocated if None)."""
    xp = array_module(Z)
    tmp = xp.abs(Z, out=tmp)
    xp.negative(tmp, out=tmp)
    xp.exp(tmp, out=tmp)
    tmp += 1  # 1 + e^-|z|
    out = xp.minimum(Z, 0, out=out)
    xp.exp(out, out=out)  # 1 where z >= 0, else e^z = e^-|z|
    out /= tmp
    return out


def sigmoid_grad(A, out=None):
    """A (1 - A)."""
    xp = array_module(A)
    out = xp.subtract(1, A, out=out)
    return xp.multiply(A, out, out=out)


def linear(Z, out=None, tmp=None):
    if out is None or out is Z:
        return Z
    out[...] = Z
    return out


def linear_grad(A, out=None):
    return 1.0


def softmax(Z, out=None, tmp=None):
    """Row-wise softmax, shifted by the row maximum so exp never overflows. Z: (n, k)."""
    xp = array_module(Z)
    out = xp.subtract(Z, Z.max(axis=1, keepdims=True), out=out)
    xp.exp(out, out=out)
    out /= out.sum(axis=1, keepdims=True)
    return out


# name -> (f(Z, out=, tmp=), f'(A, out=)); the names configs, help and messages use.
ACTIVATIONS = {
    "relu": (relu, relu_grad),
    "tanh": (tanh, tanh_grad),
    "sigmoid": (sigmoid, sigmoid_grad),
    "linear": (linear, linear_grad),
    "softmax": (softmax, None),
}
HIDDEN = ("relu", "tanh", "sigmoid", "linear")  # allowed for hidden layers
OUTPUTS = ("linear", "sigmoid", "softmax")  # output units: a value, independent Bernoullis, one class of n
