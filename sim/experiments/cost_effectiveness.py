"""What an option costs per additional victim identified, against a base on common random
numbers: a ratio of two paired means with Fieller's 95% interval, and the words for it.

Fieller's interval rather than the delta method: the ratio's denominator (the gain in
identifications) is often small against its noise, where the delta method's symmetric interval
is wrong; Fieller's is exact for normal means and says honestly when the ratio is unbounded.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats as _scipy_stats

from tipkit.sim.experiments.stats import t_interval

COST = "cost_per_day"
BORDER_COST = "cost_border_per_day"
# which costs a ratio counts: everything, or what the border agency's budget pays
COUNTED = {COST: "border agency and shelter", BORDER_COST: "border agency only"}
IDENTIFIED = "identified"            # per run: divided by the run's counted days
METHOD = "Fieller (paired, 95%)"


@dataclass(frozen=True)
class Ratio:
    """A ratio of means a / b with its interval; `bounded` False when b's interval includes 0
    (the interval is then the whole line, or two half-lines: not a useful range)."""
    estimate: float
    low: float
    high: float
    bounded: bool


def fieller(numerator, denominator, confidence: float = 0.95) -> Ratio:
    """Fieller's interval for mean(numerator) / mean(denominator) of paired observations (the
    same replications), their covariance included."""
    x = np.asarray(numerator, dtype=float)
    y = np.asarray(denominator, dtype=float)
    keep = np.isfinite(x) & np.isfinite(y)
    x, y = x[keep], y[keep]
    n = len(x)
    if n < 2:
        return Ratio(math.nan, math.nan, math.nan, False)
    a, b = float(x.mean()), float(y.mean())
    cov = np.cov(x, y, ddof=1) / n
    v11, v12, v22 = float(cov[0, 0]), float(cov[0, 1]), float(cov[1, 1])
    t2 = float(_scipy_stats.t.ppf(0.5 + confidence / 2, n - 1)) ** 2
    estimate = a / b if b != 0 else math.nan
    # (a - R b)^2 <= t^2 (v11 - 2 R v12 + R^2 v22): a quadratic in R, bounded when its leading
    # coefficient is positive, i.e. when b is significantly different from zero
    lead = b * b - t2 * v22
    half = b * a - t2 * v12
    const = a * a - t2 * v11
    if lead <= 0:
        return Ratio(estimate, -math.inf, math.inf, False)
    root = math.sqrt(max(half * half - lead * const, 0.0))
    return Ratio(estimate, (half - root) / lead, (half + root) / lead, True)


def cost_per_additional_victim(base: pd.DataFrame, option: pd.DataFrame, base_days: float,
                               option_days: float, currency: str, cost: str = COST,
                               identified: str = IDENTIFIED) -> dict:
    """The option's extra cost a day, extra victims identified a day (paired, with 95% CIs) and
    their ratio with Fieller's interval, from replications tables (KPIs by name). `cost` names
    the cost KPI: everything (cost_per_day) or the border agency's (cost_border_per_day);
    `identified` the KPI of victims identified in a run of the given counted days."""
    merged = base.merge(option, on="replication", suffixes=("_base", "_option"))
    extra_cost = (merged[f"{cost}_option"] - merged[f"{cost}_base"]).to_numpy(float)
    extra_found = (merged[f"{identified}_option"] / option_days
                   - merged[f"{identified}_base"] / base_days).to_numpy(float)
    spent, cost_low, cost_high, n = t_interval(extra_cost.tolist())
    found, found_low, found_high, _ = t_interval(extra_found.tolist())
    ratio = fieller(extra_cost, extra_found)
    row = {"costs_counted": COUNTED[cost], "extra_cost_per_day": spent,
           "extra_cost_ci_low": cost_low,
           "extra_cost_ci_high": cost_high, "extra_identified_per_day": found,
           "extra_identified_ci_low": found_low, "extra_identified_ci_high": found_high,
           "cost_per_additional_victim": ratio.estimate if ratio.bounded else math.nan,
           "ci_low": ratio.low if ratio.bounded else math.nan,
           "ci_high": ratio.high if ratio.bounded else math.nan,
           "bounded": ratio.bounded, "n": n, "method": METHOD, "currency": currency}
    row["verdict"] = cost_verdict(row)
    return row


def cost_verdict(row: dict) -> str:
    """One sentence: the cost per additional victim with its interval, or why there is none."""
    cur = row["currency"]
    found, lo, hi = (row["extra_identified_per_day"], row["extra_identified_ci_low"],
                     row["extra_identified_ci_high"])
    cost = row["extra_cost_per_day"]
    gain = (f"{found:+.2f} victims identified a day (95% CI {lo:+.2f} to {hi:+.2f})"
            if math.isfinite(lo) else f"{found:+.2f} victims identified a day")
    spend = (f"costs {money(cost, cur)} a day more" if cost > 0 else
             f"saves {money(-cost, cur)} a day" if cost < 0 else "costs the same")
    if not math.isfinite(found) or not math.isfinite(cost):
        return "cost per additional victim: not defined in these runs"
    if not row["bounded"]:
        if math.isfinite(hi) and hi < 0:
            return f"identifies fewer victims ({gain}) and {spend}: no gain to pay for"
        return (f"cost per additional victim: not defined (unbounded): the gain, {gain}, is "
                f"not clearly above zero; the option {spend}")
    if found < 0:
        return f"identifies fewer victims ({gain}) and {spend}: no gain to pay for"
    if row["ci_high"] <= 0:
        return f"identifies more victims ({gain}) and {spend}"
    return (f"{money(row['cost_per_additional_victim'], cur)} per additional victim identified "
            f"(95% CI {money(row['ci_low'], cur)} to {money(row['ci_high'], cur)}, Fieller; "
            f"{gain}; the option {spend})")


def money(x: float, currency: str) -> str:
    """An amount as a policymaker reads it: GBP 1,234 (a dash when not defined)."""
    if not math.isfinite(x):
        return "-"
    return f"{'-' if x < 0 else ''}{currency} {abs(x):,.0f}"


def cost_table(scenarios: dict, tables: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """Each scenario after the first against the first: one row of `cost_per_additional_victim`
    per option (scenarios: name -> Scenario; tables: name -> replications table)."""
    from tipkit.sim.model.costs import counted_days

    names = list(scenarios)
    base = scenarios[names[0]]
    rows = [{"scenario": name, **cost_per_additional_victim(
                tables[names[0]], tables[name], counted_days(base),
                counted_days(scenarios[name]), base.costs.currency, cost)}
            for name in names[1:] for cost in COUNTED]
    return pd.DataFrame(rows)
