"""The network as plain data: a list of (W, b) arrays, one per layer, and their activations.

Layer i computes Z = A_prev @ W + b with W (inputs, units) and b (units,), then its
activation; the last layer's activation is the output unit. Shapes use n for the samples
of a (mini)batch.
"""

import numpy as np

from .activations import ACTIVATIONS, ACTIVATIONS_INPLACE, OUTPUTS, OUTPUTS_INPLACE
from .losses import CANONICAL, LOSSES, output_delta, softmax_cross_entropy_


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


class SGDStep:
    """The training fast path: one minibatch SGD step on params, in place, with no large allocation.

    The math of objective_and_grads followed by optimizers.sgd, arranged for speed:
    - every layer's A, dZ, dW and db live in buffers allocated once, for the largest batch;
    - activations and their derivatives are applied in place (activations.ACTIVATIONS_INPLACE);
    - the learning rate is folded into the output delta, dZ_L = lr * dJ/dZ_L, so every
      dW = A^T dZ and db = sum_n dZ below it is already the step, and W -= dW finishes it;
    - W_i is updated as soon as dZ_{i-1} = (dZ_i W_i^T) * act'(A_{i-1}) has used it.
    Folding lr, and db as a matrix-vector product, move the rounding of the last bits (float64:
    within 1e-12 of the plain step, tests/test_fast_path.py). gradcheck keeps the plain float64 functions above.
    """

    def __init__(self, params, activations, loss, batch, learning_rate, l2=0.0, l1=0.0):
        dtype = params[0][0].dtype
        units = [W.shape[1] for W, _ in params]
        self.params, self.activations, self.loss = params, activations, loss
        self.lr, self.l2, self.l1 = learning_rate, l2, l1
        self.As = [np.empty((batch, u), dtype) for u in units]  # A_i (batch, units_i); the last is the output
        self.tmps = [np.empty((batch, u), dtype) for u in units]  # scratch for act'(A_i)
        self.dZs = [np.empty((batch, u), dtype) for u in units]  # lr * dJ'/dZ_i (batch, units_i)
        self.Z = np.empty((batch, units[-1]), dtype)  # output layer's Z (batch, k), for the loss
        self.ones = np.ones(batch, dtype)  # db = 1^T dZ as one matrix-vector product
        self.dWs = [np.empty_like(W) for W, _ in params]
        self.dbs = [np.empty_like(b) for _, b in params]
        self.Wtmps = [np.empty_like(W) for W, _ in params] if l2 or l1 else None

    def __call__(self, X, T):
        """Train on X (m, d), T (m, k), m <= batch. Returns (loss, objective, A) at the weights before
        the step; A (m, k) is a view of a buffer, valid until the next call."""
        m, L = len(X), len(self.params)
        A = X
        for i, ((W, b), act) in enumerate(zip(self.params, self.activations)):
            Z = self.As[i][:m] if i < L - 1 else self.Z[:m]
            np.matmul(A, W, out=Z)  # Z_i = A_{i-1} W_i + b_i  (m, units_i)
            Z += b
            if i < L - 1:
                ACTIVATIONS_INPLACE[act][0](Z, self.tmps[i][:m])
                A = Z
        Z, A = self.Z[:m], self.As[-1][:m]
        if (self.activations[-1], self.loss) == ("softmax", "cross_entropy"):
            loss = softmax_cross_entropy_(Z, A, T)  # one pass for both: the batch's largest cost after the GEMMs
        else:
            np.copyto(A, Z)
            OUTPUTS_INPLACE[self.activations[-1]](A, self.tmps[-1][:m])
            loss = LOSSES[self.loss](Z, A, T)
        objective = loss + self._penalty()

        dZ = self.dZs[-1][:m]
        if (self.activations[-1], self.loss) in CANONICAL:
            np.subtract(A, T, out=dZ)
            dZ *= self.lr / m  # dZ_L = lr (A - T) / m
        else:
            np.multiply(output_delta(self.activations[-1], self.loss, A, T), self.lr, out=dZ)
        for i in range(L - 1, -1, -1):
            W, b = self.params[i]
            dW, db = self.dWs[i], self.dbs[i]
            A_prev = X if i == 0 else self.As[i - 1][:m]
            np.matmul(A_prev.T, dZ, out=dW)  # dW_i = A_{i-1}^T dZ_i  (inputs, units)
            np.matmul(self.ones[:m], dZ, out=db)  # db_i = sum_n dZ_i = 1^T dZ_i  (units,)
            if i:
                dZ_prev = self.dZs[i - 1][:m]
                np.matmul(dZ, W.T, out=dZ_prev)  # dZ_{i-1} = (dZ_i W_i^T) * act'(A_{i-1})
                ACTIVATIONS_INPLACE[self.activations[i - 1]][1](dZ_prev, A_prev, self.tmps[i - 1][:m])
                dZ = dZ_prev
            self._penalty_grad(i)
            W -= dW
            b -= db
        return loss, objective, A

    def _penalty(self):
        """l2/2 * sum(W^2) + l1 * sum(|W|), as penalty() computes it, into scratch buffers."""
        total = 0.0
        if self.Wtmps is not None:
            for (W, _), Wtmp in zip(self.params, self.Wtmps):
                if self.l2:
                    total += 0.5 * self.l2 * float(np.multiply(W, W, out=Wtmp).sum())
                if self.l1:
                    total += self.l1 * float(np.abs(W, out=Wtmp).sum())
        return total

    def _penalty_grad(self, i):
        """dW_i += lr * (l2 W_i + l1 sign(W_i))."""
        if self.Wtmps is None:
            return
        (W, _), dW, Wtmp = self.params[i], self.dWs[i], self.Wtmps[i]
        if self.l2:
            dW += np.multiply(W, self.lr * self.l2, out=Wtmp)
        if self.l1:
            np.sign(W, out=Wtmp)
            dW += np.multiply(Wtmp, self.lr * self.l1, out=Wtmp)


# optimizer name (config train.optimizer) -> its fused training step
TRAIN_STEPS = {"sgd": SGDStep}
