"""A scenario: every parameter of one border crossing point, as frozen dataclasses checked on load.

Unknown keys are errors with a suggestion, values are range-checked, so a typo never runs a default.
The code's defaults are the sourced values of scenarios/airport-baseline.yaml (a test holds them
equal), so a partial scenario is an airport baseline with a few values changed. Files are read by
sim.model.scenario_files; the checking machinery is sim.model.fields.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from typing import Any, NamedTuple

from tipkit.errors import UserError
from tipkit.sim.model.fields import (build, choice, number, numbers, plain, section, set_dotted,
                                     text, texts)

HOURS = 24
LEVELS = ("none", "basic", "specialist")


class Indicators(NamedTuple):
    """The four signs a screener may notice on a victim, by name. The same shape holds what a
    victim carries (booleans), how often a screener notices each (probabilities), and one
    traveller's random draws for noticing each."""
    document: Any   # a forged document, or one that is not their own
    minor: Any      # a child (with an unrelated adult)
    control: Any    # signs of control or of exploitation already suffered
    group: Any      # a group of strangers, one speaking for all


INDICATORS = Indicators._fields

@dataclass(frozen=True)
class Duration:
    """A random duration: lognormal (median, sigma) or exponential (mean), optionally capped.
    The unit is named by the key that holds it (service_seconds, interview_minutes, stay_days).
    Given whole: its keys never merge with another duration's."""
    GIVEN_WHOLE = True
    distribution: str = choice("lognormal", "lognormal", "exponential")
    median: float | None = number(None, 0.0, 1e7, optional=True)
    sigma: float | None = number(None, 0.0, 5.0, optional=True)
    mean: float | None = number(None, 0.0, 1e7, optional=True)
    cap: float | None = number(None, 0.0, 1e7, optional=True)

    def _check(self, where: str) -> None:
        if self.distribution == "lognormal":
            if self.median is None or self.sigma is None:
                raise UserError(f"{where}: a lognormal duration needs median and sigma")
            if self.median <= 0:
                raise UserError(f"{where}.median: must be above 0, got {self.median}")
        elif self.mean is None or self.mean <= 0:
            raise UserError(f"{where}: an exponential duration needs a mean above 0")

    @property
    def expected(self) -> float:
        """The mean of the (uncapped) distribution."""
        if self.distribution == "exponential":
            return float(self.mean)
        return float(self.median) * math.exp(self.sigma ** 2 / 2)


@dataclass(frozen=True)
class Arrivals:
    """How travellers reach the hall: an hourly Poisson process or flight banks."""
    pattern: str = choice("flights", "hourly", "flights")
    daily_volume: float = number(8000.0, 0.0, 1e7)
    hourly_profile: tuple = numbers((0.0, 0.0, 0.0, 0.0, 0.0, 2.0, 5.0, 8.0, 9.0, 7.0, 5.0, 4.0,
                                     4.0, 5.0, 5.0, 6.0, 7.0, 8.0, 8.0, 6.0, 5.0, 3.0, 2.0, 0.0),
                                    length=HOURS)
    passengers_per_flight: float = number(160.0, 1.0, 1000.0)
    deboarding_gap_seconds: tuple = numbers((2.0, 8.0), length=2)
    walk_minutes: tuple = numbers((3.0, 8.0), length=2)

    def _check(self, where: str) -> None:
        if sum(self.hourly_profile) <= 0:
            raise UserError(f"{where}.hourly_profile: at least one hour must have arrivals")
        for key in ("deboarding_gap_seconds", "walk_minutes"):
            lo, hi = getattr(self, key)
            if lo > hi:
                raise UserError(f"{where}.{key}: the first value (low) is above the second (high)")

    def hourly_volume(self) -> list[float]:
        """Expected arrivals in each hour of the day."""
        total = sum(self.hourly_profile)
        return [self.daily_volume * w / total for w in self.hourly_profile]


@dataclass(frozen=True)
class Victims:
    """Which travellers are trafficking victims and whom they are drawn from."""
    share: float = number(0.001, 0.0, 1.0)
    transport: tuple = texts(("plane",), ("bus", "train", "plane", "other"))
    # A release folder, relative to the scenario file that names it; empty: --population, or
    # the default release (see population.default_release).
    release: str = text("")


@dataclass(frozen=True)
class NightShift:
    """Fewer officers on duty between two hours of the day (from_hour may be after to_hour)."""
    from_hour: int = number(22, 0, 23, integer=True)
    to_hour: int = number(6, 0, 23, integer=True)
    officers: int = number(1, 1, 10000, integer=True)

    def covers(self, hour: int) -> bool:
        """Whether hour (0-23) falls in the night shift."""
        start, end = self.from_hour, self.to_hour
        if start == end:
            return True
        if start < end:
            return start <= hour < end
        return hour >= start or hour < end


@dataclass(frozen=True)
class Training:
    """The officers' training mix. Specialist training comes first: basic_share counts only
    among officers it leaves (so sweeping specialist_share up to 1 up-skills the basic ones)."""
    basic_share: float = number(0.2, 0.0, 1.0)
    specialist_share: float = number(0.0, 0.0, 1.0)

    def shares(self) -> dict[str, float]:
        """The share of officers at each level; they add up to 1."""
        specialist = self.specialist_share
        basic = min(self.basic_share, 1.0 - specialist)
        return {"specialist": specialist, "basic": basic,
                "none": max(0.0, 1.0 - specialist - basic)}


@dataclass(frozen=True)
class Sensitivity:
    """How often a screener notices each indicator a victim carries, and flags anyone at random."""
    document: float = number(0.3, 0.0, 1.0)
    minor: float = number(0.25, 0.0, 1.0)
    control: float = number(0.05, 0.0, 1.0)
    group: float = number(0.05, 0.0, 1.0)
    false_alarm: float = number(0.0006, 0.0, 1.0)
    extra_seconds: float = number(0.0, 0.0, 3600.0)

    def noticing(self) -> Indicators:
        return Indicators(self.document, self.minor, self.control, self.group)


@dataclass(frozen=True)
class Screening:
    """The sensitivity of officers at each training level."""
    none: Sensitivity = section(Sensitivity)
    basic: Sensitivity = section(Sensitivity, Sensitivity(0.5, 0.45, 0.15, 0.15, 0.0008, 5.0))
    specialist: Sensitivity = section(Sensitivity, Sensitivity(0.7, 0.7, 0.4, 0.35, 0.0012, 15.0))


@dataclass(frozen=True)
class Desk:
    """A manual desk: the processing time of one traveller before any screening extra."""
    service_seconds: Duration = section(Duration, Duration("lognormal", median=50.4, sigma=0.54,
                                                           cap=180.0))
    target_minutes: float = number(45.0, 0.0, 1e4)


@dataclass(frozen=True)
class EGates:
    """Automated gates: who may use them, how long they take, how often they fail to a desk."""
    gates: int = number(0, 0, 10000, integer=True)
    eligible_share: float = number(0.5, 0.0, 1.0)
    failure_share: float = number(0.09, 0.0, 1.0)
    service_seconds: Duration = section(Duration, Duration("lognormal", median=30.0, sigma=0.15))
    screening: Sensitivity = section(Sensitivity, Sensitivity(0.1, 0.0, 0.0, 0.0, 0.0002, 0.0))
    target_minutes: float = number(5.0, 0.0, 1e4)


@dataclass(frozen=True)
class TimePressure:
    """When the desk queue is long, officers screen faster and notice less."""
    full_at_queue: float = number(150.0, 1.0, 1e7)
    noticing_loss: float = number(0.5, 0.0, 1.0)
    speed_up: float = number(0.2, 0.0, 0.9)


@dataclass(frozen=True)
class Secondary:
    """Secondary inspection: specialist interviewers who confirm victims or clear travellers."""
    specialists: int = number(2, 1, 10000, integer=True)
    interview_minutes: Duration = section(Duration, Duration("lognormal", median=20.0, sigma=0.4))
    confirms_victim: float = number(0.76, 0.0, 1.0)
    refers_ordinary: float = number(0.01, 0.0, 1.0)


@dataclass(frozen=True)
class Shelter:
    """Service providers' beds for referred people: a bed is held for the length of stay."""
    beds: int = number(6, 0, 1e6, integer=True)
    occupied_at_start: int = number(4, 0, 1e6, integer=True)
    stay_days: Duration = section(Duration, Duration("lognormal", median=30.0, sigma=0.8))
    when_full: str = choice("refuse", "refuse", "wait")

    def _check(self, where: str) -> None:
        if self.occupied_at_start > self.beds:
            raise UserError(f"{where}.occupied_at_start: {self.occupied_at_start} is more than "
                            f"the {self.beds} beds")


@dataclass(frozen=True)
class Run:
    """How long one replication lasts; a 24/7 crossing discards a warm-up."""
    days: float = number(1.0, 1 / 24, 366.0)
    warmup_hours: float = number(0.0, 0.0, 24 * 366.0)

    def _check(self, where: str) -> None:
        if self.warmup_hours >= self.days * 24:
            raise UserError(f"{where}.warmup_hours: {self.warmup_hours:g} h leaves nothing of "
                            f"a {self.days:g}-day run")


@dataclass(frozen=True)
class Costs:
    """What the crossing point costs, in one named currency at one price year: the border
    agency's staff, training and e-gates, and the shelter bed-nights its referrals commit.
    Training is bought once per person and spread over the years it stays useful."""
    currency: str = text("GBP")
    price_year: int = number(2024, 1900, 2200, integer=True)
    officer_per_hour: float = number(22.75, 0.0, 1e7)        # a desk officer, per shift-hour
    secondary_per_hour: float = number(32.1, 0.0, 1e7)       # a secondary-inspection specialist
    basic_training: float = number(564.0, 0.0, 1e9)          # one person's basic course
    specialist_training: float = number(1410.0, 0.0, 1e9)    # one person's specialist course
    training_years: float = number(3.0, 0.1, 100.0)          # years until a refresher or turnover
    officer_hours_per_year: float = number(1600.0, 1.0, 8784.0)  # one officer's working hours
    egate_per_day: float = number(60.4, 0.0, 1e9)            # one gate, bought and run, a day
    shelter_bed_per_night: float = number(100.0, 0.0, 1e7)   # one occupied shelter bed-night


@dataclass(frozen=True)
class Scenario:
    """One what-if for one official crossing point; build it with `scenario_files.load_scenario` or
    `Scenario.from_mapping`, change it with `with_values`."""
    name: str = text("scenario")
    question: str = text("")
    arrivals: Arrivals = section(Arrivals)
    victims: Victims = section(Victims)
    officers: int = number(10, 1, 10000, integer=True)
    night_shift: NightShift | None = section(NightShift, optional=True)
    training: Training = section(Training)
    desk: Desk = section(Desk)
    screening: Screening = section(Screening)
    egates: EGates = section(EGates)
    time_pressure: TimePressure = section(TimePressure)
    secondary: Secondary = section(Secondary)
    shelter: Shelter = section(Shelter)
    run: Run = section(Run)
    costs: Costs = section(Costs)

    @classmethod
    def from_mapping(cls, raw: Any, where: str = "scenario") -> "Scenario":
        return build(cls, raw, where)

    def to_mapping(self) -> dict:
        """Plain dicts and lists, ready for YAML."""
        return plain(dataclasses.asdict(self))

    def with_values(self, changes: dict[str, Any]) -> "Scenario":
        """A copy with dotted keys changed (`training.specialist_share`), checked like a file."""
        raw = self.to_mapping()
        for dotted, value in changes.items():
            set_dotted(raw, Scenario, dotted, value)
        return Scenario.from_mapping(raw, where=self.name)

    def with_training_effect(self, scale: float) -> "Scenario":
        """Training's uplift over untrained officers multiplied by `scale` (0 = training does
        nothing): the most uncertain assumption, for sensitivity analysis."""
        base = self.screening.none
        changed = {}
        for level in ("basic", "specialist"):
            sens = getattr(self.screening, level)
            for name in INDICATORS:
                lifted = getattr(base, name) + scale * (getattr(sens, name) - getattr(base, name))
                changed[f"screening.{level}.{name}"] = min(1.0, max(0.0, lifted))
        return self.with_values(changed)

    def officer_levels(self, officers: int | None = None) -> list[str]:
        """Each officer's training level, most trained first, by largest remainder."""
        n = self.officers if officers is None else officers
        shares = self.training.shares()
        exact = {level: shares[level] * n for level in LEVELS}
        counts = {level: int(math.floor(exact[level] + 1e-9)) for level in LEVELS}
        leftover = n - sum(counts.values())
        for level in sorted(LEVELS, key=lambda lv: (-(exact[lv] - counts[lv]), LEVELS.index(lv))):
            if leftover <= 0:
                break
            counts[level] += 1
            leftover -= 1
        return (["specialist"] * counts["specialist"] + ["basic"] * counts["basic"]
                + ["none"] * counts["none"])
