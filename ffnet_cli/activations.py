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
