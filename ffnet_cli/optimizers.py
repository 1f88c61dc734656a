"""Update rules, looked up by the names used in configs. Each updates the parameters in place.

These are the plain rules; training runs each fused into backprop (network.TRAIN_STEPS), and the
tests check that the two take the same step.
"""


def sgd(params, grads, learning_rate):
    """Plain SGD: W <- W - lr * dW, b <- b - lr * db."""
    for (W, b), (dW, db) in zip(params, grads):
        W -= learning_rate * dW
        b -= learning_rate * db


OPTIMIZERS = {"sgd": sgd}
