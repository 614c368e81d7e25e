"""Running national networks: every option's crossing points on common random numbers (each
point on its own seed, the same in every option), on local cores or Dask, and the national
replications assembled from the points' replications of the same number.

A point's replications depend only on its scenario, its legs and its seed, so options that share
a point's configuration share its replications (`PointCache`): an optimiser comparing hundreds
of national options simulates each distinct point configuration once.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Hashable, Iterable

import pandas as pd

from tipkit.errors import UserError
from tipkit.sim.experiments.cost_effectiveness import COUNTED, cost_per_additional_victim
from tipkit.sim.experiments.replications import (Job, execute, replications_table,
                                                 summary_table)
from tipkit.sim.experiments.verdicts import paired_differences
from tipkit.sim.model.national import (NATIONAL_DIRECT, NATIONAL_KPIS, NationalScenario,
                                       RoutedPoint, deal_legs, legs_key, national_kpis,
                                       routed_points)
from tipkit.sim.model.population import VictimPopulation


@dataclass
class NationalRun:
    """One national option's replications: each point's table and the national table."""
    national: NationalScenario
    points: list[RoutedPoint]
    point_tables: dict[str, pd.DataFrame]       # point -> replications table (point KPIs)
    table: pd.DataFrame                         # replication, national KPIs

    def summary(self) -> pd.DataFrame:
        return summary_table(self.table, NATIONAL_KPIS)


@dataclass
class PointCache:
    """Replications already run, by point configuration (scenario, legs, seed) and number."""
    results: dict[Hashable, dict[int, dict]] = field(default_factory=dict)
    populations: dict[Hashable, VictimPopulation] = field(default_factory=dict)
    simulated: int = 0          # point replications actually simulated (not served from here)


def run_nationals(options: dict[str, NationalScenario], population: VictimPopulation,
                  seed: int, replications: int | Iterable[int], *, workers: int | None = None,
                  scheduler: str | None = None, progress=None,
                  cache: PointCache | None = None) -> dict[str, NationalRun]:
    """Every option's points for the given replications (a count, or the numbers), reusing what
    `cache` already holds; {option name: NationalRun}."""
    reps = tuple(range(replications)) if isinstance(replications, int) else tuple(replications)
    if len(reps) < 2:
        raise UserError("--replications must be at least 2 (an interval needs two)")
    cache = cache if cache is not None else PointCache()
    routed = {}
    for name, national in options.items():
        for key, legs in _dealt(national, population, seed, cache).items():
            cache.populations.setdefault(key, legs)
        routed[name] = routed_points(national, cache.populations, seed)
    wanted: dict[Hashable, RoutedPoint] = {}
    for points in routed.values():
        for p in points:
            wanted.setdefault(_config(p), p)
    jobs = []
    for key, p in wanted.items():
        missing = tuple(r for r in reps if r not in cache.results.get(key, {}))
        if missing:
            jobs.append(Job(key, p.scenario, missing, population=p.legs, seed=p.seed))
    if jobs:
        needed = {j.population for j in jobs}
        done = execute(jobs, {k: cache.populations[k] for k in needed}, seed, workers=workers,
                       scheduler=scheduler, progress=progress)
        for key, rows in done.items():
            cache.results.setdefault(key, {}).update(rows)
            cache.simulated += len(rows)
    out = {}
    for name, points in routed.items():
        tables = {p.name: replications_table({r: cache.results[_config(p)][r] for r in reps})
                  for p in points}
        out[name] = NationalRun(options[name], points, tables, national_table(points, tables))
    return out


def national_table(points: list[RoutedPoint], tables: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """One row per replication: the national KPIs from the points' rows of that number."""
    indexed = {p.name: tables[p.name].set_index("replication") for p in points}
    numbers = sorted(set.intersection(*(set(t.index) for t in indexed.values())))
    rows = [{"replication": r, **national_kpis(points, {name: t.loc[r].to_dict()
                                                        for name, t in indexed.items()})}
            for r in numbers]
    return pd.DataFrame(rows, columns=["replication"]
                        + [k.name for k in NATIONAL_KPIS + NATIONAL_DIRECT])


def _dealt(national: NationalScenario, population, seed, cache: PointCache):
    if all(legs_key(national, p) in cache.populations for p in national.point_names):
        return {}
    return deal_legs(national, population, seed)


def _config(point: RoutedPoint) -> Hashable:
    return (point.scenario, point.legs, point.seed)


# ---- comparisons of national options ----------------------------------------------------

@dataclass
class NationalComparison:
    names: list[str]
    runs: dict[str, NationalRun]
    summaries: pd.DataFrame          # scenario, kpi, mean, ci_low, ci_high, n (national)
    point_summaries: pd.DataFrame    # scenario, point, kpi, mean, ci_low, ci_high, n
    differences: pd.DataFrame        # scenario, kpi, difference, ci_low, ci_high, n, verdict
    point_differences: pd.DataFrame  # scenario, point, kpi, difference, ...
    costs: pd.DataFrame              # cost per additional victim, against the first option


def compare_nationals(options: dict[str, NationalScenario], population: VictimPopulation,
                      seed: int, replications: int, **where) -> NationalComparison:
    """Every option on common random numbers; paired differences against the first, nationally
    and at each point, and the cost per additional victim identified."""
    runs = run_nationals(options, population, seed, replications, **where)
    return national_comparison(runs)


def national_comparison(runs: dict[str, NationalRun]) -> NationalComparison:
    names = list(runs)
    summaries = pd.concat([r.summary().assign(scenario=n) for n, r in runs.items()])
    point_summaries = pd.concat([summary_table(t).assign(scenario=n, point=p)
                                 for n, r in runs.items() for p, t in r.point_tables.items()])
    base = runs[names[0]]
    diffs, point_diffs, costs = [], [], []
    for name in names[1:]:
        run = runs[name]
        diffs.append(paired_differences(base.table, run.table, NATIONAL_KPIS).assign(
            scenario=name))
        for point, table in run.point_tables.items():
            if point in base.point_tables:
                point_diffs.append(paired_differences(base.point_tables[point], table)
                                   .assign(scenario=name, point=point))
        currency = base.points[0].scenario.costs.currency
        for cost in COUNTED:
            costs.append({"scenario": name, **cost_per_additional_victim(
                base.table, run.table, 1.0, 1.0, currency, cost, "identified_per_day")})
    front = ["scenario", "point"]
    return NationalComparison(
        names, runs, columns_first(summaries, ["scenario"]), columns_first(point_summaries, front),
        columns_first(pd.concat(diffs), ["scenario"]) if diffs else pd.DataFrame(),
        columns_first(pd.concat(point_diffs), front) if point_diffs else pd.DataFrame(),
        pd.DataFrame(costs))


def columns_first(table: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    return table[columns + [c for c in table.columns if c not in columns]].reset_index(drop=True)
