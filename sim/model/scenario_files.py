"""Scenario files: YAML read and checked into a Scenario, a file `based_on` another (merged section
by section), and the files' source text, whose comments name each value's source or assumption.
"""

from __future__ import annotations

from dataclasses import fields
from pathlib import Path

import yaml

from tipkit.errors import UserError
from tipkit.sim.model.fields import given_whole
from tipkit.sim.model.scenario import Scenario
from tipkit.yamlfiles import load_yaml, problem

BASED_ON = "based_on"


def load_scenario(path: str | Path) -> Scenario:
    """Read and check a scenario file; every problem is a one-line UserError. A file may start
    from another (`based_on: airport-baseline.yaml`, relative to it) and change a few values."""
    path = Path(path)
    raw = _read_raw(path, [])
    raw.setdefault("name", path.stem)
    return Scenario.from_mapping(raw, where=str(path))


def named_apart(option, path: str | Path, taken):
    """`option` (a scenario or a national network) as loaded from `path`, renamed
    "name (file stem)" when an option in `taken` already has its name: options compared side by
    side need names of their own."""
    if option.name not in taken:
        return option
    return option.with_values({"name": f"{option.name} ({Path(path).stem})"})


def scenario_files(path: str | Path) -> list[Path]:
    """The file and those it is based on, the file first."""
    path = Path(path)
    chain = [path]
    while True:
        raw = _parse(chain[-1])
        base = raw.get(BASED_ON) if isinstance(raw, dict) else None
        if not isinstance(base, str) or len(chain) > 10:
            return chain
        chain.append(chain[-1].parent / base)


def scenario_source(path: str | Path) -> str:
    """The text of a scenario file and of those it is based on, each under its name: where the
    report reads each value's source comment."""
    return "\n".join(f"# ---- {p.name}\n" + p.read_text(encoding="utf-8")
                     for p in scenario_files(path))


def _parse(path: Path):
    if not path.is_file():
        raise UserError(f"scenario file not found: {path}")
    try:
        raw = load_yaml(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as error:
        raise UserError(f"{path}: not valid YAML{problem(error)}") from None
    if raw is None:
        raise UserError(f"{path}: the file is empty")
    if not isinstance(raw, dict):
        raise UserError(f"{path}: expected a mapping of keys to values")
    return raw


def _check_training_written(training, path: Path) -> None:
    """One file that writes both training shares must keep them within all officers. (Where a
    share comes from a base file or a sweep, specialists come first and cap the basic share.)"""
    if not isinstance(training, dict):
        return
    shares = [training.get(k) for k in ("basic_share", "specialist_share")]
    if all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in shares) \
            and sum(shares) > 1 + 1e-9:
        raise UserError(f"{path}: training.basic_share {shares[0]:g} and specialist_share "
                        f"{shares[1]:g} add up to {sum(shares):g}, more than all officers: "
                        "make them add up to 1 or less")


def _read_raw(path: Path, seen: list[Path]) -> dict:
    if path.resolve() in seen:
        raise UserError(f"{path}: based_on goes round in a circle")
    raw = dict(_parse(path))
    _check_training_written(raw.get("training"), path)
    base = raw.pop(BASED_ON, None)
    if base is None:
        return raw
    if not isinstance(base, str):
        raise UserError(f"{path}: based_on must be a file name")
    merged = _read_raw(path.parent / base, seen + [path.resolve()])
    merged.pop("name", None)
    merged.pop("question", None)
    return _merge(merged, raw)


def _merge(base: dict, change: dict, cls=Scenario) -> dict:
    """Values in `change` replace those in `base`; sections merge key by key, except those given
    whole (durations), so a distribution never mixes with another's parameters."""
    sections = {f.name: f.metadata["cls"] for f in fields(cls) if f.metadata.get("kind") == "section"}
    out = dict(base)
    for key, value in change.items():
        inner = sections.get(key)
        if (inner is not None and not given_whole(inner) and isinstance(value, dict)
                and isinstance(out.get(key), dict)):
            out[key] = _merge(out[key], value, inner)
        else:
            out[key] = value
    return out
