"""The model and metrics files: model.json to and from a Model, checked on load; metrics.json."""

import json
from collections import Counter

import numpy as np

from . import __version__
from .activations import HIDDEN, OUTPUTS
from .encoding import Input, width
from .errors import DivergedError, ModelFileError
from .fileio import atomic_write, dumps, read_file
from .losses import DEFAULT_LOSS, VALID_LOSSES
from .frame import listing
from .model import Model

MODEL_FORMAT, MODEL_VERSION = "ffnet-model", 2
MISSING_POLICIES = ("error", "drop", "impute")
METRICS_FORMAT, METRICS_VERSION = "ffnet-metrics", 1
MAX_MODEL_BYTES = 512 * 2**20


def model_to_dict(model: Model) -> dict:
    """The model.json object. Floats are Python floats, so json writes their exact repr."""
    doc = {
        "format": MODEL_FORMAT,
        "version": MODEL_VERSION,
        "features": list(model.features),
        "targets": list(model.targets),
        "output": model.output,
        "loss": model.loss,
        "classes": None if model.classes is None else list(model.classes),
        "inputs": [input_to_dict(spec) for spec in model.inputs],
        "missing": model.missing,
        "dtype": model.dtype,
        "ffnet_version": __version__,  # provenance; never a time: a resumed run writes the same bytes
        "layers": [
            {"activation": act, "weights": W.tolist(), "bias": b.tolist()}
            for act, (W, b) in zip(model.activations, model.params)
        ],
    }
    if model.config is not None:
        doc["config"] = model.config
    return doc


def input_to_dict(spec: Input) -> dict:
    """`{"column", "kind", "categories"}` or `{"column", "kind", "mean", "std", "fill"}`, each number only when set."""
    doc = {"column": spec.column, "kind": spec.kind}
    if spec.kind == "category":
        doc["categories"] = list(spec.categories)
    for key in ("mean", "std", "fill"):
        if getattr(spec, key) is not None:
            doc[key] = getattr(spec, key)
    return doc


def save_model(model: Model, path: str) -> None:
    """Write model.json atomically; a model with NaN or infinite numbers is never written."""
    arrays = [a for pair in model.params for a in pair] + list(model.standardize or ())
    if not all(np.isfinite(a).all() for a in arrays):
        raise DivergedError("the model has NaN or infinite weights; it was not written", file=path)
    atomic_write(path, dumps(model_to_dict(model)))


def finite_or_null(obj):
    """obj with every NaN or infinite float replaced by None, so that JSON can carry it (as null)."""
    if isinstance(obj, float):
        return obj if np.isfinite(obj) else None
    if isinstance(obj, dict):
        return {k: finite_or_null(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [finite_or_null(v) for v in obj]
    return obj


def save_metrics(metrics: dict, path: str) -> dict:
    """Write metrics.json atomically and return its object; a metric that is NaN or infinite
    (r2 of a constant target) is null."""
    doc = finite_or_null({"format": METRICS_FORMAT, "version": METRICS_VERSION, **metrics})
    atomic_write(path, dumps(doc))
    return doc


def _reject_constant(name):
    raise ValueError(f"{name} is not a number JSON allows")


def load_model(path: str) -> Model:
    """Read and check a model.json; every problem is a ModelFileError naming the JSON path."""
    raw = read_file(path, ModelFileError, "model", limit=MAX_MODEL_BYTES)
    if not raw.strip():
        raise ModelFileError("file is empty", file=path)
    try:
        doc = json.loads(raw.decode("utf-8-sig"), parse_constant=_reject_constant)  # -sig: a byte order mark is fine
    except UnicodeDecodeError:
        raise ModelFileError("not a JSON model file (not UTF-8 text)", file=path) from None
    except json.JSONDecodeError as exc:
        if _looks_like_yaml(raw):
            raise ModelFileError("this is a YAML config, not a model file; give the model.json that "
                                 "`ffnet train` wrote (runs/<config>/model.json)", file=path) from None
        raise ModelFileError(f"invalid JSON: {exc.msg}", file=path, where=f"line {exc.lineno}, column {exc.colno}") from None
    except ValueError as exc:
        raise ModelFileError(f"invalid JSON: {exc}", file=path) from None
    except RecursionError:
        raise ModelFileError("invalid JSON: nested too deeply", file=path) from None
    return model_from_dict(doc, path)


def _has_bool(value: list) -> bool:
    """Whether a 1-D or 2-D list holds true or false, which numpy would quietly read as 1 or 0."""
    return any(type(v) is bool or type(v) is list and any(type(x) is bool for x in v) for v in value)


def model_from_dict(doc, path: str = "<model>") -> Model:
    def fail(where, message):
        raise ModelFileError(message, file=path, where=where)

    def get(obj, key, where, kind, required=True, default=None):
        if key not in obj:
            if required:
                fail(where or None, f"missing key '{key}'")
            return default
        value = obj[key]
        if value is None and not required:
            return default
        if not isinstance(value, kind) or isinstance(value, bool) and kind is not bool:
            fail(f"{where}.{key}" if where else key, f"expected {kind.__name__}, got {type(value).__name__}")
        return value

    def names(obj, key, required=True):
        value = get(obj, key, "", list, required)
        if value is None:
            return None
        if not value or not all(isinstance(v, str) for v in value):
            fail(key, "expected a non-empty list of strings")
        repeated = sorted(v for v, n in Counter(value).items() if n > 1)
        if repeated:
            fail(key, f"{listing([repr(r) for r in repeated])} listed twice")
        return tuple(value)

    def array(value, where, ndim):
        try:  # a ragged list is a ValueError; numbers beyond float64 become an object array
            arr = np.asarray(value) if isinstance(value, list) else None
        except ValueError:
            arr = None
        if arr is None or arr.dtype.kind not in "iuf" or arr.ndim != ndim or arr.size == 0 or _has_bool(value):
            fail(where, f"expected a non-empty {ndim}-D list of numbers")
        with np.errstate(over="ignore"):
            arr = arr.astype(dtype)
        if not np.isfinite(arr).all():  # 1e400 reads as inf; 1e300 overflows float32
            i = tuple(int(k) for k in np.argwhere(~np.isfinite(arr))[0])
            fail(where + "".join(f"[{k}]" for k in i), f"{value_at(value, i)} is not a finite {dtype} number")
        return arr

    def value_at(value, index):
        for k in index:
            value = value[k]
        return value

    if not isinstance(doc, dict):
        fail(None, "expected a JSON object")
    if doc.get("format") != MODEL_FORMAT:
        fail("format", f"expected '{MODEL_FORMAT}', got {doc.get('format')!r}")
    version = get(doc, "version", "", int)
    if version < 1:
        fail("version", f"expected a version >= 1, got {version}")
    if version > MODEL_VERSION:
        fail("version", f"version {version} is newer than this ffnet reads ({MODEL_VERSION}); upgrade ffnet")
    features, targets = names(doc, "features"), names(doc, "targets")
    output = get(doc, "output", "", str)
    if output not in OUTPUTS:
        fail("output", f"unknown output '{output}' (allowed: {', '.join(OUTPUTS)})")
    loss = get(doc, "loss", "", str, required=False, default=DEFAULT_LOSS[output])
    if loss not in VALID_LOSSES[output]:
        fail("loss", f"loss '{loss}' does not go with output '{output}' (allowed: {', '.join(VALID_LOSSES[output])})")
    classes = names(doc, "classes", required=False)
    dtype = get(doc, "dtype", "", str, required=False, default="float64")
    if dtype not in ("float32", "float64"):
        fail("dtype", f"expected float32 or float64, got '{dtype}'")

    inputs = _inputs(doc, features, fail)
    missing = get(doc, "missing", "", str, required=False,
                  default="impute" if inputs and any(i.fill is not None for i in inputs) else "error")
    if missing not in MISSING_POLICIES:
        fail("missing", f"expected one of {', '.join(MISSING_POLICIES)}, got {missing!r}")
    standardize = doc.get("standardize")
    if standardize is not None:
        if inputs is not None:
            fail("standardize", "give inputs or standardize, not both (inputs hold each column's mean and std)")
        if not isinstance(standardize, dict):
            fail("standardize", "expected null or an object with mean and std")
        mean = array(get(standardize, "mean", "standardize", list), "standardize.mean", 1)
        std = array(get(standardize, "std", "standardize", list), "standardize.std", 1)
        if len(mean) != len(features) or len(std) != len(features):
            fail("standardize", f"expected {len(features)} values in mean and std, one per feature")
        if not np.all(std > 0):
            fail("standardize.std", "every std must be > 0")
        inputs = (mean, std)

    layers = get(doc, "layers", "", list)
    if not layers:
        fail("layers", "expected at least one layer")
    params, activations = [], []
    fan_in = width(inputs) if inputs and isinstance(inputs[0], Input) else len(features)
    for i, layer in enumerate(layers):
        where = f"layers[{i}]"
        if not isinstance(layer, dict):
            fail(where, "expected an object with activation, weights and bias")
        act = get(layer, "activation", where, str)
        allowed = OUTPUTS if i == len(layers) - 1 else HIDDEN
        if act not in allowed or (i == len(layers) - 1 and act != output):
            expected = f"the output '{output}'" if i == len(layers) - 1 else ", ".join(HIDDEN)
            fail(f"{where}.activation", f"got '{act}', expected {expected}")
        W = array(get(layer, "weights", where, list), f"{where}.weights", 2)
        b = array(get(layer, "bias", where, list), f"{where}.bias", 1)
        if W.shape[0] != fan_in:
            fail(f"{where}.weights", f"has {W.shape[0]} rows, but its layer gets {fan_in} inputs")
        if b.shape[0] != W.shape[1]:
            fail(f"{where}.bias", f"has {b.shape[0]} values, but the weights have {W.shape[1]} columns")
        params.append((W, b))
        activations.append(act)
        fan_in = W.shape[1]
    _check_outputs(output, targets, classes, fan_in, len(layers), fail)
    config = doc.get("config") if isinstance(doc.get("config"), dict) else None
    return Model(features, targets, output, loss, classes, inputs, tuple(activations), params, dtype, config, missing)


def _check_outputs(output, targets, classes, units, n_layers, fail) -> None:
    """The output unit, the targets and the classes must fit together: else predictions are nonsense."""
    if output == "softmax" and len(targets) != 1:
        fail("targets", f"a softmax output predicts one target column (its units are the classes); "
                        f"this model lists {len(targets)}")
    if output == "softmax" and (classes is None or len(classes) < 2):
        fail("classes", "a softmax model needs its classes, two or more")
    if output == "sigmoid" and classes is not None:
        if len(targets) != 1:
            fail("classes", f"a sigmoid output with classes predicts one target column; this model lists "
                            f"{len(targets)} (several 0/1 target columns have classes null)")
        if len(classes) != 2:
            fail("classes", "a sigmoid output over one target column needs exactly 2 classes")
    if output == "linear" and classes is not None:
        fail("classes", "a linear output predicts values: its classes must be null")
    expected = {"softmax": len(classes or ()), "linear": len(targets),
                "sigmoid": 1 if classes is not None else len(targets)}[output]
    if units != expected:
        fail(f"layers[{n_layers - 1}].weights", f"has {units} output units, but the targets and classes need {expected}")


def _inputs(doc: dict, features: tuple[str, ...], fail):
    """The version 2 `inputs`, checked against the features; None when the file has none."""
    value = doc.get("inputs")
    if value is None:
        return None
    if not isinstance(value, list) or len(value) != len(features):
        fail("inputs", f"expected a list of {len(features)} objects, one per feature")
    inputs = []
    for k, item in enumerate(value):
        where = f"inputs[{k}]"
        if not isinstance(item, dict):
            fail(where, "expected an object with column and kind")
        if item.get("column") != features[k]:
            fail(f"{where}.column", f"expected {features[k]!r} (one input per feature, in order), got {item.get('column')!r}")
        kind = item.get("kind")
        if kind == "category":
            categories = item.get("categories")
            if (not isinstance(categories, list) or not categories or not all(isinstance(c, str) for c in categories)
                    or len(set(categories)) != len(categories)):
                fail(f"{where}.categories", "expected a non-empty list of distinct strings")
            inputs.append(Input(features[k], kind, tuple(categories)))
        elif kind == "number":
            numbers = {key: _number(item, key, f"{where}.{key}", fail) for key in ("mean", "std", "fill")}
            if (numbers["mean"] is None) != (numbers["std"] is None):
                fail(where, "mean and std come together (a z-scored input) or not at all")
            if numbers["std"] is not None and numbers["std"] <= 0:
                fail(f"{where}.std", "must be > 0")
            inputs.append(Input(features[k], kind, **numbers))
        else:
            fail(f"{where}.kind", f"expected 'number' or 'category', got {kind!r}")
    return tuple(inputs)


def _number(item: dict, key: str, where: str, fail):
    value = item.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not np.isfinite(float(value)):
        fail(where, f"expected a finite number, got {value!r}")
    return float(value)


def _looks_like_yaml(raw: bytes) -> bool:
    """A config given where a model is expected: YAML mappings with ffnet's top-level keys."""
    text = raw[:4096].decode("utf-8", "replace")
    return any(line.split(":")[0].strip() in ("data", "model", "train") and ":" in line for line in text.splitlines())
