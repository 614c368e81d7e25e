"""The library behind `tipkit sim run | compare` on national scenario files: load and check the
network, warn about overloaded points, run every option's points on common random numbers,
write the results folder."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from tipkit import outputs
from tipkit.errors import UserError
from tipkit.sim.experiments import results
from tipkit.sim.experiments.national_results import write_national
from tipkit.sim.experiments.network import NationalComparison, national_comparison, run_nationals
from tipkit.sim.experiments.preflight import check_seed, population_release, refuse_long
from tipkit.sim.experiments.warmup import check_warmups, reported
from tipkit.sim.model.national import (NationalScenario, deal_legs, load_national, routed_points,
                                       unrouted_share)
from tipkit.sim.model.population import VictimPopulation, load_population
from tipkit.sim.model.scenario_files import named_apart
from tipkit.sim.model.queueing import offered_utilisation


def load_options(paths) -> dict[str, NationalScenario]:
    """National files by name (names made unique)."""
    options = {}
    for path in paths:
        national = named_apart(load_national(path), path, options)
        options[national.name] = national
    return options


def national_warnings(options: dict[str, NationalScenario], population: VictimPopulation
                      ) -> list[str]:
    warnings = [f"{name}, {point.name}: {message}"
                for name, national in options.items() for point in national.points
                for message in offered_utilisation(point.scenario).warnings()]
    for name, national in options.items():
        for mode, share in unrouted_share(national, population).items():
            warnings.append(f"{name}: {share:.0%} of the official-crossing legs travel by "
                            f"{mode}, which no point serves: those victims are outside the "
                            "national model")
    return warnings


def point_files(options: dict[str, NationalScenario]) -> list[Path]:
    """Every point's scenario file, once: where the network's victims.release is named."""
    return list(dict.fromkeys(p.path for national in options.values() for p in national.points))


def _prepare(paths, *, out, force, seed, replications, population_dir, workers, scheduler,
             long_ok, warn) -> tuple[dict[str, NationalScenario], VictimPopulation, int]:
    """What `run` and `compare` refuse on national files, before any work and any other
    output: the seed, the replications, the --out folder (never one holding a national file,
    a point's file or the release), the files and population, a run longer than a day."""
    check_seed(seed)
    count = _whole(replications)
    if count < 2:
        raise UserError("--replications must be at least 2 (an interval needs two)")
    options = load_options(paths)
    files = point_files(options)
    # --population, else the release the points' files name, else the default release
    release = population_release(files, population_dir)
    outputs.check_out(out, force=force, inputs=[*paths, *files, release])
    population = load_population(release)
    warnings = national_warnings(options, population)
    refuse_long([(p.scenario, count) for national in options.values() for p in national.points],
                workers=workers, scheduler=scheduler, long_ok=long_ok)
    for message in warnings if warn is not None else ():
        warn(message)
    return options, population, count


def run_national(path, *, replications="30", seed: int = 1, out, force: bool = False,
                 population_dir=None, workers=None, scheduler=None, progress=None, warn=None,
                 long_ok: bool = False) -> tuple[pd.DataFrame, Path]:
    """`tipkit sim run` on a national file: the national KPI summary and the folder written."""
    options, population, count = _prepare(
        [path], out=out, force=force, seed=seed, replications=replications,
        population_dir=population_dir, workers=workers, scheduler=scheduler, long_ok=long_ok,
        warn=warn)
    runs = _run(options, population, seed, count, warn, workers, scheduler, progress,
                out, force, [path])
    (run,) = runs.values()
    return run.summary(), Path(out)


def compare_national(paths, *, replications="30", seed: int = 1, out, force: bool = False,
                     population_dir=None, workers=None, scheduler=None, progress=None,
                     warn=None, long_ok: bool = False) -> tuple[NationalComparison, Path]:
    """`tipkit sim compare` on national files: paired differences against the first, nationally
    and at every point, and the cost per additional victim identified."""
    if len(paths) < 2:
        raise UserError("compare needs at least two scenarios: a baseline and an option")
    options, population, count = _prepare(
        paths, out=out, force=force, seed=seed, replications=replications,
        population_dir=population_dir, workers=workers, scheduler=scheduler, long_ok=long_ok,
        warn=warn)
    runs = _run(options, population, seed, count, warn, workers, scheduler, progress,
                out, force, paths)
    return national_comparison(runs), Path(out)


def _run(options, population, seed, count, warn, workers, scheduler, progress, out, force,
         inputs) -> dict:
    """The warm-up checks, every option's points on common random numbers, and the folder
    (staged: it appears whole, or not at all)."""
    checked = point_warmup_checks(options, population, seed, warn, workers=workers,
                                  scheduler=scheduler)
    runs = run_nationals(options, population, seed, count, workers=workers,
                         scheduler=scheduler, progress=progress)
    with outputs.staged_folder(out, force=force, inputs=inputs) as staging:
        write_national(staging, runs, {**results.provenance(population, seed), **checked},
                       {n: o.sources() for n, o in options.items()})
    return runs


def point_warmup_checks(options: dict[str, NationalScenario], population: VictimPopulation,
                        seed: int, warn=None, kept: dict | None = None, **where) -> dict:
    """The warm-up check (sim.experiments.warmup) of every point that needs one, on its own
    legs and seed as it runs in the network, named "option, point"; a point set up alike in
    several options is checked once. Warnings through `warn`; the checks for run.json.
    `kept`, if given, receives the checks' KPIs by point configuration (scenario, legs, seed)
    and replication."""
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
    by_label = None if kept is None else {}
    checks = check_warmups(scenarios, legs, seed, own=own, kept=by_label, **where)
    for label, rows in (by_label or {}).items():
        kept[(scenarios[label], *own[label])] = rows
    return reported(checks, warn)


def _whole(replications) -> int:
    text = str(replications).strip().lower()
    if text == "auto":
        raise UserError("--replications auto is for single crossing points: give a national "
                        "run a number, e.g. --replications 30")
    try:
        return int(text)
    except ValueError:
        raise UserError(f"--replications must be a whole number, got {replications!r}") from None
