"""The YAML dialect of configs: safe loading where `1e-3` is a float and nothing surprises.

Only true/false are booleans (`no`, `on` stay strings), dates stay strings, duplicate keys are
errors, alias bombs and deep nesting are refused, and no Python object is ever constructed.
"""

import re

import yaml

from .errors import ConfigError

MAX_NODES = 10_000  # YAML nodes counted with aliases expanded: stops "billion laughs"


def join(where, key):
    """A dotted key path one level down: `train` + `epochs`, `model.hidden` + 0 -> `model.hidden[0]`."""
    if isinstance(key, int) and not isinstance(key, bool):
        return f"{where}[{key}]"
    return f"{where}.{key}" if where else str(key)


# Numbers as people write them: `1e-3` is a float; `1_0`, `010`, `0x10` and `1:30` are not numbers
# (YAML 1.1 would read 10, 8, 16 and 90), so a key that wants a number says so.
_INT = re.compile(r"^[-+]?(?:0|[1-9][0-9]*)$")
_FLOAT = re.compile(
    r"""^(?:[-+]?(?:[0-9]+\.[0-9]*|\.[0-9]+)(?:[eE][-+]?[0-9]+)?
    |[-+]?[0-9]+[eE][-+]?[0-9]+
    |[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$""",
    re.X,
)
_BOOL = re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$")
_DROPPED = {f"tag:yaml.org,2002:{t}" for t in ("int", "float", "bool", "timestamp", "value")}


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
        self._where.append(self._where[-1] if key is None else join(self._where[-1], key))
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
                                  where=join(self._where[-1], key.value))


_Loader.add_implicit_resolver("tag:yaml.org,2002:bool", _BOOL, list("tTfF"))
_Loader.add_implicit_resolver("tag:yaml.org,2002:int", _INT, list("-+0123456789"))
_Loader.add_implicit_resolver("tag:yaml.org,2002:float", _FLOAT, list("-+0123456789."))


def _at(mark):
    return f"line {mark.line + 1}, column {mark.column + 1}" if mark else None


_PYTHON_TAG = re.compile(r"tag:yaml\.org,2002:(python/\S*?)'?$")


def load_yaml(text: str):
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
