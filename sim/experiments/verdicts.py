"""Paired differences between scenarios run on common random numbers, and the plain-language
verdict a policymaker reads ("more identifications: +3.1 per 100 victims, 95% CI +1.9 to +4.3";
"more women identified: +12.4 per 100 women who crossed, 95% CI ...")."""

from __future__ import annotations

import math

import pandas as pd

from tipkit.sim.model.kpis import GROUP_WORDS, KPI, KPI_BY_NAME, KPIS
from tipkit.sim.experiments.stats import t_interval

# kpi: (what it is, word when it goes up, word when it goes down, scale, unit)
PHRASES = {
    "identification_rate": ("identifications", "more identifications", "fewer identifications",
                            100, " per 100 victims"),
    "false_referrals_per_10k": ("false referrals", "more false referrals",
                                "fewer false referrals", 1, " per 10,000 travellers"),
    "desk_wait_mean": ("desk waits", "longer desk waits", "shorter desk waits", 1, " min"),
    "desk_wait_p95": ("slow desk waits", "longer slow desk waits (95th percentile)",
                      "shorter slow desk waits (95th percentile)", 1, " min"),
    "desk_within_target": ("waits within the target", "more travellers within the target",
                           "fewer travellers within the target", 100, " per 100 travellers"),
    "flag_ppv": ("the share of flags that are victims", "a larger share of flags are victims",
                 "a smaller share of flags are victims", 100, " per 100 flags"),
    "officer_utilisation": ("officer utilisation", "busier officers", "less busy officers",
                            100, " percentage points"),
    "secondary_utilisation": ("secondary-inspection utilisation", "busier secondary inspection",
                              "less busy secondary inspection", 100, " percentage points"),
    "refused_referrals": ("refused referrals", "more refused referrals",
                          "fewer refused referrals", 1, " per run"),
    "cost_per_day": ("cost a day", "a higher cost a day", "a lower cost a day", 1,
                     " (currency) a day"),
    "missed_time_pressure": ("victims missed under time pressure",
                             "more victims missed under time pressure",
                             "fewer victims missed under time pressure", 1, " per run"),
    "flags_per_10k": ("flags", "more travellers flagged", "fewer travellers flagged", 1,
                      " per 10,000 travellers"),
    "identified": ("victims identified", "more victims identified", "fewer victims identified",
                   1, " per run"),
    "referrals": ("referrals", "more referrals", "fewer referrals", 1, " per run"),
    "egate_within_target": ("e-gate waits within the target",
                            "more e-gate users within the target",
                            "fewer e-gate users within the target", 100,
                            " per 100 e-gate users"),
    # a group's identification rate: points per 100 victims of that group, named in words
    **{f"identification_rate.{g}": (f"identifications of {words}", f"more {words} identified",
                                    f"fewer {words} identified", 100,
                                    f" per 100 {words} who crossed")
       for g, words in GROUP_WORDS.items()},
}


def paired_differences(base: pd.DataFrame, other: pd.DataFrame, kpis=KPIS) -> pd.DataFrame:
    """Per KPI: mean of (other - base) over replications with the same number, 95% interval."""
    merged = base.merge(other, on="replication", suffixes=("_base", "_other"))
    rows = []
    for k in kpis:
        d = (merged[f"{k.name}_other"] - merged[f"{k.name}_base"]).tolist()
        mean, low, high, n = t_interval(d)
        rows.append({"kpi": k.name, "difference": mean, "ci_low": low, "ci_high": high, "n": n,
                     "verdict": verdict(k.name, mean, low, high, k)})
    return pd.DataFrame(rows, columns=["kpi", "difference", "ci_low", "ci_high", "n", "verdict"])


def verdict(kpi: str, mean: float, low: float, high: float, of: KPI | None = None) -> str:
    """One sentence: the direction (if the interval excludes zero), the size, the interval.
    `of` describes a KPI of another table (the national KPIs); else the run's KPI does."""
    label = (of or KPI_BY_NAME.get(kpi) or KPI(kpi, kpi, "number")).label.strip()
    noun, up, down, scale, unit = phrase(kpi, of)
    if not math.isfinite(mean):
        return f"{label}: not defined in these runs"
    if not (math.isfinite(low) and math.isfinite(high)):
        return f"{label}: {mean * scale:+.1f}{unit} (too few replications for an interval)"
    # one decimal, more when the whole interval is smaller than that (rare false referrals)
    widest = max(abs(mean), abs(low), abs(high)) * scale
    d = 1 if widest >= 0.1 or widest == 0 else 2 if widest >= 0.01 else 3
    size = f"{mean * scale:+.{d}f}{unit}, 95% CI {low * scale:+.{d}f} to {high * scale:+.{d}f}"
    if low > 0:
        return f"{up}: {size}"
    if high < 0:
        return f"{down}: {size}"
    if low == high == 0:
        return f"no difference in {noun}"
    return f"no clear difference in {noun}: {size}"


def phrase(kpi: str, of: KPI | None = None) -> tuple[str, str, str, float, str]:
    """(what it is, word when it goes up, word when it goes down, scale, unit) of a KPI: a share
    without its own words moves in percentage points. `of` as for `verdict`."""
    if kpi in PHRASES:
        return PHRASES[kpi]
    k = of or KPI_BY_NAME.get(kpi)
    label = k.label.strip() if k else kpi
    scale, unit = (100, " percentage points") if k is not None and k.form == "share" else (1, "")
    return label, f"higher {label}", f"lower {label}", scale, unit

