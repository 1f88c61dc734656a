"""The config: read once at the edge into frozen dataclasses that everything after it trusts.

The YAML dialect is in yamlio.py, the keys and their checks in schema.py; this module applies
`--set` overrides, checks what spans several keys, resolves paths and builds the objects.
"""

import os
import re
from dataclasses import dataclass
from typing import Sequence

from .errors import ConfigError
from .fileio import read_file
from .losses import DEFAULT_LOSS, VALID_LOSSES
from .schema import EARLY_STOPPING, LAYER, OPTIMIZERS, SCHEDULES, SCHEMA, check_section, closest, fail
from .yamlio import join, load_yaml

MAX_BYTES = 1 << 20  # a config is a few hundred bytes; a megabyte is a wrong file
MAX_UNITS = 10**6
MAX_HIDDEN_PARAMS = 2 * 10**8  # 1.6 GB of float64 weights between hidden layers
MAX_PARAMS = 4 * 10**8  # every weight and bias, input and output layers included
PATH_KEYS = (("data", "train"), ("data", "test"), ("output", "dir"))
NAMED_KEYS = ("train.optimizer", "train.schedule")  # a name, or a mapping of the name and its settings


@dataclass(frozen=True)
class Layer:
    units: int
    activation: str = "relu"
    dropout: float = 0.0
    init: str = "auto"  # resolved: model.init when the layer does not set its own


@dataclass(frozen=True)
class DataConfig:
    train: str  # resolved against the config's folder, or "-" for stdin
    test: str | None
    target: tuple[str, ...] | None  # None: the last column
    features: tuple[str, ...] | None  # None: every other column
    validation_split: float
    standardize: bool = True
    categorical: str | tuple[str, ...] = "auto"  # "auto", or columns one-hot encoded even if they hold numbers
    missing: str = "error"  # error | drop | impute


@dataclass(frozen=True)
class ModelConfig:
    hidden: tuple[Layer, ...]
    output: str
    init: str = "auto"  # for the output layer, and hidden layers without their own


@dataclass(frozen=True)
class EarlyStopping:
    monitor: str  # resolved: val_loss with a validation split, else loss
    patience: int = 10
    min_delta: float = 0.0
    restore_best: bool = True


@dataclass(frozen=True)
class TrainConfig:
    epochs: int
    batch_size: int
    learning_rate: float
    optimizer: dict  # {"name": "adam", "beta1": 0.9, ...}: every setting, defaults filled in
    l2: float
    l1: float
    dtype: str
    schedule: dict | None = None  # {"name": "step", "step_size": 10, "gamma": 0.5}; None: constant
    warmup_epochs: int = 0
    early_stopping: EarlyStopping | None = None
    class_weight: str | dict | None = None  # None, "balanced" or {label: weight}
    clip_norm: float | None = None
    device: str = "cpu"


@dataclass(frozen=True)
class Config:
    path: str  # the config file as given
    seed: int
    data: DataConfig
    model: ModelConfig
    loss: str  # resolved: the output's default when not set
    train: TrainConfig
    output_dir: str | None
    raw: dict  # the validated config, defaults filled in, JSON-serialisable


def _check_loss(raw):
    output = raw["model"]["output"]
    loss = raw["loss"] or DEFAULT_LOSS[output]
    if loss not in VALID_LOSSES[output]:
        raise ConfigError(f"loss {loss!r} does not fit output {output!r}; valid losses for "
                          f"{output}: {', '.join(VALID_LOSSES[output])}", where="loss")
    return loss


def _check_network_size(hidden):
    units = [layer["units"] for layer in hidden]
    params = sum(a * b for a, b in zip(units, units[1:]))
    if max(units, default=0) > MAX_UNITS or params > MAX_HIDDEN_PARAMS:
        raise ConfigError(
            f"network too large: {params:,} parameters between hidden layers, widest layer "
            f"{max(units):,} units (limits: {MAX_HIDDEN_PARAMS:,} parameters, "
            f"{MAX_UNITS:,} units per layer)", where="model.hidden")


def check_parameter_count(sizes: Sequence[int], path: str | None = None) -> None:
    """Refuse, before allocating, a network whose layer sizes [inputs, units..., outputs] need more
    than MAX_PARAMS weights and biases; the config check cannot see the data's input and output sizes."""
    params = sum((a + 1) * b for a, b in zip(sizes, sizes[1:]))
    if params > MAX_PARAMS:
        raise ConfigError(f"network too large: {params:,} parameters with {sizes[0]:,} inputs and "
                          f"{sizes[-1]:,} outputs (limit: {MAX_PARAMS:,})", file=path, where="model.hidden")


def _resolve_monitors(raw):
    """A monitor left out is val_loss when there is a validation split, else loss."""
    default = "val_loss" if raw["data"]["validation_split"] > 0 else "loss"
    train = raw["train"]
    for where, settings in (("train.early_stopping", train["early_stopping"]), ("train.schedule", train["schedule"])):
        if settings is None or "monitor" not in settings:
            continue
        settings["monitor"] = settings["monitor"] or default
        if settings["monitor"].startswith("val_") and default == "loss":
            raise ConfigError(f"monitor {settings['monitor']!r} needs a validation split; set "
                              "data.validation_split, or monitor 'loss'", where=join(where, "monitor"))
    optimizer = train["optimizer"]
    if optimizer.get("nesterov") and not optimizer["momentum"] > 0:
        raise ConfigError("nesterov needs a momentum > 0", where="train.optimizer.nesterov")


def _resolve_path(value, config_path):
    if value is None or value == "-" or os.path.isabs(value):
        return value
    return os.path.normpath(os.path.join(os.path.dirname(config_path), value))


_KEY = re.compile(r"[A-Za-z_]\w*(?:\[\d+\])*(?:\.[A-Za-z_]\w*(?:\[\d+\])*)*")
_KEY_PART = re.compile(r"([A-Za-z_]\w*)|\[(\d+)\]")


def _apply_override(doc, item):
    """Set one `KEY=VALUE` in the loaded document, creating missing mappings on the way.
    Returns (key path, item, value) so that errors about the value can name the --set."""
    source = f"--set {item}"
    key, sep, text = item.partition("=")
    key = key.strip()
    if not sep or not key:
        raise ConfigError("expected KEY=VALUE, e.g. train.learning_rate=0.1", file=source)
    if not _KEY.fullmatch(key):
        raise ConfigError(f"bad key {key!r}: expected a dotted path such as "
                          "model.hidden[0].units", file=source)
    parts = [name or int(index) for name, index in _KEY_PART.findall(key)]
    try:
        value = load_yaml(text)
    except ConfigError as e:
        raise ConfigError(e.message, file=source) from None
    node, at = doc, "the config"
    for i, part in enumerate(parts):
        kind = list if isinstance(part, int) else dict
        if not isinstance(node, kind):
            raise ConfigError(f"{at} is not a {'list' if kind is list else 'mapping'}", file=source)
        if kind is list and part >= len(node):
            raise ConfigError(f"index {part} out of range: {at} has {len(node)} item(s)", file=source)
        if i == len(parts) - 1:
            node[part] = value
            return "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in parts).lstrip("."), item, text, value
        if kind is dict and isinstance(parts[i + 1], str):
            if node.get(part) is None:
                node[part] = {}  # a missing section, as in `--set output.dir=out`
            elif isinstance(node[part], str) and join("" if i == 0 else at, part) in NAMED_KEYS:
                node[part] = {"name": node[part]}  # `optimizer: adam` with `--set train.optimizer.beta1=0.8`
        node = node[part] if kind is list else node.get(part)
        at = join("" if i == 0 else at, part)


def _blame_override(error: ConfigError, applied) -> None:
    """An error about a value that a --set gave names that --set, not the YAML file; a bare `-`
    (a YAML list) gets the hint to quote it."""
    for key, item, text, value in reversed(applied):
        where = error.where or ""
        if where == key or where.startswith((key + ".", key + "[")):
            error.file, error.where = f"--set {item}", None if where == key else where
            if isinstance(value, list) and text.strip().startswith("-"):
                error.message += f"; a leading - makes a YAML list: quote the text, as in --set \"{key}='{text.strip()}'\""
            return


def load_config(path: str, overrides: Sequence[str] = ()) -> Config:
    """Read YAML at path, apply `--set KEY=VALUE` overrides, validate, return Config."""
    data = read_file(path, ConfigError, "config", limit=MAX_BYTES)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        raise ConfigError(f"config file is not UTF-8 text (byte {e.start})", file=path) from None
    return parse_config(text, path, overrides)


def parse_config(text: str, path: str, overrides: Sequence[str] = ()) -> Config:
    """Same as load_config, from YAML text; path names the file in errors and anchors paths."""
    try:
        return _parse(text, path, overrides)
    except ConfigError as e:
        e.file = e.file or path
        raise


def _parse(text, path, overrides):
    if len(text.encode("utf-8", "surrogatepass")) > MAX_BYTES:
        raise ConfigError("config file is larger than 1 MiB")
    doc = load_yaml(text)
    if doc is None:
        raise ConfigError("config is empty")
    if not isinstance(doc, dict):
        fail(f"a mapping with keys {', '.join(SCHEMA)} at the top level", doc, None)
    applied = [_apply_override(doc, item) for item in overrides]
    try:
        raw = _check(doc, path)
    except ConfigError as e:
        _blame_override(e, applied)
        raise
    d, m, t = raw["data"], raw["model"], raw["train"]
    return Config(
        path=path,
        seed=raw["seed"],
        data=DataConfig(**{**d, "target": _tuple(d["target"]), "features": _tuple(d["features"]),
                           "categorical": d["categorical"] if d["categorical"] == "auto" else tuple(d["categorical"])}),
        model=ModelConfig(hidden=tuple(Layer(**layer) for layer in m["hidden"]), output=m["output"], init=m["init"]),
        loss=raw["loss"],
        train=TrainConfig(**{**t, "early_stopping": t["early_stopping"] and EarlyStopping(**t["early_stopping"])}),
        output_dir=raw["output"]["dir"],
        raw=raw,
    )


def _check(doc, path) -> dict:
    """The validated config with defaults filled in, monitors and paths resolved."""
    raw = check_section(SCHEMA, doc, "")
    raw["loss"] = _check_loss(raw)
    if raw["data"]["train"] == raw["data"]["test"] == "-":
        raise ConfigError("stdin can be read only once, and data.train reads it already", where="data.test")
    _check_network_size(raw["model"]["hidden"])
    _resolve_monitors(raw)
    for section, key in PATH_KEYS:
        raw[section][key] = _resolve_path(raw[section][key], path)
    for layer in raw["model"]["hidden"]:
        layer["init"] = layer["init"] or raw["model"]["init"]
    return raw


def _tuple(names):
    return None if names is None else tuple(names)


NESTED = {"model.hidden": LAYER, "train.optimizer": OPTIMIZERS, "train.schedule": SCHEDULES,
          "train.early_stopping": EARLY_STOPPING}  # keys whose settings are a level further down


def key_paths(schema=SCHEMA, where="") -> list[str]:
    """Every settable dotted key path, with the first hidden layer standing for all of them."""
    out = []
    for key, spec in schema.items():
        here = join(where, key)
        if isinstance(spec, dict):
            out += key_paths(spec, here)
            continue
        out.append(here)
        nested = NESTED.get(here)
        if nested is LAYER:
            out += key_paths(LAYER, "model.hidden[0]")
        elif nested is not None:
            settings = nested if nested is EARLY_STOPPING else {k: s for v in nested.values() for k, s in v.items()}
            out += [join(here, k) for k in settings]
    return out


def keys_named(name: str) -> list[str]:
    """Key paths that an option name such as `epochs`, `learning-rate` or `train.epochs` stands for."""
    name = name.replace("-", "_")
    paths = key_paths()
    found = [p for p in paths if p == name or p.rsplit(".", 1)[-1] == name]
    if not found:
        close = closest(name, {p.rsplit(".", 1)[-1] for p in paths}, cutoff=0.8)
        found = [p for p in paths if p.rsplit(".", 1)[-1] == close]
    return found
