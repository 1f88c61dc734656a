"""Whole training trajectories against PyTorch: the same network, initial weights and full-batch
data, trained by ffnet and by torch.optim with its schedulers, agree to about 1e-9 in float64.

Needs torch (the `bench` extra); every rule here also has a worked-by-hand test that does not
(tests/test_optimizers.py).
"""

import numpy as np
import pytest

torch = pytest.importorskip("torch", reason="PyTorch is in the bench extra: pip install -e '.[bench]'")

from ffnet_cli.config import load_config  # noqa: E402
from ffnet_cli.model import Model  # noqa: E402
from ffnet_cli.network import init_params  # noqa: E402
from ffnet_cli.train import train  # noqa: E402

EPOCHS = 25


def problem(tmp_path, settings):
    """A 4-6-5-3 tanh/relu softmax net on 40 rows, full batch, float64; ffnet's config and start."""
    rng = np.random.default_rng(7)
    X = rng.standard_normal((40, 4))
    y = (X[:, 0] + X[:, 1] * X[:, 2] > 0).astype(int) + (X[:, 3] > 0.8)
    lines = ["a,b,c,d,label"] + [",".join(map(repr, row)) + f",{label}" for row, label in zip(X.tolist(), y)]
    (tmp_path / "d.csv").write_text("\n".join(lines) + "\n")
    (tmp_path / "c.yaml").write_text(
        "data: {train: d.csv, standardize: false}\n"
        "model: {hidden: [{units: 6, activation: tanh}, {units: 5, activation: relu}], output: softmax}\n"
        f"train: {{epochs: {EPOCHS}, batch_size: 64, dtype: float64, {settings}}}\n")
    activations = ("tanh", "relu", "softmax")
    params = init_params([4, 6, 5, 3], activations, rng)
    params = [(W, rng.normal(0, 0.1, b.shape)) for W, b in params]
    start = Model(("a", "b", "c", "d"), ("label",), "softmax", "cross_entropy", ("0", "1", "2"), None,
                  activations, params)
    return load_config(str(tmp_path / "c.yaml")), start, X, y


def torch_run(cfg, start, X, y):
    tc = cfg.train
    layers = [torch.nn.Linear(W.shape[0], W.shape[1]).double() for W, _ in start.params]
    with torch.no_grad():
        for layer, (W, b) in zip(layers, start.params):
            layer.weight.copy_(torch.from_numpy(W.T.copy()))
            layer.bias.copy_(torch.from_numpy(b.copy()))
    net = torch.nn.Sequential(layers[0], torch.nn.Tanh(), layers[1], torch.nn.ReLU(), layers[2])
    o = tc.optimizer
    params = net.parameters()
    if o["name"] == "sgd":
        opt = torch.optim.SGD(params, lr=tc.learning_rate, momentum=o["momentum"], nesterov=o["nesterov"])
    elif o["name"] == "adam":
        opt = torch.optim.Adam(params, lr=tc.learning_rate, betas=(o["beta1"], o["beta2"]), eps=o["epsilon"])
    else:
        opt = torch.optim.RMSprop(params, lr=tc.learning_rate, alpha=o["rho"], eps=o["epsilon"])
    s, schedulers, plateau = tc.schedule, [], None
    if s["name"] == "step":
        schedulers.append(torch.optim.lr_scheduler.StepLR(opt, s["step_size"], s["gamma"]))
    elif s["name"] == "exponential":
        schedulers.append(torch.optim.lr_scheduler.ExponentialLR(opt, s["gamma"]))
    elif s["name"] == "cosine":
        schedulers.append(torch.optim.lr_scheduler.CosineAnnealingLR(opt, EPOCHS, s["min_learning_rate"]))
    elif s["name"] == "inverse_time":
        schedulers.append(torch.optim.lr_scheduler.LambdaLR(opt, lambda k: 1 / (1 + s["decay"] * k)))
    elif s["name"] == "plateau":  # torch cuts after patience + 1 bad epochs; ffnet after patience (as its early stopping)
        plateau = torch.optim.lr_scheduler.ReduceLROnPlateau(
            opt, factor=s["factor"], patience=s["patience"] - 1, threshold=s["min_delta"], threshold_mode="abs",
            min_lr=s["min_learning_rate"], eps=0.0)
    if tc.warmup_epochs:
        schedulers.append(torch.optim.lr_scheduler.LinearLR(opt, 1 / tc.warmup_epochs, 1.0, tc.warmup_epochs - 1))
    Xt, yt = torch.from_numpy(X), torch.from_numpy(y)
    weights = [layer.weight for layer in layers]
    losses = []
    for _ in range(EPOCHS):
        opt.zero_grad()
        loss = torch.nn.functional.cross_entropy(net(Xt), yt)
        objective = loss + tc.l2 / 2 * sum((W * W).sum() for W in weights) + tc.l1 * sum(W.abs().sum() for W in weights)
        objective.backward()
        if tc.clip_norm:
            torch.nn.utils.clip_grad_norm_(net.parameters(), tc.clip_norm)
        opt.step()
        losses.append(loss.item())
        for scheduler in schedulers:
            scheduler.step()
        if plateau is not None:
            plateau.step(loss.item())
    return losses, [(layer.weight.detach().numpy().T, layer.bias.detach().numpy()) for layer in layers]


CASES = {
    "sgd": "learning_rate: 0.3",
    "sgd momentum + step schedule": "learning_rate: 0.1, optimizer: {name: sgd, momentum: 0.9}, "
                                    "schedule: {name: step, step_size: 7, gamma: 0.5}",
    "nesterov + l2 + cosine": "learning_rate: 0.1, optimizer: {name: sgd, momentum: 0.8, nesterov: true}, l2: 0.01, "
                              "schedule: {name: cosine, min_learning_rate: 0.001}",
    "adam + warm-up + exponential": "learning_rate: 0.01, optimizer: adam, warmup_epochs: 5, "
                                    "schedule: {name: exponential, gamma: 0.9}",
    "adam settings + l1 + clip": "learning_rate: 0.02, optimizer: {name: adam, beta1: 0.8, beta2: 0.99, epsilon: 1.0e-6}, "
                                 "l1: 0.001, clip_norm: 0.5",
    "rmsprop + inverse time": "learning_rate: 0.005, optimizer: {name: rmsprop, rho: 0.95}, "
                              "schedule: {name: inverse_time, decay: 0.2}",
    "sgd + plateau": "learning_rate: 2.0, schedule: {name: plateau, patience: 2, factor: 0.5, min_delta: 0.01}",
}


@pytest.mark.parametrize("settings", CASES.values(), ids=CASES.keys())
def test_full_batch_trajectory_matches_torch_optim_in_float64(tmp_path, settings):
    cfg, start, X, y = problem(tmp_path, settings)
    result = train(cfg, init=start)
    torch_losses, torch_params = torch_run(cfg, start, X, y)
    assert [r["loss"] for r in result.history] == pytest.approx(torch_losses, rel=1e-9, abs=1e-12)
    for (W, b), (W_t, b_t) in zip(result.model.params, torch_params):
        np.testing.assert_allclose(W, W_t, rtol=1e-9, atol=1e-12)
        np.testing.assert_allclose(b, b_t, rtol=1e-9, atol=1e-12)
    if "plateau" in settings:  # the plateau case does cut the rate at least once
        assert min(r["learning_rate"] for r in result.history) < 2.0
