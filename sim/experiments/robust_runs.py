"""The library behind `tipkit sim run | compare --posterior`: the scenarios (one crossing point or
national networks) checked, simulated in every calibrated world (sim.experiments.robustness),
and the results folder written with the answer across the worlds beside the usual tables."""

from __future__ import annotations

from pathlib import Path

from tipkit import outputs
from tipkit.errors import UserError
from tipkit.sim.experiments import results, robustness
from tipkit.sim.experiments.preflight import check_seed
from tipkit.sim.model.national import is_national_file


def across_worlds(paths, *, posterior, draws: int = robustness.DRAWS,
                  draw_replications: int = robustness.DRAW_REPLICATIONS, seed: int = 1, out,
                  force: bool = False, population_dir=None, workers=None, scheduler=None,
                  progress=None, warn=None, long_ok: bool = False, compare: bool = True):
    """`run` (one path) or `compare` (the first is the baseline) across `draws` worlds of the
    posterior: (Comparison, NationalComparison or summary table, folder). The folder's summary
    and differences are averages over the worlds' days; robustness.csv, worlds.csv (and
    failure_box.csv) and run.json's `robustness` say how often the answer holds."""
    check_seed(seed)
    if draws < 2:
        raise UserError(f"--draws must be at least 2 (got {draws})")
    if draw_replications < 1:
        raise UserError(f"--draw-replications must be at least 1 (got {draw_replications})")
    found = robustness.read_posterior(posterior)
    days = draws * draw_replications
    if days < 2:
        raise UserError("--draws x --draw-replications must be at least 2")
    national = [is_national_file(p) for p in paths]
    if any(national) and not all(national):
        raise UserError("compare national scenarios with national scenarios, and single "
                        "crossing points with single crossing points")
    if compare and len(paths) < 2:
        raise UserError("compare needs at least two scenarios: a baseline and an option")
    inputs = [*paths, posterior]
    if all(national):
        return _networks(paths, found, draws, draw_replications, seed, out, force,
                         population_dir, workers, scheduler, progress, warn, long_ok, compare,
                         inputs)
    from tipkit.sim.experiments.runs import _prepare

    loaded = _prepare(paths, out=out, force=force, seed=seed, replications=days, budget=days,
                      population_dir=population_dir, workers=workers, scheduler=scheduler,
                      long_ok=long_ok)
    robustness.check_keys(found, next(iter(loaded.scenarios.values())))   # before any warning
    for message in loaded.warnings if warn is not None else ():
        warn(message)
    return across_loaded(loaded, found, out, draws=draws, draw_replications=draw_replications,
                         seed=seed, force=force, workers=workers, scheduler=scheduler,
                         progress=progress, warn=warn, compare=compare, inputs=inputs)


def across_loaded(loaded, found: robustness.Posterior, out, *, draws: int = robustness.DRAWS,
                  draw_replications: int = robustness.DRAW_REPLICATIONS, seed: int = 1,
                  force: bool = False, workers=None, scheduler=None, progress=None, warn=None,
                  compare: bool = True, inputs=()):
    """Crossing points already loaded (runs.Loaded; the first is the baseline) across the
    worlds of a posterior already read, into the folder `out` (staged)."""
    from tipkit.sim.experiments.designs import comparison_of
    from tipkit.sim.experiments.replications import summary_table
    from tipkit.sim.experiments.runs import warmup_checks

    robustness.check_keys(found, next(iter(loaded.scenarios.values())))
    checked = warmup_checks(loaded, seed, warn, workers=workers, scheduler=scheduler)
    worlds = robustness.draw_worlds(found, draws, seed)
    simulated = robustness.simulate_worlds(loaded.scenarios, worlds, loaded.population, seed,
                                           draw_replications, workers=workers,
                                           scheduler=scheduler, progress=progress)
    answer = robustness.analyse(simulated)
    rep = robustness.pooled_replicated(simulated)
    meta = {**results.provenance(loaded.population, seed), **checked,
            "robustness": answer.meta(found)}
    with outputs.staged_folder(out, force=force, inputs=inputs) as staging:
        if compare:
            result = comparison_of(list(loaded.scenarios), rep)
            results.write_comparison(staging, loaded.scenarios, result, meta, loaded.sources,
                                     None)
        else:
            (name, scenario), = loaded.scenarios.items()
            results.write_run(staging, scenario, rep, meta, loaded.sources[name])
            result = summary_table(rep.tables[name])
        robustness.write_robustness(Path(staging), answer, found)
    return result, Path(out)


def _networks(paths, found, draws, draw_replications, seed, out, force, population_dir,
              workers, scheduler, progress, warn, long_ok, compare, inputs):
    from tipkit.sim.experiments.national_results import write_national
    from tipkit.sim.experiments.national_runs import (_prepare, national_warnings,
                                                      point_warmup_checks)
    from tipkit.sim.experiments.network import national_comparison

    options, population, _ = _prepare(
        paths, out=out, force=force, seed=seed, replications=draws * draw_replications,
        population_dir=population_dir, workers=workers, scheduler=scheduler, long_ok=long_ok,
        warn=None)
    robustness.check_keys(found, next(iter(options.values())))   # before any warning
    for message in national_warnings(options, population) if warn is not None else ():
        warn(message)
    checked = point_warmup_checks(options, population, seed, warn, workers=workers,
                                  scheduler=scheduler)
    worlds = robustness.draw_worlds(found, draws, seed)
    simulated = robustness.simulate_worlds(options, worlds, population, seed, draw_replications,
                                           workers=workers, scheduler=scheduler,
                                           progress=progress)
    answer = robustness.analyse(simulated)
    meta = {**results.provenance(population, seed), **checked,
            "robustness": answer.meta(found)}
    with outputs.staged_folder(out, force=force, inputs=inputs) as staging:
        write_national(staging, simulated.runs, meta, {n: o.sources() for n, o in options.items()})
        robustness.write_robustness(Path(staging), answer, found)
    if compare:
        return national_comparison(simulated.runs), Path(out)
    (run,) = simulated.runs.values()
    return run.summary(), Path(out)


def robustness_lines(folder) -> list[str]:
    """The answer across the worlds as written in a results folder's run.json, or []."""
    import json

    path = Path(folder) / results.RUN_FILE
    try:
        meta = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return []
    robust = meta.get("robustness") if isinstance(meta, dict) else None
    return list(robust.get("sentences", [])) if isinstance(robust, dict) else []
