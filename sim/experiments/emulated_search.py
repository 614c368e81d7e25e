"""The emulator-led search behind `tipkit sim optimise` (the default method): each crossing
point's KPIs learned by a Gaussian process over its own decided values from a few simulated
settings, the national best within the budget solved exactly as an integer program over the
points' settings, new simulations placed where the decision is still open, and the finalists
confirmed by simulation with ranking and selection (sim.experiments.optimise).

Why this works: the points of a national network are independent given their settings, and the
national identification rate is the victim-weighted sum of the points' rates, so the thousands
of options are combinations of a few dozen point settings; a point's KPIs move smoothly with its
officers and training. Every figure of the final answer is simulated (the confirmation); the
emulated figures (the early answer, emulated.csv) are marked as such, each with its interval.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy.optimize import Bounds, LinearConstraint, milp
from threadpoolctl import threadpool_limits

from tipkit.sim.experiments.decisions import WORST, Constraint, Space
from tipkit.sim.experiments.emulator import Box, Emulator, space_filling
from tipkit.sim.experiments.optimise import OBJECTIVE, Optimum, Simulations, optimise

Z = 1.96                  # two-sided 95%: the emulated intervals; and the optimistic bound
DESIGN_REPLICATIONS = 3   # replications of each design setting (common random numbers)
EARLY_REPLICATIONS = 2    # of each design setting, for the first (emulated) answer
FINALISTS = 6             # options the emulator hands to the confirmation (plus its optimist)
MOST_ROUNDS = 4           # rounds of sequential design before the confirmation


@dataclass
class PointModel:
    """One point's emulated KPIs at every one of its settings: mean and sd (settings x KPIs)."""
    kpis: list[str]
    mean: np.ndarray
    sd: np.ndarray

    def of(self, kpi: str) -> tuple[np.ndarray, np.ndarray]:
        j = self.kpis.index(kpi)
        return self.mean[:, j], self.sd[:, j]


@dataclass
class Emulated:
    """What the emulator said: its best option, that option's national identification rate
    (mean and 95% interval, emulated), the options it handed to the confirmation, the point
    settings simulated for it, and each option's emulated figures (`table`)."""
    best: int | None
    best_changes: dict
    cost: float                      # the best's cost a year (known exactly, not emulated)
    rate: float
    low: float
    high: float
    finalists: list[int]
    rounds: int
    design_settings: int
    design_replications: int
    table: pd.DataFrame = field(repr=False)


# ---- the emulators --------------------------------------------------------------------------

def setting_inputs(point) -> np.ndarray:
    """(settings, decided keys): each setting's decided values as numbers (a value that is not
    a number, e.g. a choice, by its place among the point's values)."""
    labels = list(point.changes[0])
    columns = []
    for label in labels:
        values = [change[label] for change in point.changes]
        try:
            columns.append([float(v) for v in values])
        except (TypeError, ValueError):
            order = list(dict.fromkeys(values))
            columns.append([float(order.index(v)) for v in values])
    return np.array(columns, dtype=float).T if labels else np.zeros((len(point.changes), 0))


def first_design(space: Space, size: int | None, seed: int) -> list[list[int]]:
    """Per point, the settings simulated first: today's (it is compared with the best anyway)
    and the ones nearest a space-filling design over the point's decided values."""
    today = space.choice[space.today] if space.today >= 0 else None
    chosen = []
    for i, p in enumerate(space.points):
        x = setting_inputs(p)
        n = len(p.scenarios)
        want = min(n, size or max(3, 3 * x.shape[1]))
        picks = [] if today is None else [int(today[i])]
        if x.shape[1] and want > len(picks):
            box = Box.of({str(j): (x[:, j].min(), x[:, j].max()) for j in range(x.shape[1])})
            unit = box.to_unit(x)
            # the extremes first: a curve is known between its ends far better than beyond them
            for j in range(x.shape[1]):
                for end in (np.argmin(unit[:, j]), np.argmax(unit[:, j])):
                    if len(picks) < want and int(end) not in picks:
                        picks.append(int(end))
            spread = box.to_unit(space_filling(box, want, np.random.SeedSequence([seed, i])))
            for u in spread:
                if len(picks) >= want:
                    break
                order = np.argsort(((unit - u) ** 2).sum(axis=1), kind="stable")
                picks.append(int(next(s for s in order if int(s) not in picks)))
        chosen.append(sorted(set(picks or [0])))
    return chosen


def point_kpis(constraints: list[Constraint]) -> list[str]:
    """The point KPIs the search needs: the objective and every constrained one."""
    kpis = [OBJECTIVE]
    for c in constraints:
        kpi = WORST[c.kpi][0] if c.kpi in WORST else c.kpi
        if kpi not in kpis:
            kpis.append(kpi)
    return kpis


def fit_points(sims: Simulations, kpis: list[str], simulated: list[set], n: int, seed: int
               ) -> list[PointModel]:
    """Each point's emulators from its simulated settings (replications 0..n-1), predicted at
    every setting. A point with one simulated setting (or one setting) keeps that setting's
    mean and standard error."""
    models = []
    for i, p in enumerate(sims.space.points):
        x_all = setting_inputs(p)
        done = sorted(simulated[i])
        series = {k: sims.point_series(i, np.array(done), k, n) for k in kpis}
        means = np.column_stack([np.nanmean(series[k], axis=1) for k in kpis])
        # each setting's noise: the variance of a mean of n replications, pooled over the
        # point's settings (on common random numbers their spreads are alike, and a few
        # replications estimate one setting's badly)
        variance = np.column_stack([np.nanvar(series[k], axis=1, ddof=1) for k in kpis])
        pooled = np.nanmean(np.where(np.isfinite(variance), variance, np.nan), axis=0)
        noise = np.tile(np.where(np.isfinite(pooled), pooled, 0.0) / n, (len(done), 1))
        if len(done) < 2 or x_all.shape[1] == 0:
            mean = np.tile(means[0], (len(p.scenarios), 1))
            sd = np.tile(np.sqrt(noise[0]), (len(p.scenarios), 1))
            # settings never simulated are unknown: an infinite sd keeps them open
            unknown = np.ones(len(p.scenarios), bool)
            unknown[done] = False
            sd[unknown] = np.inf
            models.append(PointModel(kpis, mean, sd))
            continue
        box = Box.of({str(j): (x_all[:, j].min(), x_all[:, j].max())
                      for j in range(x_all.shape[1])})
        mean = np.empty((len(p.scenarios), len(kpis)))
        sd = np.empty_like(mean)
        for j, kpi in enumerate(kpis):
            ok = np.isfinite(means[:, j])
            if ok.sum() < 2:      # a KPI undefined at the settings run: nothing to learn
                mean[:, j], sd[:, j] = np.nan, np.inf
                continue
            emulator = Emulator.fit(box, x_all[done][ok], means[ok, j], [kpi],
                                    noise=noise[ok, j:j + 1], seed=seed)
            m, s = emulator.predict(x_all)
            # on common random numbers a point's settings share their replications' luck: the
            # GP cannot average that shift away, so it stays in the sd
            mean[:, j], sd[:, j] = m[:, 0], np.sqrt(s[:, 0] ** 2 + noise[0, j])
        models.append(PointModel(kpis, mean, sd))
    return models


# ---- the exact combination across points ------------------------------------------------------

def allowed_settings(space: Space, models: list[PointModel], constraints: list[Constraint],
                     optimism: float) -> list[np.ndarray]:
    """Per point, the settings whose emulated KPIs keep every constraint at that point, judged
    by the mean moved `optimism` sds in the constraint's favour (0: by the mean). A national
    worst-point limit holds at every point (the worst point's mean is the binding one)."""
    out = []
    for i, p in enumerate(space.points):
        ok = np.ones(len(p.scenarios), bool)
        for c in constraints:
            if c.point not in ("*", None) and c.point != p.name:
                continue
            mean, sd = models[i].of(WORST[c.kpi][0] if c.kpi in WORST else c.kpi)
            slack = np.where(np.isfinite(sd), optimism * sd, np.inf if optimism > 0 else 0.0)
            with np.errstate(invalid="ignore"):
                meets = (mean - slack <= c.limit) if c.at_most else (mean + slack >= c.limit)
            ok &= meets | (np.isnan(mean) & (optimism > 0))
        out.append(ok)
    return out


def best_combinations(values: list[np.ndarray], costs: list[np.ndarray],
                      allowed: list[np.ndarray], budget: float,
                      totals: list[tuple[list[np.ndarray], float, bool]], k: int
                      ) -> list[tuple[int, ...]]:
    """The k combinations (one setting per point) with the highest summed value within the
    budget, the totals' limits (per point, each setting's amount; the limit; at most) and the
    allowed settings, best first, of equal value the cheapest: an integer program (HiGHS,
    through scipy's milp), one binary per point setting, re-solved with each answer cut off."""
    sizes = [len(v) for v in values]
    offsets = np.concatenate([[0], np.cumsum(sizes)])
    n = int(offsets[-1])
    value = np.concatenate(values)
    cost = np.concatenate(costs).astype(float)
    finite = np.isfinite(value)
    spread = max(float(np.ptp(value[finite])) if finite.any() else 1.0, 1e-12)
    # of equal value the cheaper: a tie-break far below any difference in value
    scale = max(float(cost.max() - cost.min()), 1.0)
    objective = -(np.where(finite, value, 0.0) - 1e-7 * spread * (cost - cost.min()) / scale)
    upper = np.concatenate([np.where(a & np.isfinite(v), 1.0, 0.0)
                            for a, v in zip(allowed, values)])
    rows, low, high = [], [], []
    for i in range(len(sizes)):
        row = np.zeros(n)
        row[offsets[i]:offsets[i + 1]] = 1
        rows.append(row), low.append(1), high.append(1)
    rows.append(cost), low.append(-np.inf), high.append(budget + 1e-6)
    for amounts, limit, at_most in totals:
        rows.append(np.concatenate(amounts).astype(float))
        low.append(-np.inf if at_most else limit - 1e-9)
        high.append(limit + 1e-9 if at_most else np.inf)
    found = []
    for _ in range(k):
        result = milp(objective, integrality=np.ones(n), bounds=Bounds(0, upper),
                      constraints=LinearConstraint(np.array(rows), low, high))
        if result.status != 0 or result.x is None:
            break
        pick = tuple(int(np.argmax(result.x[offsets[i]:offsets[i + 1]]))
                     for i in range(len(sizes)))
        found.append(pick)
        cut = np.zeros(n)
        for i, s in enumerate(pick):
            cut[offsets[i] + s] = 1
        rows.append(cut), low.append(-np.inf), high.append(len(sizes) - 1)
    return found


def option_of(space: Space, pick) -> int:
    index = 0
    for p, s in zip(space.points, pick):
        index = index * len(p.scenarios) + int(s)
    return index


def total_amounts(space: Space, totals: list[Constraint]):
    """Each total constraint as (per point, each setting's amount of the decided key; limit;
    at most), as decision_space adds them up."""
    out = []
    for c in totals:
        amounts = [np.array([float(ch.get(f"{p.name}.{c.kpi}" if p.name else c.kpi, 0))
                             for ch in p.changes]) for p in space.points]
        out.append((amounts, c.limit, c.at_most))
    return out


# ---- the search -------------------------------------------------------------------------------

def emulated_optimise(base, space: Space, population, seed: int,
                      constraints: list[Constraint], *, first: int = 10, most: int = 320,
                      indifference: float = 0.005, precision: float = 0.05,
                      alpha: float = 0.05, workers=None, scheduler=None, progress=None,
                      early=None, design_size: int | None = None,
                      design_replications: int = DESIGN_REPLICATIONS,
                      finalists: int = FINALISTS) -> tuple[Optimum, Emulated]:
    """The best option within the budget (see the module's docstring): the Optimum of the
    confirmation (every figure simulated, the counts over the whole space) and what the
    emulator said. `early` is called with the emulator's first answer, before any
    confirmation. Pure of I/O: callable once per posterior draw."""
    sims = Simulations(space, population, seed,
                       {"workers": workers, "scheduler": scheduler, "progress": progress})
    answer = emulate(sims, constraints, seed, early=early, design_size=design_size,
                     design_replications=design_replications, finalists=finalists)
    found = confirm(base, sims, answer, constraints, first=first, most=most,
                    indifference=indifference, precision=precision, alpha=alpha)
    return found, answer


def emulate(sims: Simulations, constraints: list[Constraint], seed: int, *, early=None,
            then=None, design_size: int | None = None,
            design_replications: int = DESIGN_REPLICATIONS,
            finalists: int = FINALISTS) -> Emulated:
    """Sequential design: simulate a space-filling set of each point's settings, learn the
    points' KPIs, solve the national best (and the runners-up, and the best of the optimistic
    bounds) exactly, simulate the settings those options use that were not yet simulated, and
    again, until the finalists' settings are all simulated (or MOST_ROUNDS). `early` gets the
    first answer (one replication of each design setting); `then` is called after it, before
    the rest of the design (e.g. the warm-up check, whose replications the design reuses)."""
    space = sims.space
    totals = total_amounts(space, [c for c in constraints if c.point == "total"])
    limits = [c for c in constraints if c.point != "total"]
    kpis = point_kpis(limits)
    n = design_replications
    simulated = [set() for _ in space.points]
    todo = first_design(space, design_size, seed)
    if early is not None:
        # a first answer from two replications of each design setting (the design's own
        # first two): early, rough, marked emulated with its interval
        sims.ensure_settings(todo, EARLY_REPLICATIONS)
        with threadpool_limits(limits=1):
            models = fit_points(sims, kpis, [set(t) for t in todo], EARLY_REPLICATIONS, seed)
        early(_emulated_answer(space, models, limits, totals, finalists, 0,
                               [set(t) for t in todo], EARLY_REPLICATIONS))
    if then is not None:
        then()
    rounds = 0
    while True:
        sims.ensure_settings(todo, n)
        for i, settings in enumerate(todo):
            simulated[i].update(settings)
        rounds += 1
        # BLAS threads cost these small GPs ~8x their work (bench: 0.30 s of CPU a fit, 0.04 s
        # on one thread), while the cores are the simulation's
        with threadpool_limits(limits=1):
            models = fit_points(sims, kpis, simulated, n, seed)
        answer = _emulated_answer(space, models, limits, totals, finalists, rounds,
                                  simulated, n)
        picks = [space.choice[o] for o in answer.finalists]
        todo = [sorted({int(c[i]) for c in picks} - simulated[i])
                for i in range(len(space.points))]
        if not any(todo) or rounds >= MOST_ROUNDS:
            return answer


def confirm(base, sims: Simulations, answer: Emulated, constraints: list[Constraint], *,
            first: int = 10, most: int = 320, indifference: float = 0.005,
            precision: float = 0.05, alpha: float = 0.05) -> Optimum:
    """Ranking and selection (sim.experiments.optimise, topping up a point's queue constraint
    alone) over the emulator's finalists and today: every figure of the answer simulated;
    the counts it reports are over the whole space."""
    space = sims.space
    within = np.zeros(len(space.choice), bool)
    within[answer.finalists] = True
    if space.today >= 0:          # the answer compares the best with today
        within[space.today] = True
    within &= space.within
    if not within.any():          # nothing the emulator finds feasible: let R&S say so
        within = space.within.copy()
    narrowed = dataclasses.replace(space, within=within)
    sims.space = narrowed
    try:
        found = optimise(base, narrowed, sims.population, sims.seed, constraints, first=first,
                         most=most, indifference=indifference, precision=precision,
                         alpha=alpha, simulations=sims, top_up=True, **{
                             k: v for k, v in sims.where.items()})
    finally:
        sims.space = space
    n_end = found.replications
    exhaustive_points = sum(len(np.unique(space.choice[space.within][:, i]))
                            for i in range(len(space.points))) * n_end
    return dataclasses.replace(
        found, space=space, exhaustive_replications=int(space.within.sum()) * n_end,
        exhaustive_point_simulations=exhaustive_points, point_simulations=sims.simulated)


def _emulated_answer(space, models, limits, totals, finalists, rounds, simulated, n
                     ) -> Emulated:
    weights = [p.weight for p in space.points]
    rate = [w * m.of(OBJECTIVE)[0] for w, m in zip(weights, models)]
    rate_sd = [w * m.of(OBJECTIVE)[1] for w, m in zip(weights, models)]
    costs = [p.cost for p in space.points]
    by_mean = allowed_settings(space, models, limits, 0.0)
    top = best_combinations(rate, costs, by_mean, space.budget, totals, finalists)
    optimist = [np.where(np.isfinite(s), r + Z * s, np.nanmax(r) + 1.0)
                for r, s in zip(rate, rate_sd)]
    hopeful = best_combinations(optimist, costs, allowed_settings(space, models, limits, Z),
                                space.budget, totals, 1)
    chosen = [option_of(space, pick) for pick in top]
    for pick in hopeful:
        if option_of(space, pick) not in chosen:
            chosen.append(option_of(space, pick))
    best = chosen[0] if top else None
    if best is not None:
        c = space.choice[best]
        mean = float(sum(r[c[i]] for i, r in enumerate(rate)))
        sd = float(math.sqrt(sum(s[c[i]] ** 2 for i, s in enumerate(rate_sd))))
    else:
        mean = sd = math.nan
    table = _emulated_table(space, models, limits, weights, chosen)
    return Emulated(best, {} if best is None else space.changes(best),
                    math.nan if best is None else float(space.cost[best]),
                    mean, mean - Z * sd, mean + Z * sd, chosen, rounds,
                    sum(len(s) for s in simulated), n, table)


def _emulated_table(space, models, limits, weights, finalists) -> pd.DataFrame:
    """Every option within the budget and the totals: its emulated national identification
    rate (mean, 95% interval), whether it keeps the constraints by the emulated means, and
    whether it went on to the confirmation."""
    within = np.flatnonzero(space.within)
    choice = space.choice[within]
    mean = sum(w * m.of(OBJECTIVE)[0][choice[:, i]]
               for i, (w, m) in enumerate(zip(weights, models)))
    var = sum((w * m.of(OBJECTIVE)[1][choice[:, i]]) ** 2
              for i, (w, m) in enumerate(zip(weights, models)))
    ok = np.ones(len(within), bool)
    for i, allowed in enumerate(allowed_settings(space, models, limits, 0.0)):
        ok &= allowed[choice[:, i]]
    sd = np.sqrt(var)
    table = pd.DataFrame({"option": within, "cost_per_year": space.cost[within],
                          "identification_rate_emulated": mean,
                          "emulated_ci_low": mean - Z * sd, "emulated_ci_high": mean + Z * sd,
                          "meets_constraints_emulated": ok,
                          "confirmed_by_simulation": np.isin(within, finalists)})
    return table.sort_values(["identification_rate_emulated", "option"],
                             ascending=[False, True]).reset_index(drop=True)


def reuse(sims: Simulations, kept: dict) -> int:
    """Replications already run elsewhere (the warm-up check's, by point configuration:
    (scenario, legs, seed)) taken as the point settings' own; how many were taken."""
    taken = 0
    for i, p in enumerate(sims.space.points):
        for s, scenario in enumerate(p.scenarios):
            rows = kept.get((scenario, p.population, p.seed))
            if rows:
                have = sims.results.setdefault((i, s), {})
                new = {r: k for r, k in rows.items() if r not in have}
                have.update(new)
                taken += len(new)
    return taken


def planned_work(space: Space, *, first: int, design_size: int | None = None,
                 design_replications: int = DESIGN_REPLICATIONS,
                 finalists: int = FINALISTS) -> list[tuple]:
    """What the emulator-led search will likely simulate, as (scenario, replications) pairs
    for the estimate before the run: the first design, and the confirmation's first stage on
    today's and about half the finalists' settings at each point (they share most points)."""
    design = first_design(space, design_size, 0)
    today = space.choice[space.today] if space.today >= 0 else None
    work = []
    for i, p in enumerate(space.points):
        for s in design[i]:
            work.append((p.scenarios[s], design_replications))
        confirmed = min(len(p.scenarios), 1 + finalists // 2)
        scenario = p.scenarios[int(today[i])] if today is not None else p.scenarios[0]
        work.append((scenario, confirmed * max(first - design_replications, 0)))
    return work
