"""Global sensitivity of the answer to every assumption at once: Morris elementary effects (SALib)
over the values scenario files mark `# assumption`, every option run at every sample point on the
same replication seeds, and how often the options' ranking on identification holds.

Why Morris: with 15-25 assumptions, Sobol indices need N(2D+2) sample points (thousands of
simulated days per option for a stable estimate); Morris screening needs r(D+1) (here 8 x 24),
ranks the assumptions by their mean absolute effect (mu*, with a bootstrap interval) and flags
interactions or curvature (sigma). Common random numbers make each elementary effect a paired
difference, so a few replications per point suffice.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, fields, replace
from typing import Any, Callable

import numpy as np
import pandas as pd

from tipkit.errors import UserError
from tipkit.sim.experiments.replications import Job, execute, replications_table
from tipkit.sim.model.assumptions import assumptions_in
from tipkit.sim.model.kpis import HEADLINE
from tipkit.sim.model.scenario import Duration, Scenario

METHOD = "Morris elementary effects (SALib), levels 4, trajectories chosen for spread"
LEVELS = 4                 # Morris grid levels: the usual choice (Saltelli et al. 2004)
SPREAD = 0.5               # a value's range when its comment gives none: +-50%
POOL = 4                   # optimal trajectories are chosen among POOL x as many candidates
RESAMPLES = 1000           # bootstrap resamples for mu*'s 95% interval
NOMINAL_REPLICATIONS = 30  # the assumptions as written: enough days to rank the options
RANKED_KPI = "identification_rate"
GAIN = "identification_gain"   # an option's identification rate minus the baseline's
COST_A_DAY = "cost_per_day"                          # the outcomes of the cost swings
COST_PER_VICTIM = "cost_per_additional_victim"
_DESIGN_TAG = 0x6D6F72726973   # keeps the design's random stream apart from the replications'

# A factor that changes nothing but which simulated days are drawn: its effect is chance's, the
# yardstick an assumption's effect must clear before the answer can be said to depend on it.
CHANCE = "chance"
CHANCE_WORDS = "chance (which simulated days are drawn)"

# What is varied, and why the rest is not (the docs and the output say the same).
VARIED = ("probabilities, rates, strengths and the medians (or means) of durations: every "
          "non-integer number marked # assumption")
NOT_VARIED = {   # kind -> (a few words for a count of them, the reason for one)
    "count": ("counts", "a count (officers, specialists, gates, beds): the site's or the "
                        "option's resources"),
    "structure": ("lists or choices", "a list or a choice (hourly profile, transport, what a "
                                      "full shelter does)"),
    "shape": ("durations' spreads", "a duration's spread or cap (its shape; its median is "
                                    "varied)"),
    "run": ("run settings", "how long the run lasts: an experiment setting, not a fact about "
                            "the world"),
    "choice": ("the options' own choices", "the options differ here: it is the choice under "
                                           "study"),
    "unused": ("e-gate values no option uses", "no option has e-gates, so e-gate values "
                                               "change nothing"),
    "zero": ("zeros without a range", "zero, and +-50% of zero is zero: give it a range to "
                                      "vary it"),
    "cost": ("costs", "a cost: it changes no simulated outcome, only the cost KPIs worked out "
                      "from the runs afterwards, so it is not re-simulated; each cost number is "
                      "swung over its range one at a time on the runs as written (costs.csv)"),
}

LEVEL_WORDS = {"none": "untrained", "basic": "basic-trained", "specialist": "specialist-trained"}
INDICATOR_WORDS = {"document": "forged or not-own documents",
                   "minor": "children travelling with unrelated adults",
                   "control": "signs of control or of exploitation",
                   "group": "groups with one person speaking for all"}
KEY_WORDS = {
    "victims.share": "how many travellers are victims (prevalence)",
    "arrivals.daily_volume": "how many travellers arrive a day",
    "arrivals.passengers_per_flight": "how many passengers a flight brings",
    "training.basic_share": "the share of officers with basic training",
    "training.specialist_share": "the share of officers with specialist training",
    "time_pressure.full_at_queue": "the queue at which officers are under full time pressure",
    "time_pressure.noticing_loss": "how much less officers notice under time pressure",
    "time_pressure.speed_up": "how much faster officers screen under time pressure",
    "secondary.confirms_victim": "how often an interview confirms a victim",
    "secondary.refers_ordinary": "how often an interview wrongly refers an ordinary traveller",
    "egates.eligible_share": "the share of travellers allowed to use e-gates",
    "egates.failure_share": "how often e-gates fail",
    "shelter.stay_days": "how long referred people stay in a shelter",
    "desk.service_seconds": "how long a desk check takes",
    "egates.service_seconds": "how long an e-gate takes",
    "secondary.interview_minutes": "how long a secondary interview takes",
    "costs.officer_per_hour": "what a desk officer costs a shift-hour",
    "costs.secondary_per_hour": "what a secondary-inspection specialist costs an hour",
    "costs.basic_training": "what one person's basic course costs",
    "costs.specialist_training": "what one person's specialist course costs",
    "costs.training_years": "how many years a course stays useful",
    "costs.officer_hours_per_year": "one officer's working hours a year",
    "costs.egate_per_day": "what an e-gate costs a day",
    "costs.shelter_bed_per_night": "what a shelter bed-night costs",
}


def assumption_words(key: str) -> str:
    """A scenario key in plain words: 'how often specialist-trained officers notice signs of
    control or of exploitation'."""
    parts = key.split(".")
    if parts[0] == "screening" and len(parts) == 3:
        who = f"{LEVEL_WORDS.get(parts[1], parts[1])} officers"
    elif parts[:2] == ["egates", "screening"] and len(parts) == 3:
        who, parts = "e-gates", ["", "", parts[2]]
    else:
        who = ""
    if who:
        what = parts[2]
        if what in INDICATOR_WORDS:
            return f"how often {who} notice {INDICATOR_WORDS[what]}"
        if what == "false_alarm":
            return f"how often {who} flag ordinary travellers"
        if what == "extra_seconds":
            return f"how much longer {who} take to screen"
    if parts[-1] in ("median", "mean"):
        base = ".".join(parts[:-1])
        if base in KEY_WORDS:
            return KEY_WORDS[base]
    return KEY_WORDS.get(key, key)


# ---- which assumptions are varied, and over which range ----------------------------------

@dataclass(frozen=True)
class Factor:
    """One assumption as the design sees it: varied over [low, high], or left with a reason."""
    key: str
    label: str
    nominal: Any
    low: float | None = None
    high: float | None = None
    range_from: str = ""       # "scenario", "+-50%" or "+-50%, clipped"
    left: str = ""             # why it is not varied (a NOT_VARIED key), "" when varied

    @property
    def varied(self) -> bool:
        return not self.left

    def row(self) -> dict:
        return {"factor": self.key, "label": self.label, "varied": self.varied,
                "nominal": self.nominal, "low": self.low, "high": self.high,
                "range": self.range_from,
                "why_not_varied": NOT_VARIED[self.left][1] if self.left else ""}


def assumption_factors(scenarios: dict[str, Scenario], sources: dict[str, str]
                       ) -> list[Factor]:
    """Every value marked `# assumption` in the scenarios' files (based_on chains included),
    each varied or left with its reason. The first scenario is the baseline."""
    first = next(iter(scenarios.values()))
    gates = any(s.egates.gates for s in scenarios.values())
    found, seen = [], set()
    for name, source in sources.items():
        for assumption in assumptions_in(source):
            if assumption.key in seen:
                continue
            seen.add(assumption.key)
            spec = _field(assumption.key)
            if spec is None:
                continue          # e.g. a comment on `name`: nothing to vary
            nominal = _get(first, assumption.key)
            left = _why_left(assumption.key, spec, nominal, scenarios, gates)
            factor = Factor(assumption.key, assumption_words(assumption.key), nominal,
                            left=left)
            if not left or (left == "cost" and _swung(spec)):
                factor = _ranged(factor, spec, assumption.range, name)
            found.append(factor)
    return found


def _why_left(key, spec, nominal, scenarios, gates) -> str:
    owner, meta = spec
    if key.split(".")[0] == "run":
        return "run"
    if key.split(".")[0] == "costs":       # the options may differ on a cost: their choice
        return "choice" if len({_get(s, key) for s in scenarios.values()}) > 1 else "cost"
    if meta["kind"] != "number":
        return "structure"
    if meta["integer"]:
        return "count"
    if owner is Duration and key.split(".")[-1] not in ("median", "mean"):
        return "shape"
    if nominal is None:
        return "structure"       # an optional value left out (e.g. a duration's mean)
    if len({_get(s, key) for s in scenarios.values()}) > 1:
        return "choice"
    if key.startswith("egates.") and not gates:
        return "unused"
    return ""


def _swung(spec) -> bool:
    """A cost with a range to swing over: a number that is not a count (not the price year)."""
    _, meta = spec
    return meta["kind"] == "number" and not meta["integer"]


def _ranged(factor: Factor, spec, stated, scenario: str) -> Factor:
    _, meta = spec
    lo_bound, hi_bound = meta["lo"], meta["hi"]
    value = float(factor.nominal)
    if stated is not None:
        low, high = stated
        if not low < high:
            raise UserError(f"{scenario}: {factor.key}: range {low:g}-{high:g} must go up")
        if low < lo_bound or high > hi_bound:
            raise UserError(f"{scenario}: {factor.key}: range {low:g}-{high:g} is outside "
                            f"{lo_bound:g} to {hi_bound:g}")
        if not low <= value <= high:
            raise UserError(f"{scenario}: {factor.key}: range {low:g}-{high:g} does not "
                            f"include the value {value:g}")
        return replace(factor, low=low, high=high, range_from="scenario")
    if value == 0:
        return replace(factor, left="zero")
    low, high = value * (1 - SPREAD), value * (1 + SPREAD)
    clipped = max(low, lo_bound), min(high, hi_bound)
    note = f"+-{SPREAD:.0%}" + (", clipped" if clipped != (low, high) else "")
    return replace(factor, low=_tidy(clipped[0]), high=_tidy(clipped[1]), range_from=note)


def _field(dotted: str):
    """(the dataclass that holds it, the field's metadata) of a dotted scenario key, or None."""
    cls = Scenario
    parts = dotted.split(".")
    for i, part in enumerate(parts):
        spec = {f.name: f for f in fields(cls)}.get(part)
        if spec is None:
            return None
        if i == len(parts) - 1:
            return (cls, spec.metadata) if spec.metadata.get("kind") else None
        if spec.metadata.get("kind") != "section":
            return None
        cls = spec.metadata["cls"]
    return None


def _get(scenario: Scenario, dotted: str):
    node = scenario
    for part in dotted.split("."):
        node = getattr(node, part, None)
    return node


# ---- the design and its runs --------------------------------------------------------------

@dataclass
class Plan:
    """What a global sensitivity run will do, before it runs."""
    scenarios: dict[str, Scenario]       # the baseline first
    factors: list[Factor]                # every assumption, varied or not
    design: pd.DataFrame                 # point, trajectory, one column per design factor
    replications: int                    # per sample point
    seed: int
    trajectories: int
    nominal_replications: int = NOMINAL_REPLICATIONS   # the assumptions as written

    @property
    def varied(self) -> list[Factor]:
        return [f for f in self.factors if f.varied]

    @property
    def swung_costs(self) -> list[Factor]:
        """The cost assumptions swung one at a time after the runs (see `cost_swings`)."""
        return [f for f in self.factors if f.left == "cost" and f.low is not None]

    @property
    def design_factors(self) -> list[Factor]:
        """The varied assumptions and chance."""
        return self.varied + [Factor(CHANCE, CHANCE_WORDS, 0.0, 0.0, 1.0, "replications")]

    @property
    def runs(self) -> int:
        points = self.trajectories * (len(self.design_factors) + 1)   # Morris: D + 1 each
        return (points * self.replications + self.nominal_replications) * len(self.scenarios)

    def point_scenarios(self, point: int) -> dict[str, Scenario]:
        row = self.design.iloc[point]
        changes = {f.key: float(row[f.key]) for f in self.varied}
        return {name: s.with_values(changes) for name, s in self.scenarios.items()}

    def point_replications(self, point: int) -> tuple[int, ...]:
        """The replication seeds of a point: the same for every point and option (common
        random numbers) but for the chance factor, whose level shifts them to other days."""
        if point == 0:
            return tuple(range(self.nominal_replications))
        first = int(self.design.first_replication.iloc[point])
        return tuple(range(first, first + self.replications))


def plan(scenarios: dict[str, Scenario], sources: dict[str, str], *, trajectories: int = 8,
         replications: int = 2, seed: int = 1,
         nominal_replications: int = NOMINAL_REPLICATIONS,
         check: Callable[[Plan], None] | None = None) -> Plan:
    """The factors and the Morris design: point 0 is every assumption as written (run with
    `nominal_replications`, to rank the options), then `trajectories` x (factors + 1) points
    chosen for spread (Campolongo et al. 2007), each run with `replications`. `check` sees the
    plan once its size is known, before the design is sampled, to refuse one too large."""
    from SALib.sample import morris

    if trajectories < 2:
        raise UserError("--samples must be at least 2 (Morris needs two trajectories)")
    if replications < 1 or nominal_replications < 1:
        raise UserError("--replications must be at least 1")
    factors = assumption_factors(scenarios, sources)
    if not any(f.varied for f in factors):
        raise UserError("no value these scenarios mark as an assumption can be varied: mark "
                        "probabilities, rates or durations with # assumption")
    p = Plan(dict(scenarios), factors, pd.DataFrame(), replications, seed, trajectories,
             nominal_replications)
    if check is not None:
        check(p)
    design_factors = p.design_factors
    rng = np.random.default_rng(np.random.SeedSequence([seed, _DESIGN_TAG]))
    sample = morris.sample(_problem(design_factors), POOL * trajectories, num_levels=LEVELS,
                           optimal_trajectories=trajectories, local_optimization=True,
                           seed=rng)
    nominal = np.array([[float(f.nominal) for f in design_factors]])
    design = pd.DataFrame(np.vstack([nominal, sample]), columns=[f.key for f in design_factors])
    levels = np.rint(design[CHANCE].to_numpy() * (LEVELS - 1)).astype(int)
    design.insert(0, "first_replication", levels * replications)
    design.insert(0, "trajectory", [-1] + [i // (len(design_factors) + 1)
                                           for i in range(len(sample))])
    design.insert(0, "point", range(len(design)))
    p.design = design
    return p


def _problem(varied: list[Factor]) -> dict:
    return {"num_vars": len(varied), "names": [f.key for f in varied],
            "bounds": [[f.low, f.high] for f in varied]}


@dataclass
class GlobalSensitivity:
    """A global sensitivity run: the design, every run's KPIs, the Morris indices of each
    headline outcome, and how often the nominal ranking on identification holds."""
    plan: Plan
    replications: pd.DataFrame      # point, scenario, replication, <kpis>
    points: pd.DataFrame            # point, scenario, <kpis>: means over replications
    indices: pd.DataFrame           # outcome, scenario, factor, label, mu_star, ... rank
    ranking: list[str]              # the scenarios by identification as written, best first
    held: int                       # sample points where that ranking holds
    judged: int                     # sample points where it could be judged
    costs: pd.DataFrame             # each cost assumption swung (see `cost_swings`)

    @property
    def holds(self) -> float:
        return self.held / self.judged if self.judged else math.nan

    def sentence(self) -> str:
        return summary_sentence(self.indices, self.ranking, self.held, self.judged,
                                next(iter(self.plan.scenarios)), self.costs)

    def describe(self) -> dict:
        """The method's own entries of run.json."""
        return {"method": METHOD, "method_key": "morris-simulated", "levels": LEVELS,
                "trajectories": self.plan.trajectories, "points": len(self.plan.design) - 1}


def run(p: Plan, population, **where) -> GlobalSensitivity:
    """Every scenario at every design point, on the same replication seeds (common random
    numbers across points and options); `where` is `execute`'s (workers, scheduler, progress)."""
    replications, points = simulate_points(p, population, **where)
    indices = morris_indices(p, points)
    ranking, held, judged = ranking_holds(points, list(p.scenarios))
    return GlobalSensitivity(p, replications, points, indices, ranking, held, judged,
                             cost_swings(p, replications))


def simulate_points(p: Plan, population, **where) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Every scenario at every point of a plan's design on the point's replication seeds: the
    runs (point, scenario, replication, <kpis>) and their means by point and scenario."""
    jobs = []
    for point in range(len(p.design)):
        reps = p.point_replications(point)
        for name, scenario in p.point_scenarios(point).items():
            jobs.append(Job((point, name), scenario, reps))
    results = execute(jobs, population, p.seed, **where)
    tables = []
    for point in range(len(p.design)):
        for name in p.scenarios:
            table = replications_table(results[(point, name)])
            table.insert(0, "scenario", name)
            table.insert(0, "point", point)
            tables.append(table)
    replications = pd.concat(tables, ignore_index=True)
    kpis = [c for c in replications.columns if c not in ("point", "scenario", "replication")]
    points = (replications.groupby(["point", "scenario"], sort=False)[kpis]
              .mean().reset_index())
    return replications, points


# ---- the analysis -------------------------------------------------------------------------

def outcomes(points: pd.DataFrame, names: list[str]) -> dict[tuple[str, str], np.ndarray]:
    """(outcome, scenario) -> its value at every point: each headline KPI of each scenario,
    and each option's identification gain over the baseline (the first scenario)."""
    by = {n: points[points.scenario == n].sort_values("point") for n in names}
    found = {}
    for name in names[1:]:
        found[(GAIN, name)] = (by[name][RANKED_KPI].to_numpy(dtype=float)
                               - by[names[0]][RANKED_KPI].to_numpy(dtype=float))
    for name in names:
        for kpi in HEADLINE:
            found[(kpi, name)] = by[name][kpi].to_numpy(dtype=float)
    return found


def morris_indices(p: Plan, points: pd.DataFrame) -> pd.DataFrame:
    """mu* (mean absolute elementary effect, in the outcome's units across the factor's whole
    range), its bootstrap 95% interval, mu and sigma, for every outcome and factor; trajectories
    with an undefined value (e.g. no victim crossed) are left out of that outcome."""
    from SALib.analyze import morris

    varied = p.design_factors
    x = p.design[[f.key for f in varied]].to_numpy(dtype=float)[1:]
    size = len(varied) + 1
    rng = np.random.default_rng(np.random.SeedSequence([p.seed, _DESIGN_TAG, 1]))
    rows = []
    for (outcome, scenario), y in outcomes(points, list(p.scenarios)).items():
        y = y[1:]
        keep = [t for t in range(len(y) // size)
                if np.isfinite(y[t * size:(t + 1) * size]).all()]
        rows_of = np.concatenate([np.arange(t * size, (t + 1) * size) for t in keep]) \
            if keep else np.array([], dtype=int)
        if len(keep) >= 2:
            found = morris.analyze(_problem(varied), x[rows_of], y[rows_of],
                                   num_resamples=RESAMPLES, conf_level=0.95,
                                   num_levels=LEVELS, seed=rng)
            mu_star, conf = np.asarray(found["mu_star"]), np.asarray(found["mu_star_conf"])
            mu, sigma = np.asarray(found["mu"]), np.asarray(found["sigma"])
        else:
            mu_star = conf = mu = sigma = np.full(len(varied), math.nan)
        order = np.argsort(-np.nan_to_num(mu_star, nan=-1.0), kind="stable")
        rank = np.empty(len(varied), dtype=int)
        rank[order] = np.arange(1, len(varied) + 1)
        for i, f in enumerate(varied):
            rows.append({"outcome": outcome, "scenario": scenario, "factor": f.key,
                         "label": f.label, "mu_star": mu_star[i],
                         "mu_star_low": max(0.0, mu_star[i] - conf[i]),
                         "mu_star_high": mu_star[i] + conf[i], "mu": mu[i], "sigma": sigma[i],
                         "rank": int(rank[i]), "trajectories": len(keep)})
    return pd.DataFrame(rows)


def ranking_holds(points: pd.DataFrame, names: list[str]) -> tuple[list[str], int, int]:
    """The scenarios ranked by identification with every assumption as written (point 0), and
    at how many of the other points no scenario ranked lower identifies strictly more."""
    table = points.pivot(index="point", columns="scenario", values=RANKED_KPI)[names]
    nominal = table.loc[0]
    ranking = sorted(names, key=lambda n: -np.nan_to_num(nominal[n], nan=-np.inf))
    sampled = table.drop(index=0)[ranking].to_numpy(dtype=float)
    judged = np.isfinite(sampled).all(axis=1)
    ordered = (np.diff(sampled, axis=1) <= 0).all(axis=1)
    return ranking, int((judged & ordered).sum()), int(judged.sum())


def cost_swings(p: Plan, replications: pd.DataFrame) -> pd.DataFrame:
    """Each cost assumption at the ends of its range, one at a time, on the runs with every
    assumption as written (point 0). Exact without a new simulation: a cost changes no
    simulated outcome, only the cost KPIs worked out from each run's referrals afterwards
    (sim.model.costs). The outcome: each option's cost per additional victim identified
    against the baseline (everything counted), or a lone scenario's cost a day."""
    from tipkit.sim.experiments.cost_effectiveness import cost_per_additional_victim
    from tipkit.sim.model.costs import counted_days

    names = list(p.scenarios)
    as_written = {n: replications[(replications.point == 0) & (replications.scenario == n)]
                  for n in names}
    currency = p.scenarios[names[0]].costs.currency
    rows = []
    for f in p.swung_costs:
        at = {}
        for end, value in (("nominal", f.nominal), ("low", f.low), ("high", f.high)):
            scenarios = {n: s.with_values({f.key: value}) for n, s in p.scenarios.items()}
            tables = {n: _recosted(as_written[n], scenarios[n]) for n in names}
            base = names[0]
            if len(names) == 1:
                at[(base, end)] = float(tables[base][COST_A_DAY].mean())
            for name in names[1:]:
                at[(name, end)] = cost_per_additional_victim(
                    tables[base], tables[name], counted_days(scenarios[base]),
                    counted_days(scenarios[name]), currency)["cost_per_additional_victim"]
        for name in dict.fromkeys(n for n, _ in at):
            rows.append({"factor": f.key, "label": f.label, "scenario": name,
                         "outcome": COST_A_DAY if len(names) == 1 else COST_PER_VICTIM,
                         "nominal": f.nominal, "low": f.low, "high": f.high,
                         "at_nominal": at[(name, "nominal")], "at_low": at[(name, "low")],
                         "at_high": at[(name, "high")], "currency": currency})
    return pd.DataFrame(rows, columns=["factor", "label", "scenario", "outcome", "nominal",
                                       "low", "high", "at_nominal", "at_low", "at_high",
                                       "currency"])


def _recosted(table: pd.DataFrame, scenario: Scenario) -> pd.DataFrame:
    """A replications table with its cost KPIs worked out again for the scenario's costs."""
    from tipkit.sim.model.costs import cost_kpis

    costs = pd.DataFrame([cost_kpis(scenario, row) for row in table.to_dict("records")],
                         index=table.index)
    return table.assign(**{c: costs[c] for c in costs.columns})


def cost_sentence(costs: pd.DataFrame | None, scenario: str) -> str:
    """How far the assumed costs move the cost answer of `scenario` (the answer's option, or
    the lone scenario), or "" when no cost was swung."""
    from tipkit.sim.experiments.cost_effectiveness import money

    rows = costs[costs.scenario == scenario] if costs is not None and len(costs) else None
    if rows is None or rows.empty:
        return ""
    what = ("cost a day" if rows.outcome.iloc[0] == COST_A_DAY
            else "cost per additional victim identified")
    lead = (f"Costs are not varied with the simulation (they change no simulated outcome); "
            f"swung one at a time over their ranges, {scenario}'s {what}")
    nominal, currency = rows.at_nominal.iloc[0], rows.currency.iloc[0]
    ends = rows[["at_low", "at_high"]].to_numpy(dtype=float)
    if not math.isfinite(nominal) or not np.isfinite(ends).all():
        return f"{lead} is not defined: its gain in identification is not clearly above zero."
    widest = rows.iloc[int(np.argmax(np.abs(ends[:, 1] - ends[:, 0])))]
    return (f"{lead} ({money(nominal, currency)} as written) runs from "
            f"{money(ends.min(), currency)} to {money(ends.max(), currency)}, most with "
            f"{widest.label}.")


def answer_outcome(indices: pd.DataFrame, ranking: list[str]) -> tuple[str, str]:
    """The outcome the answer is about: the gain of the best option over the baseline (the
    best as written), or the identification rate when there is only one scenario."""
    gains = indices[indices.outcome == GAIN]
    if gains.empty:
        return RANKED_KPI, ranking[0]
    options = set(gains.scenario)
    best = next((n for n in ranking if n in options), sorted(options)[0])
    return GAIN, best


def beyond_chance(indices: pd.DataFrame, outcome: str, scenario: str) -> pd.DataFrame | None:
    """The assumptions whose effect on an outcome clearly exceeds chance's (mu*'s 95% interval
    above chance's mu*), largest first; None when the outcome could not be judged."""
    rows = indices[(indices.outcome == outcome) & (indices.scenario == scenario)]
    chance = rows[rows.factor == CHANCE].mu_star
    rows = rows[(rows.factor != CHANCE) & np.isfinite(rows.mu_star)].sort_values("rank")
    if rows.empty or chance.empty or not np.isfinite(chance.iloc[0]):
        return None
    return rows[rows.mu_star_low > chance.iloc[0]]


def summary_sentence(indices: pd.DataFrame, ranking: list[str], held: int, judged: int,
                     baseline: str, costs: pd.DataFrame | None = None,
                     emulated: dict | None = None) -> str:
    """One plain sentence: which assumption the answer depends on most, and how often the
    options' ranking on identification holds across the assumption space; then, when costs
    were swung, one on how far they move the answer's cost (see `cost_sentence`). `emulated`
    (see emulated_sensitivity.ranking_share) marks the effects and the share as emulated: the
    share is then the emulator's, with its interval, and held/judged the simulated points'."""
    outcome, scenario = answer_outcome(indices, ranking)
    subject = (f"{scenario}'s gain in identification over {baseline}" if outcome == GAIN
               else f"the share of victims identified in {scenario}")
    drivers = beyond_chance(indices, outcome, scenario)
    if drivers is None:
        words = f"Too few sample points had victims to say what {subject} depends on"
    elif drivers.empty:
        words = (f"No assumption moves the answer ({subject}) clearly more than chance does "
                 f"(more --replications per point would tell them apart)")
    else:
        words = f"The answer ({subject}) depends most on {drivers.iloc[0].label}"
        if len(drivers) > 1:
            words += f", then on {drivers.iloc[1].label}"
    if emulated is not None:
        words += f" (effects emulated from {emulated['points']} simulated assumption sets)"
        if len(ranking) > 1 and emulated["share"] is not None:
            words += (f"; the ranking {' > '.join(ranking)} on identification holds in "
                      f"{emulated['share']:.0%} of the assumption space (emulated, 95% "
                      f"interval {emulated['sure']:.0%} to {emulated['possible']:.0%}; "
                      f"simulated, it held at {held} of {judged} assumption sets)")
    elif len(ranking) > 1 and judged:
        words += (f"; the ranking {' > '.join(ranking)} on identification holds in "
                  f"{held / judged:.0%} of the assumption space ({held} of {judged} "
                  f"sample points)")
    costed = cost_sentence(costs, scenario)
    return words + "." + (f" {costed}" if costed else "")


def _tidy(x: float) -> float:
    """A range end without floating-point dust (0.45, not 0.44999999999999996)."""
    return float(f"{x:.10g}")
