"""Update rules, looked up by the names used in configs. Each updates the parameters in place."""


def sgd(params, grads, learning_rate):
    """Plain SGD: W <- W - lr * dW, b <- b - lr * db."""
    for (W, b), (dW, db) in zip(params, grads):
        W -= learning_rate * dW
        b -= learning_rate * db


OPTIMIZERS = {"sgd": sgd}
