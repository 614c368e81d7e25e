"""Plain-text tables for the terminal: a scenario's KPIs with intervals, a comparison's verdicts."""

from __future__ import annotations

import math

import pandas as pd

from tipkit.sim.model.kpis import KPI_BY_NAME
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
    """The verdicts of a comparison for the chosen KPIs, scenario by scenario."""
    lines = []
    for name, block in differences.groupby("scenario", sort=False):
        lines.append(f"{name} against the baseline:")
        for kpi in kpis:
            row = block[block.kpi == kpi]
            if len(row):
                lines.append(f"  - {row.iloc[0].verdict}")
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
