"""Observed facts: what an agency recorded at one crossing point or nationally over a period
(a count over the period, or a measured average with its interval), read and checked against the
KPIs a scenario's run reports, for calibration (sim.experiments.calibration).

A fact's value in the model: a `total` is the KPI's daily rate times `period_days` (a count
KPI's replication value over its counted days, or a national `*_per_day` KPI); a `mean` of a
count KPI is its daily rate, of any other KPI the KPI itself (a share, a rate per 10,000, minutes).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import yaml

from tipkit.errors import UserError
from tipkit.sim.model.fields import suggest
from tipkit.sim.model.kpis import KPI_BY_NAME, KPIS
from tipkit.sim.model.national import NATIONAL_KPIS, NationalScenario
from tipkit.yamlfiles import load_yaml, problem

KEYS = ("name", "period_days", "facts", "note")
FACT_KEYS = ("kpi", "total", "mean", "interval", "level", "source", "illustrative")
LEVEL = 0.90                     # an interval without `level` is read as a 90% interval
# end-of-run states and whole-run settings: a count, but not one that adds up over days
NOT_ADDITIVE = ("referrals_waiting",)


@dataclass(frozen=True)
class Fact:
    """One recorded number: a count over the period (`total`) or an average (`mean`, with the
    interval the agency gives it at `level`)."""
    kpi: str                     # a summary.csv KPI, a national KPI, or POINT.kpi
    total: float | None = None
    mean: float | None = None
    interval: tuple[float, float] | None = None
    level: float = LEVEL
    source: str = ""
    illustrative: bool = False

    @property
    def value(self) -> float:
        return self.total if self.total is not None else self.mean

    @property
    def kind(self) -> str:
        return "total" if self.total is not None else "mean"

    @property
    def point(self) -> str | None:
        head, dot, _ = self.kpi.partition(".")
        return head if dot and self.kpi not in KPI_BY_NAME else None

    @property
    def point_kpi(self) -> str:
        """The KPI's name in its run's summary (the point's, without POINT.)."""
        return self.kpi.partition(".")[2] if self.point else self.kpi

    def sd(self) -> float:
        """A mean's measurement standard deviation, from its interval read as a normal one."""
        from scipy.stats import norm

        low, high = self.interval
        return (high - low) / (2 * norm.ppf(0.5 + self.level / 2))


@dataclass(frozen=True)
class ObservedFacts:
    name: str
    period_days: float
    facts: tuple[Fact, ...]
    path: Path | None = None

    @property
    def kpis(self) -> list[str]:
        return [f.kpi for f in self.facts]


def load_facts(path: str | Path) -> ObservedFacts:
    """Read and check a facts file; every problem is a one-line UserError."""
    path = Path(path)
    if not path.is_file():
        raise UserError(f"observed facts file not found: {path}")
    try:
        raw = load_yaml(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as error:
        raise UserError(f"{path}: not valid YAML{problem(error)}") from None
    return parse_facts(raw, str(path), path)


def parse_facts(raw, where: str, path: Path | None = None) -> ObservedFacts:
    if not isinstance(raw, dict):
        raise UserError(f"{where}: expected period_days and a list of facts")
    for key in raw:
        if key not in KEYS:
            raise UserError(f"{where}: unknown key {key}{suggest(str(key), KEYS)}")
    period = raw.get("period_days")
    if not _number(period) or not period > 0:
        raise UserError(f"{where}: period_days: the days the facts were recorded over, a number "
                        f"above 0, got {period!r}")
    items = raw.get("facts")
    if not isinstance(items, list) or not items:
        raise UserError(f"{where}: facts: expected a list, e.g. "
                        "- {kpi: referrals, total: 300, source: ...}")
    facts, seen = [], set()
    for i, item in enumerate(items, 1):
        fact = _fact(item, f"{where}: fact {i}")
        if fact.kpi in seen:
            raise UserError(f"{where}: fact {i}: {fact.kpi} is given twice: keep one")
        seen.add(fact.kpi)
        facts.append(fact)
    name = str(raw.get("name") or (path.stem if path else "facts"))
    return ObservedFacts(name, float(period), tuple(facts), path)


def _fact(item, where: str) -> Fact:
    if not isinstance(item, dict):
        raise UserError(f"{where}: expected kpi and total, or kpi, mean and interval")
    for key in item:
        if key not in FACT_KEYS:
            raise UserError(f"{where}: unknown key {key}{suggest(str(key), FACT_KEYS)}")
    kpi = item.get("kpi")
    if not isinstance(kpi, str) or not kpi.strip():
        raise UserError(f"{where}: kpi: name a KPI of summary.csv, e.g. referrals")
    where = f"{where} ({kpi})"
    total, mean = item.get("total"), item.get("mean")
    if (total is None) == (mean is None):
        raise UserError(f"{where}: give either total (a count over period_days) or mean (with "
                        "its interval)")
    source = item.get("source", "")
    illustrative = item.get("illustrative", False)
    if not isinstance(source, str):
        raise UserError(f"{where}: source: expected text")
    if not isinstance(illustrative, bool):
        raise UserError(f"{where}: illustrative: expected true or false")
    if total is not None:
        if not _number(total):
            raise UserError(f"{where}: total: expected a number, got {total!r}")
        if total < 0:
            raise UserError(f"{where}: total: a count cannot be negative, got {total:g}")
        if "interval" in item or "level" in item:
            raise UserError(f"{where}: a total's noise is the count's own: leave out interval "
                            "(or give mean and interval)")
        return Fact(kpi.strip(), total=float(total), source=source, illustrative=illustrative)
    if not _number(mean):
        raise UserError(f"{where}: mean: expected a number, got {mean!r}")
    interval = item.get("interval")
    if (not isinstance(interval, list) or len(interval) != 2
            or not all(_number(v) for v in interval)):
        raise UserError(f"{where}: interval: expected [low, high] around the mean, got "
                        f"{interval!r}")
    low, high = float(interval[0]), float(interval[1])
    if not low < high or not low <= mean <= high:
        raise UserError(f"{where}: interval [{low:g}, {high:g}] is not around the mean "
                        f"{mean:g}: give [low, high] with low <= mean <= high")
    level = item.get("level", LEVEL)
    if not _number(level) or not 0 < level < 1:
        raise UserError(f"{where}: level: the interval's coverage, above 0 and below 1 (0.9 "
                        f"for a 90% interval), got {level!r}")
    return Fact(kpi.strip(), mean=float(mean), interval=(low, high), level=float(level),
                source=source, illustrative=illustrative)


def _number(value) -> bool:
    return (isinstance(value, (int, float)) and not isinstance(value, bool)
            and math.isfinite(value))


# ---- the facts against a scenario ---------------------------------------------------------

POINT_NAMES = tuple(k.name for k in KPIS)
NATIONAL_NAMES = tuple(k.name for k in NATIONAL_KPIS)


def check_facts(facts: ObservedFacts, scenario) -> None:
    """Refuse a fact the scenario's run does not report, or a total of what does not add up
    over days (a share, a rate, a wait)."""
    national = isinstance(scenario, NationalScenario)
    for fact in facts.facts:
        where = f"{facts.path or facts.name}: {fact.kpi}"
        if national and fact.kpi not in NATIONAL_NAMES:
            point, dot, kpi = fact.kpi.partition(".")
            if not dot:
                raise UserError(f"{where}: not a national KPI{suggest(fact.kpi, NATIONAL_NAMES)}"
                                f" (a point's KPI is POINT.kpi, points: "
                                f"{', '.join(scenario.point_names)})")
            scenario.point(point)
            _known(kpi, where)
        elif not national:
            _known(fact.kpi, where)
        if fact.total is not None and not additive(fact.kpi if not fact.point else
                                                   fact.point_kpi, national and not fact.point):
            raise UserError(f"{where}: a total needs a count (e.g. referrals, identified) or a "
                            "national *_per_day KPI: give this one as mean and interval")


def _known(kpi: str, where: str) -> None:
    if kpi not in POINT_NAMES:
        raise UserError(f"{where}: not a KPI of summary.csv{suggest(kpi, POINT_NAMES)}")


def additive(kpi: str, national: bool) -> bool:
    """Whether the KPI adds up over days (a count, or a national amount a day)."""
    if national:
        return kpi.endswith("_per_day")
    spec = KPI_BY_NAME[kpi]
    return (spec.form == "count" and kpi not in NOT_ADDITIVE) or kpi.endswith("_per_day")


def daily(kpi: str, national: bool) -> bool:
    """Whether the fact's model value is the KPI over the replication's counted days (a point's
    count); otherwise it is the KPI as reported."""
    return not national and additive(kpi, False) and not kpi.endswith("_per_day")
