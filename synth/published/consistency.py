"""Can the published figures all hold at once? Which bind, what they imply, what solution we use.

Pure analysis over the joint of `tipkit.synth.published.joint`; `tipkit synth check` prints it and the data card
records it. Contradictory figures are refused, naming the smallest conflicting set, unless the
user accepts the least adjustment (`relax`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from tipkit.synth.published import joint
from tipkit.synth.published.figures import Figure, PublishedFigures, describe_values
from tipkit.synth.published.kinds import KINDS
from tipkit.synth.published.priors import Priors
from tipkit.synth.release.schema import MISSING
from tipkit.errors import UserError

_SHRINK = 0.1  # fit inside the middle 80% of each interval, so integer counts land inside it
_WIDEN = 0.001  # a relaxed bound gets this much room beyond the least adjustment


@dataclass(frozen=True)
class Quantity:
    """A share worth reporting: a population some figure is about, among cases where known."""

    label: str
    column: str
    values: tuple[str, ...]
    prior: float
    range: joint.ImpliedRange
    solution: float

    @property
    def in_tension(self) -> bool:
        return not (self.range.low - 1e-9 <= self.prior <= self.range.high + 1e-9)

    @property
    def tension_figures(self) -> tuple[str, ...]:
        near_low = abs(self.prior - self.range.low) < abs(self.prior - self.range.high)
        return self.range.binding_low if near_low else self.range.binding_high


@dataclass
class Analysis:
    """The outcome of checking a figure file: the figures used (adjusted if relaxed), the joint
    solution, implied ranges, binding figures and any adjustments."""

    figures: PublishedFigures
    domain: joint.Domain
    prior: np.ndarray
    solution: np.ndarray
    constraints: joint.Constraints
    quantities: list[Quantity]
    binding: list[tuple[str, str]]  # (figure id, "low" or "high")
    adjustments: list[tuple[Figure, Figure]] = field(default_factory=list)  # (published, used)

    @property
    def fitted_shares(self) -> dict[str, float]:
        return dict(zip((f.id for f in self.constraints.figures),
                        self.constraints.shares(self.solution)))


def _quantities(figures, domain, constraints, support, prior, solution) -> list[Quantity]:
    """Implied ranges of each single-column population (and of each statistic asked of all
    units), as shares of the cases where that column is known."""
    seen, out = set(), []
    for figure in figures:
        specs = [figure.population] if figure.population else [figure.statistic]
        for spec in specs:
            if len(spec) != 1:
                continue
            (column, values), = spec.items()
            if (column, values) in seen or column not in domain.columns:
                continue
            seen.add((column, values))
            known_values = tuple(v for v in domain.values[domain.columns.index(column)] if v != MISSING)
            complement = tuple(v for v in known_values if v not in values)
            if (column, complement) in seen:  # a two-way split: its other half says it all
                continue
            known = domain.mask({column: known_values})
            hit = domain.mask(spec) & known
            out.append(Quantity(
                describe_values(column, values), column, values,
                prior[hit].sum() / prior[known].sum(),
                joint.implied_range(constraints, support, hit, known),
                solution[hit].sum() / solution[known].sum(),
            ))
    return out


def _conflict_message(figures: PublishedFigures, conflict) -> str:
    constraining = figures.constraining
    named = [constraining[i] for i in conflict]
    detail = "; ".join(f"{f.id} ({f.describe()} in [{f.low:.3f}, {f.high:.3f}])" for f in named)
    ids = ", ".join(f.id for f in named)
    return (f"figures {ids} cannot all hold at once: {detail}. "
            "Fix the file, or pass --relax to accept the least adjustment")


def _relaxed(figures: PublishedFigures, constraints, support, prior):
    p = joint.least_adjustment(constraints, support, prior)
    achieved = constraints.shares(p)
    used, adjustments = [], []
    by_id = {f.id: a for f, a in zip(constraints.figures, achieved)}
    for figure in figures.figures:
        a = by_id.get(figure.id)
        if a is None or figure.low - 1e-6 <= a <= figure.high + 1e-6:  # LP round-off is no violation
            used.append(figure)
            continue
        low = max(0.0, min(figure.low, a - _WIDEN))
        high = min(1.0, max(figure.high, a + _WIDEN))
        new = figure.with_interval(round(low, 6), round(high, 6))
        used.append(new)
        adjustments.append((figure, new))
    return figures.replace(used), adjustments


def analyse(figures: PublishedFigures, priors: Priors, relax: bool = False) -> Analysis:
    """Check the figures against each other and the priors' support, and fit the joint."""
    joint.validate_values(figures.figures, priors)
    domain = joint.figure_domain(figures.figures, priors)
    prior = joint.prior_joint(domain, priors)
    support = prior > 0
    constraints = joint.constraints_for(domain, figures.figures)
    adjustments = []
    if not joint.is_feasible(constraints, support):
        if not relax:
            raise UserError(_conflict_message(figures, joint.smallest_conflict(constraints, support)))
        figures, adjustments = _relaxed(figures, constraints, support, prior)
        constraints = joint.constraints_for(domain, figures.figures)
    # Fit inside slightly narrowed intervals where possible, so rounding to whole rows stays inside.
    narrowed = figures.replace(
        f.with_interval(f.low + _SHRINK * (f.high - f.low), f.high - _SHRINK * (f.high - f.low))
        if f.definition.constrains else f for f in figures.figures)
    fit_constraints = joint.constraints_for(domain, narrowed.figures)
    if not joint.is_feasible(fit_constraints, support):
        fit_constraints = constraints
    solution, lam = joint.maximum_entropy(prior, fit_constraints, support)
    binding = [(fit_constraints.figures[j // 2].id, "low" if j % 2 == 0 else "high")
               for j in np.flatnonzero(lam > 1e-6)]
    quantities = _quantities(figures.figures, domain, constraints, support, prior, solution)
    return Analysis(figures, domain, prior, solution, constraints, quantities, binding, adjustments)


def report(analysis: Analysis) -> str:
    """The check as text for a reader: consistency, implied ranges, tensions, binding, solution."""
    figs = analysis.figures
    by_kind = {name: [f for f in figs.figures if f.kind == name] for name in KINDS}
    lines = [f"{figs.title}", f"{figs.path}: " + ", ".join(
        f"{len(found)} {KINDS[name].plural}" for name, found in by_kind.items()), ""]
    if analysis.adjustments:
        lines.append("The figures cannot all hold as published. Least adjustment (--relax):")
        for old, new in analysis.adjustments:
            lines.append(f"  figure {old.id}: [{old.low:.3f}, {old.high:.3f}] -> [{new.low:.3f}, {new.high:.3f}]")
    else:
        lines.append("Consistent: every figure can hold at once.")
    lines += ["", "What the figures imply together (share among cases where the value is known):",
              f"  {'quantity':<34} {'prior':>6}   {'implied range':<16} {'solution':>8}   bound by figures"]
    for q in analysis.quantities:
        bound = sorted(set(q.range.binding_low) | set(q.range.binding_high), key=figure_order)
        lines.append(f"  {q.label:<34} {q.prior:6.3f}   [{q.range.low:.3f}, {q.range.high:.3f}]   "
                     f"{q.solution:8.3f}   {', '.join(bound) or '-'}")
    tensions = [q for q in analysis.quantities if q.in_tension]
    lines += ["", "Tensions:" if tensions else "Tensions: none (every prior share lies inside its implied range)."]
    for q in tensions:
        ids = ", ".join(sorted(q.tension_figures, key=figure_order))
        lines.append(f"  figures {ids} together hold {q.label} within [{q.range.low:.3f}, "
                     f"{q.range.high:.3f}], away from the documented prior {q.prior:.3f}")
    lines += ["", "Binding at the solution (the fit rests on these bounds): " + (
        ", ".join(f"{fid} ({side} end)" for fid, side in analysis.binding) or "none")]
    lines += ["", "Solution: the joint distribution closest to the documented priors (maximum "
              "entropy relative to them) with every figure inside the middle 80% of its interval:"]
    fitted = analysis.fitted_shares
    lines += [f.definition.check_line(f, fitted) for found in by_kind.values() for f in found]
    return "\n".join(lines) + "\n"


def figure_order(fid: str):
    digits = "".join(ch for ch in fid if ch.isdigit())
    return (int(digits) if digits else 0, fid)
