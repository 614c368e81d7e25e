"""A one-run audit of a differentially private release (Steinke, Nasr and Jagielski 2023, "Privacy
auditing with one (1) training run"): an empirical lower bound on epsilon that must stay below the
epsilon the release claims.

Many canary records, each added to the records with probability 1/2, one fit; an auditor scores
each canary from what the fit output, guesses the most confident "in" and "out", and the number of
right guesses bounds epsilon from below at 95% confidence. Scored twice: white box, on the
mechanism's own noisy tables (before the k-anonymity step, which could hide a broken mechanism),
and black box, on the release as published.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd
from scipy import stats

from tipkit.synth.microdata import marginals as model, selection
from tipkit.synth.microdata.accounting import Budget, gaussian_sigma
from tipkit.synth.microdata.readers import CaseRecords
from tipkit.synth.release.schema import CASE_ID

CANARIES = 1000
CONFIDENCE = 0.95
# Guesses tried (a share of the canaries, half "in" and half "out"); the confidence is split
# between them (Bonferroni), so that choosing the best is no free extra chance.
GUESS_SHARES = (0.05, 0.1, 0.2, 0.5, 1.0)


def p_value(m: int, r: int, v: int, epsilon: float, delta: float) -> float:
    """The probability of `v` or more right guesses out of `r` (among `m` canaries) under
    (epsilon, delta)-DP: Steinke, Nasr and Jagielski 2023, Theorem 5.2 (their Algorithm 2's
    p-value): P[Binomial(r, e^eps/(1+e^eps)) >= v] + 2 m delta max_i P[v > Binomial >= v-i]/i."""
    if not 0 <= v <= r <= m:
        raise ValueError(f"need 0 <= v <= r <= m (got v={v}, r={r}, m={m})")
    q = 1.0 / (1.0 + math.exp(-epsilon))  # the accuracy of epsilon-DP randomised response
    tail = float(stats.binom.sf(v - 1, r, q))
    if v == 0 or delta == 0:
        return min(tail, 1.0)
    # P[v > Binomial >= v - i] for i = 1..v: the pmf summed downwards from v - 1.
    below = np.cumsum(stats.binom.pmf(np.arange(v - 1, -1, -1), r, q))
    spread = float(np.max(below / np.arange(1, v + 1)))
    return min(tail + 2 * m * delta * spread, 1.0)


def epsilon_lower_bound(m: int, r: int, v: int, delta: float = 0.0,
                        alpha: float = 1 - CONFIDENCE) -> float:
    """The largest epsilon that `v` right guesses out of `r` rule out at level `alpha`: every
    smaller epsilon gives them a p-value below alpha (0 when none does)."""
    if r == 0 or p_value(m, r, v, 0.0, delta) >= alpha:
        return 0.0
    low, high = 0.0, 1.0
    while p_value(m, r, v, high, delta) < alpha:
        low, high = high, 2 * high
    for _ in range(60):
        middle = (low + high) / 2
        if p_value(m, r, v, middle, delta) < alpha:
            low = middle
        else:
            high = middle
    return low


@dataclass(frozen=True)
class Bound:
    """An audited lower bound: epsilon, from `right` right guesses out of `guesses`."""

    epsilon: float
    guesses: int
    right: int

    def record(self) -> dict:
        return {"epsilon_lower_bound": self.epsilon, "guesses": self.guesses, "right": self.right}


def audited_bound(scores: np.ndarray, included: np.ndarray, delta: float) -> Bound:
    """The best bound over GUESS_SHARES: the highest scores guessed "in", as many lowest "out"
    (ties broken by canary order, which the scores do not know), each at level alpha divided by
    the number of shares tried."""
    m = len(scores)
    order = np.argsort(-scores, kind="stable")
    alpha = (1 - CONFIDENCE) / len(GUESS_SHARES)
    best = None
    for share in GUESS_SHARES:
        half = max(int(share * m) // 2, 1)
        right = int(included[order[:half]].sum() + (~included[order[m - half:]]).sum())
        found = Bound(epsilon_lower_bound(m, 2 * half, right, delta, alpha), 2 * half, right)
        if best is None or found.epsilon > best.epsilon:
            best = found
    return best


def draw_canaries(table: pd.DataFrame, count: int, rng: np.random.Generator,
                  codebook=None, least: float = 0.0) -> pd.DataFrame:
    """`count` distinct records, none a real record's copy, each column's value drawn uniformly
    and independently among the values at least `least` records hold (the values the mechanism
    keeps rather than merging into "Other"), so that the canaries lie far apart in every table
    it measures (each mostly alone in its cell of a two- or three-way table); none holds a
    combination the codebook calls impossible."""
    values = {}
    for c in table.columns:
        held = table[c].value_counts()
        values[c] = np.array(sorted(held.index[held >= least])) if (held >= least).any() \
            else np.array([held.index[0]])
    drawn = pd.DataFrame()
    for _ in range(20):
        more = pd.DataFrame({c: v[rng.integers(0, len(v), 4 * count)] for c, v in values.items()})
        if codebook is not None:
            hit = np.zeros(len(more), dtype=bool)
            for rule in codebook.impossible:
                if set(rule.values) <= set(more.columns):
                    hit |= rule.rows(more)
            more = more[~hit]
        real = table.drop_duplicates().assign(_real=True)
        more = more.merge(real, how="left", on=list(table.columns))
        more = more[more["_real"].isna()].drop(columns="_real")
        drawn = pd.concat([drawn, more]).drop_duplicates()
        if len(drawn) >= count:
            return drawn.iloc[:count].reset_index(drop=True)
    raise ValueError(f"could not draw {count} distinct canaries from the table's values")


def white_box_scores(mechanism, base: pd.DataFrame, canaries: pd.DataFrame) -> np.ndarray:
    """Each canary's score on the mechanism's own noisy tables: in every measured table, the noisy
    count of its cell less the count of the records that are not canaries (known to the auditor)
    and less half a count per other canary there (each is in with probability 1/2), weighted by
    one over the cell's variance (the noise, estimated from the residuals themselves rather than
    taken from the ledger, plus a quarter per other canary). The optimal linear test of one
    canary's presence; it uses the output and the public records only, never who is in."""
    domain, maps = mechanism.domain, mechanism.maps
    full = mechanism.full_domain
    base_codes = model.recode(full.encode(base[list(full.columns)]), maps)
    canary_codes = model.recode(full.encode(canaries[list(full.columns)]), maps)
    scores = np.zeros(len(canaries))
    for measured in mechanism.noisy:
        columns = measured.columns
        residual = measured.counts - model.marginal(base_codes, domain, columns)
        cell = model.cells(canary_codes, domain, columns)
        crowd = np.bincount(cell, minlength=residual.size).astype(float)
        noise = max(float(np.mean((residual - crowd / 2) ** 2 - crowd / 4)), 1e-2)
        others = crowd[cell] - 1
        scores += (residual[cell] - others / 2 - 0.5) / (noise + others / 4)
    return scores


def black_box_scores(release: pd.DataFrame, canaries: pd.DataFrame) -> np.ndarray:
    """Each canary's score on the release: minus the number of columns in which the closest
    released row differs, plus a fraction for how many released rows lie that close."""
    from tipkit.synth.evaluate.evaluation import _codes_over

    columns = list(canaries.columns)
    codes = _codes_over([release[columns], canaries], columns)
    rows, counts = np.unique(codes[0], axis=0, return_counts=True)
    scores = np.empty(len(canaries))
    for start in range(0, len(canaries), 256):
        chunk = codes[1][start:start + 256]
        distance = (chunk[:, None, :] != rows[None, :, :]).sum(axis=2)
        nearest = distance.min(axis=1)
        near = ((distance == nearest[:, None]) * counts[None, :]).sum(axis=1)
        scores[start:start + 256] = -nearest + near / (counts.sum() + 1)
    return scores


@dataclass(frozen=True)
class Audit:
    """What `tipkit synth audit` reports."""

    epsilon: float
    delta: float
    canaries: int
    included: int
    white_box: Bound
    black_box: Bound
    seconds: float
    broken: float = 1.0  # the test-only noise scale (1: the mechanism as shipped)

    @property
    def holds(self) -> bool:
        return self.white_box.epsilon <= self.epsilon and self.black_box.epsilon <= self.epsilon

    def record(self) -> dict:
        """As JSON records it: the same inputs and seed give the same bytes (no time taken)."""
        return {"claimed": {"epsilon": self.epsilon, "delta": self.delta},
                "canaries": self.canaries, "canaries_included": self.included,
                "white_box": self.white_box.record(), "black_box": self.black_box.record(),
                "confidence": CONFIDENCE, "holds": self.holds,
                **({"noise_scale": self.broken} if self.broken != 1.0 else {}),
                "sentences": audit_sentences(self)}


def run_audit(records: CaseRecords, settings, canaries: int = CANARIES,
              _noise_scale: float = 1.0) -> Audit:
    """The one-run audit of `tipkit synth fit` under `settings` (which must be DP) on `records`:
    `canaries` canaries, each added with probability 1/2 (the draws from `settings.seed`), one
    fit, both bounds. `_noise_scale` below 1 breaks the mechanism on purpose (tests only)."""
    from tipkit.synth.microdata.fit import _fit_codebook, fit_release, validate

    if not settings.private:
        raise ValueError("the audit checks a differentially private fit: give an epsilon")
    # fit's own refusals (an epsilon without its delta, say) before the audit spends its budget
    validate(settings, len(records.table), tuple(records.table.columns),
             _fit_codebook(records, settings))
    start = time.perf_counter()
    draw_rng, coin_rng = np.random.SeedSequence([settings.seed, 0xA0D17]).spawn(2)
    table = records.table.reset_index(drop=True)
    # Values the one-way tables keep at the claimed noise (a kept value passes k and 3 sigma).
    one_way = selection.ONE_WAY_SHARE * Budget(settings.epsilon, settings.delta).rho
    least = max(settings.k, 3 * gaussian_sigma(one_way / table.shape[1]))
    drawn = draw_canaries(table, canaries, np.random.default_rng(draw_rng), records.codebook,
                          least)
    included = np.random.default_rng(coin_rng).random(len(drawn)) < 0.5
    audited = replace(records, table=pd.concat([table, drawn[included]], ignore_index=True),
                      legs=None, case_ids=None)
    fitted = fit_release(audited, settings, _noise_scale=_noise_scale)
    white = audited_bound(white_box_scores(fitted.mechanism, table, drawn), included,
                          settings.delta)
    released = fitted.codebook.measured(fitted.cases.drop(columns=[CASE_ID])) \
        if fitted.codebook is not None else fitted.cases.drop(columns=[CASE_ID])
    black = audited_bound(black_box_scores(released, drawn), included, settings.delta)
    return Audit(settings.epsilon, settings.delta, len(drawn), int(included.sum()), white,
                 black, time.perf_counter() - start, _noise_scale)


def audit_sentences(audit: Audit) -> list[str]:
    """The audit in plain words."""
    verdict = ("Both stay below the claim, as they must." if audit.holds else
               "A bound ABOVE the claim: the mechanism does not keep its promise.")
    return [
        f"The release claims epsilon = {audit.epsilon:g} with delta = {audit.delta:g}. "
        f"{audit.canaries} made-up records were each added to the data with probability one "
        f"half and the release fitted once; an auditor then guessed which were in.",
        f"From the mechanism's own noisy tables (before the k-anonymity step) the guesses prove "
        f"epsilon is at least {audit.white_box.epsilon:.2f} ({audit.white_box.right} of "
        f"{audit.white_box.guesses} guesses right); from the published release, at least "
        f"{audit.black_box.epsilon:.2f} ({audit.black_box.right} of {audit.black_box.guesses}); "
        f"95% confidence. {verdict}",
    ]


def ceiling(canaries: int, delta: float = 0.0) -> float:
    """The largest bound an audit with `canaries` canaries shows when its scores are perfect:
    every guess right with half of them guessed (guessing all of them cannot be all right, as
    the auditor does not know how many are in). A broken mechanism that claims more than this
    cannot be caught by an audit of that size: give more canaries."""
    alpha = (1 - CONFIDENCE) / len(GUESS_SHARES)
    guesses = 2 * (int(0.5 * canaries) // 2)
    return epsilon_lower_bound(canaries, guesses, guesses, delta, alpha)
