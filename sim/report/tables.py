"""Plain-text tables for the terminal: a scenario's KPIs with intervals, a comparison's verdicts."""

from __future__ import annotations

import math

import pandas as pd

from tipkit.sim.model.kpis import GROUPS, KPI_BY_NAME
from tipkit.sim.model.national import NATIONAL_BY_NAME


def kpi_label(kpi: str) -> str:
    """A KPI's label, of a crossing point or of a national network."""
    found = KPI_BY_NAME.get(kpi) or NATIONAL_BY_NAME.get(kpi)
    return found.label if found else kpi


def format_value(kpi: str, x: float) -> str:
    if x is None or not math.isfinite(x):
        return "-"
    found = KPI_BY_NAME.get(kpi) or NATIONAL_BY_NAME.get(kpi)
    form = found.form if found else "number"
    if form == "share":
        return f"{100 * x:.1f}%"
    if form == "minutes":
        return f"{x:.1f}"
    if form == "count":
        return f"{x:,.1f}"
    if form == "rate":
        return f"{x:.2f}"
    if form == "money":
        return f"{x:,.0f}"
    return f"{x:.2f}"


def summary_text(summary: pd.DataFrame, title: str = "") -> str:
    """One line per KPI defined in this run: label, mean, 95% interval, replications."""
    lines = [title] if title else []
    width = max(len(kpi_label(k)) for k in summary.kpi)
    lines.append(f"{'KPI':<{width}}  {'mean':>9}  {'95% CI':>19}  {'n':>4}")
    for row in summary.itertuples(index=False):
        if row.n == 0:
            continue
        ci = (f"{format_value(row.kpi, row.ci_low)} to {format_value(row.kpi, row.ci_high)}"
              if row.n > 1 else "")
        lines.append(f"{kpi_label(row.kpi):<{width}}  "
                     f"{format_value(row.kpi, row.mean):>9}  {ci:>19}  {row.n:>4}")
    return "\n".join(lines)


def differences_text(differences: pd.DataFrame, kpis) -> str:
    """The verdicts of a comparison for the chosen KPIs, scenario by scenario; identification
    is followed by each group of victims that crossed (per 100 victims of that group)."""
    lines = []
    for name, block in differences.groupby("scenario", sort=False):
        lines.append(f"{name} against the baseline:")
        for kpi in kpis:
            row = block[block.kpi == kpi]
            if len(row):
                lines.append(f"  - {row.iloc[0].verdict}")
            if kpi == "identification_rate":
                lines += [f"    - {v}" for v in group_verdicts(block)]
    return "\n".join(lines)


def effect_text(outcome: str, x: float, unit: bool = True) -> str:
    """A Morris effect (a change in the outcome) in the outcome's units: shares in points."""
    if x is None or not math.isfinite(x):
        return "-"
    form = "share" if outcome == "identification_gain" else (
        KPI_BY_NAME[outcome].form if outcome in KPI_BY_NAME else "number")
    if form == "share":
        return f"{100 * x:.1f}" + (" pts" if unit else "")
    if form == "minutes":
        return f"{x:.1f}" + (" min" if unit else "")
    return f"{x:.2f}"


def effect_with_interval(outcome: str, row) -> str:
    """'19.4 pts (95% CI 10.1 to 28.6)' for a row of indices.csv."""
    return (f"{effect_text(outcome, row.mu_star)} (95% CI "
            f"{effect_text(outcome, row.mu_star_low, False)} to "
            f"{effect_text(outcome, row.mu_star_high, False)})")


def outcome_words(outcome: str, scenario: str, baseline: str) -> str:
    """'airport-train-all: gain in identification over airport-baseline'."""
    if outcome == "identification_gain":
        return f"{scenario}: gain in identification over {baseline}"
    return f"{scenario}: {KPI_BY_NAME[outcome].label.strip()}"


def drivers_text(indices: pd.DataFrame, baseline: str, top: int = 3) -> str:
    """For each outcome, the assumptions that move it most (mu* with its 95% interval) beside
    chance (the same measure for other simulated days)."""
    lines = ["What moves each headline KPI (mu*: its typical change across an assumption's "
             "range, 95% CI):"]
    for (outcome, scenario), block in indices.groupby(["outcome", "scenario"], sort=False):
        chance = block[block.factor == "chance"].mu_star
        ranked = block[block.factor != "chance"].sort_values("rank").head(top)
        lines.append(f"{outcome_words(outcome, scenario, baseline)}  (chance alone: "
                     f"{effect_text(outcome, chance.iloc[0] if len(chance) else math.nan)})")
        level = chance.iloc[0] if len(chance) else math.nan
        for i, row in enumerate(ranked.itertuples(index=False), 1):
            clear = " - more than chance" if row.mu_star_low > level else ""
            lines.append(f"  {i}. {row.label}: {effect_with_interval(outcome, row)}{clear}")
    return "\n".join(lines)


def sensitivity_text(result) -> str:
    """What `tipkit sim sensitivity` prints: the sentence, the drivers, what was varied."""
    from tipkit.sim.experiments.sensitivity import NOT_VARIED, VARIED

    p = result.plan
    left = [f for f in p.factors if not f.varied]
    kinds = pd.Series([f.left for f in left]).value_counts()
    lines = ["", result.sentence(), "", drivers_text(result.indices, next(iter(p.scenarios))),
             "", f"Varied ({len(p.varied)}): {VARIED}, over the range in its comment or "
             "+-50% of its value.",
             f"Not varied ({len(left)}): " + ", ".join(
                 f"{n} {NOT_VARIED[k][0]}" for k, n in kinds.items())
             + " (factors.csv gives each one's reason)."]
    if getattr(result, "share", None) is not None:
        from tipkit.sim.report.sensitivity import checks_sentence

        lines += ["", f"Emulated (with 95% intervals): every effect (mu*) and the share of "
                      f"the assumption space where the ranking holds, from "
                      f"{len(p.design) - 1} simulated assumption sets. Simulated: the "
                      f"ranking with every assumption as written ({p.nominal_replications} "
                      "replications), chance's effect, the costs' swings and the ranking at "
                      "each simulated set.", checks_sentence(result.checks)]
    return "\n".join(lines)


def costs_text(costs: pd.DataFrame) -> str:
    """The cost per additional victim identified of each option, both ways of counting."""
    lines = []
    for name, block in costs.groupby("scenario", sort=False):
        lines.append(f"{name}, cost per additional victim identified:")
        for row in block.itertuples(index=False):
            lines.append(f"  - {row.costs_counted}: {row.verdict}")
    return "\n".join(lines)


def points_text(point_summaries: pd.DataFrame, kpis) -> str:
    """A national run's points side by side: one line per point, the chosen KPIs' means."""
    table = point_summaries[point_summaries.kpi.isin(kpis)].pivot_table(
        index=["scenario", "point"] if point_summaries.scenario.nunique() > 1 else "point",
        columns="kpi", values="mean", sort=False)[list(kpis)]
    shown = table.apply(lambda col: col.map(lambda x: format_value(col.name, x)))
    return shown.to_string()


def group_verdicts(differences: pd.DataFrame) -> list[str]:
    """The identification verdict of every group of victims defined in these runs, in order."""
    table = differences.set_index("kpi")
    kpis = [f"identification_rate.{g}" for g in GROUPS]
    return [table.loc[k].verdict for k in kpis if k in table.index and table.loc[k].n > 0]
