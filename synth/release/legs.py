"""Row ids and journey legs of a release: every pipeline numbers its rows and expands a released
case's journey into its legs here, and the release checker checks the ids against the same rules.

A journey is case-level: `legCount` and the journey values that every leg of the case carries.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from tipkit.synth.release.schema import CASE_ID, JOURNEY_COLUMNS, LEG_COUNT, LEG_ID, LEG_TABLE_COLUMNS


@dataclass(frozen=True)
class Ids:
    """How a release numbers its rows, always freshly from 1: with a prefix and zero-padded to
    at least `min_width` digits (a leg id one digit wider than a case id), or plain 1..n."""

    case_prefix: str = ""
    leg_prefix: str = ""
    min_width: int | None = None  # None: no padding

    def cases(self, n: int) -> list[str]:
        return _numbered(self.case_prefix, n, self._width(n))

    def legs(self, m: int, cases: int) -> list[str]:
        width = self._width(cases)
        return _numbered(self.leg_prefix, m, width + 1 if width else 0)

    def _width(self, cases: int) -> int:
        return 0 if self.min_width is None else max(self.min_width, len(str(cases)))


def _numbered(prefix: str, n: int, width: int) -> list[str]:
    return [f"{prefix}{i:0{width}d}" for i in range(1, n + 1)]


# `synth generate` writes C000001 and L0000001; `synth fit` writes 1..n and 1..m.
PUBLISHED_IDS = Ids("C", "L", 6)
FITTED_IDS = Ids()


def expand_legs(case_ids, journeys, ids: Ids) -> pd.DataFrame:
    """Each case's legs, in case order: legCount rows numbered 1..legCount that all carry the
    case's journey values, with fresh leg ids. `journeys` maps LEG_COUNT and every journey
    column to one value per case (a DataFrame or a dict of arrays, in the order of `case_ids`)."""
    counts = np.asarray(journeys[LEG_COUNT]).astype(int)
    case_of_leg = np.repeat(np.arange(len(counts)), counts)
    starts = np.cumsum(counts) - counts
    index = np.arange(len(case_of_leg)) - starts[case_of_leg] + 1
    legs = pd.DataFrame({
        LEG_ID: ids.legs(len(case_of_leg), len(counts)),
        CASE_ID: np.asarray(case_ids, dtype=object)[case_of_leg],
        "legIndex": index.astype(str),
    })
    for name in JOURNEY_COLUMNS:
        legs[name] = np.asarray(journeys[name])[case_of_leg]
    return legs[list(LEG_TABLE_COLUMNS)]
