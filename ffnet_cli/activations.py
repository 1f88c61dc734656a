"""Activation functions and their derivatives, looked up by the names used in configs.

Each derivative is written in terms of the activation's output A (not its input Z), as in
scikit-learn: relu' = [A > 0], tanh' = 1 - A^2, sigmoid' = A (1 - A), linear' = 1.
"""

import numpy as np


def relu(Z):
    return np.maximum(Z, 0)


def relu_grad(A):
    return (A > 0).astype(A.dtype)


def tanh(Z):
    return np.tanh(Z)


def tanh_grad(A):
    return 1 - A * A


def sigmoid(Z):
    # 1 / (1 + e^-z) for z >= 0 and e^z / (1 + e^z) for z < 0: exp only sees -|z|, so it never
    # overflows, and tiny values keep their relative precision.
    E = np.exp(-np.abs(Z))
    return np.where(Z >= 0, 1, E) / (1 + E)


def sigmoid_grad(A):
    return A * (1 - A)


def linear(Z):
    return Z


def linear_grad(A):
    return np.ones_like(A)


def softmax(Z):
    """Row-wise softmax, shifted by the row maximum so exp never overflows. Z: (n, k)."""
    E = np.exp(Z - Z.max(axis=1, keepdims=True))
    return E / E.sum(axis=1, keepdims=True)


# Hidden-layer activations: name -> (function of Z, derivative as a function of A).
ACTIVATIONS = {
    "relu": (relu, relu_grad),
    "tanh": (tanh, tanh_grad),
    "sigmoid": (sigmoid, sigmoid_grad),
    "linear": (linear, linear_grad),
}

# Output units: name -> function of the output layer's Z.
OUTPUTS = {
    "linear": linear,
    "sigmoid": sigmoid,  # independent Bernoulli outputs: binary and multi-label
    "softmax": softmax,  # one class of n
}


# In-place versions for the training fast path (network.SGDStep): the same formulas, written
# into preallocated buffers. gradcheck and prediction use the plain functions above.

def relu_(Z, tmp):
    """Z <- relu(Z)."""
    np.maximum(Z, 0, out=Z)


def relu_grad_mul_(dA, A, tmp):
    """dA <- dA * relu'(A), with relu'(A) = [A > 0]."""
    np.greater(A, 0, out=tmp)
    np.multiply(dA, tmp, out=dA)


def tanh_(Z, tmp):
    np.tanh(Z, out=Z)


def tanh_grad_mul_(dA, A, tmp):
    """dA <- dA * (1 - A^2)."""
    np.multiply(A, A, out=tmp)
    np.subtract(1, tmp, out=tmp)
    np.multiply(dA, tmp, out=dA)


def sigmoid_(Z, tmp):
    """Z <- sigmoid(Z) = e^min(z, 0) / (1 + e^-|z|): sigmoid()'s formula, bit for bit, without where()."""
    np.abs(Z, out=tmp)
    np.negative(tmp, out=tmp)
    np.exp(tmp, out=tmp)
    tmp += 1  # 1 + e^-|z|
    np.minimum(Z, 0, out=Z)
    np.exp(Z, out=Z)  # 1 where z >= 0, else e^z = e^-|z|
    Z /= tmp


def sigmoid_grad_mul_(dA, A, tmp):
    """dA <- dA * A (1 - A)."""
    np.subtract(1, A, out=tmp)
    np.multiply(A, tmp, out=tmp)
    np.multiply(dA, tmp, out=dA)


def linear_(Z, tmp):
    pass


def linear_grad_mul_(dA, A, tmp):
    pass


def softmax_(Z, tmp):
    """Z <- softmax(Z) row-wise, as softmax() computes it."""
    np.subtract(Z, Z.max(axis=1, keepdims=True), out=Z)
    np.exp(Z, out=Z)
    np.divide(Z, Z.sum(axis=1, keepdims=True), out=Z)


# name -> (Z <- f(Z) in place, dA <- dA * f'(A) in place); `tmp` is a scratch buffer shaped like Z.
ACTIVATIONS_INPLACE = {
    "relu": (relu_, relu_grad_mul_),
    "tanh": (tanh_, tanh_grad_mul_),
    "sigmoid": (sigmoid_, sigmoid_grad_mul_),
    "linear": (linear_, linear_grad_mul_),
}
OUTPUTS_INPLACE = {"linear": linear_, "sigmoid": sigmoid_, "softmax": softmax_}
