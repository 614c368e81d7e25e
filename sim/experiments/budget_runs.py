"""The library behind `tipkit sim optimise`: read the scenario (one crossing point or a national
network), the decisions, budget and constraints; search; write the results folder, with the best
option as a scenario file that `run` and `compare` read."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import yaml

from tipkit import outputs
from tipkit.errors import UserError
from tipkit.sim.experiments import results, robustness
from tipkit.sim.experiments.national_results import national_mapping
from tipkit.sim.experiments.decisions import (cost_today, currency, decision_space,
                                              parse_budget, parse_constraint, parse_decision)
from tipkit.sim.experiments.national_runs import point_warmup_checks
from tipkit.sim.experiments.emulated_search import (Emulated, confirm, emulate, planned_work,
                                                    reuse)
from tipkit.sim.experiments.optimise import Optimum, Simulations, check_search, optimise
from tipkit.sim.experiments.preflight import (check_seed, population_release, refuse_long,
                                              seconds)
from tipkit.sim.experiments.warmup import REPLICATIONS, check_warmups, needs_check, reported
from tipkit.sim.model.fields import changed_keys, get_dotted
from tipkit.sim.model.national import NationalScenario, is_national_file, load_national
from tipkit.sim.model.population import load_population
from tipkit.sim.model.scenario import Scenario
from tipkit.sim.model.scenario_files import load_scenario, scenario_source

KIND = "optimise"
METHODS = ("emulator", "exhaustive")
SEARCHES = {
    "exhaustive": "ranking and selection over every option within the budget (screen and "
                  "double, common random numbers)",
    "emulator": "emulator-led: Gaussian-process emulators of each point's KPIs from a "
                "space-filling design and sequential design, the national best solved exactly "
                "as an integer program, the finalists confirmed by ranking and selection on "
                "common random numbers"}
FIGURES = ("options.csv, front.csv, ranking.csv and chosen.csv are simulated; emulated.csv "
           "(every option within the budget) is emulated")


def load_base(path) -> Scenario | NationalScenario:
    return load_national(path) if is_national_file(path) else load_scenario(path)


def optimise_scenario(path, *, budget: str, decide, constraints=(), seed: int = 1, out=None,
                      force: bool = False, population_dir=None, first: int = 10,
                      most: int = 320, precision: float = 0.05, indifference: float = 0.005,
                      workers=None, scheduler=None, progress=None, warn=None,
                      long_ok: bool = False, posterior=None, draws: int = 50,
                      draw_replications: int = 2, finalists: int = 5,
                      method: str = "emulator", early=None, plan=None
                      ) -> tuple[Optimum, Path]:
    """`tipkit sim optimise`: the best option within the budget, the front, how sure. Every
    bad input is refused before any work (the seed, the settings of the search, the scenario,
    the decisions, constraints and budget, the --out, a search longer than a day); the warm-up
    is checked on the scenario as searched from (today), as `run` checks it. `method`:
    "emulator" (emulator-led, the default) or "exhaustive" (ranking and selection over every
    option). `plan` is called before the work with (point replications, seconds) expected;
    `early` with the emulator's first answer (an Emulated), before its confirmation.
    `posterior`: the finalists are then simulated in `draws` calibrated worlds
    (sim.experiments.robustness): each one's probability of being best and expected regret,
    and the least-regret option."""
    if method not in METHODS:
        raise UserError(f"--method must be one of {', '.join(METHODS)} (got {method})")
    path = Path(path)
    out = Path(out or Path("runs") / f"{path.stem}-optimise")
    check_seed(seed)
    check_search(first, most, precision, indifference)
    calibrated = robustness.read_posterior(posterior) if posterior is not None else None
    base = load_base(path)
    if calibrated is not None:
        robustness.check_keys(calibrated, base)
    national = isinstance(base, NationalScenario)
    points = base.point_names if national else None
    decisions = [parse_decision(spec, points) for spec in decide]
    decided = {d.key for d in decisions}
    limits = [parse_constraint(spec, points, decided) for spec in constraints]
    today = cost_today(base)
    amount = parse_budget(budget, today)
    files = [p.path for p in base.points] if national else [path]
    release = population_release(files, population_dir)
    outputs.check_out(out, force=force, inputs=[path, *files, release])
    population = load_population(release)
    space, populations = decision_space(base, decisions, amount, population, seed,
                                        [c for c in limits if c.point == "total"])
    checks = [(p.scenario, REPLICATIONS) for p in base.points] if national else [
        (base, REPLICATIONS)]
    checks = [(s, n) for s, n in checks if needs_check(s)]
    if method == "emulator":
        work = planned_work(space, first=first)
        refuse_long(work + checks, workers=workers, scheduler=scheduler, long_ok=long_ok,
                    fewer="narrower --decide ranges or fewer --first-replications")
    else:
        # the least the search can do: every option within the budget screened once
        screened = int(space.within.sum()) * first
        scenarios = [p.scenario for p in base.points] if national else [base]
        refuse_long([(s, screened) for s in scenarios], workers=workers, scheduler=scheduler,
                    long_ok=long_ok,
                    fewer="narrower --decide ranges or fewer --first-replications")
        work = [(p.scenarios[0], int(len(np.unique(space.choice[space.within][:, i]))) * first)
                for i, p in enumerate(space.points)]
    where = {"workers": workers, "scheduler": scheduler}
    if plan is not None:
        # the bar counts the search's replications; the warm-up check's take time too
        plan(sum(n for _, n in work), seconds(work + checks, workers))
    kept: dict = {}

    def warmup_checks():
        if national:
            return point_warmup_checks({base.name: base}, population, seed, warn, kept=kept,
                                       **where)
        own: dict = {}
        checked = reported(check_warmups({base.name: base}, population, seed, kept=own,
                                         **where), warn)
        for name, rows in own.items():
            kept[(base, None, None)] = rows
        return checked

    emulated = None
    if method == "exhaustive":
        checked = warmup_checks()
        found = optimise(base, space, populations or population, seed, limits, first=first,
                         most=most, indifference=indifference, precision=precision,
                         workers=workers, scheduler=scheduler, progress=progress)
    else:
        sims = Simulations(space, populations or population, seed,
                           {**where, "progress": progress})
        checked: dict = {}

        def check_then_reuse():
            # the warm-up check runs today's points: its replications are today's first ones
            checked.update(warmup_checks())
            reuse(sims, kept)

        emulated = emulate(sims, limits, seed, early=lambda answer: (
            early(answer, currency(base)) if early is not None else None),
            then=check_then_reuse)
        found = confirm(base, sims, emulated, limits, first=first, most=most,
                        indifference=indifference, precision=precision)
    robust, robust_meta = None, {}
    if calibrated is not None:
        robust = robustness.across_finalists(
            found, base, calibrated, population, seed, draws=draws,
            replications=draw_replications, most=finalists, workers=workers,
            scheduler=scheduler, progress=progress)
        robust_meta = {"robustness": robust.meta(calibrated)}
    inputs = [path, *files] + ([posterior] if posterior is not None else [])
    with outputs.staged_folder(out, force=force, inputs=inputs) as staging:
        write_optimum(staging, path, base, found,
                      {"budget": amount, "budget_given": str(budget), "cost_today": today,
                       "currency": currency(base), "decide": list(decide),
                       "constraints": [c.label for c in limits],
                       "first_replications": first, "max_replications": most,
                       "precision": precision, "indifference": indifference,
                       "method": method, **results.provenance(population, seed), **checked,
                       **robust_meta},
                      written_as=out, emulated=emulated)
        if robust is not None:
            robustness.write_robustness(Path(staging), robust, calibrated)
    return found, out


def write_optimum(folder, path: Path, base, found: Optimum, meta: dict,
                  written_as: Path | None = None, emulated: Emulated | None = None) -> Path:
    """The optimise folder, fresh (tipkit.outputs.staged_folder stages it); best.yaml's
    `based_on` is relative to `written_as`, where the folder will be read (default: here).
    With the emulator's answer (`emulated`), emulated.csv: every option's emulated figures."""
    folder = results.fresh_folder(folder)
    method = meta.get("method", "exhaustive")
    if emulated is not None:
        outputs.write_csv(folder / "emulated.csv", emulated.table)
        meta = {**meta, "figures": FIGURES, "emulated": {
            "best": emulated.best, "best_changes": _changes(found.space, emulated.best),
            "identification_rate": emulated.rate, "ci_low": emulated.low,
            "ci_high": emulated.high, "finalists": [int(o) for o in emulated.finalists],
            "rounds": emulated.rounds, "design_settings": emulated.design_settings,
            "design_replications": emulated.design_replications}}
    outputs.write_csv(folder / "options.csv", found.options)
    outputs.write_csv(folder / "front.csv", found.front)
    outputs.write_csv(folder / "ranking.csv", found.ranking)
    outputs.write_csv(folder / "chosen.csv", found.chosen)
    if found.best is not None:
        outputs.write_text(folder / "best.yaml",
                           best_option_file(path, base, found, written_as or folder))
    if isinstance(base, NationalScenario):
        sources = base.sources()
        scenarios = {p.name: p.scenario for p in base.points}
        results.write_scenarios(folder, scenarios, {n: sources[n] for n in scenarios})
        sub = folder / "national"
        sub.mkdir(exist_ok=True)
        outputs.write_yaml(sub / "00.yaml", national_mapping(base))
        outputs.write_text(sub / "00.source.yaml", sources[base.name])
    else:
        results.write_scenarios(folder, {base.name: base}, {base.name: scenario_source(path)})
    space = found.space
    outputs.write_json(folder / results.RUN_FILE, {
        "kind": KIND, "scenarios": [base.name], "scenario_file": str(path),
        "national": isinstance(base, NationalScenario),
        "points": [p.name for p in space.points if p.name],
        "victim_weights": {p.name: p.weight for p in space.points if p.name},
        "options": int(len(space.choice)), "options_within": int(space.within.sum()),
        "best": found.best, "runner_up": found.runner_up, "today": found.today,
        "best_changes": _changes(space, found.best), "today_changes": _changes(space, found.today),
        "runner_up_changes": _changes(space, found.runner_up),
        "replications": found.replications, "option_replications": found.option_replications,
        "exhaustive_replications": found.exhaustive_replications,
        "point_simulations": found.point_simulations,
        "exhaustive_point_simulations": found.exhaustive_point_simulations,
        "stop": found.stop, "search": SEARCHES[method], **meta})
    return folder


def best_option_file(path: Path, base, found: Optimum, folder: Path, beside: bool = False
                     ) -> str:
    """The best option as a scenario file based on the one searched: `tipkit sim run` and
    `compare` read it where it is written (or, `beside`, saved beside the searched file)."""
    relative = path.name if beside else os.path.relpath(path.resolve(), folder.resolve())
    space = found.space
    where = f"save it beside {path.name}" if beside else "it is read where it was written"
    head = (f"# Question: which option, within the budget, identifies the most victims? The best\n"
            f"# option found by tipkit sim optimise from {path.name} ({where}); its values are\n"
            f"# the optimiser's choice (options of the search, not sources).\n")
    body: dict = {}
    if isinstance(base, NationalScenario):
        body = {"kind": "national", "based_on": relative, "name": f"{base.name}-best",
                "question": "The best option within the budget (tipkit sim optimise)",
                "set": {}}
        for i, p in enumerate(space.points):
            chosen = p.scenarios[int(space.choice[found.best, i])]
            original = base.point(p.name).scenario
            for key in changed_keys(original.to_mapping(), chosen.to_mapping()):
                if key.split(".")[0] not in ("victims", "name", "question"):
                    body["set"][f"{p.name}.{key}"] = _listed(get_dotted(chosen, key))
    else:
        chosen = space.points[0].scenarios[int(space.choice[found.best, 0])]
        body = {"based_on": relative, "name": f"{base.name}-best",
                "question": "The best option within the budget (tipkit sim optimise)"}
        for key in changed_keys(base.to_mapping(), chosen.to_mapping()):
            if key in ("name", "question"):
                continue
            node = body
            for part in key.split(".")[:-1]:
                node = node.setdefault(part, {})
            node[key.split(".")[-1]] = _listed(get_dotted(chosen, key))
    return head + yaml.safe_dump(body, sort_keys=False, allow_unicode=True)


def _changes(space, option) -> dict:
    return {} if option is None else {k: _plain(v) for k, v in space.changes(option).items()}


def _listed(value):
    return list(value) if isinstance(value, tuple) else value


def _plain(value):
    if isinstance(value, (np.generic,)):
        return value.item()
    return value
