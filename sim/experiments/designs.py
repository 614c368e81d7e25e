"""Experiments over scenarios on common random numbers: a fixed number of replications or as
many as a precision needs, comparisons against a baseline, grids of parameter values, and the
sensitivity of an answer to the assumed training effect."""

from __future__ import annotations

import itertools
import math
import os
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats as _scipy_stats

from tipkit.sim.model.kpis import HEADLINE
from tipkit.sim.model.population import VictimPopulation
from tipkit.sim.experiments.replications import Job, execute, replications_table, summary_table
from tipkit.sim.model.scenario import Scenario
from tipkit.sim.experiments.stats import replications_settled
from tipkit.sim.experiments.verdicts import paired_differences
from tipkit.errors import UserError

SENSITIVITY_SCALES = (0.0, 0.5, 1.0, 1.5, 2.0)
MAX_VALUES = 1000  # values of one swept key: beyond, a step far finer than any decision needs
MAX_CELLS = 10_000  # cells of one grid: each is a checked scenario and a row group in memory


@dataclass
class Replicated:
    """Replications of several scenarios, and how their number was chosen."""
    tables: dict[str, pd.DataFrame]             # scenario name -> replications table
    replications: int
    needed: dict[str, int | None] = field(default_factory=dict)  # auto: per "scenario/kpi"
    precision: float | None = None
    budget: int | None = None

    @property
    def precise(self) -> bool:
        return self.precision is None or all(n is not None for n in self.needed.values())


def replicate(scenarios: dict[str, Scenario], population: VictimPopulation, seed: int,
              replications: int | str = 30, *, precision: float = 0.05, budget: int = 500,
              workers: int | None = None, scheduler: str | None = None,
              progress=None) -> Replicated:
    """Run every scenario on the same replication seeds. `replications="auto"` adds
    replications until each headline KPI's 95% half-width is within `precision` of its mean
    in every scenario (Hoad, Robinson and Davies 2010), up to `budget`."""
    where = {"workers": workers, "scheduler": scheduler, "progress": progress}
    if replications != "auto":
        n = int(replications)
        if n < 2:
            raise UserError("--replications must be at least 2 (an interval needs two)")
        results = execute([Job(name, s, tuple(range(n))) for name, s in scenarios.items()],
                          population, seed, **where)
        return Replicated({name: replications_table(results[name]) for name in scenarios}, n)

    if not 0 < precision < 1:
        raise UserError(f"--precision must be between 0 and 1, got {precision}")
    results: dict[str, dict] = {name: {} for name in scenarios}
    done = 0
    step = max(10, 2 * (workers or os.cpu_count() or 1))
    needed: dict[str, int | None] = {}
    while done < budget:
        # batches grow with the run (at most a quarter more than needed), so that parallel
        # workers stay busy; the algorithm's answer (`needed`) does not depend on batching
        more = min(max(step, done // 4), budget - done)
        batch = execute([Job(name, s, tuple(range(done, done + more)))
                         for name, s in scenarios.items()], population, seed, **where)
        for name in scenarios:
            results[name].update(batch[name])
        done += more
        needed = {}
        for name in scenarios:
            table = replications_table(results[name])
            for kpi in HEADLINE:
                history = precision_history(table[kpi].to_numpy(dtype=float))
                needed[f"{name}/{kpi}"] = replications_settled(history, precision)
        if all(n is not None for n in needed.values()):
            break
    tables = {name: replications_table(results[name]) for name in scenarios}
    return Replicated(tables, done, needed, precision, budget)


def precision_history(values: np.ndarray) -> list[float]:
    """Relative half-width of the 95% interval after 1, 2, ... replications (undefined
    replications, e.g. a day without victims, are skipped)."""
    x = values[np.isfinite(values)]
    n = np.arange(1, len(x) + 1)
    if len(x) == 0:
        return []
    mean = np.cumsum(x) / n
    sq = np.cumsum(x * x)
    with np.errstate(invalid="ignore", divide="ignore"):
        var = np.maximum(sq - n * mean ** 2, 0.0) / np.maximum(n - 1, 1)
        half = _scipy_stats.t.ppf(0.975, np.maximum(n - 1, 1)) * np.sqrt(var / n)
        rel = np.where(half == 0, 0.0, half / np.abs(mean))
    rel[0] = math.inf
    return [float(r) if math.isfinite(r) else math.inf for r in rel]


# ---- comparison against a baseline ----------------------------------------------------------

@dataclass
class Comparison:
    names: list[str]
    replicated: Replicated
    summaries: pd.DataFrame        # scenario, kpi, mean, ci_low, ci_high, n
    differences: pd.DataFrame      # scenario, kpi, difference, ci_low, ci_high, n, verdict


def compare(scenarios: dict[str, Scenario], population: VictimPopulation, seed: int,
            replications: int | str = 30, **options) -> Comparison:
    """Every scenario on common random numbers; each KPI's paired difference against the first."""
    if len(scenarios) < 2:
        raise UserError("compare needs at least two scenarios: a baseline and an option")
    rep = replicate(scenarios, population, seed, replications, **options)
    return comparison_of(list(scenarios), rep)


def comparison_of(names: list[str], rep: Replicated) -> Comparison:
    """The summaries and paired differences against the first of replications already run."""
    summaries = pd.concat([summary_table(rep.tables[n]).assign(scenario=n) for n in names])
    base = rep.tables[names[0]]
    differences = pd.concat([paired_differences(base, rep.tables[n]).assign(scenario=n)
                             for n in names[1:]])
    return Comparison(names, rep, _first(summaries, "scenario"), _first(differences, "scenario"))


# ---- a grid of parameter values ------------------------------------------------------------

@dataclass
class Sweep:
    axes: dict[str, list]          # dotted key -> values
    cells: pd.DataFrame            # cell, <axes...>
    results: pd.DataFrame          # cell, <axes...>, kpi, mean, ci_low, ci_high, n
    replications: pd.DataFrame     # cell, <axes...>, replication, <kpis...>


def parse_vary(spec: str, option: str = "--vary") -> tuple[str, list]:
    """`officers=6..14:2` (a range, step optional) or `training.specialist_share=0,0.5,1`;
    `option` names the command-line option in error messages."""
    if "=" not in spec:
        raise UserError(f"{option} {spec}: expected KEY=VALUES, e.g. officers=6..14:2")
    key, text = (part.strip() for part in spec.split("=", 1))
    if ".." in text:
        span, _, step_text = text.partition(":")
        lo_text, hi_text = span.split("..", 1)
        lo, hi, step = (parse_number(t, spec, option) for t in (lo_text, hi_text,
                                                                 step_text or "1"))
        if not step > 0 or hi < lo:
            raise UserError(f"{option} {spec}: the range must go up by a positive step")
        count = int(math.floor((hi - lo) / step + 1e-9)) + 1
        if count > MAX_VALUES:
            raise UserError(f"{option} {spec}: {count:,} values; at most {MAX_VALUES:,} "
                            "per key: use a larger step")
        values = [_tidy(lo + i * step) for i in range(count)]
    else:
        parts = [v.strip() for v in text.split(",")]
        if "" in parts and text.strip():
            raise UserError(f"{option} {spec}: an empty value between commas")
        values = [_value(v) for v in parts if v]
    if not values:
        raise UserError(f"{option} {spec}: no values")
    return key, values


def parse_axes(specs) -> dict[str, list]:
    """The grid of a sweep: each `--vary KEY=VALUES` once."""
    axes = {}
    for spec in specs:
        key, values = parse_vary(spec)
        if key in axes:
            raise UserError(f"--vary {key} is given twice: list all its values in one --vary")
        axes[key] = values
    cells = math.prod(len(values) for values in axes.values())
    if cells > MAX_CELLS:
        raise UserError(f"a grid of {cells:,} cells is more than a sweep takes ({MAX_CELLS:,}): "
                        "use fewer values or split the question into smaller sweeps")
    return axes


def sweep(base: Scenario, axes: dict[str, list], population: VictimPopulation, seed: int,
          replications: int = 30, **options) -> Sweep:
    """Every combination of the axes' values, each cell on the same replication seeds."""
    if not axes:
        raise UserError("sweep needs at least one --vary KEY=VALUES")
    keys = list(axes)
    combos = list(itertools.product(*(axes[k] for k in keys)))
    scenarios, cell_rows = {}, []
    for number, combo in enumerate(combos):
        change = dict(zip(keys, combo))
        scenario = base.with_values(change)     # every cell is checked before anything runs
        name = f"cell{number:04d}"
        scenarios[name] = _named(scenario, ", ".join(f"{k}={v}" for k, v in change.items()))
        cell_rows.append({"cell": name, **change})
    rep = replicate(scenarios, population, seed, replications, **options)
    cells = pd.DataFrame(cell_rows)
    results = pd.concat([summary_table(rep.tables[c]).assign(cell=c) for c in scenarios])
    results = cells.merge(results, on="cell")
    reps = pd.concat([rep.tables[c].assign(cell=c) for c in scenarios])
    reps = cells.merge(reps, on="cell")
    return Sweep(axes, cells, results.reset_index(drop=True), reps.reset_index(drop=True))


# ---- how much the answer depends on the assumed training effect ----------------------------

def training_sensitivity(base: Scenario, option: Scenario, population: VictimPopulation,
                         seed: int, replications: int = 20, scales=SENSITIVITY_SCALES,
                         **options) -> pd.DataFrame:
    """The option's paired gain in identification rate over the base, with training's uplift
    over untrained officers scaled (0 = training achieves nothing, 2 = twice the assumption)."""
    scenarios = {"base": base}
    for scale in scales:
        scenarios[f"x{scale:g}"] = option.with_training_effect(scale)
    rep = replicate(scenarios, population, seed, replications, **options)
    rows = []
    for scale in scales:
        diff = paired_differences(rep.tables["base"], rep.tables[f"x{scale:g}"])
        row = diff[diff.kpi == "identification_rate"].iloc[0]
        rows.append({"training_effect_scale": scale, "kpi": "identification_rate",
                     "difference": row.difference, "ci_low": row.ci_low,
                     "ci_high": row.ci_high, "n": row.n})
    return pd.DataFrame(rows)


def most_trained(scenarios: dict[str, Scenario]) -> str | None:
    """The scenario with the most training (specialists count double), if any has training."""
    def weight(s: Scenario) -> float:
        shares = s.training.shares()
        return 2 * shares["specialist"] + shares["basic"]
    name = max(scenarios, key=lambda n: weight(scenarios[n]))
    return name if weight(scenarios[name]) > 0 else None


def _named(scenario: Scenario, label: str) -> Scenario:
    return scenario.with_values({"name": f"{scenario.name} [{label}]"})


def _first(table: pd.DataFrame, column: str) -> pd.DataFrame:
    return table[[column] + [c for c in table.columns if c != column]].reset_index(drop=True)


def parse_number(text: str, spec: str, option: str = "--vary") -> float:
    """A finite number given in option `spec`, or one line saying it is not one."""
    try:
        number = float(text)
    except ValueError:
        number = math.nan
    if not math.isfinite(number):
        raise UserError(f"{option} {spec}: {text!r} is not a number")
    return number


def _tidy(x: float) -> Any:
    x = round(x, 10)
    return int(x) if float(x).is_integer() else x


def _value(text: str) -> Any:
    try:
        return _tidy(float(text))
    except ValueError:
        return text
