"""The decisions `tipkit sim optimise` searches: what may change (`--decide`), the limits an
option must keep (`--constraint`), the budget, and the options they make, each point's settings
built once and costed before anything is simulated."""

from __future__ import annotations

import dataclasses
import itertools
import math
from dataclasses import dataclass
from typing import Hashable

import numpy as np

from tipkit.errors import UserError
from tipkit.sim.model.costs import border_cost_per_year
from tipkit.sim.model.fields import get_dotted, suggest
from tipkit.sim.model.kpis import KPI_BY_NAME
from tipkit.sim.model.national import NationalScenario, deal_legs, routed_points
from tipkit.sim.model.population import VictimPopulation
from tipkit.sim.model.scenario import Scenario

MOST_OPTIONS = 50_000
# decisions in whole officers, turned into the scenario's training shares
OFFICER_KEYS = {"specialist_officers": "training.specialist_share",
                "basic_officers": "training.basic_share"}


# ---- what the user asks ----------------------------------------------------------------------

@dataclass(frozen=True)
class Decision:
    """One decided setting: `point` (None at a single crossing point), the scenario key (or a
    whole-officer key: specialist_officers, basic_officers) and the values to choose from."""
    point: str | None
    key: str
    values: tuple

    @property
    def label(self) -> str:
        return f"{self.point}.{self.key}" if self.point else self.key


@dataclass(frozen=True)
class Constraint:
    """`kpi <= limit` (or >=) at one point, at every point (`point` "*"), or for the national
    network (`point` None with a national KPI); or, `point` "total", a decided value added up
    over the points that decide it (`specialist_officers<=20`), known before any simulation."""
    kpi: str
    point: str | None
    at_most: bool
    limit: float

    @property
    def label(self) -> str:
        where = {"*": "at every point", None: "", "total": "in total"}.get(
            self.point, f"at {self.point}")
        return f"{self.kpi} {'<=' if self.at_most else '>='} {self.limit:g} {where}".strip()

    def holds(self, value: float) -> bool:
        return value <= self.limit if self.at_most else value >= self.limit


def parse_constraint(spec: str, points: list[str] | None, decided=()) -> Constraint:
    """`desk_wait_p95<=45` (at the crossing point, or at every point of a network),
    `seaport.desk_wait_p95<=30` (one point), `desk_wait_p95_worst<=45` (a national KPI),
    `specialist_officers<=20` (a decided key, added up over the points: `decided`)."""
    from tipkit.sim.experiments.designs import parse_number

    text = spec.replace(" ", "")
    for op in ("<=", ">="):
        if op in text:
            name, _, value = text.partition(op)
            break
    else:
        raise UserError(f"--constraint {spec}: expected KPI<=VALUE or KPI>=VALUE, "
                        "e.g. desk_wait_p95<=45")
    limit = parse_number(value, spec, "--constraint")
    if name in decided:
        return Constraint(name, "total", op == "<=", limit)
    point, _, kpi = name.rpartition(".") if "." in name and points else ("", "", name)
    if points is None:
        if kpi not in KPI_BY_NAME:
            raise UserError(f"--constraint {spec}: no KPI {kpi} (e.g. desk_wait_p95)")
        return Constraint(kpi, None, op == "<=", limit)
    if point:
        if point not in points:
            raise UserError(f"--constraint {spec}: no point {point} (points: "
                            f"{', '.join(points)})")
        if kpi not in KPI_BY_NAME:
            raise UserError(f"--constraint {spec}: no KPI {kpi} at a point")
        return Constraint(kpi, point, op == "<=", limit)
    if kpi in KPI_BY_NAME:
        return Constraint(kpi, "*", op == "<=", limit)
    if kpi in WORST:
        return Constraint(kpi, None, op == "<=", limit)
    raise UserError(f"--constraint {spec}: no KPI {kpi} to constrain (a point's KPI such as "
                    f"desk_wait_p95 holds at every point; national: {', '.join(WORST)})")


def parse_decision(spec: str, points: list[str] | None) -> Decision:
    """`officers=8..12`, `training.specialist_share=0,0.5,1`, `seaport.specialist_officers=0..6`."""
    from tipkit.sim.experiments.designs import parse_vary

    key, values = parse_vary(spec, option="--decide")
    point = None
    if points is not None:
        point, _, key = key.partition(".")
        if point not in points or not key:
            raise UserError(f"--decide {spec}: in a national scenario a key is POINT.key "
                            f"(points: {', '.join(points)})")
    names = [f.name for f in dataclasses.fields(Scenario)] + list(OFFICER_KEYS)
    if key.split(".")[0] not in names:
        raise UserError(f"--decide {spec}: unknown key {key}{suggest(key.split('.')[0], names)}")
    return Decision(point, key, tuple(values))


def parse_budget(text: str, today: float) -> float:
    """A yearly amount, or `+AMOUNT`: that much more than the scenario as it stands."""
    raw = str(text).replace(",", "").replace("_", "").strip()
    extra = raw.startswith("+")
    try:
        amount = float(raw.lstrip("+"))
    except ValueError:
        raise UserError(f"--budget must be an amount a year (e.g. 2600000) or +AMOUNT over "
                        f"today's cost, got {text!r}") from None
    if amount < 0 or not math.isfinite(amount):
        raise UserError(f"--budget must be an amount of 0 or more, got {text!r}")
    return today + amount if extra else amount


def cost_today(base) -> float:
    """The border agency's cost a year of the scenario as it stands."""
    if isinstance(base, NationalScenario):
        return sum(border_cost_per_year(p.scenario) for p in base.points)
    return border_cost_per_year(base)


def currency(base) -> str:
    scenario = base.points[0].scenario if isinstance(base, NationalScenario) else base
    return scenario.costs.currency


# ---- the options -----------------------------------------------------------------------------

@dataclass
class PointSettings:
    """The settings one point can take (its decisions' combinations): each a scenario as it
    runs and the border agency's cost of that scenario a year."""
    name: str | None
    changes: list[dict]              # decision label -> value
    scenarios: list[Scenario]
    cost: np.ndarray                 # a year, per setting
    population: Hashable | None      # legs key of a network point; None: the whole release
    seed: int | None                 # a network point's own seed; None: the run's
    weight: float = 1.0              # share of the network's victims


@dataclass
class Space:
    """Every option: one setting per point (`choice`, options x points), its cost a year, and
    which options the budget allows."""
    points: list[PointSettings]
    choice: np.ndarray
    cost: np.ndarray
    within: np.ndarray               # within the budget and the totals' limits
    decisions: list[Decision]
    today: int                       # the option that leaves every decided value as it is, or -1
    budget: float

    def changes(self, option: int) -> dict:
        out = {}
        for p, setting in zip(self.points, self.choice[option]):
            out.update(p.changes[setting])
        return out


def decision_space(base: Scenario | NationalScenario, decisions: list[Decision], budget: float,
                   population: VictimPopulation, seed: int, totals: list[Constraint] = ()
                   ) -> tuple[Space, dict]:
    """The options the decisions make, each point's settings built once and checked like a
    file; impossible combinations (more trained officers than officers) are left out. The
    budget and `totals` (constraints on decided values added up) say which options may run."""
    if not decisions:
        raise UserError("optimise needs at least one --decide KEY=VALUES")
    national = isinstance(base, NationalScenario)
    populations: dict = {}
    if national:
        populations = deal_legs(base, population, seed)
        routed = routed_points(base, populations, seed)
        bases = [(r.name, r.scenario, r.legs, r.seed, r.victim_weight,
                  base.victims_per_day * r.victim_weight) for r in routed]
    else:
        bases = [(None, base, None, None, 1.0, None)]
    points = []
    for name, scenario, legs, point_seed, weight, victims_a_day in bases:
        mine = [d for d in decisions if d.point == name]
        changes, scenarios, costs = [], [], []
        for combo in itertools.product(*(d.values for d in mine)):
            change = {d.label: v for d, v in zip(mine, combo)}
            setting = _setting(scenario, {d.key: v for d, v in zip(mine, combo)}, victims_a_day)
            if setting is None:
                continue
            changes.append(change)
            scenarios.append(setting)
            costs.append(border_cost_per_year(setting))
        if not scenarios:
            raise UserError(f"no setting of {name or base.name} is possible: check the "
                            "--decide ranges (e.g. more trained officers than officers)")
        points.append(PointSettings(name, changes, scenarios, np.asarray(costs), legs,
                                    point_seed, weight))
    sizes = [len(p.scenarios) for p in points]
    total = math.prod(sizes)
    if total > MOST_OPTIONS:
        raise UserError(f"{total:,} options is more than {MOST_OPTIONS:,}: narrow the --decide "
                        "ranges or take coarser steps")
    choice = np.array(list(itertools.product(*(range(n) for n in sizes))), dtype=np.int64)
    cost = sum(p.cost[choice[:, i]] for i, p in enumerate(points))
    allowed = cost <= budget + 1e-6
    for c in totals:
        total = sum(np.array([float(ch.get(f"{p.name}.{c.kpi}" if p.name else c.kpi, 0))
                              for ch in p.changes])[choice[:, i]]
                    for i, p in enumerate(points))
        allowed &= total <= c.limit + 1e-9 if c.at_most else total >= c.limit - 1e-9
    today = _today(base, points, decisions)
    return Space(points, choice, cost, allowed, decisions, today, budget), populations


def _setting(scenario: Scenario, changes: dict, victims_a_day: float | None) -> Scenario | None:
    plain = {k: v for k, v in changes.items() if k not in OFFICER_KEYS}
    try:
        setting = scenario.with_values(plain) if plain else scenario
        officers = {OFFICER_KEYS[k]: v for k, v in changes.items() if k in OFFICER_KEYS}
        if officers:
            if any(v > setting.officers or v < 0 or v != int(v) for v in officers.values()):
                return None
            setting = setting.with_values({k: v / setting.officers for k, v in officers.items()})
        if victims_a_day is not None and "arrivals.daily_volume" in plain:
            setting = setting.with_values({"victims.share": min(
                1.0, victims_a_day / max(setting.arrivals.daily_volume, 1e-9))})
    except UserError as error:
        raise UserError(f"--decide: {error}") from None
    return setting


def _today(base, points: list[PointSettings], decisions: list[Decision]) -> int:
    """The option whose decided values are the scenario's own (if the ranges include them)."""
    picks = []
    for p in points:
        scenario = base if not isinstance(base, NationalScenario) else base.point(p.name).scenario
        found = -1
        for i, change in enumerate(p.changes):
            if all(_current(scenario, key.split(".", 1)[1] if p.name else key) == value
                   for key, value in change.items()):
                found = i
                break
        if found < 0:
            return -1
        picks.append(found)
    return _row_of(points, picks)


def _row_of(points: list[PointSettings], picks: list[int]) -> int:
    index = 0
    for p, pick in zip(points, picks):
        index = index * len(p.scenarios) + pick
    return index


def _current(scenario: Scenario, key: str):
    if key in OFFICER_KEYS:
        levels = scenario.officer_levels()
        return levels.count("specialist" if key == "specialist_officers" else "basic")
    return get_dotted(scenario, key)


# national KPIs a constraint may name: the worst point's value in each replication
WORST = {"desk_wait_mean_worst": ("desk_wait_mean", np.fmax),
         "desk_wait_p95_worst": ("desk_wait_p95", np.fmax),
         "desk_within_target_worst": ("desk_within_target", np.fmin)}
