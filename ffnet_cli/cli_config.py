"""`ffnet init`, `ffnet config` and `ffnet schema`: write, resolve and describe configs."""

import json
import os
import sys
from enum import Enum
from typing import Optional

import typer

from .cli_common import ConfigArg, SetOpt, app, writing_stdout


class Template(str, Enum):
    classification = "classification"
    regression = "regression"
    multilabel = "multilabel"
    xor = "xor"


@app.command()
def init(
    template: Template = typer.Argument(Template.classification, metavar="[TEMPLATE]", show_default=False,
                                        help="classification (default), regression, multilabel or xor."),
    out: Optional[str] = typer.Option(None, "--out", metavar="FILE", show_default=False,
                                      help="Write the config to FILE (never over an existing file) "
                                           "instead of stdout."),
):
    """Write a commented starter config: edit its data path, then train it.

    Every key in it is explained in a comment; `ffnet schema` and the README's "Config reference"
    list the rest.

    Example:
      ffnet init > my.yaml
      ffnet init regression --out house_prices.yaml
      ffnet init xor --out xor.yaml
    """
    from .errors import OutputError
    from .fileio import atomic_write
    from .templates import template as text_of

    text = text_of(template.value)
    if out is None:
        with writing_stdout():
            sys.stdout.write(text)
        return
    if os.path.lexists(out):
        raise OutputError("already exists; ffnet init writes only new files (choose another name, or delete it)",
                          file=out)
    atomic_write(out, text)
    print(f"wrote {out}; set data.train to your data file, then: ffnet train {out}", file=sys.stderr)


@app.command("config")
def config_(config: ConfigArg, set_: SetOpt = []):
    """Print the fully resolved config as YAML: every default filled in, --set applied.

    Paths stay relative to the config's folder, so the output works as a config of its own when
    saved next to CONFIG; it loads back to the same settings.

    Example:
      ffnet config configs/iris.yaml
      ffnet config configs/iris.yaml --set train.optimizer=adam > configs/iris_adam.yaml
    """
    from .config import load_config

    cfg = load_config(config, set_)
    with writing_stdout():
        sys.stdout.write(f"# {config} with every default filled in (ffnet config); paths are relative to its "
                         f"folder\n" + dump_yaml(as_written(cfg)))


def as_written(cfg) -> dict:
    """The resolved config with its paths relative to the config's folder again, as written in it."""
    from .config import PATH_KEYS

    raw = json.loads(json.dumps(cfg.raw))
    folder = os.path.dirname(cfg.path)
    for section, key in PATH_KEYS:
        value = raw[section][key]
        if value not in (None, "-") and not (os.path.isabs(value) and not os.path.isabs(folder)):
            raw[section][key] = os.path.relpath(value, folder or ".")
    return raw


def dump_yaml(doc) -> str:
    """YAML in block style, with hidden layers, settings and lists of names on one line each."""
    import yaml

    class Flow(dict):
        pass

    class FlowList(list):
        pass

    class Dumper(yaml.SafeDumper):
        pass

    def flowed(value, depth=0):
        """Mappings inside a section (a layer, an optimizer) and lists of names go on one line."""
        if isinstance(value, dict):
            inner = {k: flowed(v, depth + 1) for k, v in value.items()}
            return Flow(inner) if depth >= 2 else inner
        if isinstance(value, list):
            items = [flowed(v, max(depth + 1, 2)) for v in value]
            return FlowList(items) if all(not isinstance(v, (dict, list)) for v in value) else items
        return value

    Dumper.add_representer(Flow, lambda d, v: d.represent_mapping("tag:yaml.org,2002:map", v, flow_style=True))
    Dumper.add_representer(FlowList, lambda d, v: d.represent_sequence("tag:yaml.org,2002:seq", v, flow_style=True))
    return yaml.dump(flowed(doc), Dumper=Dumper, sort_keys=False, default_flow_style=False, allow_unicode=True,
                     width=100)


@app.command()
def schema():
    """Print the JSON Schema of a config: every key, its type, range, allowed names and default.

    Editors use it to check and complete configs (YAML language servers read JSON Schema).

    Example:
      ffnet schema > ffnet.schema.json
      ffnet schema | python -m json.tool | less
    """
    from .schema import SCHEMA, json_schema

    document = {"$schema": "https://json-schema.org/draft/2020-12/schema", "title": "ffnet config",
                "description": "The YAML config of `ffnet train`; paths are relative to the config's folder.",
                **json_schema(SCHEMA)}
    with writing_stdout():
        sys.stdout.write(json.dumps(document, indent=2) + "\n")
