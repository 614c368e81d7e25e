"""Scenario discovery: where in the space of assumptions an answer fails, as a box of a few
assumptions in their own units that reads as a sentence ("... stops being the best when X is
below Y"), found by PRIM.

Why PRIM from the EMA Workbench: it is the reference implementation of scenario discovery
(Friedman and Fisher 1999; Bryant and Lempert 2010), and its peeling trajectory lets the box be
chosen for what a reader can use: few assumptions, most of the failures, mostly failures.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd

PRIM_THRESHOLD = 0.8       # density: at least this share of a failure box's worlds fail
PRIM_COVERAGE = 0.5        # coverage: the box holds at least this share of the failing worlds
PRIM_DIMENSIONS = 3        # a box of more assumptions than this is not a finding but a fit
PRIM_FAILURES = 5          # fewer failing worlds than this: too few to say where


@dataclass(frozen=True)
class FailureBox:
    """A box of assumptions where the recommendation fails: each restricted key's range, the
    share of failing worlds inside it (coverage) and the share of its worlds that fail."""
    limits: pd.DataFrame        # factor, label, low, high, restricted_low, restricted_high
    coverage: float
    density: float
    worlds: int                 # worlds inside the box
    failures: int               # failing worlds in all


def failure_box(x: pd.DataFrame, fails: np.ndarray, threshold: float = PRIM_THRESHOLD
                ) -> FailureBox | None:
    """PRIM (EMA Workbench) on the worlds' assumptions against 'the recommendation fails': of
    the boxes on its peeling trajectory that restrict at most PRIM_DIMENSIONS assumptions, hold
    at least PRIM_COVERAGE of the failing worlds and where at least `threshold` of the worlds
    fail, the one of most coverage. None when no such box exists, fewer than PRIM_FAILURES
    worlds fail, everything fails, or no key varies."""
    fails = np.asarray(fails, dtype=bool)
    x, words = _distinct_columns(x)
    varied = [c for c in x.columns if x[c].nunique() > 1]
    if not varied or fails.sum() < PRIM_FAILURES or fails.all():
        return None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")      # ipyparallel missing; pandas' future warnings
        from ema_workbench.analysis import prim
        import logging
        logging.getLogger("EMA").setLevel(logging.ERROR)
        data = x[varied].astype(float).reset_index(drop=True)
        found = prim.Prim(data, fails, threshold=threshold, peel_alpha=0.1, mass_min=0.05)
        box = found.find_box()
    trajectory = box.peeling_trajectory
    good = trajectory[(trajectory.density >= threshold) & (trajectory.coverage >= PRIM_COVERAGE)
                      & (trajectory.res_dim <= PRIM_DIMENSIONS) & (trajectory.res_dim > 0)]
    if good.empty:
        return None
    pick = good.sort_values(["coverage", "density"], ascending=False, kind="stable").index[0]
    limits = box.box_lims[int(pick)]
    rows = []
    for key in varied:
        low, high = float(limits[key].iloc[0]), float(limits[key].iloc[1])
        lo_all, hi_all = float(data[key].min()), float(data[key].max())
        rows.append({"factor": key, "label": words[key], "low": low, "high": high,
                     "restricted_low": low > lo_all, "restricted_high": high < hi_all})
    table = pd.DataFrame(rows)
    inside = np.ones(len(data), dtype=bool)
    for row in rows:
        inside &= (data[row["factor"]] >= row["low"]).to_numpy()
        inside &= (data[row["factor"]] <= row["high"]).to_numpy()
    return FailureBox(table, float(trajectory.coverage.iloc[int(pick)]),
                      float(trajectory.density.iloc[int(pick)]), int(inside.sum()),
                      int(fails.sum()))


def _distinct_columns(x: pd.DataFrame) -> tuple[pd.DataFrame, dict[str, str]]:
    """One column per assumption: a calibration writes an assumption shared by several points
    once per point (POINT.key, the same values), which is one input to PRIM, named for all."""
    groups: dict[bytes, list[str]] = {}
    for column in x.columns:
        groups.setdefault(x[column].to_numpy(dtype=float).tobytes(), []).append(column)
    words = {}
    for keys in groups.values():
        points = [k.partition(".")[0] for k in keys]
        rests = {k.partition(".")[2] for k in keys}
        if len(keys) > 1 and len(rests) == 1 and all(k != "victims_per_day" for k in keys):
            from tipkit.sim.experiments.sensitivity import assumption_words
            words[keys[0]] = f"{assumption_words(rests.pop())} at {', '.join(points)}"
        else:
            words[keys[0]] = key_words(keys[0])
    return x[[keys[0] for keys in groups.values()]], words


def key_words(key: str) -> str:
    """A posterior key in plain words (a network's POINT.key: 'at POINT')."""
    from tipkit.sim.experiments.sensitivity import _field, assumption_words

    if key == "victims_per_day":
        return "how many victims cross the network's points a day"
    if _field(key) is None and "." in key:
        point, _, rest = key.partition(".")
        return f"{assumption_words(rest)} at {point}"
    return assumption_words(key)


def value_words(key: str, value: float) -> str:
    """A value as the reader reads it: a share in per cent, else three figures."""
    from tipkit.sim.experiments.sensitivity import _field

    rest = key.partition(".")[2] if _field(key) is None and "." in key else key
    spec = _field(rest)
    if spec is not None and spec[1].get("lo") == 0 and spec[1].get("hi") == 1:
        return f"{100 * value:.3g}%"
    return f"{value:.3g}"


def box_words(box: FailureBox) -> str:
    """'X is below a and Y is above b' for the restricted keys of a box."""
    parts = []
    for row in box.limits.itertuples(index=False):
        if row.restricted_low and row.restricted_high:
            parts.append(f"{row.label} is between {value_words(row.factor, row.low)} and "
                         f"{value_words(row.factor, row.high)}")
        elif row.restricted_high:
            parts.append(f"{row.label} is below {value_words(row.factor, row.high)}")
        elif row.restricted_low:
            parts.append(f"{row.label} is above {value_words(row.factor, row.low)}")
    return " and ".join(parts)
