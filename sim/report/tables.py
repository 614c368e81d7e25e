"""Plain-text tables for the terminal: a scenario's KPIs with intervals, a comparison's verdicts."""

from __future__ import annotations

import math

import pandas as pd

from tipkit.sim.model.kpis import GROUPS, KPI_BY_NAME


def format_value(kpi: str, x: float) -> str:
    if x is None or not math.isfinite(x):
        return "-"
    form = KPI_BY_NAME[kpi].form if kpi in KPI_BY_NAME else "number"
    if form == "share":
        return f"{100 * x:.1f}%"
    if form == "minutes":
        return f"{x:.1f}"
    if form == "count":
        return f"{x:,.1f}"
    if form == "rate":
        return f"{x:.2f}"
    return f"{x:.2f}"


def summary_text(summary: pd.DataFrame, title: str = "") -> str:
    """One line per KPI defined in this run: label, mean, 95% interval, replications."""
    lines = [title] if title else []
    width = max(len(KPI_BY_NAME[k].label) for k in summary.kpi)
    lines.append(f"{'KPI':<{width}}  {'mean':>9}  {'95% CI':>19}  {'n':>4}")
    for row in summary.itertuples(index=False):
        if row.n == 0:
            continue
        ci = (f"{format_value(row.kpi, row.ci_low)} to {format_value(row.kpi, row.ci_high)}"
              if row.n > 1 else "")
        lines.append(f"{KPI_BY_NAME[row.kpi].label:<{width}}  "
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


def group_verdicts(differences: pd.DataFrame) -> list[str]:
    """The identification verdict of every group of victims defined in these runs, in order."""
    table = differences.set_index("kpi")
    kpis = [f"identification_rate.{g}" for g in GROUPS]
    return [table.loc[k].verdict for k in kpis if k in table.index and table.loc[k].n > 0]
