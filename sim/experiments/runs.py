"""The library behind `tipkit sim run | compare | sweep`: load and check scenario files, warn about
overloaded ones, run on common random numbers, write the results folder."""

from __future__ import annotations

import math
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import pandas as pd

from tipkit import outputs
from tipkit.sim.experiments import results
from tipkit.sim.experiments.designs import (Comparison, Sweep, compare, most_trained, replicate, sweep,
                             training_sensitivity)
from tipkit.sim.model.population import VictimPopulation, default_release, load_population
from tipkit.sim.model.queueing import offered_utilisation
from tipkit.sim.experiments.replications import summary_table
from tipkit.sim.model.scenario import Scenario
from tipkit.sim.model.scenario_files import load_scenario, scenario_files, scenario_source
from tipkit.yamlfiles import load_yaml
from tipkit.errors import UserError

Warn = Callable[[str], None]
TRAVELLERS_PER_SECOND = 100_000  # one core, the full model (bench_sim: ~188,000 on a quiet one)
SECONDS_PER_REPLICATION = 0.01   # and each replication's own setup, however few its travellers
LONGEST_HOURS = 24.0             # longer local runs need --yes: far beyond an ordinary day


@dataclass
class Loaded:
    scenarios: dict[str, Scenario]
    sources: dict[str, str]
    population: VictimPopulation
    warnings: list[str] = field(default_factory=list)


def load(paths, population_dir=None, warn: Warn | None = None) -> Loaded:
    """Scenario files (names made unique), their text, and the victim population; utilisation
    at or above 1 is reported through `warn` (and kept in `warnings`)."""
    scenarios, sources, warnings = {}, {}, []
    for path in paths:
        scenario = load_scenario(path)
        name = scenario.name
        if name in scenarios:
            name = f"{name} ({Path(path).stem})"
            scenario = scenario.with_values({"name": name})
        scenarios[name] = scenario
        sources[name] = scenario_source(path)
        warnings += [f"{name}: {message}" for message in offered_utilisation(scenario).warnings()]
    population = load_population(population_release(paths, population_dir))
    for scenario in scenarios.values():
        population.by_transport(scenario.victims.transport)   # fails early if none match
    for message in warnings if warn is not None else ():
        warn(message)
    return Loaded(scenarios, sources, population, warnings)


def named_release(path) -> Path | None:
    """The release a scenario names in victims.release, relative to the file that names it (the
    scenario's own file or one it is based on, the nearest first); None if none does."""
    for file in scenario_files(path):
        raw = load_yaml(file.read_text(encoding="utf-8"))
        victims = raw.get("victims") if isinstance(raw, dict) else None
        if isinstance(victims, dict) and "release" in victims:
            return file.parent / victims["release"] if victims["release"] else None
    return None


def population_release(paths, population_dir) -> Path:
    """The release the victims every scenario meets come from: --population, else the release
    the scenarios name, else the default release. Scenarios compared must draw from one."""
    if population_dir is not None:
        return Path(population_dir)
    named = {None if p is None else p.resolve(): p for p in map(named_release, paths)}
    if len(named) > 1:
        raise UserError("the scenarios draw victims from different releases (victims.release): "
                        "compare them on one, or choose it with --population")
    (release,) = named.values()
    return release if release is not None else default_release()


def _prepare(paths, *, out, force, seed, replications, budget, population_dir, workers,
             scheduler, long_ok, cells: int = 1, warn: Warn | None = None) -> Loaded:
    """Everything that can be refused, refused before any work and before any other output:
    the seed, the replications, the --out folder, the scenario files and population, and a
    run that would take this machine more than LONGEST_HOURS. Then the warnings."""
    if seed < 0:
        raise UserError(f"--seed must be 0 or more (got {seed})")
    count = _replications(replications)
    if count != "auto" and count < 2:
        raise UserError("--replications must be at least 2 (an interval needs two)")
    sources = [*paths, population_release(paths, population_dir)]
    outputs.check_out(out, force=force, inputs=sources)
    loaded = load(paths, population_dir)
    if scheduler is None and not long_ok:
        reps = budget if count == "auto" else count
        cores = workers or os.cpu_count() or 1
        travellers = sum(s.arrivals.daily_volume * s.run.days for s in loaded.scenarios.values())
        seconds = cells * reps * (travellers / TRAVELLERS_PER_SECOND
                                  + SECONDS_PER_REPLICATION * len(loaded.scenarios))
        hours = seconds / cores / 3600
        if hours > LONGEST_HOURS:
            raise UserError(
                f"{cells * reps * len(loaded.scenarios):,} replications of about "
                f"{travellers / len(loaded.scenarios):,.0f} travellers would take about "
                f"{_duration(hours)} on {cores} core(s): use fewer replications or values, a "
                "Dask cluster (--scheduler), or --yes to run anyway")
    for message in loaded.warnings if warn is not None else ():
        warn(message)
    return loaded


def _duration(hours: float) -> str:
    return f"{hours:,.0f} hours" if hours < 72 else f"{hours / 24:,.0f} days"


def run_scenario(path, *, replications="30", seed: int = 1, out=None, force: bool = False,
                 population_dir=None, precision: float = 0.05, budget: int = 500,
                 workers=None, scheduler=None, progress=None, warn: Warn | None = None,
                 log_travellers: bool = False, long_ok: bool = False
                 ) -> tuple[pd.DataFrame, Path]:
    """`tipkit sim run`: the KPI summary (kpi, mean, ci_low, ci_high, n) and the folder written.
    `log_travellers` also writes travellers.csv: one row per traveller of replication 0."""
    out = Path(out or Path("runs") / Path(path).stem)
    loaded = _prepare([path], out=out, force=force, seed=seed, replications=replications,
                      budget=budget, population_dir=population_dir, workers=workers,
                      scheduler=scheduler, long_ok=long_ok, warn=warn)
    (name, scenario), = loaded.scenarios.items()
    rep = replicate(loaded.scenarios, loaded.population, seed, _replications(replications),
                    precision=precision, budget=budget, workers=workers, scheduler=scheduler,
                    progress=progress)
    with outputs.staged_folder(out, force=force, inputs=[path]) as staging:
        results.write_run(staging, scenario, rep, results.provenance(loaded.population, seed),
                          loaded.sources[name])
        if log_travellers:
            write_travellers_log(staging / "travellers.csv", scenario, loaded.population, seed)
    return summary_table(rep.tables[name]), out


TRAVELLER_COLUMNS = ("traveller", "arrived_seconds", "counted", "victim", "gender", "age",
                     "document", "indicators", "channel", "waited_seconds", "flagged",
                     "outcome")


def write_travellers_log(path: Path, scenario: Scenario, population: VictimPopulation,
                         seed: int, replication: int = 0) -> None:
    """One row per traveller of one replication, streamed to disk as they leave (into a
    staged results folder: the whole folder appears at once, or not at all)."""
    import csv

    from tipkit.sim.model.border import simulate

    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(TRAVELLER_COLUMNS)

        def log(t) -> None:
            v = t.victim
            outcome = ("not flagged" if not t.flagged else
                       ("identified" if t.confirmed else "missed in interview") if v
                       else ("false referral" if t.confirmed else "cleared"))
            writer.writerow((
                t.number, f"{t.arrived:.3f}", int(t.counted), int(v is not None),
                v.gender if v else "", v.age if v else "", v.document if v else "",
                "".join(name[0].upper() for name, has in v.indicators._asdict().items() if has)
                if v else "",
                t.channel, f"{t.waited:.3f}", int(t.flagged), outcome))

        simulate(scenario, population, seed, replication, log=log)


def compare_scenarios(paths, *, replications="30", seed: int = 1, out=None, force: bool = False,
                      population_dir=None, precision: float = 0.05, budget: int = 500,
                      sensitivity: bool = True, workers=None, scheduler=None, progress=None,
                      warn: Warn | None = None, long_ok: bool = False
                      ) -> tuple[Comparison, Path]:
    """`tipkit sim compare`: paired differences of each scenario against the first."""
    out = Path(out or Path("runs") / "compare")
    loaded = _prepare(paths, out=out, force=force, seed=seed, replications=replications,
                      budget=budget, population_dir=population_dir, workers=workers,
                      scheduler=scheduler, long_ok=long_ok, warn=warn)
    return compare_loaded(loaded, out, replications=replications, seed=seed,
                          precision=precision, budget=budget, sensitivity=sensitivity,
                          workers=workers, scheduler=scheduler, progress=progress, force=force,
                          inputs=paths)


def compare_loaded(loaded: Loaded, out: Path, *, replications="30", seed: int = 1,
                   precision: float = 0.05, budget: int = 500, sensitivity: bool = True,
                   workers=None, scheduler=None, progress=None, force: bool = False,
                   inputs=()) -> tuple[Comparison, Path]:
    """Compare scenarios already loaded (the first is the base) on common random numbers, with
    the training sensitivity when an option trains officers, and write the results folder
    (staged: it appears whole, or not at all)."""
    where = {"workers": workers, "scheduler": scheduler, "progress": progress}
    result = compare(loaded.scenarios, loaded.population, seed, _replications(replications),
                     precision=precision, budget=budget, **where)
    sens = _sensitivity(loaded, seed, result.replicated.replications, where) if sensitivity \
        else None
    with outputs.staged_folder(out, force=force, inputs=inputs) as staging:
        results.write_comparison(staging, loaded.scenarios, result,
                                 results.provenance(loaded.population, seed), loaded.sources,
                                 sens)
    return result, Path(out)


def sweep_scenario(path, axes: dict[str, list], *, replications: int = 30, seed: int = 1,
                   out=None, force: bool = False, population_dir=None, sensitivity: bool = True,
                   workers=None, scheduler=None, progress=None, warn: Warn | None = None,
                   long_ok: bool = False) -> tuple[Sweep, Path]:
    """`tipkit sim sweep`: every combination of the varied values, one results table."""
    out = Path(out or Path("runs") / "sweep")
    grid = math.prod(len(values) for values in axes.values())
    loaded = _prepare([path], out=out, force=force, seed=seed, replications=replications,
                      budget=replications, population_dir=population_dir, workers=workers,
                      scheduler=scheduler, long_ok=long_ok, cells=grid, warn=warn)
    (name, base), = loaded.scenarios.items()
    where = {"workers": workers, "scheduler": scheduler, "progress": progress}
    result = sweep(base, axes, loaded.population, seed, replications, **where)
    sens = None
    if sensitivity:
        cells = {row.cell: base.with_values(dict(zip(axes, row[1:])))
                 for row in result.cells.itertuples(index=False)}
        trained = most_trained(cells)
        if trained is not None:
            sens = training_sensitivity(base, cells[trained], loaded.population, seed,
                                        min(replications, 20), **where)
    with outputs.staged_folder(out, force=force, inputs=[path]) as staging:
        results.write_sweep(staging, base, result, results.provenance(loaded.population, seed),
                            loaded.sources[name], sens, replications)
    return result, out


def _sensitivity(loaded: Loaded, seed: int, replications: int, where: dict):
    names = list(loaded.scenarios)
    trained = most_trained(loaded.scenarios)
    if trained is None:
        return None
    return training_sensitivity(loaded.scenarios[names[0]], loaded.scenarios[trained],
                                loaded.population, seed, min(replications, 20), **where)


def _replications(value) -> int | str:
    if str(value).strip().lower() == "auto":
        return "auto"
    try:
        return int(value)
    except (TypeError, ValueError):
        raise UserError(f"--replications must be a whole number or auto, got {value!r}") from None
