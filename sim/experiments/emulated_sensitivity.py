"""Global sensitivity through the emulator: every option simulated at a space-filling design of
assumption sets on the same days, one Gaussian process learned per outcome, and on those
emulators the Morris elementary effects (SALib) and the share of the assumption space where the
options' ranking holds, each with an interval that carries the emulator's own uncertainty.

Why: Morris on the simulation needs r(D+1) simulated points (200 for 23 assumptions and 8
trajectories) and its indices still wobble with which trajectories were drawn; the outcomes move
smoothly with the assumptions, so a GP learns them from a third as many points, after which any
number of trajectories costs milliseconds. Simulated, not emulated: the ranking with every
assumption as written, chance's yardstick (the spread of those runs), the costs' swings, and the
ranking at each simulated assumption set.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.stats import chi2, qmc

from tipkit.errors import UserError
from tipkit.sim.experiments import sensitivity as morris_method
from tipkit.sim.experiments.emulator import Box, Emulator, space_filling
from tipkit.sim.experiments.replications import Job, execute
from tipkit.sim.experiments.sensitivity import (CHANCE, GAIN, LEVELS, RANKED_KPI,
                                                GlobalSensitivity, Plan, cost_swings, outcomes,
                                                ranking_holds, simulate_points)
from tipkit.sim.model.scenario import Scenario

METHOD = ("Morris elementary effects (SALib) on Gaussian-process emulators (scikit-learn) "
          "learned from a space-filling design of simulated assumption sets")
POINTS_PER_FACTOR = 4        # simulated assumption sets per varied assumption (with at least
MIN_POINTS = 40              # MIN_POINTS): enough to rank the few assumptions that matter;
                             # with fewer, a GP's length scales may learn the days' noise (a
                             # flat assumption found to matter)
NOMINAL_REPLICATIONS = 10    # the assumptions as written: the ranking and chance's yardstick
TRAJECTORIES = 500           # Morris trajectories on the emulators (they cost no simulation,
                             # and fewer leave mu* wobbling with which ones were drawn)
DRAWN_TRAJECTORIES = 100     # of which those whose effects are drawn from the posterior
DRAWS = 300                  # draws from the emulators' posterior for each effect's interval
BOOTSTRAP = 300              # SALib's resamples of the trajectories (their share of the interval)
SHARE_POINTS = 4000          # assumption sets at which the emulated ranking is judged
DELTA = LEVELS / (2 * (LEVELS - 1))   # SALib's Morris step, on the unit scale
_TAG = 0x656D756C61746F72    # keeps these random streams apart from the others


@dataclass
class EmulatedPlan(Plan):
    """A design of `design_points` assumption sets (a Latin hypercube, point 0 every assumption
    as written), each option run at each on the same `replications` days."""
    design_points: int = 0

    @property
    def runs(self) -> int:
        return (self.design_points * self.replications
                + self.nominal_replications) * len(self.scenarios)

    def point_replications(self, point: int) -> tuple[int, ...]:
        """The same days at every point and for every option (common random numbers), so that
        the emulator sees how the outcomes move with the assumptions, not with the days."""
        return tuple(range(self.nominal_replications if point == 0 else self.replications))


def default_points(varied: int) -> int:
    return max(MIN_POINTS, POINTS_PER_FACTOR * varied)


def plan(scenarios: dict[str, Scenario], sources: dict[str, str], *, points: int | None = None,
         replications: int = 1, seed: int = 1,
         nominal_replications: int = NOMINAL_REPLICATIONS, trajectories: int = TRAJECTORIES,
         check=None) -> EmulatedPlan:
    """The factors (as `sensitivity.assumption_factors` finds them) and the design: point 0
    every assumption as written (run with `nominal_replications`), then `points` assumption
    sets spread over the ranges (default: POINTS_PER_FACTOR per varied assumption). `check`
    sees the plan once its size is known, before the design is drawn."""
    if replications < 1:
        raise UserError("--replications must be at least 1")
    if nominal_replications < 2:
        raise UserError("the runs with every assumption as written need at least 2 "
                        "replications (chance's yardstick is their spread)")
    if trajectories < 2:
        raise UserError("the emulated Morris screening needs at least 2 trajectories")
    factors = morris_method.assumption_factors(scenarios, sources)
    varied = [f for f in factors if f.varied]
    if not varied:
        raise UserError("no value these scenarios mark as an assumption can be varied: mark "
                        "probabilities, rates or durations with # assumption")
    count = default_points(len(varied)) if points is None else points
    if count < 4:
        raise UserError("--points must be at least 4 (an emulator needs a few simulated "
                        "assumption sets)")
    p = EmulatedPlan(dict(scenarios), factors, pd.DataFrame(), replications, seed, trajectories,
                     nominal_replications, design_points=count)
    if check is not None:
        check(p)
    box = _box(p)
    sets = space_filling(box, count, np.random.SeedSequence([seed, _TAG, 0]))
    nominal = np.array([[float(f.nominal) for f in varied]])
    design = pd.DataFrame(np.vstack([nominal, sets]), columns=list(box.names))
    design.insert(0, "point", range(len(design)))
    p.design = design
    return p


def _box(p: Plan) -> Box:
    return Box.of({f.key: (f.low, f.high) for f in p.varied})


@dataclass
class EmulatedSensitivity(GlobalSensitivity):
    """A global sensitivity answered on emulators: `indices` says which figures are emulated
    (the effects) and which simulated (chance's); `share` is the emulated share of the
    assumption space where the ranking holds, with its interval; `checks` how well each
    emulator predicts the simulations it was not shown (leave-one-out)."""
    share: dict | None = None
    checks: pd.DataFrame | None = None

    def sentence(self) -> str:
        return morris_method.summary_sentence(self.indices, self.ranking, self.held,
                                              self.judged, next(iter(self.plan.scenarios)),
                                              self.costs, emulated=self.share)

    def describe(self) -> dict:
        p = self.plan
        return {"method": METHOD, "method_key": "emulated", "levels": LEVELS,
                "trajectories": p.trajectories, "points": p.design_points,
                "emulated": self.share}


def run(p: EmulatedPlan, population, **where) -> EmulatedSensitivity:
    """Simulate the design, then learn one emulator per outcome and answer on it, one outcome
    per task on the same workers (`where` is `execute`'s: workers, scheduler, progress)."""
    replications, points = simulate_points(p, population, **where)
    names = list(p.scenarios)
    ranking, held, judged = ranking_holds(points, names)
    same_days = (replications[replications.replication < p.replications]
                 .groupby(["point", "scenario"], sort=False)
                 .mean(numeric_only=True).reset_index().drop(columns="replication"))
    found = outcomes(same_days, names)
    steps, order = _ranking_steps(same_days, ranking, names[0])
    learned = _learn_all(p, {**found, **steps}, {key for key, _ in order}, where)
    share = ranking_share([(learned[key]["share"], sign) for key, sign in order])
    share["points"] = p.design_points
    chance = _chance(p, replications, names)
    indices = _indices(p, {k: learned[k]["effects"] for k in found}, chance)
    checks = pd.DataFrame([learned[key]["check"] for key in found])
    return EmulatedSensitivity(p, replications, points, indices, ranking, held, judged,
                               cost_swings(p, replications), share, checks)


def _ranking_steps(points: pd.DataFrame, ranking: list[str], baseline: str
                   ) -> tuple[dict, list]:
    """Each scenario's identification minus the next one's in the ranking as written: the
    ranking holds where no step is below zero. A step from or to the baseline is an option's
    gain (or its negative), already learned; the others are returned to be learned too.
    `order`: every step as (the outcome to read, its sign)."""
    table = points.pivot(index="point", columns="scenario", values=RANKED_KPI)
    steps, order = {}, []
    for a, b in zip(ranking, ranking[1:]):
        if b == baseline:
            order.append(((GAIN, a), 1.0))
        elif a == baseline:
            order.append(((GAIN, b), -1.0))
        else:
            key = ("ranking_step", f"{a}>{b}")
            steps[key] = (table[a] - table[b]).to_numpy(dtype=float)
            order.append((key, 1.0))
    return steps, order


def _learn_all(p: EmulatedPlan, values: dict, judged: set, where: dict) -> dict:
    """Every outcome's emulator, its Morris effects, its leave-one-out check and (for those in
    `judged`) its predictions where the ranking's share is judged, each a task of `execute`
    (so local processes or Dask, and Ctrl-C, as for the simulations); the results depend on
    the seed only, never on where they ran."""
    varied = p.varied
    problem = {"num_vars": len(varied), "names": [f.key for f in varied],
               "bounds": [[f.low, f.high] for f in varied]}
    from SALib.sample import morris as morris_sample

    rng = np.random.default_rng(np.random.SeedSequence([p.seed, _TAG, 2]))
    sample = morris_sample.sample(problem, p.trajectories, num_levels=LEVELS, seed=rng)
    box = _box(p)
    share_rng = np.random.default_rng(np.random.SeedSequence([p.seed, _TAG, 3]))
    sets = box.from_unit(qmc.LatinHypercube(d=len(box.names), rng=share_rng)
                         .random(SHARE_POINTS))
    shared = {"box": box, "problem": problem, "sample": sample, "sets": sets,
              "x": p.design[list(box.names)].to_numpy(dtype=float), "seed": p.seed,
              "values": values, "judged": judged}
    jobs = [Job(i, None, (0,)) for i in range(len(values))]
    where = {k: v for k, v in where.items() if k != "progress"}
    done = execute(jobs, shared, p.seed, task=_outcome_task, **where)
    return {key: done[i][0] for i, key in enumerate(values)}


def _outcome_task(job: Job, shared: dict, seed: int):
    """One outcome: learn its GP, compute its effects, check it (a task for `execute`)."""
    from threadpoolctl import threadpool_limits

    key = list(shared["values"])[job.key]
    y = shared["values"][key]
    # one BLAS thread: the GPs' matrices are small, and threads fighting over two cores made
    # a fit eight times slower than one thread alone
    with threadpool_limits(1):
        emulator = _learn(shared["box"], shared["x"], y, key, seed, job.key)
        rng = np.random.default_rng(np.random.SeedSequence([seed, _TAG, 4, job.key]))
        found = {"effects": _emulated_effects(emulator, shared["problem"], shared["sample"],
                                              rng),
                 "check": _check(key, emulator), "share": None}
        if key in shared["judged"]:
            found["share"] = (None if emulator is None else
                              (np.full(len(shared["sets"]), emulator.value),
                               np.zeros(len(shared["sets"])))
                              if isinstance(emulator, _Flat) else
                              emulator.predict_one(emulator.outputs[0], shared["sets"]))
    return job.key, {0: found}


def _learn(box: Box, x: np.ndarray, y: np.ndarray, key, seed: int, index: int
           ) -> Emulator | None:
    """A GP of one outcome from the design points where it is defined (None with too few)."""
    keep = np.isfinite(y)
    if keep.sum() < 4 or np.ptp(y[keep]) == 0:
        return _Flat(float(y[keep][0])) if keep.sum() and np.ptp(y[keep]) == 0 else None
    state = int(np.random.SeedSequence([seed, _TAG, 1, index]).generate_state(1)[0])
    return Emulator.fit(box, x[keep], y[keep][:, None], [_name(key)], seed=state, restarts=0)


class _Flat:
    """An outcome that did not move at any simulated point (e.g. a desk wait that victims'
    numbers cannot change): every effect on it is zero."""
    def __init__(self, value: float):
        self.value = value


def _name(key) -> str:
    return "/".join(key)


def _emulated_effects(emulator, problem: dict, sample: np.ndarray,
                      rng: np.random.Generator) -> dict:
    """mu*, its 95% half-width, mu and sigma of every varied assumption, from Morris
    trajectories (`sample`) on one outcome's emulator (SALib). The half-width joins SALib's
    bootstrap over trajectories with the emulator's own uncertainty (the spread of mu* over
    draws of the GP's posterior at the first DRAWN_TRAJECTORIES trajectories)."""
    from SALib.analyze import morris

    factors = problem["num_vars"]
    if emulator is None or isinstance(emulator, _Flat):
        value = math.nan if emulator is None else 0.0
        return {name: np.full(factors, value) for name in ("mu_star", "half", "mu", "sigma")}
    name = emulator.outputs[0]
    mean = emulator.predict_one(name, sample)[0]
    result = morris.analyze(problem, sample, mean, num_resamples=BOOTSTRAP, conf_level=0.95,
                            num_levels=LEVELS, seed=rng)
    drawn = sample[:DRAWN_TRAJECTORIES * (factors + 1)]
    pairs = _steps(drawn, factors)
    spread = np.array([_mu_star_sd(emulator, name, drawn, pairs[i], rng)
                       for i in range(factors)])
    conf = np.asarray(result["mu_star_conf"], dtype=float)
    return {"mu_star": np.asarray(result["mu_star"], dtype=float),
            "half": np.sqrt(conf ** 2 + (1.96 * spread) ** 2),
            "mu": np.asarray(result["mu"], dtype=float),
            "sigma": np.asarray(result["sigma"], dtype=float)}


def _steps(sample: np.ndarray, factors: int) -> list[tuple[np.ndarray, np.ndarray]]:
    """For each factor, the rows of every trajectory's step in it: (low rows, high rows)."""
    size = factors + 1
    low = [[] for _ in range(factors)]
    high = [[] for _ in range(factors)]
    for start in range(0, len(sample), size):
        for k in range(start, start + factors):
            moved = int(np.argmax(np.abs(sample[k + 1] - sample[k])))
            up = sample[k + 1, moved] > sample[k, moved]
            low[moved].append(k if up else k + 1)
            high[moved].append(k + 1 if up else k)
    return [(np.array(lo), np.array(hi)) for lo, hi in zip(low, high)]


def _mu_star_sd(emulator: Emulator, name: str, sample: np.ndarray,
                rows: tuple[np.ndarray, np.ndarray], rng: np.random.Generator) -> float:
    """The sd of one factor's mu* over draws of the emulator's posterior: its elementary
    effects drawn jointly (they share the GP), mu* of each draw."""
    low, high = rows
    mean, cov = emulator.joint(name, sample[np.concatenate([low, high])])
    t = len(low)
    effect = (mean[t:] - mean[:t]) / DELTA
    cov_effect = (cov[t:, t:] + cov[:t, :t] - cov[:t, t:] - cov[t:, :t]) / DELTA ** 2
    values, vectors = np.linalg.eigh((cov_effect + cov_effect.T) / 2)
    root = vectors * np.sqrt(np.clip(values, 0, None))
    draws = effect + rng.standard_normal((DRAWS, t)) @ root.T
    return float(np.abs(draws).mean(axis=1).std(ddof=1))


def ranking_share(steps: list) -> dict:
    """The share of SHARE_POINTS assumption sets spread over the ranges (a Latin hypercube)
    where the emulators say the ranking as written holds (no step below zero), and the shares
    where it holds even at each step's lower or upper 95% bound (the interval). `steps`: each
    step's (mean, sd) at those sets, or None, with the sign it enters with."""
    if not steps or any(s is None for s, _ in steps):      # one scenario, or none to judge
        return {"share": None, "sure": None, "possible": None}
    holds = sure = possible = True
    for (mean, sd), sign in steps:
        mean = sign * mean
        holds = holds & (mean >= 0)
        sure = sure & (mean - 1.96 * sd >= 0)
        possible = possible & (mean + 1.96 * sd >= 0)
    return {"share": float(np.mean(holds)), "sure": float(np.mean(sure)),
            "possible": float(np.mean(possible))}


def _chance(p: EmulatedPlan, replications: pd.DataFrame, names: list[str]) -> dict:
    """Chance's yardstick for each outcome, simulated: the mu* a factor that only changes
    which days are drawn would have (E|mean of r days - mean of r other days| / Morris step),
    from the spread of the runs with every assumption as written; its 95% interval from the
    chi-square interval of that spread."""
    nominal = replications[replications.point == 0]
    by = {n: nominal[nominal.scenario == n].sort_values("replication") for n in names}
    values = {}
    for name in names[1:]:
        values[(GAIN, name)] = (by[name][RANKED_KPI].to_numpy(float)
                                - by[names[0]][RANKED_KPI].to_numpy(float))
    for name in names:
        for kpi in morris_method.HEADLINE:
            values[(kpi, name)] = by[name][kpi].to_numpy(float)
    scale = math.sqrt(2 / math.pi) * math.sqrt(2 / p.replications) / DELTA
    found = {}
    for key, v in values.items():
        v = v[np.isfinite(v)]
        if len(v) < 2:
            found[key] = (math.nan, math.nan, math.nan)
            continue
        sd, df = float(np.std(v, ddof=1)), len(v) - 1
        found[key] = (scale * sd, scale * sd * math.sqrt(df / chi2.ppf(0.975, df)),
                      scale * sd * math.sqrt(df / chi2.ppf(0.025, df)))
    return found


def _indices(p: EmulatedPlan, effects: dict, chance: dict) -> pd.DataFrame:
    """indices.csv as the Morris method writes it, with `figure`: emulated or simulated."""
    factors = p.design_factors
    rows = []
    for (outcome, scenario), e in effects.items():
        c = chance[(outcome, scenario)]
        mu_star = np.append(e["mu_star"], c[0])
        order = np.argsort(-np.nan_to_num(mu_star, nan=-1.0), kind="stable")
        rank = np.empty(len(factors), dtype=int)
        rank[order] = np.arange(1, len(factors) + 1)
        for i, f in enumerate(factors):
            if f.key == CHANCE:
                low, high, mu, sigma, figure = c[1], c[2], 0.0, math.nan, "simulated"
            else:
                low = max(0.0, e["mu_star"][i] - e["half"][i])
                high = e["mu_star"][i] + e["half"][i]
                mu, sigma, figure = e["mu"][i], e["sigma"][i], "emulated"
            rows.append({"outcome": outcome, "scenario": scenario, "factor": f.key,
                         "label": f.label, "mu_star": mu_star[i], "mu_star_low": low,
                         "mu_star_high": high, "mu": mu, "sigma": sigma,
                         "rank": int(rank[i]), "trajectories": p.trajectories,
                         "figure": figure})
    return pd.DataFrame(rows)


def _check(key, emulator) -> dict:
    """How well an emulator predicts each simulated assumption set from the others: Q2 (1 is
    perfect, 0 no better than the mean) and the share inside its 95% interval."""
    outcome, scenario = key
    if emulator is None or isinstance(emulator, _Flat):
        return {"outcome": outcome, "scenario": scenario, "points": 0, "q2": math.nan,
                "covered": math.nan}
    name = emulator.outputs[0]
    y, fitted, sd = emulator.leave_one_out(name)
    error = y - fitted
    return {"outcome": outcome, "scenario": scenario, "points": len(y),
            "q2": float(1 - (error ** 2).sum() / ((y - y.mean()) ** 2).sum()),
            "covered": float((np.abs(error) <= 1.96 * sd).mean())}
