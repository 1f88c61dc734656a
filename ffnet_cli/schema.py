"""What a config may hold: one table of keys, each with its check and default.

A check takes (value, where) and returns the normalised value or raises ConfigError naming the
key path; defaults go through the checks too. Every check also carries `.json`, its JSON Schema,
so that `ffnet schema` is generated from the same table.
"""

import difflib
import json
import math

from .activations import HIDDEN, OUTPUTS
from .errors import ConfigError
from .losses import LOSSES
from .network import INITIALIZERS
from .yamlio import join

REQUIRED = object()
DTYPES = ("float32", "float64")
DEVICES = ("cpu", "gpu")
MONITORS = ("loss", "objective", "accuracy", "r2", "val_loss", "val_accuracy", "val_r2")


def show(v):
    """A value as messages quote it: true, null, 2.5, 'rleu', a list."""
    if v is None or isinstance(v, bool):
        return json.dumps(v)
    if isinstance(v, (list, dict)):
        return "a list" if isinstance(v, list) else "a mapping"
    text = repr(v)
    return text if len(text) <= 60 else text[:57] + "..."


def fail(expected, v, where):
    raise ConfigError(f"expected {expected}, got {show(v)}", where=where)


def closest(name, allowed, cutoff=0.6):
    """The allowed name closest to name, ignoring case (`ReLU` -> `relu`), or None."""
    lower = {str(a).lower(): str(a) for a in allowed}
    close = difflib.get_close_matches(str(name).lower(), list(lower), n=1, cutoff=cutoff)
    return lower[close[0]] if close else None


def unknown(kind, v, allowed, where, list_always=True):
    allowed = [str(a) for a in allowed]
    close = closest(v, allowed)
    hint = f"; did you mean {close!r}?" if close else ""
    listing = f" (allowed: {', '.join(allowed)})" if list_always or not close else ""
    raise ConfigError(f"unknown {kind} {show(v)}{hint}{listing}", where=where)


def _check(expected, ok, json_schema, convert=lambda v: v):
    """A check that accepts v when ok(v) holds and returns convert(v)."""
    def check(v, where):
        if not ok(v):
            fail(expected, v, where)
        return convert(v)
    check.json = json_schema
    return check


def real(v):
    """v as a finite float if it is an int or float (a bool is neither), else None."""
    if isinstance(v, bool) or not isinstance(v, (int, float)) or abs(v) > 1e308:
        return None
    return float(v) if math.isfinite(v) else None


def integer(lo):
    return _check(f"an integer >= {lo}", lambda v: type(v) is int and v >= lo, {"type": "integer", "minimum": lo})


def number(text, ok, json_schema):
    return _check(f"a number {text}", lambda v: real(v) is not None and ok(real(v)),
                  {"type": "number", **json_schema}, real)


def fraction(closed_top=False):
    """A number in [0, 1), or [0, 1] when closed_top."""
    if closed_top:
        return number("in [0, 1]", lambda x: 0 <= x <= 1, {"minimum": 0, "maximum": 1})
    return number("in [0, 1)", lambda x: 0 <= x < 1, {"minimum": 0, "exclusiveMaximum": 1})


positive = number("> 0", lambda x: x > 0, {"exclusiveMinimum": 0})
non_negative = number(">= 0", lambda x: x >= 0, {"minimum": 0})
string = _check("a non-empty string", lambda v: isinstance(v, str) and v != "", {"type": "string", "minLength": 1})
boolean = _check("true or false", lambda v: isinstance(v, bool), {"type": "boolean"})
path = _check("a file or folder name", lambda v: isinstance(v, str) and v != "" and "\0" not in v,
              {"type": "string", "minLength": 1})


def choice(kind, names):
    def check(v, where):
        if not isinstance(v, str):
            fail(f"one of {', '.join(names)}", v, where)
        return v if v in names else unknown(kind, v, names, where)
    check.json = {"enum": list(names)}
    return check


def optional(check):
    def check_optional(v, where):
        return None if v is None else check(v, where)
    check_optional.json = {"anyOf": [check.json, {"type": "null"}]}
    return check_optional


def list_of(check, nonempty=False):
    def check_list(v, where):
        if v is None and not nonempty:
            return []
        if not isinstance(v, list) or (nonempty and not v):
            fail("a non-empty list" if nonempty else "a list", v, where)
        return [check(item, f"{where}[{i}]") for i, item in enumerate(v)]
    array = {"type": "array", "items": check.json, **({"minItems": 1} if nonempty else {})}
    check_list.json = array if nonempty else {"anyOf": [array, {"type": "null"}]}  # empty: null is []
    return check_list


def names(v, where):
    """A column name or a list of them, as a list without repeats."""
    found = [string(v, where)] if isinstance(v, str) else list_of(string, True)(v, where)
    if len(set(found)) < len(found):
        raise ConfigError(f"a column is listed twice in {found}", where=where)
    return found


names.json = {"anyOf": [string.json, list_of(string, True).json]}


def check_section(schema, value, where):
    """Validate one mapping against its schema; return a new dict with defaults filled in."""
    if value is None:
        value = {}
    if not isinstance(value, dict):
        fail("a mapping", value, where or None)
    for key in value:
        if key not in schema:
            unknown("key", key, schema, join(where, str(key)), list_always=False)
    out = {}
    for key, spec in schema.items():
        here = join(where, key)
        if isinstance(spec, dict):
            out[key] = check_section(spec, value.get(key), here)
            continue
        check, default = spec
        v = value.get(key, default)
        if v is REQUIRED:
            raise ConfigError(f"missing required key {key!r}", where=here)
        out[key] = check(v, here)
    return out


def json_schema(schema) -> dict:
    """The JSON Schema of a section of the table (json_schema(SCHEMA): the whole config)."""
    properties, required = {}, []
    for key, spec in schema.items():
        if isinstance(spec, dict):
            properties[key] = json_schema(spec)
            continue
        check, default = spec
        properties[key] = dict(check.json)
        if default is REQUIRED:
            required.append(key)
        elif default is not None or "null" in json.dumps(check.json):
            properties[key]["default"] = default
    out = {"type": "object", "additionalProperties": False, "properties": properties}
    if required:
        out["required"] = required
    return out


def section(schema):
    """A check for a nested mapping of its own keys (a list item, say)."""
    def check(v, where):
        return check_section(schema, v, where)
    check.json = json_schema(schema)
    return check


def named(kind, table):
    """A name from table, or a mapping {name: NAME, setting: value, ...} of that name's settings.

    Returns {"name": NAME, **settings} with every setting's default filled in.
    """
    def check(v, where):
        given = v if isinstance(v, dict) else {"name": v}
        if "name" not in given:
            raise ConfigError(f"missing required key 'name' (one of {', '.join(table)})", where=join(where, "name"))
        name = choice(kind, tuple(table))(given["name"], join(where, "name") if isinstance(v, dict) else where)
        for key in given:
            if key != "name" and key not in table[name]:
                settings = ", ".join(table[name]) or "none"
                close = closest(key, table[name])
                hint = f"; did you mean {close!r}?" if close else ""
                raise ConfigError(f"{key!r} is not a setting of {kind} {name!r}{hint} (its settings: {settings})",
                                  where=join(where, str(key)))
        return {"name": name, **check_section(table[name], {k: x for k, x in given.items() if k != "name"}, where)}
    check.json = {"anyOf": [{"enum": list(table)}] + [
        {"type": "object", "required": ["name"], "additionalProperties": False,
         "properties": {"name": {"const": name}, **json_schema(settings)["properties"]}}
        for name, settings in table.items()]}
    return check


def _class_weight(v, where):
    if v is None or v == "balanced":
        return v
    if not isinstance(v, dict) or not v:
        fail("null, 'balanced' or a mapping {label: weight}", v, where)
    return {str(label): positive(w, join(where, str(label))) for label, w in v.items()}


_class_weight.json = {"anyOf": [{"type": "null"}, {"const": "balanced"},
                                {"type": "object", "additionalProperties": positive.json}]}


def _categorical(v, where):
    return "auto" if v == "auto" else names(v, where)


_categorical.json = {"anyOf": [{"const": "auto"}, names.json]}

OPTIMIZERS = {  # name -> its settings, as in torch.optim
    "sgd": {"momentum": (fraction(), 0.0), "nesterov": (boolean, False)},
    "adam": {"beta1": (fraction(), 0.9), "beta2": (fraction(), 0.999), "epsilon": (positive, 1e-8)},
    "rmsprop": {"rho": (fraction(), 0.9), "epsilon": (positive, 1e-8)},
}
_monitor = optional(choice("monitor", MONITORS))  # None: val_loss with a validation split, else loss
SCHEDULES = {  # name -> its settings (formulas in schedules.py)
    "constant": {},
    "step": {"step_size": (integer(1), 10), "gamma": (positive, 0.5)},
    "exponential": {"gamma": (positive, 0.95)},
    "inverse_time": {"decay": (non_negative, 0.01)},
    "cosine": {"min_learning_rate": (non_negative, 0.0)},
    "plateau": {"monitor": (_monitor, None), "patience": (integer(1), 10), "factor": (fraction(), 0.1),
                "min_delta": (non_negative, 0.0), "min_learning_rate": (non_negative, 0.0)},
}
EARLY_STOPPING = {"monitor": (_monitor, None), "patience": (integer(1), 10), "min_delta": (non_negative, 0.0),
                  "restore_best": (boolean, True)}
_init = choice("initialiser", ("auto", *INITIALIZERS))

LAYER = {
    "units": (integer(1), REQUIRED),
    "activation": (choice("activation", HIDDEN), "relu"),
    "dropout": (fraction(), 0.0),
    "init": (optional(_init), None),  # None: model.init
}


def _layer(v, where):
    if isinstance(v, int) and not isinstance(v, bool):  # `hidden: [32, 16]`
        raise ConfigError(f"expected a mapping, got {v}: a hidden layer is written {{units: {v}}} "
                          f"(or {{units: {v}, activation: relu}})", where=where)
    return check_section(LAYER, v, where)


_layer.json = json_schema(LAYER)

SCHEMA = {
    "seed": (integer(0), 0),
    "data": {
        "train": (path, REQUIRED),
        "test": (optional(path), None),
        "target": (optional(names), None),
        "features": (optional(names), None),
        "validation_split": (fraction(), 0.0),
        "standardize": (boolean, True),
        "categorical": (_categorical, "auto"),
        "missing": (choice("missing-value policy", ("error", "drop", "impute")), "error"),
    },
    "model": {
        "init": (_init, "auto"),
        "hidden": (list_of(_layer), None),
        "output": (choice("output", OUTPUTS), REQUIRED),
    },
    "loss": (optional(choice("loss", tuple(LOSSES))), None),
    "train": {
        "epochs": (integer(1), 100),
        "batch_size": (integer(1), 32),
        "learning_rate": (positive, 0.01),
        "optimizer": (named("optimizer", OPTIMIZERS), "sgd"),
        "schedule": (named("schedule", SCHEDULES), "constant"),
        "warmup_epochs": (integer(0), 0),
        "early_stopping": (optional(section(EARLY_STOPPING)), None),
        "class_weight": (_class_weight, None),
        "clip_norm": (optional(positive), None),
        "l2": (non_negative, 0.0),
        "l1": (non_negative, 0.0),
        "dtype": (choice("dtype", DTYPES), "float32"),
        "device": (choice("device", DEVICES), "cpu"),
    },
    "output": {"dir": (optional(path), None)},
}
