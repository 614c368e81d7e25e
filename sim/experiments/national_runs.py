"""The library behind `tipkit sim run | compare` on national scenario files: load and check the
network, warn about overloaded points, run every option's points on common random numbers,
write the results folder."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from tipkit.errors import UserError
from tipkit.sim.experiments import results
from tipkit.sim.experiments.national_results import write_national
from tipkit.sim.experiments.network import NationalComparison, national_comparison, run_nationals
from tipkit.sim.experiments.warmup import check_warmups, reported
from tipkit.sim.model.national import (NationalScenario, deal_legs, load_national, routed_points,
                                       unrouted_share)
from tipkit.sim.model.population import VictimPopulation, load_population
from tipkit.sim.model.queueing import offered_utilisation


def load_nationals(paths, population_dir=None, warn=None
                   ) -> tuple[dict[str, NationalScenario], VictimPopulation]:
    """National files (names made unique) and the victim population; each point's
    utilisation at or above 1 is reported through `warn` before anything runs."""
    options = {}
    for path in paths:
        national = load_national(path)
        name = national.name
        if name in options:
            name = f"{name} ({Path(path).stem})"
            national = national.with_values({"name": name})
        options[name] = national
        for point in national.points:
            for message in offered_utilisation(point.scenario).warnings():
                if warn is not None:
                    warn(f"{name}, {point.name}: {message}")
    population = load_population(population_dir)
    for name, national in options.items():
        for mode, share in unrouted_share(national, population).items():
            if warn is not None:
                warn(f"{name}: {share:.0%} of the official-crossing legs travel by {mode}, "
                     "which no point serves: those victims are outside the national model")
    return options, population


def run_national(path, *, replications="30", seed: int = 1, out=None, population_dir=None,
                 workers=None, scheduler=None, progress=None, warn=None
                 ) -> tuple[pd.DataFrame, Path]:
    """`tipkit sim run` on a national file: the national KPI summary and the folder written."""
    options, population = load_nationals([path], population_dir, warn)
    checked = point_warmup_checks(options, population, seed, warn, workers=workers,
                                  scheduler=scheduler)
    runs = run_nationals(options, population, seed, _whole(replications), workers=workers,
                         scheduler=scheduler, progress=progress)
    folder = write_national(out or Path("runs") / Path(path).stem, runs,
                            {**results.provenance(population, seed), **checked},
                            {n: o.sources() for n, o in options.items()})
    (run,) = runs.values()
    return run.summary(), folder


def compare_national(paths, *, replications="30", seed: int = 1, out=None, population_dir=None,
                     workers=None, scheduler=None, progress=None, warn=None
                     ) -> tuple[NationalComparison, Path]:
    """`tipkit sim compare` on national files: paired differences against the first, nationally
    and at every point, and the cost per additional victim identified."""
    if len(paths) < 2:
        raise UserError("compare needs at least two scenarios: a baseline and an option")
    options, population = load_nationals(paths, population_dir, warn)
    checked = point_warmup_checks(options, population, seed, warn, workers=workers,
                                  scheduler=scheduler)
    runs = run_nationals(options, population, seed, _whole(replications), workers=workers,
                         scheduler=scheduler, progress=progress)
    folder = write_national(out or Path("runs") / "compare", runs,
                            {**results.provenance(population, seed), **checked},
                            {n: o.sources() for n, o in options.items()})
    return national_comparison(runs), folder


def point_warmup_checks(options: dict[str, NationalScenario], population: VictimPopulation,
                        seed: int, warn=None, **where) -> dict:
    """The warm-up check (sim.experiments.warmup) of every point that needs one, on its own
    legs and seed as it runs in the network, named "option, point"; a point set up alike in
    several options is checked once. Warnings through `warn`; the checks for run.json."""
    scenarios, own, legs, seen = {}, {}, {}, set()
    for name, national in options.items():
        dealt = deal_legs(national, population, seed)
        legs.update(dealt)
        for point in routed_points(national, dealt, seed):
            if (point.scenario, point.legs, point.seed) in seen:
                continue
            seen.add((point.scenario, point.legs, point.seed))
            label = f"{name}, {point.name}"
            scenarios[label] = point.scenario
            own[label] = (point.legs, point.seed)
    return reported(check_warmups(scenarios, legs, seed, own=own, **where), warn)


def point_replications(paths, replications) -> int:
    """Point replications a national run will simulate (for a progress bar)."""
    return sum(len(load_national(p).points) for p in paths) * _whole(replications)


def _whole(replications) -> int:
    text = str(replications).strip().lower()
    if text == "auto":
        raise UserError("--replications auto is for single crossing points: give a national "
                        "run a number, e.g. --replications 30")
    try:
        return int(text)
    except ValueError:
        raise UserError(f"--replications must be a whole number, got {replications!r}") from None
