"""The training step's forward and backward pass over buffers allocated once: raw gradients, fast.

network.py is the readable reference; this is the same math arranged for speed:
- the parameters live in one flat vector `theta` (every weight matrix, then every bias), and
  the layers' (W, b) are views into it, so an update rule is a few operations on one array;
  the gradient `grad` has the same layout;
- every layer's Z/A, dZ and scratch live in buffers allocated once, for the largest batch, and
  activations and their derivatives are applied in place (the `out=` of activations.py);
- db = 1^T dZ is one matrix-vector product;
- a `scale` can be folded into the output delta, so that plain SGD gets lr * gradient with no
  extra pass (the tests check that both give the same step).
All arrays belong to one array module (numpy, or CuPy on a GPU): the module of `theta`.
"""

import numpy as np

from .activations import ACTIVATIONS

from .losses import mean_loss, output_delta, softmax_cross_entropy
from .network import add_penalty_grad, penalty


def flatten(params, xp=np, dtype=None):
    """(theta, views, n_weights): a flat copy of [(W, b)] (weights first, then biases) on xp, the
    [(W, b)] views into it, and how many of its leading entries are weights (the penalised part)."""
    dtype = dtype or params[0][0].dtype
    shapes = [W.shape for W, _ in params]
    sizes = [int(np.prod(s)) for s in shapes] + [s[1] for s in shapes]
    theta = xp.empty(sum(sizes), dtype=dtype)
    views = layout(theta, shapes)
    for (W, b), (W_view, b_view) in zip(params, views):
        W_view[...] = xp.asarray(W)
        b_view[...] = xp.asarray(b)
    return theta, views, sum(sizes[:len(shapes)])


def layout(flat, shapes):
    """[(W, b)] views of a flat vector laid out as flatten() lays out theta; shapes: each W's shape."""
    offsets = np.cumsum([0] + [fan_in * units for fan_in, units in shapes] + [units for _, units in shapes])
    L = len(shapes)
    return [(flat[offsets[i]:offsets[i + 1]].reshape(shape), flat[offsets[L + i]:offsets[L + i + 1]])
            for i, shape in enumerate(shapes)]


class Workspace:
    """One minibatch step's forward and backward pass: loss, objective and the gradient `grad`.

    params: the starting [(W, b)] (copied into theta); activations: one name per layer;
    batch: the largest minibatch; dropout: one probability per hidden layer (inverted dropout,
    masks drawn from the rng given to each call, on the host).
    """

    def __init__(self, params, activations, loss, batch, l2=0.0, l1=0.0, dropout=(), xp=np):
        self.theta, self.params, n_weights = flatten(params, xp)
        self.grad = xp.zeros_like(self.theta)
        self.grads = layout(self.grad, [W.shape for W, _ in params])
        self.weights = self.theta[:n_weights]  # the penalised part
        self.activations, self.loss, self.l2, self.l1, self.xp = activations, loss, l2, l1, xp
        dtype, units = self.theta.dtype, [W.shape[1] for W, _ in params]
        self.Zs = [xp.empty((batch, u), dtype) for u in units]  # Z_i, then A_i in place (hidden); the output's Z
        self.A = xp.empty((batch, units[-1]), dtype)  # the output A (batch, k)
        self.dZs = [xp.empty((batch, u), dtype) for u in units]  # scale * dJ'/dZ_i
        self.tmps = [xp.empty((batch, u), dtype) for u in units]  # scratch: act'(A_i), sigmoid
        self.ones = xp.ones(batch, dtype)  # db = 1^T dZ as one matrix-vector product
        tmp = xp.empty_like(self.theta) if l2 or l1 else None  # scratch for the penalty, laid out as theta
        self.tmp_weights = None if tmp is None else tmp[:n_weights]
        self.tmp_params = layout(tmp, [W.shape for W, _ in params]) if tmp is not None else [(None, None)] * len(params)
        self.dropout = tuple(dropout) + (0.0,) * (len(units) - 1 - len(dropout))
        self.masks = [np.empty((batch, u), dtype) if p else None for u, p in zip(units, self.dropout)]
        self.dropped = [xp.empty((batch, u), dtype) if p else None for u, p in zip(units, self.dropout)]

    def __call__(self, X, T, weights=None, scale=1.0, rng=None, descend=False):
        """Forward and backward on X (m, d), T (m, k), m <= batch, at the current theta:
        grad <- scale * dJ'/dtheta. Returns (loss, objective, A): the (weighted) data loss J and
        J' = J + penalty as 0-d arrays of the array module, and A (m, k), a view valid until the next call.

        descend=True is plain SGD with the learning rate as `scale`: each layer's W -= dW, b -= db as
        soon as dZ_{i-1} has used W, while its gradient is still in the cache.
        """
        xp, m, L = self.xp, len(X), len(self.params)
        inputs = [X]  # what each layer reads: A_{i-1}, after dropout
        masks = []
        for i, ((W, b), act) in enumerate(zip(self.params, self.activations)):
            Z = self.Zs[i][:m]
            xp.matmul(inputs[-1], W, out=Z)  # Z_i = A_{i-1} W_i + b_i  (m, units_i)
            Z += b
            if i == L - 1:
                break
            ACTIVATIONS[act][0](Z, out=Z, tmp=self.tmps[i][:m])  # A_i in place of Z_i
            masks.append(self._mask(i, m, rng) if self.dropout[i] else None)
            inputs.append(Z if masks[-1] is None else xp.multiply(Z, masks[-1], out=self.dropped[i][:m]))
        A = self.A[:m]
        if (self.activations[-1], self.loss) == ("softmax", "cross_entropy"):
            loss = softmax_cross_entropy(Z, A, T, weights)  # one pass for both: the largest cost after the GEMMs
        else:
            ACTIVATIONS[self.activations[-1]][0](Z, out=A, tmp=self.tmps[-1][:m])
            loss = mean_loss(self.loss, Z, A, T, weights)
        objective = loss + penalty(self.weights, self.l2, self.l1, self.tmp_weights)

        dZ = output_delta(self.activations[-1], self.loss, A, T, weights, scale, out=self.dZs[-1][:m])
        for i in range(L - 1, -1, -1):
            (W, b), (dW, db) = self.params[i], self.grads[i]
            xp.matmul(inputs[i].T, dZ, out=dW)  # dW_i = A_{i-1}^T dZ_i  (inputs, units)
            xp.matmul(self.ones[:m], dZ, out=db)  # db_i = sum_n dZ_i  (units,)
            add_penalty_grad(dW, W, self.l2, self.l1, scale, self.tmp_params[i][0])  # + l2 W_i + l1 sign(W_i)
            if i:
                dZ_prev = self.dZs[i - 1][:m]
                xp.matmul(dZ, W.T, out=dZ_prev)  # dZ_{i-1} = (dZ_i W_i^T) * act'(A_{i-1}) [* mask]
                dZ_prev *= ACTIVATIONS[self.activations[i - 1]][1](self.Zs[i - 1][:m], out=self.tmps[i - 1][:m])
                if masks[i - 1] is not None:
                    dZ_prev *= masks[i - 1]
                dZ = dZ_prev
            if descend:
                W -= dW
                b -= db
        return loss, objective, A

    def _mask(self, i, m, rng):
        """Inverted dropout for hidden layer i: 1 / (1 - p) with probability 1 - p, else 0 (m, units)."""
        p, mask = self.dropout[i], self.masks[i][:m]
        rng.random(out=mask, dtype=mask.dtype)
        np.greater_equal(mask, p, out=mask)
        mask *= 1 / (1 - p)
        return mask if self.xp is np else self.xp.asarray(mask)

    def health(self, theta_before, m: int, scale=1.0) -> list[dict]:
        """Per layer, after a step from theta_before on the last m-row minibatch: the gradient's norm,
        the update's norm over the weights' norm (healthy near 1e-3), and for hidden layers the share
        of dead relu units (zero on every row) or of saturated sigmoid/tanh outputs."""
        xp, out = self.xp, []
        before = layout(theta_before, [W.shape for W, _ in self.params])
        for i, ((W, _), (dW, _), (W0, _), act) in enumerate(zip(self.params, self.grads, before, self.activations)):
            weight_norm = float(xp.sqrt(xp.vdot(W0, W0)))
            layer = {"layer": i, "grad_norm": float(xp.sqrt(xp.vdot(dW, dW))) / scale,
                     "update_ratio": float(xp.sqrt(((W - W0) ** 2).sum())) / weight_norm if weight_norm else None,
                     "dead": None, "saturated": None}
            if i < len(self.params) - 1:
                A = self.Zs[i][:m]
                if act == "relu":
                    layer["dead"] = 1.0 - float((A > 0).any(axis=0).sum()) / A.shape[1]
                elif act == "tanh":
                    layer["saturated"] = float((xp.abs(A) > 0.99).sum()) / A.size
                elif act == "sigmoid":
                    layer["saturated"] = float(((A < 0.01) | (A > 0.99)).sum()) / A.size
            out.append(layer)
        return out

