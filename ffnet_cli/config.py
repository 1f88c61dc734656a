"""Read a YAML config into frozen dataclasses: strict loading, `--set` overrides, a schema table.

The YAML dialect: a safe loader where `1e-3` is a float, only true/false are booleans (`no`,
`on` stay strings), dates stay strings, duplicate keys are errors, and alias bombs are refused.
"""

import difflib
import json
import math
import os
import re
from dataclasses import dataclass
from typing import Sequence

import yaml

from .activations import ACTIVATIONS, OUTPUTS
from .errors import ConfigError, read_file
from .losses import DEFAULT_LOSS, LOSSES, VALID_LOSSES
from .network import TRAIN_STEPS

OPTIMIZERS = tuple(TRAIN_STEPS)  # the optimizers training knows
DTYPES = ("float32", "float64")

MAX_BYTES = 1 << 20  # a config is a few hundred bytes; a megabyte is a wrong file
MAX_NODES = 10_000  # YAML nodes counted with aliases expanded: stops "billion laughs"
MAX_UNITS = 10**6
MAX_HIDDEN_PARAMS = 2 * 10**8  # 1.6 GB of float64 weights between hidden layers
MAX_PARAMS = 4 * 10**8  # every weight and bias, input and output layers included


@dataclass(frozen=True)
class Layer:
    units: int
    activation: str = "relu"


@dataclass(frozen=True)
class DataConfig:
    train: str  # resolved against the config's folder, or "-" for stdin
    test: str | None
    target: tuple[str, ...] | None  # None: the last column
    features: tuple[str, ...] | None  # None: every other column
    validation_split: float
    standardize: bool


@dataclass(frozen=True)
class ModelConfig:
    hidden: tuple[Layer, ...]
    output: str


@dataclass(frozen=True)
class TrainConfig:
    epochs: int
    batch_size: int
    learning_rate: float
    optimizer: str
    l2: float
    l1: float
    dtype: str


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


_FLOAT = re.compile(
    r"""^(?:[-+]?(?:[0-9][0-9_]*\.[0-9_]*|\.[0-9][0-9_]*)(?:[eE][-+]?[0-9]+)?
    |[-+]?[0-9][0-9_]*[eE][-+]?[0-9]+
    |[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$""",
    re.X,
)
_BOOL = re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$")
_DROPPED = {f"tag:yaml.org,2002:{t}" for t in ("float", "bool", "timestamp", "value")}


class _Loader(yaml.SafeLoader):
    """SafeLoader with the dialect above; checks duplicates and size while composing."""

    yaml_implicit_resolvers = {
        first: [(tag, rx) for tag, rx in resolvers if tag not in _DROPPED]
        for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
    }

    def __init__(self, text):
        super().__init__(text)
        self._where = [""]  # dotted paths from the root to the node being composed
        self._sizes = {}  # id(node) -> its node count with aliases expanded

    def compose_node(self, parent, index):
        event = self.peek_event()
        # index: the key node of a mapping value, the position of a list item, None for a key
        key = index.value if isinstance(index, yaml.ScalarNode) else index
        key = key if isinstance(key, (str, int)) else None
        self._where.append(self._where[-1] if key is None else _join(self._where[-1], key))
        node = super().compose_node(parent, index)
        if isinstance(event, yaml.AliasEvent):
            if id(node) not in self._sizes:
                raise ConfigError("recursive alias", where=_at(event.start_mark))
        else:
            children = node.value if isinstance(node, yaml.SequenceNode) else []
            if isinstance(node, yaml.MappingNode):
                self._check_duplicates(node)
                children = [n for pair in node.value for n in pair]
            self._sizes[id(node)] = 1 + sum(self._sizes[id(c)] for c in children)
        if self._sizes[id(node)] > MAX_NODES:
            raise ConfigError(f"config too large: more than {MAX_NODES} values once aliases "
                              "are expanded", where=_at(event.start_mark))
        self._where.pop()
        return node

    def _check_duplicates(self, node):
        first = {}
        for key, _ in node.value:
            if isinstance(key, yaml.ScalarNode) and first.setdefault(key.value, key) is not key:
                raise ConfigError(f"duplicate key {key.value!r} at line {key.start_mark.line + 1}"
                                  f" (first at line {first[key.value].start_mark.line + 1})",
                                  where=_join(self._where[-1], key.value))


_Loader.add_implicit_resolver("tag:yaml.org,2002:bool", _BOOL, list("tTfF"))
_Loader.add_implicit_resolver("tag:yaml.org,2002:float", _FLOAT, list("-+0123456789."))


def _at(mark):
    return f"line {mark.line + 1}, column {mark.column + 1}" if mark else None


_PYTHON_TAG = re.compile(r"tag:yaml\.org,2002:(python/\S*?)'?$")


def _load_yaml(text: str):
    """Parse one YAML document with the config dialect; None for an empty one."""
    try:
        loader = _Loader(text)  # reads the whole text now: refuses control characters here
    except yaml.reader.ReaderError as e:
        where = f"line {text.count(chr(10), 0, e.position) + 1}, column {e.position - text.rfind(chr(10), 0, e.position)}"
        raise ConfigError(f"invalid YAML: the character U+{e.character:04X} is not allowed", where=where) from None
    try:
        node = loader.get_single_node()
        return None if node is None else loader.construct_document(node)
    except yaml.constructor.ConstructorError as e:
        mark = e.problem_mark or e.context_mark
        tag = _PYTHON_TAG.search(e.problem or "")
        if tag:  # never constructed, never run: safe loading has no constructor for it
            message = f"the tag '!!{tag.group(1)}' is not allowed: ffnet reads plain YAML, not Python objects"
        else:
            message = f"invalid YAML: {e.problem or e.context}"
        raise ConfigError(message, where=_at(mark)) from None
    except yaml.MarkedYAMLError as e:
        mark = e.problem_mark or e.context_mark
        raise ConfigError(f"invalid YAML: {e.problem or e.context}", where=_at(mark)) from None
    except (yaml.YAMLError, ValueError) as e:  # ValueError: e.g. `0x_` passes the int regex
        raise ConfigError(f"invalid YAML: {e}") from None
    except RecursionError:  # PyYAML composes recursively: `[[[[...` a thousand deep
        raise ConfigError("invalid YAML: nested too deeply") from None
    finally:
        loader.dispose()


# Each key maps to (check, default) or to a nested section. A check takes (value, where) and
# returns the normalised value or raises ConfigError; defaults go through the check too.

REQUIRED = object()


def _show(v):
    """A value as messages quote it: true, null, 2.5, 'rleu', a list."""
    if v is None or isinstance(v, bool):
        return json.dumps(v)
    if isinstance(v, (list, dict)):
        return "a list" if isinstance(v, list) else "a mapping"
    text = repr(v)
    return text if len(text) <= 60 else text[:57] + "..."


def _fail(expected, v, where):
    raise ConfigError(f"expected {expected}, got {_show(v)}", where=where)


def _is(expected, ok, convert=lambda v: v):
    """A check that accepts v when ok(v) holds and returns convert(v)."""
    def check(v, where):
        if not ok(v):
            _fail(expected, v, where)
        return convert(v)
    return check


def _real(v):
    """v as a finite float if it is an int or float (a bool is neither), else None."""
    if isinstance(v, bool) or not isinstance(v, (int, float)) or abs(v) > 1e308:
        return None
    return float(v) if math.isfinite(v) else None


def _integer(lo):
    return _is(f"an integer >= {lo}", lambda v: type(v) is int and v >= lo)


def _number(text, ok):
    return _is(f"a number {text}", lambda v: _real(v) is not None and ok(_real(v)), _real)


_string = _is("a non-empty string", lambda v: isinstance(v, str) and v != "")
_boolean = _is("true or false", lambda v: isinstance(v, bool))
_path = _is("a file or folder name", lambda v: isinstance(v, str) and v != "" and "\0" not in v)


def _unknown(kind, v, allowed, where, list_always=True):
    allowed = [str(a) for a in allowed]
    close = difflib.get_close_matches(str(v), allowed, n=1)
    hint = f"; did you mean {close[0]!r}?" if close else ""
    listing = f" (allowed: {', '.join(allowed)})" if list_always or not close else ""
    raise ConfigError(f"unknown {kind} {_show(v)}{hint}{listing}", where=where)


def _choice(kind, names):
    def check(v, where):
        if not isinstance(v, str):
            _fail(f"one of {', '.join(names)}", v, where)
        return v if v in names else _unknown(kind, v, names, where)
    return check


def _optional(check):
    return lambda v, where: None if v is None else check(v, where)


def _list_of(check, nonempty=False):
    def check_list(v, where):
        if v is None and not nonempty:
            return []
        if not isinstance(v, list) or (nonempty and not v):
            _fail("a non-empty list" if nonempty else "a list", v, where)
        return [check(item, f"{where}[{i}]") for i, item in enumerate(v)]
    return check_list


def _names(v, where):
    """A column name or a list of them, as a list without repeats."""
    names = [_string(v, where)] if isinstance(v, str) else _list_of(_string, True)(v, where)
    if len(set(names)) < len(names):
        raise ConfigError(f"a column is listed twice in {names}", where=where)
    return names


LAYER = {
    "units": (_integer(1), REQUIRED),
    "activation": (_choice("activation", tuple(ACTIVATIONS)), "relu"),
}

SCHEMA = {
    "seed": (_integer(0), 0),
    "data": {
        "train": (_path, REQUIRED),
        "test": (_optional(_path), None),
        "target": (_optional(_names), None),
        "features": (_optional(_names), None),
        "validation_split": (_number("in [0, 1)", lambda x: 0 <= x < 1), 0.0),
        "standardize": (_boolean, False),
    },
    "model": {
        "hidden": (_list_of(lambda v, where: _check_section(LAYER, v, where)), None),
        "output": (_choice("output", tuple(OUTPUTS)), REQUIRED),
    },
    "loss": (_optional(_choice("loss", tuple(LOSSES))), None),
    "train": {
        "epochs": (_integer(1), 100),
        "batch_size": (_integer(1), 32),
        "learning_rate": (_number("> 0", lambda x: x > 0), 0.01),
        "optimizer": (_choice("optimizer", OPTIMIZERS), "sgd"),
        "l2": (_number(">= 0", lambda x: x >= 0), 0.0),
        "l1": (_number(">= 0", lambda x: x >= 0), 0.0),
        "dtype": (_choice("dtype", DTYPES), "float32"),
    },
    "output": {"dir": (_optional(_path), None)},
}
PATH_KEYS = (("data", "train"), ("data", "test"), ("output", "dir"))


def _join(where, key):
    if isinstance(key, int) and not isinstance(key, bool):
        return f"{where}[{key}]"
    return f"{where}.{key}" if where else str(key)


def _check_section(schema, value, where):
    """Validate one mapping against its schema; return a new dict with defaults filled in."""
    if value is None:
        value = {}
    if not isinstance(value, dict):
        _fail("a mapping", value, where or None)
    for key in value:
        if key not in schema:
            _unknown("key", key, schema, _join(where, str(key)), list_always=False)
    out = {}
    for key, spec in schema.items():
        here = _join(where, key)
        if isinstance(spec, dict):
            out[key] = _check_section(spec, value.get(key), here)
            continue
        check, default = spec
        v = value.get(key, default)
        if v is REQUIRED:
            raise ConfigError(f"missing required key {key!r}", where=here)
        out[key] = check(v, here)
    return out


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


def _resolve_path(value, config_path):
    if value is None or value == "-" or os.path.isabs(value):
        return value
    return os.path.normpath(os.path.join(os.path.dirname(config_path), value))


_KEY = re.compile(r"[A-Za-z_]\w*(?:\[\d+\])*(?:\.[A-Za-z_]\w*(?:\[\d+\])*)*")
_KEY_PART = re.compile(r"([A-Za-z_]\w*)|\[(\d+)\]")


def _apply_override(doc, item):
    """Set one `KEY=VALUE` in the loaded document, creating missing mappings on the way."""
    where = f"--set {item}"
    key, sep, text = item.partition("=")
    key = key.strip()
    if not sep or not key:
        raise ConfigError("expected KEY=VALUE, e.g. train.learning_rate=0.1", where=where)
    if not _KEY.fullmatch(key):
        raise ConfigError(f"bad key {key!r}: expected a dotted path such as "
                          "model.hidden[0].units", where=where)
    parts = [name or int(index) for name, index in _KEY_PART.findall(key)]
    try:
        value = _load_yaml(text)
    except ConfigError as e:
        raise ConfigError(e.message, where=where) from None
    node, at = doc, "the config"
    for i, part in enumerate(parts):
        kind = list if isinstance(part, int) else dict
        if not isinstance(node, kind):
            raise ConfigError(f"{at} is not a {'list' if kind is list else 'mapping'}", where=where)
        if kind is list and part >= len(node):
            raise ConfigError(f"index {part} out of range: {at} has {len(node)} item(s)",
                              where=where)
        if i == len(parts) - 1:
            node[part] = value
            return
        if kind is dict and node.get(part) is None and isinstance(parts[i + 1], str):
            node[part] = {}  # a missing section, as in `--set output.dir=out`
        node = node[part] if kind is list else node.get(part)
        at = _join("" if i == 0 else at, part)


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
        e.file = path
        raise


def _parse(text, path, overrides):
    if len(text.encode("utf-8", "surrogatepass")) > MAX_BYTES:
        raise ConfigError("config file is larger than 1 MiB")
    doc = _load_yaml(text)
    if doc is None:
        raise ConfigError("config is empty")
    if not isinstance(doc, dict):
        _fail(f"a mapping with keys {', '.join(SCHEMA)} at the top level", doc, None)
    for item in overrides:
        _apply_override(doc, item)
    raw = _check_section(SCHEMA, doc, "")
    raw["loss"] = _check_loss(raw)
    if raw["data"]["train"] == raw["data"]["test"] == "-":
        raise ConfigError("stdin can be read only once, and data.train reads it already", where="data.test")
    _check_network_size(raw["model"]["hidden"])
    for section, key in PATH_KEYS:
        raw[section][key] = _resolve_path(raw[section][key], path)
    d, m = raw["data"], raw["model"]
    return Config(
        path=path,
        seed=raw["seed"],
        data=DataConfig(
            train=d["train"], test=d["test"],
            target=None if d["target"] is None else tuple(d["target"]),
            features=None if d["features"] is None else tuple(d["features"]),
            validation_split=d["validation_split"], standardize=d["standardize"]),
        model=ModelConfig(hidden=tuple(Layer(**layer) for layer in m["hidden"]),
                          output=m["output"]),
        loss=raw["loss"],
        train=TrainConfig(**raw["train"]),
        output_dir=raw["output"]["dir"],
        raw=raw,
    )
