"""`ffnet explain`: the network a config or model file defines, layer by layer, with the forward and
backward formulas in the lecture's notation (z = Wᵀx + b, a = f(z), δ = ∂J/∂z, and the chain rule
∇_x J = (∂z/∂x)ᵀ ∇_z J), as lines of text."""

from dataclasses import dataclass, field

from .config import load_config
from .errors import ConfigError, FfnetError
from .losses import CANONICAL
from .modelfile import load_model
from .probe import setup

# name -> (a = f(z) with {z} for the layer's z, f'(a) written with the layer's output a, as activations.py computes it)
FORMULAS = {
    "relu": ("relu({z}) = max(0, {z})", "[a > 0]"),
    "tanh": ("tanh({z})", "1 - a²"),
    "sigmoid": ("σ({z}) = 1 / (1 + e^-{z})", "a (1 - a)"),
    "linear": ("{z}", "1"),
    "softmax": ("softmax({z}), unit k: e^z_k / Σ_j e^z_j", None),
}
# name -> (J, how ffnet computes it)
LOSS_FORMULAS = {
    "squared_error": ("(1/n) Σ_n ½ Σ_k (a_k - t_k)²", "squared_error"),
    "log_loss": ("-(1/n) Σ_n Σ_k [t_k log a_k + (1 - t_k) log(1 - a_k)]",
                 "log_loss, computed from z as softplus(z_k) - t_k z_k"),
    "cross_entropy": ("-(1/n) Σ_n Σ_k t_k log a_k", "cross_entropy, computed from z as logsumexp(z) - z_t"),
}
ASCII = {"ᵀ": "^T", "δ": "d", "Σ": "sum", "⊙": "*", "∂": "d", "∇": "grad", "‖": "|", "²": "^2", "½": "1/2",
         "σ": "sigmoid", "×": "x", "ŷ": "y_hat", "ã": "a~", "Ã": "A~"}


@dataclass
class Network:
    """What explain needs to know of a network, from a config (and its data) or a model file."""

    source: str
    sizes: list  # [inputs, units_1, ..., outputs]
    activations: tuple
    loss: str
    features: tuple
    targets: tuple
    classes: tuple | None
    standardized: bool
    l2: float = 0.0
    l1: float = 0.0
    dropout: list = field(default_factory=list)  # per hidden layer
    class_weight: object = None


def network_of(source: str, overrides=()) -> Network:
    """The network of a model file (a path ending in .json) or of a config with its --set overrides."""
    if source.endswith(".json"):
        if overrides:
            raise ConfigError("applies to a config, not to a model file", file=source, where="--set")
        return from_model(load_model(source), source)
    return from_config(load_config(source, overrides))


def from_config(cfg) -> Network:
    """The config's network; its input and output sizes come from its training data, read as train reads it."""
    try:
        cfg, data, net, _ = setup(cfg)
    except FfnetError as exc:
        exc.message += " (explain reads data.train to learn the number of inputs and outputs)"
        exc.args = (exc.message,)
        raise
    return Network(cfg.path, [net.params[0][0].shape[0]] + [W.shape[1] for W, _ in net.params], net.activations,
                   net.loss, net.features, net.targets, net.classes, data.standardize is not None, cfg.train.l2,
                   cfg.train.l1, [layer.dropout for layer in cfg.model.hidden], cfg.train.class_weight)


def from_model(model, path: str) -> Network:
    """A model file's network; the penalties and dropout it was trained with come from its config, if kept."""
    train = (model.config or {}).get("train") or {}
    hidden = ((model.config or {}).get("model") or {}).get("hidden") or []
    return Network(path, [model.params[0][0].shape[0]] + [W.shape[1] for W, _ in model.params], model.activations,
                   model.loss, model.features, model.targets, model.classes, model.standardize is not None,
                   train.get("l2") or 0.0, train.get("l1") or 0.0,
                   [layer.get("dropout") or 0.0 for layer in hidden if isinstance(layer, dict)], train.get("class_weight"))


def explain(net: Network, plain: bool = False) -> list[str]:
    """The explanation, line by line; plain: in ASCII, for a terminal that cannot show the math symbols."""
    lines = _summary(net) + [""] + _layers(net) + [""] + _forward(net) + [""] + _backward(net)
    if plain:
        lines = [_ascii(line) for line in lines]
    width = max(len(line.split("\t")[0]) for line in lines if "\t" in line)
    return [line if "\t" not in line else line.split("\t")[0].ljust(width) + "   " + line.split("\t")[1]
            for line in lines]


def _summary(net: Network) -> list[str]:
    L, sizes = len(net.activations), net.sizes
    chain = " -> ".join([f"{sizes[0]} inputs"] + [f"{u} {a}" for u, a in zip(sizes[1:], net.activations)])
    params = sum((a + 1) * b for a, b in zip(sizes, sizes[1:]))
    lines = [f"{net.source}: {chain}; {L} layer{'s' if L > 1 else ''}, {params:,} parameters; loss {net.loss}"]
    shown = ", ".join(net.features[:8]) + (f", ... ({len(net.features)} columns)" if len(net.features) > 8 else "")
    lines.append(f"inputs: {shown}" + (" (z-scored with the training mean and std)" if net.standardized else ""))
    target = ", ".join(net.targets)
    if net.activations[-1] == "softmax":
        lines.append(f"target: {target}, one-hot t over {len(net.classes)} classes: {', '.join(net.classes)}")
    elif net.classes is not None:
        lines.append(f"target: {target}, t = 1 for class {net.classes[1]!r}, 0 for {net.classes[0]!r}")
    elif net.activations[-1] == "sigmoid":
        lines.append(f"targets: {target}, each 0 or 1 (one sigmoid unit per column)")
    else:
        lines.append(f"target{'s' if len(net.targets) > 1 else ''}: {target}, values")
    return lines


def _layers(net: Network) -> list[str]:
    rows = [("layer", "maps", "activation", "W_i", "b_i", "parameters")]
    for i, (fan_in, units, act) in enumerate(zip(net.sizes, net.sizes[1:], net.activations), 1):
        dropout = _dropout(net, i)
        rows.append((str(i), f"{fan_in} -> {units}", act + (f", dropout {dropout:g}" if dropout else ""),
                     f"{fan_in}x{units}", str(units), f"{(fan_in + 1) * units:,}"))
    rows.append(("", "", "", "", "total", f"{sum((a + 1) * b for a, b in zip(net.sizes, net.sizes[1:])):,}"))
    widths = [max(len(r[c]) for r in rows) for c in range(6)]
    return ["  ".join(cell.rjust(w) if c == 5 else cell.ljust(w) for c, (cell, w) in enumerate(zip(r, widths))).rstrip()
            for r in rows]


def _dropout(net: Network, i: int) -> float:
    """The dropout of layer i (counted from 1), 0 for the inputs and the output layer."""
    return net.dropout[i - 1] if 1 <= i <= len(net.dropout) and i < len(net.activations) else 0.0


def _forward(net: Network) -> list[str]:
    L = len(net.activations)
    lines = ["forward, for one sample x, a column vector (a minibatch X stacks n samples as rows: Z_i = A_{i-1} W_i + b_i):",
             _eq("a_0 = x", f"({net.sizes[0]})")]
    for i, act in enumerate(net.activations, 1):
        below = f"a_{i - 1}" if not _dropout(net, i - 1) else f"ã_{i - 1}"
        lines.append(_eq(f"z_{i} = W_{i}ᵀ {below} + b_{i}", f"({net.sizes[i]})"))
        lines.append(_eq(f"a_{i} = " + FORMULAS[act][0].format(z=f"z_{i}"),
                         f"({net.sizes[i]})" + (" = ŷ, the output" if i == L else "")))
        if _dropout(net, i):
            p = _dropout(net, i)
            lines.append(_eq(f"ã_{i} = a_{i} ⊙ m_{i}, m_{i} = 0 with probability {p:g}, else 1/(1 - {p:g})",
                             "training only (inverted dropout)"))
    lines.append("objective, over n samples with targets t:")
    weighted = " with class weights: J = Σ_n w_n ℓ_n / Σ_n w_n" if net.class_weight else ""
    formula, how = LOSS_FORMULAS[net.loss]
    lines.append(_eq(f"J = {formula}", how + weighted))
    penalty = []
    if net.l2:
        penalty.append(f"({net.l2:g}/2) Σ_i ‖W_i‖²")
    if net.l1:
        penalty.append(f"{net.l1:g} Σ_i |W_i|")
    if penalty:
        lines.append(_eq("J' = J + " + " + ".join(penalty), "the penalty: weights only, never biases"))
    return lines


def _backward(net: Network) -> list[str]:
    L, out, loss = len(net.activations), net.activations[-1], net.loss
    J = "J'" if net.l2 or net.l1 else "J"
    lines = [f"backward, δ_i = ∂{J}/∂z_i, by the chain rule ∇_a J = (∂z/∂a)ᵀ ∇_z J = W δ (the Jacobian, transposed);",
             "a minibatch stacks δ_i as the rows of dZ_i:"]
    if (out, loss) in CANONICAL:
        lines.append(_eq(f"dZ_{L} = (A_{L} - T) / n", f"{out} + {loss}: the output's Jacobian cancels against the loss"))
    elif out == "sigmoid":
        lines.append(_eq(f"dZ_{L} = ((A_{L} - T) / n) ⊙ A_{L} ⊙ (1 - A_{L})",
                         "squared error through the sigmoid's Jacobian ∂a/∂z = diag(a ⊙ (1 - a))"))
    else:
        lines.append(_eq(f"dZ_{L} = A_{L} ⊙ (G - rowsum(G ⊙ A_{L})), G = (A_{L} - T) / n",
                         "squared error through the softmax's Jacobian ∂a/∂z = diag(a) - a aᵀ"))
    if net.class_weight:
        lines.append(_eq("", "with class weights, row n of dZ is weighted by w_n / Σ w instead of 1/n"))
    for i in range(L, 0, -1):
        below = f"A_{i - 1}" if not _dropout(net, i - 1) else f"Ã_{i - 1}"
        grad_penalty = (f" + {net.l2:g} W_{i}" if net.l2 else "") + (f" + {net.l1:g} sign(W_{i})" if net.l1 else "")
        lines.append(_eq(f"dW_{i} = {below}ᵀ dZ_{i}{grad_penalty}", f"({net.sizes[i - 1]}x{net.sizes[i]})"
                         + (", A_0 = X" if i == 1 else "")))
        lines.append(_eq(f"db_{i} = Σ_n dZ_{i}", f"({net.sizes[i]})"))
        if i > 1:
            act = net.activations[i - 2]
            mask = f" ⊙ M_{i - 1}" if _dropout(net, i - 1) else ""
            lines.append(_eq(f"dZ_{i - 1} = (dZ_{i} W_{i}ᵀ){mask} ⊙ {act}'(A_{i - 1})",
                             f"(n x {net.sizes[i - 1]}), {act}'(a) = {FORMULAS[act][1]}"))
    lines.append("then the optimizer steps every W_i and b_i against its gradient")
    return lines


def _eq(formula: str, note: str) -> str:
    """A formula and its note, aligned in a column by explain()."""
    return f"  {formula}\t{note}"


def _ascii(text: str) -> str:
    for symbol, plain in ASCII.items():
        text = text.replace(symbol, plain)
    return text
