"""A national network of official crossing points: each point a scenario as today, and the
routing that sends the release's official-crossing legs to the points by transport mode.

A national scenario file (`kind: national`) names its points' scenario files, the victims who
cross the modelled points a day, and for each transport mode the share of its legs at each
point. The legs themselves are dealt to the points (a seeded shuffle, then shares by largest
remainder), so each point draws its victims from its own legs with the model unchanged.
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from tipkit.errors import UserError
from tipkit.sim.model.fields import suggest
from tipkit.sim.model.kpis import KPI, KPI_BY_NAME
from tipkit.sim.model.population import VictimPopulation
from tipkit.sim.model.scenario import Scenario
from tipkit.sim.model.scenario_files import load_scenario, scenario_source
from tipkit.yamlfiles import load_yaml, problem

KIND = "national"
KEYS = ("kind", "based_on", "name", "question", "victims_per_day", "points", "routing", "set")
ROUTING_STREAM = 0x5EED_0001     # spawn key of the legs' shuffle: apart from replications' keys

# What a national run reports per replication, from its points' KPIs (by name).
NATIONAL_KPIS = (
    KPI("identification_rate", "Victims identified, nationally (share of victims who crossed)",
        "share", True, "higher"),
    KPI("identified_per_day", "Victims identified a day", "number", False, "higher"),
    KPI("victims_per_day", "Victims who crossed a day", "number"),
    # the points' costs, added up: the same KPIs as a single point's
    *(KPI_BY_NAME[name] for name in ("cost_per_day", "cost_border_per_day",
                                     "cost_shelter_per_day")),
    KPI("desk_wait_mean_worst", "Desk wait, mean, at the worst point (min)", "minutes", True,
        "lower"),
    KPI("desk_wait_p95_worst", "Desk wait, 95th percentile, at the worst point (min)",
        "minutes", False, "lower"),
    KPI("desk_within_target_worst", "Desk waits within target, at the worst point", "share",
        False, "higher"),
    KPI("flags_per_day", "Travellers flagged a day", "number"),
    KPI("false_referrals_per_day", "False referrals a day", "number", False, "lower"),
    KPI("referrals_per_day", "Referrals a day", "number"),
    KPI("refused_referrals_per_day", "Referrals refused a day (shelter full)", "number", False,
        "lower"),
    KPI("travellers_per_day", "Travellers a day", "number"),
)
# The national direct counts (from the points' `*_direct` columns), kept in the national
# replications to check the virtual-victim estimates against; never compared or summarised.
NATIONAL_DIRECT = (
    KPI("identification_rate_direct", "Victims identified, nationally (direct count)", "share"),
    KPI("identified_per_day_direct", "Victims identified a day (direct count)", "number"),
)
NATIONAL_BY_NAME = {k.name: k for k in NATIONAL_KPIS + NATIONAL_DIRECT}


@dataclass(frozen=True)
class Point:
    """One crossing point of the network: its scenario as its file says, and that file."""
    name: str
    scenario: Scenario
    path: Path


@dataclass(frozen=True)
class NationalScenario:
    """Several crossing points and the routing of victims' legs between them."""
    name: str
    question: str
    victims_per_day: float
    points: tuple[Point, ...]
    routing: dict                             # mode -> {point: share}, shares adding up to 1
    path: Path | None = None

    @property
    def point_names(self) -> list[str]:
        return [p.name for p in self.points]

    def point(self, name: str) -> Point:
        for p in self.points:
            if p.name == name:
                return p
        raise UserError(f"{self.name}: no crossing point {name}"
                        f"{suggest(name, self.point_names)}")

    def with_values(self, changes: dict[str, Any]) -> "NationalScenario":
        """A copy with `POINT.key` (a point's dotted scenario key) or `victims_per_day` changed,
        each checked like a file."""
        by_point: dict[str, dict] = {}
        national = self
        for dotted, value in changes.items():
            if dotted in ("name", "question"):
                national = replace(national, **{dotted: value})
                continue
            if dotted == "victims_per_day":
                national = replace(national, victims_per_day=_positive(value, dotted))
                continue
            point, _, key = dotted.partition(".")
            if not key:
                raise UserError(f"{self.name}: {dotted}: a national key is POINT.key "
                                f"(points: {', '.join(self.point_names)}) or victims_per_day")
            self.point(point)
            by_point.setdefault(point, {})[key] = value
        points = tuple(replace(p, scenario=p.scenario.with_values(by_point[p.name]))
                       if p.name in by_point else p for p in national.points)
        return replace(national, points=points)

    def served_modes(self, point: str) -> list[str]:
        return [mode for mode, shares in self.routing.items() if shares.get(point, 0) > 0]

    def sources(self) -> dict[str, str]:
        """The text of the national file and of each point's files, for the report."""
        out = {}
        if self.path is not None:
            out[self.name] = self.path.read_text(encoding="utf-8")
        for p in self.points:
            out[p.name] = scenario_source(p.path)
        return out


# ---- files ---------------------------------------------------------------------------------

def is_national_file(path: str | Path) -> bool:
    """Whether a YAML file is a national scenario (`kind: national`): a lenient look at its kind
    only (load_national reads it strictly, refusing a repeated key at its line)."""
    path = Path(path)
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError):
        return False
    return isinstance(raw, dict) and raw.get("kind") == KIND


def load_national(path: str | Path) -> NationalScenario:
    """Read and check a national scenario file and its points' files; one-line UserErrors."""
    path = Path(path)
    raw = _read_national(path, [])
    for key in raw:
        if key not in KEYS:
            raise UserError(f"{path}: unknown key {key}{suggest(key, KEYS)}")
    points_raw = raw.get("points")
    if not isinstance(points_raw, dict) or not points_raw:
        raise UserError(f"{path}: points: name each crossing point and its scenario file")
    points = []
    for name, file in points_raw.items():
        if not isinstance(file, str):
            raise UserError(f"{path}: points.{name}: expected a scenario file name")
        if "." in str(name):
            raise UserError(f"{path}: points.{name}: a point's name cannot contain a dot")
        file_path = Path(file) if Path(file).is_absolute() else path.parent / file
        scenario = load_scenario(file_path).with_values({"name": str(name)})
        points.append(Point(str(name), scenario, file_path))
    currencies = {p.scenario.costs.currency for p in points}
    if len(currencies) > 1:
        raise UserError(f"{path}: the points' costs are in different currencies "
                        f"({', '.join(sorted(currencies))}): use one")
    national = NationalScenario(
        name=str(raw.get("name", path.stem)), question=str(raw.get("question", "")),
        victims_per_day=_positive(raw.get("victims_per_day"), f"{path}: victims_per_day"),
        points=tuple(points), routing=_routing(raw.get("routing"), points, path), path=path)
    changes = raw.get("set") or {}
    if not isinstance(changes, dict):
        raise UserError(f"{path}: set: expected POINT.key: value lines")
    for key in changes:
        if str(key).endswith("victims.release"):
            raise UserError(f"{path}: set.{key}: a network draws its victims from one release: "
                            "name it in the points' scenario files (victims.release) or with "
                            "--population")
    return national.with_values(changes) if changes else national


def _read_national(path: Path, seen: list[Path]) -> dict:
    if not path.is_file():
        raise UserError(f"national scenario file not found: {path}")
    if path.resolve() in seen:
        raise UserError(f"{path}: based_on goes round in a circle")
    try:
        raw = load_yaml(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as error:
        raise UserError(f"{path}: not valid YAML{problem(error)}") from None
    if not isinstance(raw, dict) or raw.get("kind") != KIND:
        raise UserError(f"{path}: not a national scenario (it needs kind: national)")
    base = raw.pop("based_on", None)
    if base is None:
        return raw
    merged = _read_national(path.parent / str(base), seen + [path.resolve()])
    # point files are relative to the file that names them: the base's, made absolute
    if isinstance(merged.get("points"), dict):
        folder = (path.parent / str(base)).parent.resolve()
        merged["points"] = {n: f if Path(str(f)).is_absolute() else str(folder / str(f))
                            for n, f in merged["points"].items()}
    # a file based on another changes what it names: points and set merge key by key
    for key in ("points", "set"):
        if isinstance(raw.get(key), dict):
            raw[key] = {**(merged.get(key) or {}), **raw[key]}
    merged.pop("name", None)
    merged.pop("question", None)
    return {**merged, **raw}


def _routing(raw, points: list[Point], path: Path) -> dict[str, dict[str, float]]:
    names = [p.name for p in points]
    if not isinstance(raw, dict) or not raw:
        raise UserError(f"{path}: routing: give each transport mode's shares at the points, "
                        "e.g. plane: {airport: 1.0}")
    modes = ("bus", "train", "plane", "other")
    routing = {}
    for mode, shares in raw.items():
        if mode not in modes:
            raise UserError(f"{path}: routing: {mode!r} is not one of {', '.join(modes)}")
        if not isinstance(shares, dict) or not shares:
            raise UserError(f"{path}: routing.{mode}: expected point: share pairs")
        clean = {}
        for point, share in shares.items():
            if point not in names:
                raise UserError(f"{path}: routing.{mode}: no point {point}"
                                f"{suggest(point, names)}")
            if isinstance(share, bool) or not isinstance(share, (int, float)) \
                    or not 0 < share <= 1:
                raise UserError(f"{path}: routing.{mode}.{point}: a share above 0 and at most "
                                f"1, got {share!r}")
            serves = next(p for p in points if p.name == point).scenario.victims.transport
            if mode not in serves:
                raise UserError(f"{path}: routing.{mode}.{point}: {point} does not serve {mode} "
                                f"(its scenario's victims.transport: {', '.join(serves)})")
            clean[point] = float(share)
        if abs(sum(clean.values()) - 1) > 1e-6:
            raise UserError(f"{path}: routing.{mode}: the shares add up to "
                            f"{sum(clean.values()):g}, not 1")
        routing[mode] = clean
    for name in names:
        if not any(name in shares for shares in routing.values()):
            raise UserError(f"{path}: point {name} receives no victims: route a transport mode "
                            "to it in routing")
    return routing


def _positive(value, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not value > 0 \
            or not math.isfinite(value):
        raise UserError(f"{where}: expected a number of victims above 0, got {value!r}")
    return float(value)


# ---- routing victims to the points --------------------------------------------------------

@dataclass(frozen=True)
class RoutedPoint:
    """A point as it runs in the network: its scenario (victim share and modes set by the
    routing), the key of its legs, its own seed, and its weight in the national rate."""
    name: str
    scenario: Scenario
    legs: tuple                       # the key of its population: (point, its routing)
    seed: int
    victim_weight: float              # its share of the victims who cross the modelled points


def deal_legs(national: NationalScenario, population: VictimPopulation, seed: int
              ) -> dict[tuple, VictimPopulation]:
    """Every mode's legs shuffled once (seeded) and dealt to its points by their shares (largest
    remainder): {legs key: the point's population}. A leg goes to exactly one point."""
    out = {}
    rng = np.random.Generator(np.random.PCG64(np.random.SeedSequence(
        entropy=seed, spawn_key=(ROUTING_STREAM,))))
    by_mode: dict[str, list] = {}
    for profile in population.profiles:
        by_mode.setdefault(profile.transport, []).append(profile)
    dealt: dict[str, list] = {p: [] for p in national.point_names}
    for mode in sorted(national.routing):
        legs = by_mode.get(mode, [])
        if not legs:
            raise UserError(f"{population.source}: no official-crossing legs by {mode} to route")
        order = rng.permutation(len(legs))
        points = sorted(national.routing[mode])
        counts = _largest_remainder([national.routing[mode][p] for p in points], len(legs))
        start = 0
        for point, count in zip(points, counts):
            dealt[point].extend(legs[i] for i in order[start:start + count].tolist())
            start += count
    for point in national.point_names:
        if not dealt[point]:
            raise UserError(f"{national.name}: point {point} receives no legs of the release")
        out[legs_key(national, point)] = VictimPopulation(
            f"{population.source} (legs routed to {point})", tuple(dealt[point]))
    return out


def legs_key(national: NationalScenario, point: str) -> tuple:
    """What a point's legs depend on: the point and the whole routing (other points' shares
    decide which legs are left for it)."""
    routing = sorted(national.routing.items())
    return (point, tuple((mode, tuple(sorted(shares.items()))) for mode, shares in routing))


def routed_points(national: NationalScenario, populations: dict[tuple, VictimPopulation],
                  seed: int) -> list[RoutedPoint]:
    """Each point's scenario as it runs: victims a day split by the legs each point received,
    as a share of its travellers, and its seed (by name: the same in every option)."""
    sizes = {p: len(populations[legs_key(national, p)].profiles) for p in national.point_names}
    total = sum(sizes.values())
    out = []
    for point in national.points:
        weight = sizes[point.name] / total
        victims = national.victims_per_day * weight
        volume = point.scenario.arrivals.daily_volume
        share = victims / volume if volume else math.inf
        if share > 1:
            raise UserError(f"{national.name}: {point.name} would get {victims:.1f} victims a day "
                            f"among {volume:g} travellers: lower victims_per_day")
        scenario = point.scenario.with_values({
            "victims.share": share, "victims.transport": national.served_modes(point.name)})
        out.append(RoutedPoint(point.name, scenario, legs_key(national, point.name),
                               point_seed(seed, point.name), weight))
    return out


def point_seed(seed: int, point: str) -> int:
    """A point's own run seed, from the run seed and its name: points are independent of each
    other, and a point meets the same travellers in every option (common random numbers)."""
    digest = hashlib.sha256(f"{seed}/{point}".encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "big")


def unrouted_share(national: NationalScenario, population: VictimPopulation) -> dict[str, float]:
    """Official-crossing legs by modes no point serves (outside the national model), by mode."""
    total = len(population.profiles)
    out: dict[str, float] = {}
    for profile in population.profiles:
        if profile.transport not in national.routing:
            out[profile.transport] = out.get(profile.transport, 0) + 1 / total
    return out


def _largest_remainder(shares: list[float], total: int) -> list[int]:
    exact = [s * total for s in shares]
    counts = [int(math.floor(x + 1e-9)) for x in exact]
    left = total - sum(counts)
    for i in sorted(range(len(shares)), key=lambda i: (-(exact[i] - counts[i]), i))[:max(left, 0)]:
        counts[i] += 1
    return counts


# ---- national KPIs of one replication -----------------------------------------------------

def national_kpis(points: list[RoutedPoint], rows: dict[str, dict]) -> dict[str, float]:
    """One replication of the network from its points' KPIs of that replication (by name):
    the identification rate weighted by each point's share of victims, sums a day, and the
    worst point's queue."""
    from tipkit.sim.model.costs import counted_days

    def day_sum(kpi: str, scale=lambda p, row: 1.0) -> float:
        return sum(rows[p.name][kpi] * scale(p, rows[p.name]) / counted_days(p.scenario)
                   for p in points)

    per_10k = lambda p, row: row["travellers"] / 1e4   # noqa: E731 - a rate back to a count
    waits = [rows[p.name]["desk_wait_mean"] for p in points]
    p95 = [rows[p.name]["desk_wait_p95"] for p in points]
    within = [rows[p.name]["desk_within_target"] for p in points]
    return {
        **{f"identification_rate{kind}": sum(p.victim_weight
                                             * rows[p.name][f"identification_rate{kind}"]
                                             for p in points)
           for kind in ("", "_direct")},
        "identified_per_day": day_sum("identified"),
        "identified_per_day_direct": day_sum("identified_direct"),
        "victims_per_day": day_sum("victims"),
        "cost_per_day": sum(rows[p.name]["cost_per_day"] for p in points),
        "cost_border_per_day": sum(rows[p.name]["cost_border_per_day"] for p in points),
        "cost_shelter_per_day": sum(rows[p.name]["cost_shelter_per_day"] for p in points),
        "desk_wait_mean_worst": _worst(waits, max),
        "desk_wait_p95_worst": _worst(p95, max),
        "desk_within_target_worst": _worst(within, min),
        "flags_per_day": day_sum("flags_per_10k", per_10k),
        "false_referrals_per_day": day_sum("false_referrals_per_10k", per_10k),
        "referrals_per_day": day_sum("referrals"),
        "refused_referrals_per_day": day_sum("refused_referrals"),
        "travellers_per_day": day_sum("travellers"),
    }


def _worst(values: list[float], pick) -> float:
    finite = [v for v in values if math.isfinite(v)]
    return pick(finite) if finite else math.nan
