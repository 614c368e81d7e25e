"""Documented priors: what each column looks like where no published figure constrains it.

A prior is a one-way share per column, or a share per value of one parent column (`given`).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import yaml

from tipkit.synth.release.schema import CASE_COLUMNS, JOURNEY_COLUMNS, LEG_COUNT
from tipkit.errors import UserError
from tipkit.yamlfiles import load_yaml, problem

BUILTIN_PRIORS = Path(__file__).parent / "ctdc-priors.yaml"
REQUIRED = tuple(CASE_COLUMNS) + JOURNEY_COLUMNS + (LEG_COUNT,)
_SUM_TOLERANCE = 0.01  # published shares are rounded; larger gaps are typing errors


@dataclass(frozen=True)
class ColumnPrior:
    """The prior of one column: its values, and their shares (per parent value if `given`)."""

    name: str
    values: tuple[str, ...]
    given: str | None
    shares: dict[str | None, np.ndarray]  # parent value (None: no parent) -> shares over values
    otherwise: str | None  # the value taken when the parent has a value `shares` does not list
    source: str

    def conditional(self, parent_value: str | None) -> np.ndarray:
        """Shares over `values` for one parent value (or the only shares, without a parent)."""
        if parent_value in self.shares:
            return self.shares[parent_value]
        certain = np.zeros(len(self.values))
        certain[self.values.index(self.otherwise)] = 1.0
        return certain


@dataclass(frozen=True)
class Priors:
    path: Path
    columns: dict[str, ColumnPrior]

    def __getitem__(self, name: str) -> ColumnPrior:
        return self.columns[name]


def _normalised(raw, where: str) -> dict[str, float]:
    if not isinstance(raw, dict) or not raw:
        raise UserError(f"{where}: shares must be a mapping of value: share")
    shares = {"" if k is None else str(k): float(v) for k, v in raw.items()}
    if any(v < 0 for v in shares.values()):
        raise UserError(f"{where}: a share is negative")
    total = sum(shares.values())
    if abs(total - 1.0) > _SUM_TOLERANCE:
        raise UserError(f"{where}: shares add up to {total:.3f}, not 1")
    return {k: v / total for k, v in shares.items()}


def _column_prior(name: str, raw) -> ColumnPrior:
    where = f"prior of {name}"
    if not isinstance(raw, dict) or "shares" not in raw:
        raise UserError(f"{where} needs 'shares'")
    given = raw.get("given")
    otherwise = raw.get("otherwise")
    if given is None:
        table = {None: _normalised(raw["shares"], where)}
    else:
        if not isinstance(raw["shares"], dict):
            raise UserError(f"{where}: shares must be keyed by values of {given}")
        table = {str(pv): _normalised(s, f"{where} given {given}={pv}") for pv, s in raw["shares"].items()}
    values = list(dict.fromkeys(v for shares in table.values() for v in shares))
    if otherwise is not None:
        otherwise = str(otherwise)
        values += [otherwise] if otherwise not in values else []
    values = tuple(values)
    arrays = {pv: np.array([s.get(v, 0.0) for v in values]) for pv, s in table.items()}
    return ColumnPrior(name, values, None if given is None else str(given), arrays, otherwise,
                       str(raw.get("source", "")))


def load_priors(path: Path | None = None) -> Priors:
    """Read and validate a priors file (the built-in CTDC one by default)."""
    path = Path(path) if path is not None else BUILTIN_PRIORS
    try:
        raw = load_yaml(path.read_text())
    except FileNotFoundError:
        raise UserError(f"no such priors file: {path}") from None
    except yaml.YAMLError as error:
        raise UserError(f"{path} is not valid YAML{problem(error)}") from None
    columns_raw = (raw or {}).get("columns") if isinstance(raw, dict) else None
    if not isinstance(columns_raw, dict):
        raise UserError(f"{path} must have a mapping under 'columns'")
    unknown = set(columns_raw) - set(REQUIRED)
    if unknown:
        raise UserError(f"{path}: prior for unknown column(s) {', '.join(sorted(unknown))}")
    missing = [c for c in REQUIRED if c not in columns_raw]
    if missing:
        raise UserError(f"{path}: no prior for {', '.join(missing)}")
    columns = {name: _column_prior(name, columns_raw[name]) for name in REQUIRED}
    for prior in columns.values():
        if prior.given is None:
            continue
        if prior.given not in columns or prior.given == prior.name:
            raise UserError(f"prior of {prior.name}: unknown parent column {prior.given!r}")
        parent = columns[prior.given]
        if parent.given is not None:
            raise UserError(f"prior of {prior.name}: its parent {prior.given} has a parent itself")
        bad = [pv for pv in prior.shares if pv not in parent.values]
        if bad:
            raise UserError(f"prior of {prior.name}: {prior.given} has no value {bad[0]!r}")
        if prior.otherwise is None and set(parent.values) - set(prior.shares):
            raise UserError(f"prior of {prior.name} needs 'otherwise' for the other values of {prior.given}")
    return Priors(path, columns)
