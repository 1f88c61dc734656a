"""Update rules with state, looked up by the names configs use: `step(theta, grad, lr)` each.

theta and grad are the flat parameter and gradient vectors of workspace.py (the arrays of any
array module); grad is the gradient of the minibatch objective (data loss + l2 W + l1 sign(W)),
and may be overwritten. The formulas are torch.optim's, so that the same start gives the same
trajectory (tests/test_optimizers.py checks this against torch where it is installed).
"""

from .backend import array_module


class SGD:
    """theta -= lr * g; with momentum mu: b = mu b + g (b = g at the first step), theta -= lr * b,
    or with Nesterov theta -= lr * (g + mu b)."""

    def __init__(self, theta, momentum=0.0, nesterov=False):
        self.momentum, self.nesterov = momentum, nesterov
        self.buffer = None  # b, from the first step on
        # Plain SGD can run inside the workspace's backward pass instead (Workspace(..., scale=lr,
        # descend=True)): the same rule, a layer at a time while its gradient is in the cache.
        self.folds_learning_rate = not momentum

    def step(self, theta, grad, lr):
        if not self.momentum:
            if lr != 1:
                grad *= lr
            theta -= grad
            return
        xp = array_module(theta)
        if self.buffer is None:
            self.buffer = grad.copy()
        else:
            self.buffer *= self.momentum
            self.buffer += grad
        if self.nesterov:
            grad += xp.multiply(self.buffer, self.momentum)  # g + mu b
        else:
            grad[...] = self.buffer
        grad *= lr
        theta -= grad

    def state(self) -> dict:
        return {} if self.buffer is None else {"buffer": self.buffer}

    def load_state(self, state: dict) -> None:
        self.buffer = state.get("buffer")


class Adam:
    """m = b1 m + (1 - b1) g, v = b2 v + (1 - b2) g^2, t counting steps from 1,
    theta -= lr * (m / (1 - b1^t)) / (sqrt(v / (1 - b2^t)) + epsilon).

    Kept as m' = m / (1 - b1) and v' = v / (1 - b2), the same rule in fewer passes over theta:
    m' = b1 m' + g, v' = b2 v' + g^2, and with c = sqrt((1 - b2) / (1 - b2^t)),
    theta -= lr (1 - b1) / ((1 - b1^t) c) * m' / (sqrt(v') + epsilon / c).
    """

    folds_learning_rate = False

    def __init__(self, theta, beta1=0.9, beta2=0.999, epsilon=1e-8):
        xp = array_module(theta)
        self.beta1, self.beta2, self.epsilon = beta1, beta2, epsilon
        self.m, self.v, self.tmp = xp.zeros_like(theta), xp.zeros_like(theta), xp.empty_like(theta)
        self.t = 0

    def step(self, theta, grad, lr):
        xp, b1, b2 = array_module(theta), self.beta1, self.beta2
        self.t += 1
        self.m *= b1
        self.m += grad
        xp.multiply(grad, grad, out=self.tmp)
        self.v *= b2
        self.v += self.tmp
        c = ((1 - b2) / (1 - b2 ** self.t)) ** 0.5
        denominator = xp.sqrt(self.v, out=self.tmp)
        denominator += self.epsilon / c
        step = xp.divide(self.m, denominator, out=self.tmp)
        step *= lr * (1 - b1) / ((1 - b1 ** self.t) * c)
        theta -= step

    def state(self) -> dict:
        return {"m": self.m, "v": self.v, "t": self.t}

    def load_state(self, state: dict) -> None:
        self.m[...], self.v[...], self.t = state["m"], state["v"], int(state["t"])


class RMSprop:
    """v = rho v + (1 - rho) g^2, theta -= lr * g / (sqrt(v) + epsilon) (torch's RMSprop, alpha = rho).

    Kept as v' = v / (1 - rho): v' = rho v' + g^2, and with c = sqrt(1 - rho),
    theta -= (lr / c) * g / (sqrt(v') + epsilon / c).
    """

    folds_learning_rate = False

    def __init__(self, theta, rho=0.9, epsilon=1e-8):
        xp = array_module(theta)
        self.rho, self.epsilon = rho, epsilon
        self.v, self.tmp = xp.zeros_like(theta), xp.empty_like(theta)

    def step(self, theta, grad, lr):
        xp = array_module(theta)
        xp.multiply(grad, grad, out=self.tmp)
        self.v *= self.rho
        self.v += self.tmp
        c = (1 - self.rho) ** 0.5
        denominator = xp.sqrt(self.v, out=self.tmp)
        denominator += self.epsilon / c
        grad /= denominator
        grad *= lr / c
        theta -= grad

    def state(self) -> dict:
        return {"v": self.v}

    def load_state(self, state: dict) -> None:
        self.v[...] = state["v"]


# name (config train.optimizer.name) -> its class; the settings are the constructor's keywords
OPTIMIZERS = {"sgd": SGD, "adam": Adam, "rmsprop": RMSprop}


def make_optimizer(theta, settings: dict):
    """The optimizer a config's resolved `train.optimizer` mapping names, for the parameters theta."""
    return OPTIMIZERS[settings["name"]](theta, **{k: v for k, v in settings.items() if k != "name"})


def clip_by_norm(grad, max_norm):
    """Scale grad by min(1, max_norm / (norm + 1e-6)) with norm its 2-norm (torch's clip_grad_norm_).

    Always a multiplication, never a branch on the norm: on a GPU nothing waits for the device.
    Returns the norm before clipping (a 0-d array).
    """
    xp = array_module(grad)
    norm = xp.sqrt(xp.vdot(grad, grad))
    grad *= xp.minimum(1.0, max_norm / (norm + 1e-6))
    return norm
