"""Published figures as data: a YAML file of shares and counts, each an interval with its source.

A figure says "among <population> <units>, the share with <statistic> lies in [low, high]", or
"there are about N <units>". Intervals come from the file or from the published wording; what
each kind means and how it is measured lives in `kinds`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from tipkit.synth.published.kinds import KINDS
from tipkit.synth.release.schema import CASE_COLUMNS, LEG_COLUMNS, MISSING, VALUE_GROUPS
from tipkit.errors import UserError
from tipkit.yamlfiles import load_yaml, problem

UNITS = ("case", "leg")
# Journey columns are leg columns; a case-level figure on them means "on any of its legs".
FILTERABLE = tuple(CASE_COLUMNS) + tuple(c for c in LEG_COLUMNS if c != "legIndex")

_FRACTIONS = {
    "half": 1 / 2, "one half": 1 / 2, "a third": 1 / 3, "one third": 1 / 3,
    "two thirds": 2 / 3, "a quarter": 1 / 4, "one quarter": 1 / 4, "three quarters": 3 / 4,
    "one in five": 1 / 5, "one in four": 1 / 4, "one in three": 1 / 3,
}
_FRACTION_HALF_WIDTH = 0.0125  # "two thirds" is said of anything from about 65.4% to 67.9%


@dataclass(frozen=True)
class Figure:
    """One published figure: a share (of `unit`s in `population` having `statistic`) or a count."""

    id: str
    unit: str  # "case" or "leg"
    kind: str  # a name in kinds.KINDS: "share" or "count"
    low: float
    high: float
    population: dict[str, tuple[str, ...]] = field(default_factory=dict)
    statistic: dict[str, tuple[str, ...]] = field(default_factory=dict)
    published: str = ""
    quote: str = ""
    source: str = ""

    @property
    def columns(self) -> set[str]:
        return set(self.population) | set(self.statistic)

    @property
    def unsourced(self) -> tuple[str, ...]:
        """What the figure lacks of its provenance: "quote", "source", both or neither."""
        return tuple(name for name, text in (("quote", self.quote), ("source", self.source))
                     if not text.strip())

    @property
    def must_be_known(self) -> tuple[str, ...]:
        """Statistic columns whose blank units a share leaves out of its population: published
        shares are shares of the known (unless the statistic itself asks for blank)."""
        return tuple(c for c, v in self.statistic.items() if MISSING not in v)

    @property
    def definition(self):
        """Its kind: how it is read, measured and shown (a class of `kinds`)."""
        return KINDS[self.kind]

    def describe(self) -> str:
        return self.definition.describe(self, _describe_filter)

    def with_interval(self, low: float, high: float) -> "Figure":
        return Figure(self.id, self.unit, self.kind, low, high, self.population, self.statistic,
                      self.published, self.quote, self.source)


@dataclass(frozen=True)
class PublishedFigures:
    """A parsed figure file: its title and sources, the figures, and the priors it names."""

    path: Path
    title: str
    sources: dict[str, str]
    figures: tuple[Figure, ...]
    priors_path: Path | None  # None: the built-in CTDC priors

    @property
    def constraining(self) -> tuple[Figure, ...]:
        """The figures the joint is fitted to and the release is sized against (shares)."""
        return tuple(f for f in self.figures if f.definition.constrains)

    def count(self, unit: str) -> Figure | None:
        return next((f for f in self.figures if f.kind == "count" and f.unit == unit), None)

    def replace(self, figures) -> "PublishedFigures":
        return PublishedFigures(self.path, self.title, self.sources, tuple(figures), self.priors_path)


def _describe_filter(spec: dict[str, tuple[str, ...]]) -> str:
    return ", ".join(describe_values(c, v) for c, v in spec.items())


def describe_values(column: str, values: tuple[str, ...]) -> str:
    """`ageBroad = adult` for a named group, `gender = Woman`, `x in {a, b}` otherwise."""
    for name, group in VALUE_GROUPS.get(column, {}).items():
        if tuple(values) == tuple(group):
            return f"{column} = {name}"
    if len(values) == 1:
        return f"{column} = {values[0] or 'blank'}"
    return f"{column} in {{{', '.join(v or 'blank' for v in values)}}}"


def interval_from_wording(published: str, kind: str) -> tuple[float, float]:
    """The interval a published wording allows. Shares come back as fractions.

    "84%" is rounded to a whole percent: [0.835, 0.845]. "almost 80%": [0.775, 0.80].
    "about 80%": [0.775, 0.825]. "two thirds": 2/3 +/- 0.0125. "about 10,500": +/- 5%.
    "nearly 8,000": [7,600, 8,000]. "over 50,000": [50,000, 52,500].
    """
    text = published.strip().lower()
    hedge = None
    for word, kind_of in (("almost", "under"), ("nearly", "under"), ("just under", "under"),
                          ("about", "about"), ("around", "about"), ("approximately", "about"),
                          ("some", "about"), ("over", "over"), ("more than", "over")):
        if text.startswith(word + " "):
            hedge, text = kind_of, text[len(word) + 1:].strip()
            break
    if text in _FRACTIONS:
        mid = _FRACTIONS[text]
        return mid - _FRACTION_HALF_WIDTH, mid + _FRACTION_HALF_WIDTH
    match = re.fullmatch(r"(\d[\d,]*(?:\.\d+)?)\s*(%|per ?cent)?", text)
    if not match:
        raise UserError(f"cannot read the wording {published!r}: give an explicit interval")
    number = float(match.group(1).replace(",", ""))
    return KINDS[kind].interval(number, match.group(1), bool(match.group(2)), hedge, published)


def _parse_filter(raw, where: str) -> dict[str, tuple[str, ...]]:
    if raw in (None, {}):
        return {}
    if not isinstance(raw, dict):
        raise UserError(f"{where} must be a mapping of column: value(s)")
    spec = {}
    for column, value in raw.items():
        if column not in FILTERABLE:
            raise UserError(f"{where} names an unknown column {column!r}")
        values = value if isinstance(value, list) else [value]
        expanded: list[str] = []
        for v in values:
            v = "" if v is None else str(v)
            expanded.extend(VALUE_GROUPS.get(column, {}).get(v, (v,)))
        spec[column] = tuple(expanded)
    return spec


def _parse_figure(raw, index: int) -> Figure:
    if not isinstance(raw, dict):
        raise UserError(f"figure #{index + 1} is not a mapping")
    fid = str(raw.get("id", index + 1))
    where = f"figure {fid}"
    known = {"id", "unit", "population", "statistic", "published", "interval", "quote", "source"}
    unknown = set(raw) - known
    if unknown:
        raise UserError(f"{where} has unknown key(s) {', '.join(sorted(unknown))}")
    unit = raw.get("unit")
    if unit not in UNITS:
        raise UserError(f"{where}: unit must be one of {', '.join(UNITS)}, not {unit!r}")
    statistic = raw.get("statistic")
    kind = "count" if statistic == "count" else "share"
    if kind == "share" and not statistic:
        raise UserError(f"{where} needs a statistic (a filter, or 'count')")
    published = str(raw.get("published", ""))
    if "interval" in raw:
        interval = raw["interval"]
        if not (isinstance(interval, list) and len(interval) == 2
                and all(isinstance(x, (int, float)) for x in interval)):
            raise UserError(f"{where}: interval must be [low, high]")
        low, high = float(interval[0]), float(interval[1])
    elif published:
        low, high = interval_from_wording(published, kind)
    else:
        raise UserError(f"{where} needs an interval or a published wording")
    if low > high:
        raise UserError(f"{where}: interval [{low}, {high}] has low above high")
    KINDS[kind].check_interval(low, high, where)
    population = _parse_filter(raw.get("population"), f"{where} population")
    stat = _parse_filter(statistic, f"{where} statistic") if kind == "share" else {}
    return Figure(fid, unit, kind, low, high, population, stat, published,
                  str(raw.get("quote", "")), str(raw.get("source", "")))


def load_figures(path: Path) -> PublishedFigures:
    """Read and validate a published-figures YAML file. Any problem is one-line UserError."""
    path = Path(path)
    try:
        raw = load_yaml(path.read_text())
    except FileNotFoundError:
        raise UserError(f"no such figures file: {path}") from None
    except yaml.YAMLError as error:
        raise UserError(f"{path} is not valid YAML{problem(error)}") from None
    if not isinstance(raw, dict) or not isinstance(raw.get("figures"), list):
        raise UserError(f"{path} must be a mapping with a list under 'figures'")
    if not raw["figures"]:
        raise UserError(f"{path}: the list under 'figures' is empty: give at least one figure")
    figures = tuple(_parse_figure(f, i) for i, f in enumerate(raw["figures"]))
    ids = [f.id for f in figures]
    if len(set(ids)) != len(ids):
        raise UserError(f"{path}: figure ids repeat ({', '.join(sorted({i for i in ids if ids.count(i) > 1}))})")
    for unit in UNITS:
        if sum(1 for f in figures if f.kind == "count" and f.unit == unit) > 1:
            raise UserError(f"{path}: more than one count figure for {unit}s")
    sources = raw.get("sources") or {}
    # Priors named in the file are found beside it; without a name, the built-in CTDC priors.
    priors = (path.parent / str(raw["priors"])) if raw.get("priors") else None
    return PublishedFigures(path, str(raw.get("title", path.stem)),
                            {str(k): str(v) for k, v in sources.items()}, figures, priors)
