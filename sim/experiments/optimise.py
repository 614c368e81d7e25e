"""What to buy, and where: the option within a budget that identifies the most victims while
every queue constraint holds, found by simulation with ranking and selection.

Why ranking and selection over every option within the budget, rather than a black-box search
(Optuna, pymoo): the budget is known before any simulation (costs are a function of the
scenario), so the options within it can be listed; common random numbers make paired
comparisons precise, so most options are dropped after a few replications as clearly worse than
a clearly feasible one, and only the contenders get more. The answer then comes with what a
policymaker needs: how sure the ranking is (the best minus the runner-up, paired 95% CI), which a
noisy black-box search does not give. In a national network a point's replications depend only
on its own settings, so each point setting is simulated once, whatever the number of options
that combine it.

The procedure (screen and double, after Nelson et al. 2001): every option gets `first`
replications; at each stage an option is dropped when it is clearly worse than the best clearly
feasible option (one-sided paired t-bound, Bonferroni over the options left) or clearly breaks a
constraint; the others get twice the replications, until the ranking is settled (one option
left, or none left could beat the best by more than `indifference`) and the best's own 95%
interval is within `precision` of its mean, or the replications reach `most`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats as _scipy_stats

from tipkit.errors import UserError
from tipkit.sim.experiments.replications import Job, execute
from tipkit.sim.experiments.stats import relative_half_width, t_interval
from tipkit.sim.experiments.cost_effectiveness import fieller, money
from tipkit.sim.experiments.decisions import WORST, Constraint, Space, currency
from tipkit.sim.model.costs import DAYS_A_YEAR

OBJECTIVE = "identification_rate"


# ---- simulations of point settings ------------------------------------------------------------

@dataclass
class Simulations:
    """Replications of each point setting run so far; a setting shared by many options runs
    once. `simulated` counts point replications actually simulated."""
    space: Space
    population: Any                  # a VictimPopulation, or a network's legs by key
    seed: int
    where: dict
    results: dict = field(default_factory=dict)    # (point, setting) -> {replication: kpis}
    simulated: int = 0
    # a point's own constraint is judged on every replication its setting has (topped up
    # alone, see `optimise(top_up=...)`), not only the options' common 0..n-1
    own_replications: bool = False

    def ensure(self, options: np.ndarray, n: int) -> None:
        """Replications 0..n-1 of every setting these options use."""
        self.ensure_settings([np.unique(self.space.choice[options, i]).tolist()
                              for i in range(len(self.space.points))], n)

    def ensure_settings(self, settings: list[list[int]], n: int) -> None:
        """Replications 0..n-1 of the listed settings of each point, in one batch."""
        jobs = []
        for i, p in enumerate(self.space.points):
            for setting in settings[i]:
                have = self.results.setdefault((i, setting), {})
                missing = tuple(r for r in range(n) if r not in have)
                if missing:
                    jobs.append(Job((i, setting), p.scenarios[setting], missing,
                                    population=p.population, seed=p.seed))
        if not jobs:
            return
        done = execute(jobs, self.population, self.seed, **self.where)
        for key, rows in done.items():
            self.results[key].update(rows)
            self.simulated += len(rows)

    def point_series(self, i: int, settings: np.ndarray, kpi: str, n: int,
                     own: bool = False) -> np.ndarray:
        """(len(settings), n): a KPI of point i's settings over replications 0..n-1; `own`:
        over all the replications 0..m-1 (m >= n) each setting has, padded with NaN."""
        counts = {s: max(n, self.held(i, s)) if own else n for s in np.unique(settings).tolist()}
        width = max(counts.values(), default=n)
        table = {s: np.array([self.results[(i, s)][r][kpi] for r in range(m)]
                             + [math.nan] * (width - m), dtype=float)
                 for s, m in counts.items()}
        return np.stack([table[s] for s in settings.tolist()])

    def held(self, i: int, setting: int) -> int:
        """Replications 0..m-1 of a point setting held (the longest unbroken run from 0)."""
        have = self.results.get((i, setting), {})
        m = 0
        while m in have:
            m += 1
        return m

    def top_up(self, i: int, setting: int, n: int) -> None:
        """Replications 0..n-1 of one point setting."""
        have = self.results.setdefault((i, setting), {})
        missing = tuple(r for r in range(n) if r not in have)
        if missing:
            p = self.space.points[i]
            done = execute([Job((i, setting), p.scenarios[setting], missing,
                                population=p.population, seed=p.seed)],
                           self.population, self.seed, **self.where)
            have.update(done[(i, setting)])
            self.simulated += len(missing)

    def series(self, options: np.ndarray, kpi: str, n: int) -> np.ndarray:
        """(options, n): the objective (victim-weighted identification rate), identified a day,
        or a national worst-point KPI, of each option over replications 0..n-1."""
        from tipkit.sim.model.costs import counted_days

        points = self.space.points
        of_point = {"identified_per_day": "identified", **{k: v[0] for k, v in WORST.items()}}
        columns = [self.point_series(i, self.space.choice[options, i], of_point.get(kpi, kpi), n)
                   for i in range(len(points))]
        if kpi == OBJECTIVE:
            return sum(p.weight * c for p, c in zip(points, columns))
        if kpi == "identified_per_day":
            days = [np.array([counted_days(p.scenarios[s]) for s in
                              self.space.choice[options, i].tolist()])[:, None]
                    for i, p in enumerate(points)]
            return sum(c / d for c, d in zip(columns, days))
        if kpi in WORST:
            return WORST[kpi][1].reduce(np.stack(columns), axis=0)
        raise AssertionError(kpi)


# ---- ranking and selection --------------------------------------------------------------------

@dataclass
class Optimum:
    """What `optimise` found: the options (each with its replications, mean, interval and fate),
    the front, the best and the runner-up and how sure their ranking is, and the counts."""
    space: Space
    options: pd.DataFrame            # one row per option within the budget that was simulated
    front: pd.DataFrame              # not dominated: no cheaper option identifies more
    best: int | None
    runner_up: int | None
    today: int | None
    ranking: pd.DataFrame            # comparison, difference, ci_low, ci_high, n
    chosen: pd.DataFrame             # option, point, kpi, mean, ci_low, ci_high, n
    budget: float
    constraints: list[Constraint]
    replications: int                # per option at the end (the precision of the answer)
    option_replications: int         # replications of options evaluated (incl. top-ups)
    exhaustive_replications: int     # every option within budget at `replications`
    point_simulations: int           # point replications actually simulated
    exhaustive_point_simulations: int
    stop: str
    simulations: "Simulations"       # every replication run (tests check against exhaustive)


def optimise(base, space: Space, population, seed: int, constraints: list[Constraint], *,
             first: int = 10, most: int = 320, indifference: float = 0.005,
             precision: float = 0.05, alpha: float = 0.05, workers: int | None = None,
             scheduler: str | None = None, progress=None,
             simulations: Simulations | None = None, top_up: bool = False) -> Optimum:
    """Screen and double over the options within the budget (see the module's docstring).
    `simulations` may hold replications already run (the emulator-led search's). `top_up`:
    when the leading option is not yet clearly within a point's constraint (a queue limit at
    one point), that point's setting alone gets twice the replications, rather than every
    option every point; the national comparisons stay on the common replications."""
    check_search(first, most, precision, indifference)
    where = {"workers": workers, "scheduler": scheduler, "progress": progress}
    sims = simulations if simulations is not None else Simulations(space, population, seed,
                                                                   where)
    constraints = [c for c in constraints if c.point != "total"]   # applied to the space
    sims.own_replications = top_up
    alive = np.flatnonzero(space.within)
    if len(alive) == 0:
        cheapest = float(space.cost.min())
        raise UserError(f"no option fits the budget of {money(space.budget, currency(base))} a "
                        f"year and the --constraint totals: the cheapest option costs "
                        f"{money(cheapest, currency(base))}")
    reps_given = np.zeros(len(space.choice), dtype=np.int64)
    fate = {int(o): "" for o in alive}
    last_mean: dict[int, float] = {}
    n = first
    while True:
        sims.ensure(alive, n)
        x = sims.series(alive, OBJECTIVE, n)
        x = x[:, np.all(np.isfinite(x), axis=0)]
        m = x.mean(axis=1)
        reps_given[alive] = n
        for o, value in zip(alive.tolist(), m.tolist()):
            last_mean[o] = value
        k = len(alive)
        t_screen = float(_scipy_stats.t.ppf(1 - alpha / max(k - 1, 1), max(x.shape[1] - 1, 1)))
        bad, sure, by_mean, _ = _judge(sims, alive, n, constraints, t_screen)
        lead = _best(m, by_mean & ~bad, space.cost[alive])
        if top_up and lead is not None and not sure[lead] and _top_up(
                sims, int(alive[lead]), n, constraints, most):
            continue                      # judge again, on the point's added replications
        keep = ~bad
        for o in alive[bad].tolist():
            fate[o] = f"dropped after {n} replications: clearly breaks a constraint"
        ref = _best(m, sure & keep, space.cost[alive])
        if ref is not None:
            d = x - x[ref]
            ucb = d.mean(axis=1) + t_screen * d.std(axis=1, ddof=1) / math.sqrt(d.shape[1])
            worse = (ucb < 0) & keep
            worse[ref] = False
            for o in alive[worse].tolist():
                fate[o] = (f"dropped after {n} replications: clearly worse than option "
                           f"{int(alive[ref])}")
            keep &= ~worse
        alive, m, x = alive[keep], m[keep], x[keep]
        sure, by_mean = sure[keep], by_mean[keep]
        if len(alive) == 0:
            stop = "every option clearly breaks a constraint"
            break
        best = _best(m, by_mean, space.cost[alive])
        ranked = len(alive) <= 1
        if not ranked and best is not None and sure[best]:
            d = x - x[best]
            ucb = d.mean(axis=1) + t_screen * d.std(axis=1, ddof=1) / math.sqrt(d.shape[1])
            ranked = bool(np.all(np.delete(ucb, best) <= indifference))
        precise = best is not None and relative_half_width(x[best].tolist()) <= precision
        if ranked and precise:
            stop = ("one option left" if len(alive) <= 1 else
                    f"no option left could identify more than {indifference * 100:g} per 100 "
                    "victims more than the best") + (f", and the best's identification is "
                                                     f"within {precision:.0%} of its mean")
            break
        if n >= most:
            stop = f"the most replications per option ({most}) reached"
            break
        n = min(2 * n, most)
    return _conclude(base, space, sims, alive, reps_given, fate, last_mean, n, constraints,
                     stop, alpha)


def check_search(first: int, most: int, precision: float, indifference: float) -> None:
    """The search's own settings, as one line each (the CLI's types refuse most already; the
    app and library callers come here too, and `optimise` itself)."""
    if first < 3:
        raise UserError(f"--first-replications must be 3 or more (got {first})")
    if most < first:
        raise UserError(f"--max-replications ({most}) must be at least --first-replications "
                        f"({first})")
    if not 0 < precision < 1:
        raise UserError(f"--precision must be between 0 and 1 (got {precision})")
    if not 0 <= indifference < 1:
        raise UserError(f"--indifference must be 0 or more and below 1 (got {indifference})")


def _best(means: np.ndarray, allowed: np.ndarray, cost: np.ndarray) -> int | None:
    """The allowed option with the highest mean; of equals, the cheapest."""
    if not allowed.any():
        return None
    index = np.flatnonzero(allowed)
    return int(index[np.lexsort((cost[index], -means[index]))[0]])


def _judge(sims: Simulations, options: np.ndarray, n: int, constraints: list[Constraint],
           t: float):
    """Per option: clearly breaks a constraint (`t`: the screening bound, since breaking drops
    an option), clearly meets all (its own 95% interval: meeting only makes an option a
    reference to screen against, or lets the search stop), meets all by the mean; and each
    constraint's (worst point's) mean."""
    k = len(options)
    bad, sure, by_mean = np.zeros(k, bool), np.ones(k, bool), np.ones(k, bool)
    values = {}
    for c in constraints:
        for series in _constraint_series(sims, options, n, c):
            finite = np.where(np.isfinite(series), series, np.nan)
            mean = np.nanmean(finite, axis=1)
            count = np.sum(np.isfinite(finite), axis=1)
            se = np.nanstd(finite, axis=1, ddof=1) / np.sqrt(np.maximum(count, 1))
            own = _scipy_stats.t.ppf(0.975, np.maximum(count - 1, 1))
            if c.at_most:
                bad |= mean - t * se > c.limit
                sure &= mean + own * se <= c.limit
                by_mean &= mean <= c.limit
            else:
                bad |= mean + t * se < c.limit
                sure &= mean - own * se >= c.limit
                by_mean &= mean >= c.limit
            values.setdefault(c.label, (c.at_most, []))[1].append(mean)
    # each constraint's value at its worst point
    return bad, sure, by_mean, {label: (np.max if at_most else np.min)(np.stack(v), axis=0)
                                for label, (at_most, v) in values.items()}


def meets_constraints(sims: Simulations, options: np.ndarray, n: int,
                      constraints: list[Constraint]) -> np.ndarray:
    """Whether each option meets every constraint by its mean over replications 0..n-1."""
    limits = [c for c in constraints if c.point != "total"]
    return _judge(sims, options, n, limits, _t(0.05, n))[2]


def _constraint_series(sims: Simulations, options: np.ndarray, n: int, c: Constraint):
    points = sims.space.points
    if c.point is None and c.kpi in WORST:
        yield sims.series(options, c.kpi, n)
        return
    for i, p in enumerate(points):
        if c.point in ("*", None) or c.point == p.name:
            yield sims.point_series(i, sims.space.choice[options, i], c.kpi, n,
                                    own=sims.own_replications)


# ---- the answer --------------------------------------------------------------------------------

CHOSEN_KPIS = ("identification_rate", "identified", "victims", "desk_wait_mean", "desk_wait_p95",
               "desk_within_target", "cost_border_per_day", "cost_per_day")


def _conclude(base, space: Space, sims: Simulations, alive, reps_given, fate, last_mean, n,
              constraints, stop, alpha) -> Optimum:
    m = {o: last_mean[o] for o in alive.tolist()}
    _, _, by_mean, _ = _judge(sims, alive, n, constraints, _t(alpha, n))
    means = np.array([m[o] for o in alive.tolist()])
    pick = _best(means, by_mean, space.cost[alive])
    best = int(alive[pick]) if pick is not None else None
    runner_up = _runner_up(best, alive, reps_given, last_mean, sims, n, constraints, alpha)
    today = space.today if space.today >= 0 and space.within[space.today] else None
    for o in (runner_up, today):
        if o is not None and reps_given[o] < n:
            sims.ensure(np.array([o]), n)
            reps_given[o] = n
    if best is not None:
        fate[best] = "best"
    if runner_up is not None:
        fate[runner_up] = "runner-up"
    ranking = []
    if best is not None:
        for name, other in (("best - runner-up", runner_up), ("best - today", today)):
            if other is None or other == best:
                continue
            pair = np.array([best, other])
            x = sims.series(pair, OBJECTIVE, n)
            per_day = sims.series(pair, "identified_per_day", n)
            diff, low, high, count = t_interval((x[0] - x[1]).tolist())
            found, found_low, found_high, _ = t_interval((per_day[0] - per_day[1]).tolist())
            extra_a_day = float(space.cost[best] - space.cost[other]) / DAYS_A_YEAR
            ratio = fieller(np.full(per_day.shape[1], extra_a_day), per_day[0] - per_day[1])
            ranking.append({"comparison": name, "option": other, "kpi": OBJECTIVE,
                            "difference": diff, "ci_low": low, "ci_high": high, "n": count,
                            "extra_identified_per_day": found,
                            "extra_identified_ci_low": found_low,
                            "extra_identified_ci_high": found_high,
                            "extra_cost_per_year": float(space.cost[best] - space.cost[other]),
                            "border_cost_per_additional_victim":
                                ratio.estimate if ratio.bounded else math.nan,
                            "border_cost_ci_low": ratio.low if ratio.bounded else math.nan,
                            "border_cost_ci_high": ratio.high if ratio.bounded else math.nan})
    evaluated = np.flatnonzero(reps_given > 0)
    options = _options_table(space, sims, evaluated, reps_given, fate, constraints, alpha)
    chosen = _chosen_table(space, sims, {"best": best, "runner-up": runner_up, "today": today}, n)
    exhaustive_points = sum(len(np.unique(space.choice[space.within][:, i]))
                            for i in range(len(space.points))) * n
    return Optimum(space, options, _front(options), best, runner_up, today,
                   pd.DataFrame(ranking), chosen, space.budget, constraints, n,
                   int(reps_given.sum()), int(space.within.sum()) * n, sims.simulated,
                   exhaustive_points, stop, sims)


def _top_up(sims: Simulations, option: int, n: int, constraints: list[Constraint],
            most: int) -> bool:
    """Twice the replications (up to `most`) for each point setting of `option` whose own
    constraint is neither clearly met nor clearly broken; False if none could get more (a
    national worst-point limit pairs the points: only doubling everyone helps it)."""
    added = False
    for c in constraints:
        if c.point is None and c.kpi in WORST:
            continue
        for i, p in enumerate(sims.space.points):
            if c.point not in ("*", None) and c.point != p.name:
                continue
            setting = int(sims.space.choice[option, i])
            x = sims.point_series(i, np.array([setting]), c.kpi, n, own=True)[0]
            x = x[np.isfinite(x)]
            if len(x) < 2:
                continue
            mean, half = x.mean(), _t(0.05, len(x)) * x.std(ddof=1) / math.sqrt(len(x))
            unsure = (mean + half > c.limit) if c.at_most else (mean - half < c.limit)
            held = sims.held(i, setting)
            if unsure and held < most:
                sims.top_up(i, setting, min(2 * max(held, n), most))
                added = True
    return added


def _t(alpha: float, n: int) -> float:
    return float(_scipy_stats.t.ppf(1 - alpha / 2, max(n - 1, 1)))


def _runner_up(best, alive, reps_given, last_mean, sims, n, constraints, alpha):
    """The second-best option: among the options left, else the last dropped (the most
    replications), the highest mean that meets the constraints."""
    if best is None:
        return None
    for level in sorted(set(reps_given[reps_given > 0].tolist()), reverse=True):
        group = np.array([o for o in np.flatnonzero(reps_given == level).tolist() if o != best])
        if len(group) == 0:
            continue
        _, _, ok, _ = _judge(sims, group, level, constraints, _t(alpha, level))
        ranked = sorted(group[ok].tolist(), key=lambda o: (-last_mean[o], sims.space.cost[o]))
        if ranked:
            return ranked[0]
    return None


def _options_table(space, sims, evaluated, reps_given, fate, constraints, alpha) -> pd.DataFrame:
    rows = []
    for level in sorted(set(reps_given[evaluated].tolist())):
        group = evaluated[reps_given[evaluated] == level]
        x = sims.series(group, OBJECTIVE, level)
        _, sure, ok, values = _judge(sims, group, level, constraints, _t(alpha, level))
        for j, o in enumerate(group.tolist()):
            mean, low, high, count = t_interval(x[j].tolist())
            row = {"option": o, **{k: _plain(v) for k, v in space.changes(o).items()},
                   "cost_per_year": float(space.cost[o]), "replications": level,
                   "identification_rate": mean, "ci_low": low, "ci_high": high,
                   "meets_constraints": bool(ok[j]), "clearly_meets": bool(sure[j])}
            for label, v in values.items():
                row[label] = float(v[j])
            row["fate"] = fate.get(o, "")
            rows.append(row)
    table = pd.DataFrame(rows)
    return table.sort_values(["identification_rate", "option"], ascending=[False, True]) \
        .reset_index(drop=True)


def _front(options: pd.DataFrame) -> pd.DataFrame:
    """Options meeting the constraints that no cheaper (or equally costly) option beats."""
    ok = options[options.meets_constraints].sort_values(["cost_per_year", "identification_rate"],
                                                        ascending=[True, False])
    keep, best = [], -math.inf
    for row in ok.itertuples(index=False):
        if row.identification_rate > best:
            keep.append(row.option)
            best = row.identification_rate
    return options[options.option.isin(keep)].sort_values("cost_per_year").reset_index(drop=True)


def _chosen_table(space, sims, chosen: dict, n: int) -> pd.DataFrame:
    """The points' KPIs (means over the final replications) of the best, runner-up and today."""
    rows = []
    for label, o in chosen.items():
        if o is None:
            continue
        for i, p in enumerate(space.points):
            setting = int(space.choice[o, i])
            for kpi in CHOSEN_KPIS:
                mean, low, high, count = t_interval(
                    sims.point_series(i, np.array([setting]), kpi, n)[0].tolist())
                rows.append({"option_role": label, "option": o, "point": p.name or "",
                             "kpi": kpi, "mean": mean, "ci_low": low, "ci_high": high,
                             "n": count})
    return pd.DataFrame(rows)


def _plain(value):
    return value.item() if hasattr(value, "item") else value
