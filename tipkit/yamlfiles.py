"""Reading the YAML files people write (published figures, priors, scenarios, codebooks): a key
written twice is an error at its line, never a silent choice of the last value."""

from __future__ import annotations

import yaml


class _NoRepeatedKeys:
    """A loader mix-in refusing a mapping that repeats a key."""

    def construct_mapping(self, node, deep=False):
        seen = set()
        for key_node, _ in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":  # `<<:` merges; own keys override it
                continue
            key = self.construct_object(key_node, deep=True)
            try:
                repeated = key in seen
            except TypeError:  # an unhashable key: SafeLoader reports it
                break
            if repeated:
                raise yaml.constructor.ConstructorError(
                    "while reading a mapping", node.start_mark,
                    f"the key {key!r} is given twice", key_node.start_mark)
            seen.add(key)
        return super().construct_mapping(node, deep=deep)


class _StrictLoader(_NoRepeatedKeys, yaml.SafeLoader):
    """yaml.safe_load's loader, refusing a mapping that repeats a key."""


class _StrictTextLoader(_NoRepeatedKeys, yaml.BaseLoader):
    """yaml.BaseLoader (every scalar as text: "01" stays "01"), refusing a repeated key."""


def load_yaml(text: str, *, as_text: bool = False):
    """Like yaml.safe_load (with `as_text`, every scalar a string, as yaml.BaseLoader reads
    it); a repeated key raises yaml.YAMLError with its line."""
    loader = _StrictTextLoader if as_text else _StrictLoader
    return yaml.load(text, Loader=loader)  # noqa: S506 - SafeLoader and BaseLoader subclasses


def problem(error: yaml.YAMLError) -> str:
    """' at line N: what is wrong', for a one-line message about a YAML file."""
    mark = getattr(error, "problem_mark", None)
    at = f" at line {mark.line + 1}" if mark is not None else ""
    what = getattr(error, "problem", None)
    return f"{at}: {what}" if what else at
