"""What every `tipkit sim` command that runs refuses before any work: a bad seed, a run this
machine would need more than a day for, and victims from more than one release.

Single crossing points (runs), national networks (national_runs), the global sensitivity and
the optimiser (budget_runs) all ask here, so that their refusals read alike.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Iterable

from tipkit.errors import UserError
from tipkit.sim.model.population import default_release
from tipkit.sim.model.scenario import Scenario
from tipkit.sim.model.scenario_files import scenario_files
from tipkit.yamlfiles import load_yaml

TRAVELLERS_PER_SECOND = 60_000   # one core, the full model with its estimators (bench_sim: ~69,000)
SECONDS_PER_REPLICATION = 0.01   # and each replication's own setup, however few its travellers
LONGEST_HOURS = 24.0             # longer local runs need --yes: far beyond an ordinary day


def check_seed(seed: int) -> None:
    if seed < 0:
        raise UserError(f"--seed must be 0 or more (got {seed})")


def refuse_long(work: Iterable[tuple[Scenario, int]], *, workers=None, scheduler=None,
                long_ok: bool = False, fewer: str = "fewer replications or values") -> None:
    """Refuse, with its estimate, work (each scenario and how many replications of it will be
    simulated) that would take this machine's cores more than LONGEST_HOURS, unless `long_ok`
    (--yes) or a Dask cluster (--scheduler) takes it."""
    if scheduler is not None or long_ok:
        return
    work = [(scenario, count) for scenario, count in work if count > 0]
    replications = sum(count for _, count in work)
    if not replications:
        return
    travellers = sum(s.arrivals.daily_volume * s.run.days * count for s, count in work)
    cores = workers or os.cpu_count() or 1
    hours = seconds(work, workers) / 3600
    if hours > LONGEST_HOURS:
        raise UserError(
            f"{replications:,} replications of about {travellers / replications:,.0f} travellers "
            f"would take about {_duration(hours)} on {cores} core(s): use {fewer}, a Dask "
            "cluster (--scheduler), or --yes to run anyway")


def seconds(work: Iterable[tuple[Scenario, int]], workers=None) -> float:
    """This machine's estimate, in seconds, of simulating the work (each scenario and how many
    replications of it) on `workers` local cores (default: all)."""
    work = list(work)
    travellers = sum(s.arrivals.daily_volume * s.run.days * count for s, count in work)
    replications = sum(count for _, count in work)
    cores = workers or os.cpu_count() or 1
    return (travellers / TRAVELLERS_PER_SECOND + SECONDS_PER_REPLICATION * replications) / cores


def _duration(hours: float) -> str:
    return f"{hours:,.0f} hours" if hours < 72 else f"{hours / 24:,.0f} days"


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
    the scenarios name, else the default release. Scenarios compared must draw from one (a
    national network's points too: their legs are dealt from one release)."""
    if population_dir is not None:
        return Path(population_dir)
    named = {None if p is None else p.resolve(): p for p in map(named_release, paths)}
    if len(named) > 1:
        raise UserError("the scenarios draw victims from different releases (victims.release): "
                        "compare them on one, or choose it with --population")
    (release,) = named.values()
    return release if release is not None else default_release()
