"""A scenario: every parameter of one border crossing point, loaded from YAML and checked on load.

Unknown keys are errors with a suggestion, values are range-checked, so a typo never runs a default.
"""

from __future__ import annotations

import dataclasses
import difflib
import math
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

import yaml

from tipkit.errors import UserError
from tipkit.yamlfiles import load_yaml, problem

HOURS = 24
INDICATORS = ("document", "minor", "control", "group")
LEVELS = ("none", "basic", "specialist")


# ---- field declarations: each carries its own check -------------------------------------------

def _number(default, lo=-math.inf, hi=math.inf, *, integer=False, optional=False, doc=""):
    return field(default=default, metadata={"kind": "number", "lo": lo, "hi": hi,
                                            "integer": integer, "optional": optional, "doc": doc})


def _choice(default, *options):
    return field(default=default, metadata={"kind": "choice", "options": options})


def _text(default=""):
    return field(default=default, metadata={"kind": "text"})


def _numbers(default, length=None, lo=0.0):
    return field(default=default, metadata={"kind": "numbers", "length": length, "lo": lo})


def _texts(default, options):
    return field(default=default, metadata={"kind": "texts", "options": options})


def _section(cls, optional=False):
    if optional:
        return field(default=None, metadata={"kind": "section", "cls": cls, "optional": True})
    return field(default_factory=cls, metadata={"kind": "section", "cls": cls, "optional": False})


# ---- the sections -----------------------------------------------------------------------------

@dataclass(frozen=True)
class Duration:
    """A random duration: lognormal (median, sigma) or exponential (mean), optionally capped.
    The unit is named by the key that holds it (service_seconds, interview_minutes, stay_days)."""
    distribution: str = _choice("lognormal", "lognormal", "exponential")
    median: float | None = _number(None, 0.0, 1e7, optional=True)
    sigma: float | None = _number(None, 0.0, 5.0, optional=True)
    mean: float | None = _number(None, 0.0, 1e7, optional=True)
    cap: float | None = _number(None, 0.0, 1e7, optional=True)

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
    pattern: str = _choice("hourly", "hourly", "flights")
    daily_volume: float = _number(8000.0, 0.0, 1e7)
    hourly_profile: tuple = _numbers((1.0,) * HOURS, length=HOURS)
    passengers_per_flight: float = _number(180.0, 1.0, 1000.0)
    deboarding_gap_seconds: tuple = _numbers((2.0, 8.0), length=2)
    walk_minutes: tuple = _numbers((3.0, 8.0), length=2)

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
    share: float = _number(0.0005, 0.0, 1.0)
    transport: tuple = _texts(("bus", "train", "plane", "other"),
                              ("bus", "train", "plane", "other"))


@dataclass(frozen=True)
class NightShift:
    """Fewer officers on duty between two hours of the day (from_hour may be after to_hour)."""
    from_hour: int = _number(22, 0, 23, integer=True)
    to_hour: int = _number(6, 0, 23, integer=True)
    officers: int = _number(1, 1, 10000, integer=True)

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
    basic_share: float = _number(0.0, 0.0, 1.0)
    specialist_share: float = _number(0.0, 0.0, 1.0)

    def shares(self) -> dict[str, float]:
        """The share of officers at each level; they add up to 1."""
        specialist = self.specialist_share
        basic = min(self.basic_share, 1.0 - specialist)
        return {"specialist": specialist, "basic": basic,
                "none": max(0.0, 1.0 - specialist - basic)}


@dataclass(frozen=True)
class Sensitivity:
    """How often a screener notices each indicator a victim carries, and flags anyone at random."""
    document: float = _number(0.3, 0.0, 1.0)
    minor: float = _number(0.2, 0.0, 1.0)
    control: float = _number(0.05, 0.0, 1.0)
    group: float = _number(0.05, 0.0, 1.0)
    false_alarm: float = _number(0.001, 0.0, 1.0)
    extra_seconds: float = _number(0.0, 0.0, 3600.0)

    def noticing(self) -> tuple[float, ...]:
        return tuple(getattr(self, name) for name in INDICATORS)


@dataclass(frozen=True)
class Screening:
    """The sensitivity of officers at each training level."""
    none: Sensitivity = _section(Sensitivity)
    basic: Sensitivity = field(
        default_factory=lambda: Sensitivity(0.5, 0.45, 0.15, 0.15, 0.0015, 5.0),
        metadata={"kind": "section", "cls": Sensitivity, "optional": False})
    specialist: Sensitivity = field(
        default_factory=lambda: Sensitivity(0.7, 0.7, 0.4, 0.35, 0.002, 15.0),
        metadata={"kind": "section", "cls": Sensitivity, "optional": False})


@dataclass(frozen=True)
class Desk:
    """A manual desk: the processing time of one traveller before any screening extra."""
    service_seconds: Duration = field(
        default_factory=lambda: Duration("lognormal", median=50.0, sigma=0.54, cap=180.0),
        metadata={"kind": "section", "cls": Duration, "optional": False})
    target_minutes: float = _number(45.0, 0.0, 1e4)


@dataclass(frozen=True)
class EGates:
    """Automated gates: who may use them, how long they take, how often they fail to a desk."""
    gates: int = _number(0, 0, 10000, integer=True)
    eligible_share: float = _number(0.6, 0.0, 1.0)
    failure_share: float = _number(0.09, 0.0, 1.0)
    service_seconds: Duration = field(
        default_factory=lambda: Duration("lognormal", median=30.0, sigma=0.2),
        metadata={"kind": "section", "cls": Duration, "optional": False})
    screening: Sensitivity = field(
        default_factory=lambda: Sensitivity(0.1, 0.0, 0.0, 0.0, 0.0002, 0.0),
        metadata={"kind": "section", "cls": Sensitivity, "optional": False})
    target_minutes: float = _number(5.0, 0.0, 1e4)


@dataclass(frozen=True)
class TimePressure:
    """When the desk queue is long, officers screen faster and notice less."""
    full_at_queue: float = _number(100.0, 1.0, 1e7)
    noticing_loss: float = _number(0.0, 0.0, 1.0)
    speed_up: float = _number(0.0, 0.0, 0.9)


@dataclass(frozen=True)
class Secondary:
    """Secondary inspection: specialist interviewers who confirm victims or clear travellers."""
    specialists: int = _number(2, 1, 10000, integer=True)
    interview_minutes: Duration = field(
        default_factory=lambda: Duration("lognormal", median=20.0, sigma=0.4),
        metadata={"kind": "section", "cls": Duration, "optional": False})
    confirms_victim: float = _number(0.8, 0.0, 1.0)
    refers_ordinary: float = _number(0.02, 0.0, 1.0)


@dataclass(frozen=True)
class Shelter:
    """Service providers' beds for referred people: a bed is held for the length of stay."""
    beds: int = _number(6, 0, 1e6, integer=True)
    occupied_at_start: int = _number(0, 0, 1e6, integer=True)
    stay_days: Duration = field(
        default_factory=lambda: Duration("lognormal", median=30.0, sigma=0.8),
        metadata={"kind": "section", "cls": Duration, "optional": False})
    when_full: str = _choice("refuse", "refuse", "wait")

    def _check(self, where: str) -> None:
        if self.occupied_at_start > self.beds:
            raise UserError(f"{where}.occupied_at_start: {self.occupied_at_start} is more than "
                            f"the {self.beds} beds")


@dataclass(frozen=True)
class Run:
    """How long one replication lasts; a 24/7 crossing discards a warm-up."""
    days: float = _number(1.0, 1 / 24, 366.0)
    warmup_hours: float = _number(0.0, 0.0, 24 * 366.0)

    def _check(self, where: str) -> None:
        if self.warmup_hours >= self.days * 24:
            raise UserError(f"{where}.warmup_hours: {self.warmup_hours:g} h leaves nothing of "
                            f"a {self.days:g}-day run")


@dataclass(frozen=True)
class Scenario:
    """One what-if for one official crossing point; build it with `load_scenario` or
    `Scenario.from_mapping`, change it with `with_values`."""
    name: str = _text("scenario")
    question: str = _text("")
    arrivals: Arrivals = _section(Arrivals)
    victims: Victims = _section(Victims)
    officers: int = _number(10, 1, 10000, integer=True)
    night_shift: NightShift | None = _section(NightShift, optional=True)
    training: Training = _section(Training)
    desk: Desk = _section(Desk)
    screening: Screening = _section(Screening)
    egates: EGates = _section(EGates)
    time_pressure: TimePressure = _section(TimePressure)
    secondary: Secondary = _section(Secondary)
    shelter: Shelter = _section(Shelter)
    run: Run = _section(Run)

    @classmethod
    def from_mapping(cls, raw: Any, where: str = "scenario") -> "Scenario":
        return _build(cls, raw, where)

    def to_mapping(self) -> dict:
        """Plain dicts and lists, ready for YAML."""
        return _plain(dataclasses.asdict(self))

    def with_values(self, changes: dict[str, Any]) -> "Scenario":
        """A copy with dotted keys changed (`training.specialist_share`), checked like a file."""
        raw = self.to_mapping()
        for dotted, value in changes.items():
            _set_dotted(raw, dotted, value)
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


BASED_ON = "based_on"


def load_scenario(path: str | Path) -> Scenario:
    """Read and check a scenario file; every problem is a one-line UserError. A file may start
    from another (`based_on: airport-baseline.yaml`, relative to it) and change a few values."""
    path = Path(path)
    raw = _read_raw(path, [])
    raw.setdefault("name", path.stem)
    return Scenario.from_mapping(raw, where=str(path))


def scenario_files(path: str | Path) -> list[Path]:
    """The file and those it is based on, the file first."""
    path = Path(path)
    chain = [path]
    while True:
        raw = _parse(chain[-1])
        base = raw.get(BASED_ON) if isinstance(raw, dict) else None
        if not isinstance(base, str) or len(chain) > 10:
            return chain
        chain.append(chain[-1].parent / base)


def scenario_source(path: str | Path) -> str:
    """The text of a scenario file and of those it is based on, each under its name: where the
    report reads each value's source comment."""
    return "\n".join(f"# ---- {p.name}\n" + p.read_text(encoding="utf-8")
                     for p in scenario_files(path))


def _parse(path: Path):
    if not path.is_file():
        raise UserError(f"scenario file not found: {path}")
    try:
        raw = load_yaml(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as error:
        raise UserError(f"{path}: not valid YAML{problem(error)}") from None
    if raw is None:
        raise UserError(f"{path}: the file is empty")
    if not isinstance(raw, dict):
        raise UserError(f"{path}: expected a mapping of keys to values")
    return raw


def _check_training_written(training, path: Path) -> None:
    """One file that writes both training shares must keep them within all officers. (Where a
    share comes from a base file or a sweep, specialists come first and cap the basic share.)"""
    if not isinstance(training, dict):
        return
    shares = [training.get(k) for k in ("basic_share", "specialist_share")]
    if all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in shares) \
            and sum(shares) > 1 + 1e-9:
        raise UserError(f"{path}: training.basic_share {shares[0]:g} and specialist_share "
                        f"{shares[1]:g} add up to {sum(shares):g}, more than all officers: "
                        "make them add up to 1 or less")


def _read_raw(path: Path, seen: list[Path]) -> dict:
    if path.resolve() in seen:
        raise UserError(f"{path}: based_on goes round in a circle")
    raw = dict(_parse(path))
    _check_training_written(raw.get("training"), path)
    base = raw.pop(BASED_ON, None)
    if base is None:
        return raw
    if not isinstance(base, str):
        raise UserError(f"{path}: based_on must be a file name")
    merged = _read_raw(path.parent / base, seen + [path.resolve()])
    merged.pop("name", None)
    merged.pop("question", None)
    return _merge(merged, raw)


def _merge(base: dict, change: dict) -> dict:
    """Values in `change` replace those in `base`; sections merge key by key, except durations,
    which are given whole."""
    out = dict(base)
    for key, value in change.items():
        whole = key.endswith(("_seconds", "_minutes", "_days"))
        if isinstance(value, dict) and isinstance(out.get(key), dict) and not whole:
            out[key] = _merge(out[key], value)
        else:
            out[key] = value
    return out


# ---- building and checking --------------------------------------------------------------------

def _suggest(key: str, names) -> str:
    close = difflib.get_close_matches(str(key), list(names), n=1, cutoff=0.6)
    return f" (did you mean {close[0]}?)" if close else f" (known keys: {', '.join(names)})"


def _build(cls, raw, where: str):
    if not isinstance(raw, dict):
        raise UserError(f"{where}: expected a mapping of keys to values, got {type(raw).__name__}")
    names = [f.name for f in fields(cls)]
    for key in raw:
        if key not in names:
            raise UserError(f"{where}: unknown key {key}{_suggest(key, names)}")
    values = {}
    for f in fields(cls):
        if f.name in raw:
            values[f.name] = _convert(f, raw[f.name], f"{where}.{f.name}" if where else f.name)
    obj = cls(**values)
    check = getattr(obj, "_check", None)
    if check is not None:
        check(where)
    return obj


def _convert(f, value, where: str):
    meta = f.metadata
    kind = meta["kind"]
    if kind == "section":
        if value is None and meta["optional"]:
            return None
        if (isinstance(value, dict) and meta["cls"] is not Duration
                and f.default_factory is not dataclasses.MISSING):
            # keys left out keep this section's own defaults (a level's, not the class's);
            # a duration is always given whole, so its distribution never mixes with another's
            value = {**_plain(dataclasses.asdict(f.default_factory())), **value}
        return _build(meta["cls"], value, where)
    if kind == "number":
        if value is None and meta["optional"]:
            return None
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise UserError(f"{where}: expected a number, got {value!r}")
        if not math.isfinite(value):
            raise UserError(f"{where}: expected a finite number, got {value!r}")
        if meta["integer"]:
            if value != int(value):
                raise UserError(f"{where}: expected a whole number, got {value!r}")
            value = int(value)
        else:
            value = float(value)
        if not meta["lo"] <= value <= meta["hi"]:
            raise UserError(f"{where}: {value:g} is outside {meta['lo']:g} to {meta['hi']:g}")
        return value
    if kind == "choice":
        if value not in meta["options"]:
            raise UserError(f"{where}: {value!r} is not one of {', '.join(meta['options'])}"
                            + _suggest(value, meta["options"]).split(" (known")[0])
        return value
    if kind == "text":
        if not isinstance(value, str):
            raise UserError(f"{where}: expected text, got {value!r}")
        return value
    if kind == "numbers":
        if not isinstance(value, (list, tuple)):
            raise UserError(f"{where}: expected a list of numbers, got {value!r}")
        if meta["length"] is not None and len(value) != meta["length"]:
            raise UserError(f"{where}: expected {meta['length']} numbers, got {len(value)}")
        out = []
        for item in value:
            if isinstance(item, bool) or not isinstance(item, (int, float)) \
                    or not math.isfinite(item) or item < meta["lo"]:
                raise UserError(f"{where}: every value must be a number >= {meta['lo']:g}, "
                                f"got {item!r}")
            out.append(float(item))
        return tuple(out)
    if kind == "texts":
        items = [value] if isinstance(value, str) else value
        if not isinstance(items, (list, tuple)) or not items:
            raise UserError(f"{where}: expected a list of {', '.join(meta['options'])}")
        for item in items:
            if item not in meta["options"]:
                raise UserError(f"{where}: {item!r} is not one of {', '.join(meta['options'])}")
        return tuple(items)
    raise AssertionError(kind)


def _plain(value):
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


def _set_dotted(raw: dict, dotted: str, value) -> None:
    parts = dotted.split(".")
    node, cls, where = raw, Scenario, ""
    for i, part in enumerate(parts):
        names = [f.name for f in fields(cls)] if cls is not None else list(node)
        if part not in names:
            raise UserError(f"unknown scenario key {dotted}{_suggest(part, names)}")
        where = ".".join(parts[: i + 1])
        if i == len(parts) - 1:
            node[part] = value
            return
        meta = {f.name: f for f in fields(cls)}[part].metadata
        if meta.get("kind") != "section":
            raise UserError(f"scenario key {where} is a value, not a section")
        if node.get(part) is None:
            node[part] = {}
        node, cls = node[part], meta["cls"]
