"""train.device: gpu. Without CuPy or a GPU: one clear error. On the CPU, the GPU code paths of the
training loop run with numpy behind a module that is not numpy; on a GPU (skipped without one), a
float64 run agrees with the CPU's to about 1e-10."""

import json
import sys
import types

import numpy as np
import pytest

from conftest import DATASETS
from ffnet_cli.backend import device_module
from ffnet_cli.config import load_config
from ffnet_cli.errors import ConfigError
from ffnet_cli.modelfile import model_to_dict
from ffnet_cli.train import train


def config(tmp_path, extra=""):
    (tmp_path / "c.yaml").write_text(
        f"seed: 2\ndata: {{train: {DATASETS / 'iris.csv'}, validation_split: 0.2}}\n"
        "model: {hidden: [{units: 16, dropout: 0.2}, {units: 8, activation: tanh}], output: softmax}\n"
        f"train: {{epochs: 12, batch_size: 16, learning_rate: 0.01, optimizer: adam, dtype: float64, {extra}}}\n")
    return str(tmp_path / "c.yaml")


def numpy_in_disguise():
    """numpy's functions under another module object: `xp is np` is false, as it is for CuPy."""
    fake = types.ModuleType("fake_xp")
    fake.__dict__.update({k: v for k, v in np.__dict__.items() if not k.startswith("__")})
    return fake


def test_without_cupy_device_gpu_is_one_error_naming_the_install(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "cupy", None)  # import cupy raises ImportError
    with pytest.raises(ConfigError) as info:
        train(load_config(config(tmp_path, "device: gpu")))
    assert info.value.where == "train.device"
    assert "CuPy is not installed" in info.value.message and "pip install 'ffnet[gpu]'" in info.value.message


def test_cupy_without_a_visible_gpu_says_so(monkeypatch):
    def no_device():
        raise RuntimeError("cudaErrorNoDevice: no CUDA-capable device is detected")
    fake = types.SimpleNamespace(cuda=types.SimpleNamespace(runtime=types.SimpleNamespace(getDeviceCount=no_device)))
    monkeypatch.setitem(sys.modules, "cupy", fake)
    with pytest.raises(ConfigError) as info:
        device_module("gpu", "c.yaml")
    assert "CuPy sees no GPU" in info.value.message and "no CUDA-capable device" in info.value.message


def test_the_cli_refuses_device_gpu_before_reading_the_data_when_cupy_is_missing(tmp_path, ffnet):
    try:
        import cupy  # noqa: F401
        pytest.skip("CuPy is installed here: the missing-CuPy error cannot happen")
    except ImportError:
        pass
    (tmp_path / "c.yaml").write_text("data: {train: missing.csv}\nmodel: {output: softmax}\ntrain: {device: gpu}\n")
    result = ffnet("train", "c.yaml")
    assert result.returncode == 2 and result.stdout == ""
    assert result.stderr.startswith("error: c.yaml: train.device: train.device is gpu, but CuPy is not installed")
    assert len(result.stderr.splitlines()) == 1


def test_the_device_code_paths_give_the_cpu_result_byte_for_byte(tmp_path):
    cfg = load_config(config(tmp_path, "early_stopping: {patience: 3}"))
    on_cpu = train(cfg)
    on_device = train(cfg, xp=numpy_in_disguise())
    assert json.dumps(model_to_dict(on_device.model)) == json.dumps(model_to_dict(on_cpu.model))
    strip = [{k: v for k, v in r.items() if k != "seconds"} for r in on_cpu.history]
    assert [{k: v for k, v in r.items() if k != "seconds"} for r in on_device.history] == strip
    assert on_device.final == on_cpu.final


def test_on_a_device_divergence_is_caught_within_check_every_batches(tmp_path):
    (tmp_path / "r.yaml").write_text(f"data: {{train: {DATASETS / 'regression.csv'}, standardize: false}}\n"
                                     "model: {output: linear}\ntrain: {batch_size: 2, learning_rate: 1.0e6}\n")
    result = train(load_config(str(tmp_path / "r.yaml")), xp=numpy_in_disguise())
    assert result.diverged is not None and "in epoch 1, by batch" in result.diverged
    assert all(np.isfinite(W).all() for W, _ in result.model.params)


def _gpu():
    try:
        return device_module("gpu")
    except ConfigError as e:
        pytest.skip(f"no GPU here: {e.message}")


@pytest.mark.parametrize("dtype,rtol", [("float64", 1e-10), ("float32", 2e-4)])
def test_a_gpu_run_agrees_with_the_cpu_run(tmp_path, dtype, rtol):
    _gpu()
    path = config(tmp_path).replace("dropout: 0.2", "dropout: 0.0")
    cfg = load_config(path, [f"train.dtype={dtype}", "model.hidden[0].dropout=0.0"])
    on_cpu = train(cfg)
    on_gpu = train(load_config(path, [f"train.dtype={dtype}", "model.hidden[0].dropout=0.0", "train.device=gpu"]))
    for (W, b), (W_gpu, b_gpu) in zip(on_cpu.model.params, on_gpu.model.params):
        assert isinstance(W_gpu, np.ndarray)  # weights come back to the host
        np.testing.assert_allclose(W_gpu, W, rtol=rtol, atol=rtol * np.abs(W).max())
        np.testing.assert_allclose(b_gpu, b, rtol=rtol, atol=rtol * np.abs(W).max())
    assert set(model_to_dict(on_gpu.model)) == set(model_to_dict(on_cpu.model))  # the same model.json format
