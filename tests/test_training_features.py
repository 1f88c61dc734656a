"""Early stopping, dropout, class weights, initialisers and clipping, end to end through train()."""

import json

import numpy as np
import pytest

from ffnet_cli.config import load_config
from ffnet_cli.errors import ConfigError
from ffnet_cli.losses import mean_loss
from ffnet_cli.metrics import evaluate
from ffnet_cli.modelfile import model_to_dict
from ffnet_cli.network import forward, init_params, objective_and_grads
from ffnet_cli.train import sample_weights, train
from ffnet_cli.workspace import Workspace

IRIS = "../datasets/iris.csv"


@pytest.fixture
def iris(tmp_path):
    from conftest import DATASETS

    def make(train_settings, model="{hidden: [{units: 16}], output: softmax}", split=0.3):
        (tmp_path / "c.yaml").write_text(
            f"seed: 1\ndata: {{train: {DATASETS / 'iris.csv'}, validation_split: {split}}}\nmodel: {model}\n"
            f"train: {{{train_settings}}}\n")
        return load_config(str(tmp_path / "c.yaml"))
    return make


def weights_of(result):
    return json.dumps(model_to_dict(result.model)["layers"])


def test_early_stopping_saves_the_best_epoch_and_measures_final_on_it(iris):
    es = iris("epochs: 300, learning_rate: 0.05, optimizer: adam, early_stopping: {patience: 5}")
    result = train(es)
    metrics = result.metrics()
    best, stopped = metrics["best_epoch"], metrics["stopped_epoch"]
    assert metrics["stop_reason"] == "early_stopping" and stopped < 300
    assert stopped == best + 5  # patience epochs without improvement after the best one
    losses = [r["val_loss"] for r in result.history]
    assert losses[best - 1] == min(losses)
    # The same run cut at the best epoch, without early stopping, ends with the same weights.
    plain = train(iris(f"epochs: {best}, learning_rate: 0.05, optimizer: adam"))
    assert weights_of(result) == weights_of(plain)
    assert result.final == plain.final and result.final["validation"]["loss"] == pytest.approx(min(losses))


def test_early_stopping_without_restore_keeps_the_last_epoch(iris):
    result = train(iris("epochs: 300, learning_rate: 0.05, optimizer: adam, "
                        "early_stopping: {patience: 3, restore_best: false}"))
    stopped = result.metrics()["stopped_epoch"]
    plain = train(iris(f"epochs: {stopped}, learning_rate: 0.05, optimizer: adam"))
    assert weights_of(result) == weights_of(plain)


def test_early_stopping_on_accuracy_wants_it_higher_and_min_delta_counts(iris):
    result = train(iris("epochs: 200, learning_rate: 0.05, "
                        "early_stopping: {monitor: val_accuracy, patience: 4, min_delta: 0.02}"))
    acc = [r["val_accuracy"] for r in result.history]
    best = result.best_epoch
    # the best is the first epoch that beat every earlier best by more than 0.02
    running = None
    for epoch, a in enumerate(acc, start=1):
        if running is None or a > running + 0.02:
            running, expected_best = a, epoch
    assert best == expected_best and result.history[-1]["epoch"] == best + 4


def test_a_run_that_never_runs_out_of_patience_still_restores_the_best_epoch(iris):
    # Keras' trap: restore skipped when patience never runs out. Here the best epoch is saved anyway.
    result = train(iris("epochs: 40, learning_rate: 0.3, early_stopping: {patience: 1000}"))
    assert result.stop_reason == "completed"
    best = result.best_epoch
    assert best < 40  # the last epoch is not the best: restoring matters
    plain = train(iris(f"epochs: {best}, learning_rate: 0.3"))
    assert weights_of(result) == weights_of(plain)


def test_every_epoch_record_holds_the_rate_it_used(iris):
    result = train(iris("epochs: 6, learning_rate: 0.4, warmup_epochs: 2, schedule: {name: step, step_size: 2, gamma: 0.5}"))
    assert [r["learning_rate"] for r in result.history] == pytest.approx([0.2, 0.4, 0.2, 0.2, 0.1, 0.1])


def masked_objective(params, activations, X, T, masks):
    """The minibatch loss with fixed dropout masks on the hidden layers, written out plainly."""
    A = X
    for (W, b), act, mask in zip(params[:-1], activations[:-1], masks):
        A = forward([(W, b)], (act,), A)[0][-1] * mask
    As, Z = forward(params[-1:], activations[-1:], A)
    return float(mean_loss("cross_entropy", Z, As[-1], T))


def test_dropout_gradient_is_the_gradient_of_the_masked_network():
    rng = np.random.default_rng(0)
    X, T = rng.standard_normal((8, 3)), np.eye(2)[rng.integers(0, 2, 8)]
    activations = ("tanh", "relu", "softmax")
    params = init_params([3, 5, 4, 2], activations, rng)
    ws = Workspace(params, activations, "cross_entropy", 8, dropout=(0.5, 0.25))
    ws(X, T, rng=np.random.default_rng(42))
    masks = [ws.masks[0][:8].copy(), ws.masks[1][:8].copy()]
    assert set(np.unique(masks[0])) <= {0.0, 2.0} and set(np.unique(masks[1])) <= {0.0, 4 / 3}
    eps = 1e-6
    for (W, _), (dW, _) in zip(ws.params, ws.grads):
        for idx in [(0, 0), (1, 1), (W.shape[0] - 1, W.shape[1] - 1)]:
            original = W[idx]
            W[idx] = original + eps
            up = masked_objective(ws.params, activations, X, T, masks)
            W[idx] = original - eps
            down = masked_objective(ws.params, activations, X, T, masks)
            W[idx] = original
            assert dW[idx] == pytest.approx((up - down) / (2 * eps), rel=1e-6, abs=1e-9)


def test_dropout_masks_keep_units_with_probability_one_minus_p_and_scale_them():
    rng = np.random.default_rng(0)
    params = init_params([10, 400, 2], ("relu", "softmax"), rng)
    ws = Workspace(params, ("relu", "softmax"), "cross_entropy", 500, dropout=(0.3,))
    ws(rng.standard_normal((500, 10)), np.eye(2)[rng.integers(0, 2, 500)], rng=np.random.default_rng(1))
    mask = ws.masks[0]
    assert (mask == 0).mean() == pytest.approx(0.3, abs=0.01)
    assert mask.mean() == pytest.approx(1.0, abs=0.02)  # inverted dropout keeps the expected activation


def test_dropout_is_seeded_and_off_in_final_metrics(iris):
    cfg = iris("epochs: 5, learning_rate: 0.1", model="{hidden: [{units: 32, dropout: 0.5}], output: softmax}")
    first, second = train(cfg), train(cfg)
    assert weights_of(first) == weights_of(second)
    row = np.asarray([[5.1, 3.5, 1.4, 0.2]])
    assert np.array_equal(first.model.outputs(row)[1], first.model.outputs(row)[1])  # no dropout when applied
    no_dropout = train(iris("epochs: 5, learning_rate: 0.1", model="{hidden: [{units: 32}], output: softmax}"))
    assert weights_of(first) != weights_of(no_dropout)


def test_balanced_class_weights_are_n_over_c_times_n_c(iris):
    cfg = iris("epochs: 1, class_weight: balanced", split=0.0)
    from ffnet_cli.dataset import load_dataset
    data = load_dataset(cfg, np.random.default_rng(1))
    w = sample_weights(cfg, data)
    assert np.allclose(w, 150 / (3 * 50))  # iris is balanced: every weight 1
    cfg = iris("epochs: 1, class_weight: {setosa: 2, virginica: 0.5}", split=0.0)
    w = sample_weights(cfg, data)
    T = data.splits["train"].T
    assert np.array_equal(w, np.array([2.0, 1.0, 0.5])[T.argmax(axis=1)])


def test_class_weights_weight_the_loss_and_its_gradient():
    rng = np.random.default_rng(3)
    X, T = rng.standard_normal((9, 3)), np.eye(3)[rng.integers(0, 3, 9)]
    weights = np.array([1.0, 3.0, 0.5])[T.argmax(axis=1)]
    activations = ("sigmoid", "softmax")
    params = init_params([3, 4, 3], activations, rng)
    loss, _, grads, _ = objective_and_grads(params, activations, "cross_entropy", X, T, weights=weights)
    per_sample = -np.log((forward(params, activations, X)[0][-1] * T).sum(axis=1))
    assert loss == pytest.approx((weights * per_sample).sum() / weights.sum(), rel=1e-12)
    ws = Workspace(params, activations, "cross_entropy", 9)
    ws_loss, _, _ = ws(X, T, weights)
    assert float(ws_loss) == pytest.approx(loss, rel=1e-12)
    for (dW, db), (gW, gb) in zip(grads, ws.grads):
        np.testing.assert_allclose(gW, dW, rtol=1e-12, atol=1e-15)
    eps, (W, _) = 1e-6, params[0]
    original = W[1, 2]
    W[1, 2] = original + eps
    up = objective_and_grads(params, activations, "cross_entropy", X, T, weights=weights)[0]
    W[1, 2] = original - eps
    down = objective_and_grads(params, activations, "cross_entropy", X, T, weights=weights)[0]
    W[1, 2] = original
    assert grads[0][0][1, 2] == pytest.approx((up - down) / (2 * eps), rel=1e-6)


def test_class_weights_shape_the_training_loss_but_not_the_metrics(iris):
    weighted = train(iris("epochs: 3, learning_rate: 0.1, class_weight: {setosa: 5}", split=0.2))
    model = weighted.model
    from ffnet_cli.dataset import load_dataset
    data = load_dataset(iris("epochs: 3", split=0.2), np.random.default_rng(1))
    Z, A = model.outputs(data.splits["validation"].X)
    assert weighted.final["validation"] == evaluate(model.task, model.loss, model.classes, model.targets, Z, A,
                                                    data.splits["validation"].T)


def test_unknown_class_in_class_weight_names_the_key(iris):
    with pytest.raises(ConfigError) as info:
        train(iris("epochs: 1, class_weight: {setosaa: 2}"))
    assert info.value.where == "train.class_weight.setosaa" and "setosa" in info.value.message


@pytest.mark.parametrize("init,check", [
    ("he_normal", lambda W, i, o: W.std() == pytest.approx(np.sqrt(2 / i), rel=0.03)),
    ("he_uniform", lambda W, i, o: np.abs(W).max() <= np.sqrt(6 / i) and W.std() == pytest.approx(np.sqrt(2 / i), rel=0.03)),
    ("glorot_normal", lambda W, i, o: W.std() == pytest.approx(np.sqrt(2 / (i + o)), rel=0.03)),
    ("glorot_uniform", lambda W, i, o: np.abs(W).max() <= np.sqrt(6 / (i + o))
     and W.std() == pytest.approx(np.sqrt(2 / (i + o)), rel=0.03)),
])
def test_initialisers_draw_with_their_scale(init, check):
    (W, b), = init_params([300, 200], ("relu",), np.random.default_rng(0), inits=[init])
    assert check(W, 300, 200) and not b.any()


def test_per_layer_init_overrides_the_network_default(iris):
    cfg = iris("epochs: 1", model="{init: glorot_normal, hidden: [{units: 300, init: he_uniform}, {units: 200}], "
                                  "output: softmax}")
    assert [layer.init for layer in cfg.model.hidden] == ["he_uniform", "glorot_normal"]
    from ffnet_cli.dataset import load_dataset
    from ffnet_cli.train import new_model
    rng = np.random.default_rng(cfg.seed)
    data = load_dataset(cfg, rng)
    model = new_model(cfg, data, rng)
    W1, W2 = model.params[0][0], model.params[1][0]
    assert np.abs(W1).max() <= np.sqrt(6 / 4)  # he_uniform on 4 inputs
    assert W2.std() == pytest.approx(np.sqrt(2 / 500), rel=0.05)  # glorot_normal 300 -> 200


def test_clip_norm_bounds_every_plain_sgd_step(iris):
    clipped = train(iris("epochs: 1, batch_size: 150, learning_rate: 1.0, clip_norm: 0.01", split=0.0))
    start = train(iris("epochs: 1, batch_size: 150, learning_rate: 1e-300", split=0.0))  # the initial weights
    step = np.concatenate([(W1 - W0).ravel() for (W1, _), (W0, _) in zip(clipped.model.params, start.model.params)]
                          + [(b1 - b0) for (_, b1), (_, b0) in zip(clipped.model.params, start.model.params)])
    assert np.linalg.norm(step) == pytest.approx(0.01, rel=1e-3)  # lr * c: the gradient's norm was far above c


@pytest.mark.parametrize("settings,where,says", [
    ("optimizer: {name: adam, momentum: 0.9}", "train.optimizer.momentum", "not a setting of optimizer 'adam'"),
    ("optimizer: {name: sgd, nesterov: true}", "train.optimizer.nesterov", "momentum > 0"),
    ("optimizer: {beta1: 0.9}", "train.optimizer.name", "missing required key 'name'"),
    ("schedule: cosinus", "train.schedule", "did you mean 'cosine'"),
    ("schedule: {name: step, step_size: 0}", "train.schedule.step_size", "an integer >= 1"),
    ("early_stopping: {monitor: val_loss}", "train.early_stopping.monitor", "needs a validation split"),
    ("early_stopping: {patience: 0}", "train.early_stopping.patience", "an integer >= 1"),
    ("class_weight: heavy", "train.class_weight", "'balanced' or a mapping"),
    ("clip_norm: 0", "train.clip_norm", "a number > 0"),
    ("warmup_epochs: -1", "train.warmup_epochs", "an integer >= 0"),
    ("device: tpu", "train.device", "unknown device 'tpu'"),
])
def test_new_training_keys_are_validated_and_name_the_key(tmp_path, settings, where, says):
    (tmp_path / "c.yaml").write_text(f"data: {{train: d.csv}}\nmodel: {{output: softmax}}\ntrain: {{{settings}}}\n")
    with pytest.raises(ConfigError) as info:
        load_config(str(tmp_path / "c.yaml"))
    assert info.value.where == where and says in info.value.message


def test_dropout_and_layer_init_are_validated(tmp_path):
    (tmp_path / "c.yaml").write_text("data: {train: d.csv}\nmodel: {output: softmax, hidden: [{units: 3, dropout: 1}]}\n")
    with pytest.raises(ConfigError) as info:
        load_config(str(tmp_path / "c.yaml"))
    assert info.value.where == "model.hidden[0].dropout" and "in [0, 1)" in info.value.message


def test_a_monitor_the_task_does_not_have_is_refused(iris):
    with pytest.raises(ConfigError) as info:
        train(iris("epochs: 1, early_stopping: {monitor: val_r2}"))
    assert info.value.where == "train.early_stopping.monitor"
