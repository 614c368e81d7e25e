"""Published-figure kinds, one class each: how a kind's interval is read from the wording, what it
constrains, how it is measured on any rows, and how the check and the data card show it.

The joint (cells), the profile sizing (profiles) and the release checks (released rows) each hand
a kind their rows through the small `Rows` interface; none of them tests a kind's name. A new kind
is a class here, registered in KINDS, and its YAML spelling in `figures.py`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

import numpy as np

from tipkit.errors import UserError

if TYPE_CHECKING:
    from tipkit.synth.published.figures import Figure

_HEDGED_POINTS = 2.5  # "almost 80%" is a little under 80: [77.5, 80]
_HEDGED_COUNT = 0.05  # "about 10,500" is within 5%


class Rows(Protocol):
    """Units a figure can be measured on: the joint's cells, drawn profiles, or released rows.
    Each method answers per row; `unit` is "case" or "leg"."""

    def match(self, unit: str, spec: dict[str, tuple[str, ...]]) -> np.ndarray: ...

    def known(self, unit: str, columns: tuple[str, ...]) -> np.ndarray: ...

    def weigh(self, unit: str, mask: np.ndarray) -> np.ndarray: ...

    def size(self, unit: str) -> int: ...


@dataclass(frozen=True)
class FigureValue:
    """A figure measured on rows: its numerator (`hits`) and denominator (`population`), exactly."""

    figure: Figure
    hits: int
    population: int

    @property
    def value(self) -> float:
        return KINDS[self.figure.kind].value(self)

    def holds(self, low: float | None = None, high: float | None = None) -> bool:
        low = self.figure.low if low is None else low
        high = self.figure.high if high is None else high
        return KINDS[self.figure.kind].holds(self, low, high)


class Share:
    """Among `population` units, the share with `statistic` lies in [low, high]. Linear in any
    distribution over rows: low * population <= hits <= high * population."""

    name = "share"
    plural = "share figures"
    constrains = True  # the joint is fitted to it and the release is sized and checked against it

    def interval(self, number: float, digits: str, percent: bool, hedge: str | None,
                 published: str) -> tuple[float, float]:
        if not percent:
            raise UserError(f"share {published!r} needs a % sign or an explicit interval")
        decimals = len(digits.split(".")[1]) if "." in digits else 0
        rounding, width = 0.5 * 10 ** -decimals, _HEDGED_POINTS
        low, high = {
            None: (number - rounding, number + rounding),
            "under": (number - width, number),
            "about": (number - width, number + width),
            "over": (number, number + width),
        }[hedge]
        return max(low, 0.0) / 100, min(high, 100.0) / 100

    def check_interval(self, low: float, high: float, where: str) -> None:
        if not (0.0 <= low and high <= 1.0):
            raise UserError(f"{where}: interval [{low}, {high}] lies outside [0, 1]")

    def describe(self, figure: Figure, describe_filter) -> str:
        who = describe_filter(figure.population) or f"all {figure.unit}s"
        return f"{who}: share with {describe_filter(figure.statistic)}"

    def weights(self, figure: Figure, rows: Rows) -> tuple[np.ndarray, np.ndarray]:
        """Per row: units in the population (where the statistic is known: published shares are
        shares of the known), and those of them with the statistic."""
        population = rows.match(figure.unit, figure.population) & rows.known(
            figure.unit, figure.must_be_known)
        hits = population & rows.match(figure.unit, figure.statistic)
        return rows.weigh(figure.unit, population), rows.weigh(figure.unit, hits)

    def measure(self, figure: Figure, rows: Rows) -> FigureValue:
        population, hits = self.weights(figure, rows)
        return FigureValue(figure, int(hits.sum()), int(population.sum()))

    def value(self, fv: FigureValue) -> float:
        return fv.hits / fv.population if fv.population else float("nan")

    def holds(self, fv: FigureValue, low: float, high: float) -> bool:
        # exact in integers: low * population <= hits <= high * population
        return fv.population > 0 and low * fv.population <= fv.hits <= high * fv.population

    def interval_text(self, low: float, high: float) -> str:
        return f"[{low:.4f}, {high:.4f}]"

    def achieved_text(self, fv: FigureValue) -> str:
        return f"{fv.value:.4f} ({fv.hits:,} of {fv.population:,} {fv.figure.unit}s)"

    def check_line(self, figure: Figure, fitted: dict[str, float]) -> str:
        return (f"  figure {figure.id:<4} [{figure.low:.3f}, {figure.high:.3f}]  fitted "
                f"{fitted[figure.id]:.3f}   {figure.describe()}")


class Count:
    """There are about N units (cases or legs). It sets the release's size, which the request
    chooses, so it is reported, not imposed: a leg count is scaled to the cases requested."""

    name = "count"
    plural = "counts"
    constrains = False

    def interval(self, number: float, digits: str, percent: bool, hedge: str | None,
                 published: str) -> tuple[float, float]:
        return {
            None: (number, number),
            "under": (number * (1 - _HEDGED_COUNT), number),
            "about": (number * (1 - _HEDGED_COUNT), number * (1 + _HEDGED_COUNT)),
            "over": (number, number * (1 + _HEDGED_COUNT)),
        }[hedge]

    def check_interval(self, low: float, high: float, where: str) -> None:
        if low < 1:
            raise UserError(f"{where}: a count interval must be positive")

    def describe(self, figure: Figure, describe_filter) -> str:
        return f"number of {figure.unit}s"

    def measure(self, figure: Figure, rows: Rows) -> FigureValue:
        n = rows.size(figure.unit)
        return FigureValue(figure, n, n)

    def value(self, fv: FigureValue) -> float:
        return float(fv.population)

    def holds(self, fv: FigureValue, low: float, high: float) -> bool:
        return low <= fv.population <= high

    def interval_text(self, low: float, high: float) -> str:
        return f"{low:,.0f} to {high:,.0f}"

    def achieved_text(self, fv: FigureValue) -> str:
        return f"{fv.population:,}"

    def check_line(self, figure: Figure, fitted: dict[str, float]) -> str:
        return (f"  figure {figure.id:<4} {figure.low:,.0f} to {figure.high:,.0f} {figure.unit}s "
                "(scaled to the requested size)")


# In the order `tipkit synth check` lists them.
KINDS = {kind.name: kind for kind in (Share(), Count())}
