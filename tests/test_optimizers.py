"""Update rules, schedules and clipping: each worked out in the test from the contract's formulas,
and (where PyTorch is installed) whole training trajectories against torch.optim."""

import math

import numpy as np
import pytest

from ffnet_cli.optimizers import SGD, Adam, RMSprop, clip_by_norm, make_optimizer
from ffnet_cli.schedules import Schedule

G = [np.array([0.5, -1.0, 2.0]), np.array([0.1, 0.3, -0.2]), np.array([-0.4, 0.0, 1.5])]
THETA = np.array([1.0, -2.0, 0.5])


def run(optimizer_class, lr=0.1, **settings):
    theta = THETA.copy()
    opt = optimizer_class(theta, **settings)
    for g in G:
        opt.step(theta, g.copy(), lr)
    return theta


def test_plain_sgd_subtracts_lr_times_the_gradient():
    assert np.allclose(run(SGD), THETA - 0.1 * sum(G), rtol=0, atol=1e-15)


def test_sgd_momentum_keeps_a_buffer_that_starts_at_the_first_gradient():
    mu, theta, b = 0.9, THETA.copy(), None
    for g in G:  # b = g at the first step, then b = mu b + g; theta -= lr b
        b = g.copy() if b is None else mu * b + g
        theta = theta - 0.1 * b
    assert np.allclose(run(SGD, momentum=mu), theta, rtol=0, atol=1e-15)


def test_nesterov_steps_along_the_gradient_plus_mu_times_the_buffer():
    mu, theta, b = 0.8, THETA.copy(), None
    for g in G:
        b = g.copy() if b is None else mu * b + g
        theta = theta - 0.1 * (g + mu * b)
    assert np.allclose(run(SGD, momentum=mu, nesterov=True), theta, rtol=0, atol=1e-15)


def test_adam_is_the_bias_corrected_moment_ratio():
    b1, b2, eps, theta = 0.9, 0.999, 1e-8, THETA.copy()
    m = v = np.zeros(3)
    for t, g in enumerate(G, start=1):
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g * g
        theta = theta - 0.1 * (m / (1 - b1**t)) / (np.sqrt(v / (1 - b2**t)) + eps)
    assert np.allclose(run(Adam), theta, rtol=1e-14, atol=1e-15)


def test_adam_first_step_moves_every_coordinate_by_about_lr():
    theta = THETA.copy()
    Adam(theta).step(theta, G[0].copy(), 0.01)
    assert np.allclose(THETA - theta, 0.01 * np.sign(G[0]), rtol=1e-6)


def test_rmsprop_divides_by_the_root_of_the_running_square():
    rho, eps, theta, v = 0.9, 1e-8, THETA.copy(), np.zeros(3)
    for g in G:
        v = rho * v + (1 - rho) * g * g
        theta = theta - 0.1 * g / (np.sqrt(v) + eps)
    assert np.allclose(run(RMSprop, rho=rho), theta, rtol=1e-14, atol=1e-15)


def test_make_optimizer_reads_the_resolved_config_mapping():
    theta = THETA.copy()
    opt = make_optimizer(theta, {"name": "adam", "beta1": 0.5, "beta2": 0.9, "epsilon": 1e-3})
    assert isinstance(opt, Adam) and (opt.beta1, opt.beta2, opt.epsilon) == (0.5, 0.9, 1e-3)


@pytest.mark.parametrize("scale,expected_factor", [(10.0, None), (0.1, 1.0)])
def test_clip_by_norm_scales_by_c_over_norm_plus_1e6_only_when_above(scale, expected_factor):
    g = np.array([3.0, 4.0]) * scale  # norm 5 * scale
    norm = float(np.linalg.norm(g))
    clipped = g.copy()
    assert float(clip_by_norm(clipped, 1.0)) == pytest.approx(norm)
    factor = expected_factor if expected_factor is not None else 1.0 / (norm + 1e-6)
    assert np.allclose(clipped, g * factor, rtol=1e-15)


@pytest.mark.parametrize("settings,formula", [
    ({"name": "constant"}, lambda e: 0.2),
    ({"name": "step", "step_size": 3, "gamma": 0.5}, lambda e: 0.2 * 0.5 ** ((e - 1) // 3)),
    ({"name": "exponential", "gamma": 0.9}, lambda e: 0.2 * 0.9 ** (e - 1)),
    ({"name": "inverse_time", "decay": 0.5}, lambda e: 0.2 / (1 + 0.5 * (e - 1))),
    ({"name": "cosine", "min_learning_rate": 0.01},
     lambda e: 0.01 + (0.2 - 0.01) * (1 + math.cos(math.pi * (e - 1) / 10)) / 2),
])
def test_schedules_follow_their_formula_epoch_by_epoch(settings, formula):
    schedule = Schedule(0.2, 10, settings)
    assert [schedule.rate(e) for e in range(1, 11)] == pytest.approx([formula(e) for e in range(1, 11)], rel=1e-15)


def test_warmup_scales_the_scheduled_rate_by_e_over_w():
    schedule = Schedule(0.2, 10, {"name": "exponential", "gamma": 0.9}, warmup_epochs=4)
    rates = [schedule.rate(e) for e in range(1, 11)]
    expected = [0.2 * 0.9 ** (e - 1) * (e / 4 if e <= 4 else 1) for e in range(1, 11)]
    assert rates == pytest.approx(expected, rel=1e-15)


def test_plateau_cuts_the_rate_after_patience_epochs_without_improvement_and_restarts_the_count():
    schedule = Schedule(1.0, 20, {"name": "plateau", "monitor": "loss", "patience": 2, "factor": 0.5,
                                  "min_delta": 0.1, "min_learning_rate": 0.2})
    losses = [1.0, 0.95, 0.93, 0.5, 0.45, 0.44, 0.43, 0.42, 0.41]
    rates = []
    for epoch, loss in enumerate(losses, start=1):
        rates.append(schedule.rate(epoch))
        schedule.update({"epoch": epoch, "loss": loss})
    # Epochs 2 and 3 do not beat 1.0 by more than 0.1: after epoch 3 the rate halves. Epoch 4 improves;
    # 5 and 6 do not: after 6 it halves again; 7 and 8 do not: it would halve to 0.125, floored at 0.2.
    assert rates == [1.0, 1.0, 1.0, 0.5, 0.5, 0.5, 0.25, 0.25, 0.2]


def test_plateau_on_accuracy_wants_it_higher():
    schedule = Schedule(1.0, 10, {"name": "plateau", "monitor": "val_accuracy", "patience": 1, "factor": 0.5,
                                  "min_delta": 0.0, "min_learning_rate": 0.0})
    for epoch, accuracy in enumerate([0.5, 0.6, 0.7], start=1):
        schedule.update({"epoch": epoch, "val_accuracy": accuracy})
    assert schedule.rate(4) == 1.0  # rising accuracy is improvement
    schedule.update({"epoch": 4, "val_accuracy": 0.6})
    assert schedule.rate(5) == 0.5
