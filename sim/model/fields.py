"""Checked dataclass fields: declarations that carry their own check, and the builder that turns
plain YAML values into frozen dataclasses, refusing unknown keys with a suggestion.

Generic: the scenario's schema (sim.model.scenario) is declared with these; nothing here knows it.
"""

from __future__ import annotations

import dataclasses
import difflib
import math
from dataclasses import field, fields
from typing import Any

from tipkit.errors import UserError


# ---- field declarations: each carries its own check -------------------------------------------

def number(default, lo=-math.inf, hi=math.inf, *, integer=False, optional=False):
    return field(default=default, metadata={"kind": "number", "lo": lo, "hi": hi,
                                            "integer": integer, "optional": optional})


def choice(default, *options):
    return field(default=default, metadata={"kind": "choice", "options": options})


def text(default=""):
    return field(default=default, metadata={"kind": "text"})


def numbers(default, length=None, lo=0.0):
    return field(default=default, metadata={"kind": "numbers", "length": length, "lo": lo})


def texts(default, options):
    return field(default=default, metadata={"kind": "texts", "options": options})


def section(cls, default=None, optional=False):
    """A nested section of class `cls`; `default` (an instance) where the section's defaults
    differ from the class's own (e.g. a training level's screening sensitivity)."""
    meta = {"kind": "section", "cls": cls, "optional": optional}
    if optional:
        return field(default=None, metadata=meta)
    if default is None:
        return field(default_factory=cls, metadata=meta)
    return field(default_factory=lambda: default, metadata=meta)


# ---- building and checking --------------------------------------------------------------------

def suggest(key: str, names) -> str:
    close = difflib.get_close_matches(str(key), list(names), n=1, cutoff=0.6)
    return f" (did you mean {close[0]}?)" if close else f" (known keys: {', '.join(names)})"


def build(cls, raw, where: str):
    """An instance of the dataclass `cls` from plain values, every field checked; its own
    `_check(where)` (if any) runs last for rules across fields."""
    if not isinstance(raw, dict):
        raise UserError(f"{where}: expected a mapping of keys to values, got {type(raw).__name__}")
    names = [f.name for f in fields(cls)]
    for key in raw:
        if key not in names:
            raise UserError(f"{where}: unknown key {key}{suggest(key, names)}")
    values = {}
    for f in fields(cls):
        if f.name in raw:
            values[f.name] = _convert(f, raw[f.name], f"{where}.{f.name}" if where else f.name)
    obj = cls(**values)
    check = getattr(obj, "_check", None)
    if check is not None:
        check(where)
    return obj


def given_whole(cls) -> bool:
    """Sections whose keys only make sense together (a distribution and its parameters) are
    given whole: never merged key by key with another's."""
    return getattr(cls, "GIVEN_WHOLE", False)


def _convert(f, value, where: str):
    meta = f.metadata
    kind = meta["kind"]
    if kind == "section":
        if value is None and meta["optional"]:
            return None
        if (isinstance(value, dict) and not given_whole(meta["cls"])
                and f.default_factory is not dataclasses.MISSING):
            # keys left out keep this section's own defaults (a level's, not the class's)
            value = {**plain(dataclasses.asdict(f.default_factory())), **value}
        return build(meta["cls"], value, where)
    if kind == "number":
        if value is None and meta["optional"]:
            return None
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise UserError(f"{where}: expected a number, got {value!r}")
        if not math.isfinite(value):
            raise UserError(f"{where}: expected a finite number, got {value!r}")
        if meta["integer"]:
            if value != int(value):
                raise UserError(f"{where}: expected a whole number, got {value!r}")
            value = int(value)
        else:
            value = float(value)
        if not meta["lo"] <= value <= meta["hi"]:
            raise UserError(f"{where}: {value:g} is outside {meta['lo']:g} to {meta['hi']:g}")
        return value
    if kind == "choice":
        if value not in meta["options"]:
            raise UserError(f"{where}: {value!r} is not one of {', '.join(meta['options'])}"
                            + suggest(value, meta["options"]).split(" (known")[0])
        return value
    if kind == "text":
        if not isinstance(value, str):
            raise UserError(f"{where}: expected text, got {value!r}")
        return value
    if kind == "numbers":
        if not isinstance(value, (list, tuple)):
            raise UserError(f"{where}: expected a list of numbers, got {value!r}")
        if meta["length"] is not None and len(value) != meta["length"]:
            raise UserError(f"{where}: expected {meta['length']} numbers, got {len(value)}")
        out = []
        for item in value:
            if isinstance(item, bool) or not isinstance(item, (int, float)) \
                    or not math.isfinite(item) or item < meta["lo"]:
                raise UserError(f"{where}: every value must be a number >= {meta['lo']:g}, "
                                f"got {item!r}")
            out.append(float(item))
        return tuple(out)
    if kind == "texts":
        items = [value] if isinstance(value, str) else value
        if not isinstance(items, (list, tuple)) or not items:
            raise UserError(f"{where}: expected a list of {', '.join(meta['options'])}")
        for item in items:
            if item not in meta["options"]:
                raise UserError(f"{where}: {item!r} is not one of {', '.join(meta['options'])}")
        return tuple(items)
    raise AssertionError(kind)


def plain(value):
    """Dataclass values as plain dicts and lists, ready for YAML."""
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    return value


def set_dotted(raw: dict, cls, dotted: str, value: Any) -> None:
    """Set `section.key` (any depth) in the plain values `raw` of the dataclass `cls`."""
    parts = dotted.split(".")
    node = raw
    for i, part in enumerate(parts):
        names = [f.name for f in fields(cls)] if cls is not None else list(node)
        if part not in names:
            raise UserError(f"unknown scenario key {dotted}{suggest(part, names)}")
        where = ".".join(parts[: i + 1])
        if i == len(parts) - 1:
            node[part] = value
            return
        meta = {f.name: f for f in fields(cls)}[part].metadata
        if meta.get("kind") != "section":
            raise UserError(f"scenario key {where} is a value, not a section")
        if node.get(part) is None:
            node[part] = {}
        node, cls = node[part], meta["cls"]


def get_dotted(obj, dotted: str):
    """The value at `section.key` (any depth) of a dataclass instance."""
    for part in dotted.split("."):
        obj = getattr(obj, part)
    return obj


def changed_keys(base: dict, option: dict, prefix: str = "") -> list[str]:
    """Dotted keys whose plain values differ between two mappings (option's keys)."""
    found = []
    for key, value in option.items():
        dotted = f"{prefix}{key}"
        if isinstance(value, dict) and isinstance(base.get(key), dict):
            found += changed_keys(base[key], value, f"{dotted}.")
        elif base.get(key) != value:
            found.append(dotted)
    return found
