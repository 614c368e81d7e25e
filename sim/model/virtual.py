"""Conditional Monte Carlo ("virtual victims") estimates of identification, flags and referrals:
at every screening of every counted traveller, the probability that a victim in their place
would have been flagged and identified, summed in closed form instead of counting ~7 victims a day.

Why it estimates the same quantity as the direct count. Victims are an independent thinning of
travellers (stream `victim`, a fixed share) and their profiles are drawn uniformly from the
release (stream `profile`); a victim barely changes the queues (a flag sends them to secondary
inspection, which never holds up a desk). So, given the day's queues (who arrived, who served
whom, how long the queue was when each service began), the victims of a group are a uniformly
random subset of the counted travellers, and each victim's chance of identification has a
closed form given the circumstances of their place:

- at a desk, officer of level l, attention a = 1 - noticing_loss * min(1, queue / full_at_queue)
  (time pressure is the queue length when service starts), P(flag | indicators) =
  1 - (1 - false_alarm_l * a) * prod over carried indicators k of (1 - noticing_lk * a);
- at an e-gate the same with the gate's sensitivity and a = 1; a gate that fails (the place's
  own `egate_failure` draw) sends an unflagged traveller on to a desk. The officer screens with
  the traveller's same draws (a forgery that fooled the gate is the same forgery), so the gate
  and the desk together flag with each threshold at the larger of the two:
  1 - (1 - max(false_alarm_gate, false_alarm_l * a)) * prod (1 - max(noticing_gate_k,
  noticing_lk * a)), of which the desk's share is that minus the gate's own;
- a flagged victim is identified if the interview confirms them (`secondary.confirms_victim`,
  independent of the wait).

Hence E[identified / victims of group g | the day] = the mean over counted places of
sum over the 16 indicator patterns P of w_g(P) * confirms * P(flag | P, place), where w_g are the
pattern shares of group g among the release's profiles for this point's transport modes. That
mean is the estimator; it conditions on the queues and integrates out who is a victim, their
profile and every screening draw (noticing, false alarm, confirmation). The direct count (kept as
`*_direct` KPIs) has the same expectation and a far larger variance.

The subtleties, each handled where the place is screened (sim.model.border):

- Children are not eligible for e-gates. In a place whose traveller chose a gate, an adult victim
  would have used the gate, a child victim would have met a desk on arrival. Under Poisson
  arrivals the desk conditions a joiner meets are distributed as those met by desk travellers
  joining then, so a missing condition is borrowed: at once if an officer is idle and nobody
  queues (the joiner would get that officer, under no pressure), else from the next traveller to
  join the desk queue. The same borrowing serves an adult victim whose gate failed in a place
  where the real traveller did not go on to a desk (flagged at the gate, or a child victim).
- Warm-up: only places of counted travellers are summed; borrowed conditions may come from any
  joiner.
- Flags: E[flags | the day] sums each place's flag probability as an ordinary traveller (no
  indicators, gate-eligible: pattern 0) and as a victim, mixed at the prevalence. The share of
  flags that are victims is the ratio of the expected victim flags to the expected flags; with
  flags rare and independent given the day, this is the expected share to a Poisson
  approximation (exact when flags are Poisson).

Probabilities are computed once per replication from small tables: the number of desk
screenings by (route, officer level, queue length), never per traveller and pattern.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np

from tipkit.sim.model.scenario import INDICATORS, LEVELS, Indicators, Scenario

# Every pattern of indicators a victim can carry: bit k of the index is indicator k.
PATTERNS = np.array([[bool(p >> k & 1) for k in range(len(INDICATORS))]
                     for p in range(2 ** len(INDICATORS))])
CHILD = PATTERNS[:, INDICATORS.index("minor")]     # the minor indicator is exactly "a child"
ORDINARY = 0                                       # no indicators: flagged only by false alarm

# Which victims in a place a desk screening stands for.
EVERY = 0          # the place's traveller went to a desk on arrival: every victim would have
ADULT_AFTER_GATE = 1   # an adult victim whose gate failed (and who was not flagged there)
CHILD_AT_DESK = 2      # a child victim in the place of a traveller who chose a gate


def pattern_of(indicators: Indicators) -> int:
    """The index of a pattern of carried indicators in PATTERNS."""
    return sum(1 << k for k, carried in enumerate(indicators) if carried)


class PatternWeights(NamedTuple):
    """The share of each indicator pattern among the victims who may cross here: overall and
    within each group (None for a group with no profile)."""
    overall: np.ndarray
    groups: dict[str, np.ndarray | None]


def pattern_weights(profiles, groups) -> PatternWeights:
    """Pattern shares of the profiles victims are drawn from (uniformly), overall and by group."""
    patterns = np.array([pattern_of(p.indicators) for p in profiles], dtype=np.int64)
    size = len(PATTERNS)
    overall = np.bincount(patterns, minlength=size) / len(patterns)
    by_group = {}
    for g in groups:
        member = np.array([g in (p.gender, p.age, p.document) for p in profiles], dtype=bool)
        counts = np.bincount(patterns[member], minlength=size)
        by_group[g] = counts / counts.sum() if counts.sum() else None
    return PatternWeights(overall, by_group)


class ScreeningRecord:
    """What the virtual victims need from one replication, kept as it runs: the number of desk
    screenings by (route, officer level, queue length at service start, capped where the pressure
    is full), the number of counted places whose traveller chose a gate, and the routes waiting
    to borrow the conditions of the next desk joiner."""

    __slots__ = ("desks", "gates", "borrowing", "full_queue")

    def __init__(self, scenario: Scenario):
        self.desks: dict[tuple[int, str, int], int] = {}
        self.gates = 0
        self.borrowing: list[int] = []
        self.full_queue = math.ceil(scenario.time_pressure.full_at_queue)

    def desk(self, route: int, level: str, queued: int, count: int = 1) -> None:
        key = (route, level, queued if queued < self.full_queue else self.full_queue)
        self.desks[key] = self.desks.get(key, 0) + count


class FlagSums(NamedTuple):
    """Sums over counted places of the probability that a traveller of each pattern in that place
    is flagged: under the pressure met, and as unhurried officers (attention 1) would."""
    pressed: np.ndarray
    relaxed: np.ndarray


def flag_sums(record: ScreeningRecord, scenario: Scenario) -> FlagSums:
    """The expected flags of each pattern over the replication's places (see the module)."""
    s = scenario
    gate = s.egates.screening
    gate_noticing = np.array(gate.noticing(), dtype=float)
    gate_miss = _missed(gate.false_alarm, gate_noticing)
    adult = ~CHILD
    base = record.gates * adult * (1.0 - gate_miss)
    if not record.desks:
        return FlagSums(base, base.copy())
    keys = list(record.desks)
    counts = np.array([record.desks[k] for k in keys], dtype=float)
    routes = np.array([k[0] for k in keys])
    after_gate = (routes == ADULT_AFTER_GATE)[:, None]
    levels = [LEVELS.index(k[1]) for k in keys]
    queued = np.array([k[2] for k in keys], dtype=float)
    pressure = np.minimum(1.0, queued / s.time_pressure.full_at_queue)
    attention = 1.0 - s.time_pressure.noticing_loss * pressure
    sens = [getattr(s.screening, level) for level in LEVELS]
    noticing = np.array([sens[lv].noticing() for lv in levels], dtype=float)
    false_alarm = np.array([sens[lv].false_alarm for lv in levels])
    # a desk screening on each route stands for these patterns, flagged with probability
    # start - P(missed): start is 1, or P(missed at the gate) after a gate (shared draws)
    mask = np.array([np.ones(len(PATTERNS)), adult, CHILD], dtype=float)[routes]
    start = np.where(after_gate, gate_miss, 1.0)
    sums = []
    for att in (attention, np.ones_like(attention)):
        fa = false_alarm * att
        notice = noticing * att[:, None]
        fa = np.where(after_gate[:, 0], np.maximum(fa, gate.false_alarm), fa)
        notice = np.where(after_gate, np.maximum(notice, gate_noticing), notice)
        flagged = (start - _missed(fa, notice)) * mask
        sums.append(base + (counts[:, None] * flagged).sum(axis=0))
    return FlagSums(*sums)


def _missed(false_alarm, noticing: np.ndarray) -> np.ndarray:
    """P(not flagged) for every pattern (last axis: 16): no false alarm, and no carried
    indicator noticed. `noticing` has the four indicators on its last axis."""
    factors = 1.0 - noticing[..., None, :]                               # (..., 1, 4)
    carried = np.where(PATTERNS, factors, 1.0).prod(axis=-1)             # (..., 16)
    return (1.0 - np.asarray(false_alarm))[..., None] * carried


def virtual_kpis(sums: FlagSums, weights: PatternWeights, scenario: Scenario,
                 travellers: int) -> dict[str, float]:
    """The identification, flag and referral KPIs the virtual victims estimate (counts are the
    expected counts of the replication's day, given its queues). Identification rates are
    undefined, as counted, where no victim can cross (no share, or a group without profiles)."""
    if travellers == 0:
        return {}
    s = scenario
    share = s.victims.share
    confirms = s.secondary.confirms_victim
    per_place = sums.pressed / travellers
    out = {}
    for name, w in (("identification_rate", weights.overall),
                    *((f"identification_rate.{g}", w) for g, w in weights.groups.items())):
        out[name] = confirms * float(w @ per_place) if w is not None and share > 0 else math.nan
    victim_flags = share * float(weights.overall @ sums.pressed)
    ordinary_flags = (1 - share) * float(sums.pressed[ORDINARY])
    flags = victim_flags + ordinary_flags
    identified = confirms * victim_flags
    false_referrals = s.secondary.refers_ordinary * ordinary_flags
    out.update({
        "identified": identified,
        "flag_ppv": victim_flags / flags if flags else math.nan,
        "flags_per_10k": flags / travellers * 1e4,
        "false_referrals_per_10k": false_referrals / travellers * 1e4,
        "missed_time_pressure": share * float(weights.overall @ (sums.relaxed - sums.pressed)),
        "referrals": identified + false_referrals,
    })
    return out
