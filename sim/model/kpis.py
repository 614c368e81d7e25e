"""What one run reports: the tally a replication keeps as it goes (counts and streaming wait
summaries, never per-traveller records) and the key performance indicators computed from it.
Identification, flag and referral KPIs are virtual-victim estimates (sim.model.virtual), desk
waits control-variate estimates (sim.model.control), the shelter's cost follows the estimated
referrals; the direct values they replace are kept as `*_direct` columns of replications.csv."""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass

from tipkit.sim.experiments.stats import WaitSummary
from tipkit.sim.model.costs import cost_kpis

GROUPS = ("woman", "man", "trans", "gender_unknown", "child", "adult", "age_unknown",
          "own_document", "forged_document", "not_own_document")
# Each group in plain words, as a verdict names it ("per 100 women who crossed").
GROUP_WORDS = {"woman": "women", "man": "men", "trans": "trans and gender non-conforming people",
               "gender_unknown": "victims of unrecorded gender", "child": "children",
               "adult": "adults", "age_unknown": "victims of unrecorded age",
               "own_document": "victims with their own document",
               "forged_document": "victims with a forged document",
               "not_own_document": "victims with someone else's document"}


@dataclass(frozen=True)
class KPI:
    name: str
    label: str
    form: str              # how to print it: "share", "minutes", "count", "rate", "number"
    headline: bool = False  # held to --precision by --replications auto
    better: str = ""       # "higher", "lower" or "" (no direction)


KPIS = (
    KPI("identification_rate", "Victims identified (share of victims who crossed)", "share",
        True, "higher"),
    *(KPI(f"identification_rate.{g}", f"  identified: {GROUP_WORDS[g]}", "share", False,
          "higher") for g in GROUPS),
    KPI("victims", "Victims who crossed", "count"),
    KPI("identified", "Victims identified", "count", False, "higher"),
    KPI("flag_ppv", "Flags that were victims (positive predictive value)", "share", False,
        "higher"),
    KPI("flags_per_10k", "Travellers flagged per 10,000", "rate", True),
    # rare events (often none in a day): reported everywhere, but not held to a relative precision
    KPI("false_referrals_per_10k", "False referrals per 10,000 travellers", "rate", False,
        "lower"),
    KPI("desk_wait_mean", "Desk wait, mean (min)", "minutes", True, "lower"),
    KPI("desk_wait_p95", "Desk wait, 95th percentile (min)", "minutes", False, "lower"),
    KPI("desk_within_target", "Desk waits within the service-level target", "share", False,
        "higher"),
    KPI("egate_wait_mean", "E-gate wait, mean (min)", "minutes", False, "lower"),
    KPI("egate_wait_p95", "E-gate wait, 95th percentile (min)", "minutes", False, "lower"),
    KPI("egate_within_target", "E-gate waits within the service-level target", "share", False,
        "higher"),
    KPI("secondary_wait_mean", "Secondary-inspection wait, mean (min)", "minutes", False, "lower"),
    KPI("officer_utilisation", "Desk officer utilisation", "share"),
    KPI("secondary_utilisation", "Secondary-inspection utilisation", "share"),
    KPI("egate_utilisation", "E-gate utilisation", "share"),
    KPI("missed_time_pressure", "Victims not flagged because of time pressure", "count", False,
        "lower"),
    KPI("referrals", "Referrals to service providers", "count"),
    KPI("shelter_occupancy", "Shelter beds occupied, time average", "number"),
    KPI("refused_referrals", "Referrals refused (shelter full)", "count", False, "lower"),
    KPI("referrals_waiting", "Referrals still waiting for a bed at the end", "count", False,
        "lower"),
    KPI("travellers", "Travellers", "count"),
    # costs (sim.model.costs): what the border agency pays, and the shelter nights referrals commit
    KPI("cost_per_day", "Cost a day (border agency and shelter)", "money", False, "lower"),
    KPI("cost_border_per_day", "  border agency: staff, training, e-gates, secondary", "money",
        False, "lower"),
    KPI("cost_shelter_per_day", "  shelter bed-nights committed by referrals", "money", False,
        "lower"),
)
# What the virtual victims estimate (sim.model.virtual), also counted directly: the direct
# counts go to replications.csv as `<kpi>_direct` (a group's as identification_rate_direct.woman),
# to check the estimator against; summaries and comparisons use the estimates.
VIRTUAL = ("identification_rate", *(f"identification_rate.{g}" for g in GROUPS), "identified",
           "flag_ppv", "flags_per_10k", "false_referrals_per_10k", "missed_time_pressure",
           "referrals")
# What the control variate estimates (sim.model.control), also counted directly (`<kpi>_direct`).
CONTROLLED = ("desk_wait_mean", "desk_wait_p95", "desk_within_target")
# What follows the estimated referrals (sim.model.costs): the shelter's cost, and the total.
COSTED = ("cost_per_day", "cost_shelter_per_day")
ESTIMATED = VIRTUAL + CONTROLLED + COSTED


def direct_name(kpi: str) -> str:
    """The replications.csv column of a virtual KPI's direct count."""
    head, dot, group = kpi.partition(".")
    return f"{head}_direct{dot}{group}"


_BY_NAME = {k.name: k for k in KPIS}
DIRECT_KPIS = tuple(KPI(direct_name(name), f"{_BY_NAME[name].label} (direct count)",
                        _BY_NAME[name].form) for name in ESTIMATED)
KPI_BY_NAME = {k.name: k for k in KPIS + DIRECT_KPIS}
HEADLINE = tuple(k.name for k in KPIS if k.headline)


class Tally:
    """The running counts of one replication (after its warm-up)."""

    def __init__(self, desk_target_seconds: float, egate_target_seconds: float):
        self.desk_target = desk_target_seconds
        self.egate_target = egate_target_seconds
        self.travellers = 0
        self.victims = 0
        self.crossed = Counter()
        self.identified_in = Counter()
        self.flags = 0
        self.flagged_victims = 0
        self.missed_pressure = 0
        self.identified = 0
        self.false_referrals = 0
        self.refused_referrals = 0
        self.referrals_waiting = 0
        self.referrals_placed = 0
        self.desk_wait = WaitSummary()
        self.egate_wait = WaitSummary()
        self.secondary_wait_total = 0.0
        self.secondary_interviews = 0
        self.secondary_busy = 0.0
        self.egate_busy = 0.0
        self.queue_samples = 0
        self.queue_sampled_total = 0
        self.beds_occupied = 0
        self.bed_seconds = 0.0
        self._bed_since = 0.0
        self.warmup = 0.0
        self.series: HourlySeries | None = None   # kept only for the warm-up check
        self.kpis: dict[str, float] = {}

    def traveller_crossed(self, victim) -> None:
        self.travellers += 1
        if victim is not None:
            self.victims += 1
            self.crossed[victim.gender] += 1
            self.crossed[victim.age] += 1
            self.crossed[victim.document] += 1

    def screened(self, victim, flagged: bool, flagged_without_pressure: bool) -> None:
        if flagged:
            self.flags += 1
            if victim is not None:
                self.flagged_victims += 1
        elif flagged_without_pressure and victim is not None:
            self.missed_pressure += 1

    def interviewed(self, victim, confirmed: bool) -> None:
        self.secondary_interviews += 1
        if victim is not None and confirmed:
            self.identified += 1
            self.identified_in[victim.gender] += 1
            self.identified_in[victim.age] += 1
            self.identified_in[victim.document] += 1
        elif confirmed:
            self.false_referrals += 1

    def bed_change(self, now: float, change: int) -> None:
        if self.series is not None:
            self.series.beds_held(self._bed_since, now, self.beds_occupied)
        start = max(self._bed_since, self.warmup)
        if now > start:
            self.bed_seconds += self.beds_occupied * (now - start)
        self._bed_since = now
        self.beds_occupied += change

    def finish(self, now: float, border, virtual: dict[str, float],
               corrections: dict[str, float]) -> None:
        """Close the books at the end of the run and compute the KPIs: `virtual` holds the
        virtual-victim estimates (empty when nobody was counted), `corrections` what the control
        variate adds to each counted desk-wait KPI."""
        self.bed_change(now, 0)
        s = border.scenario
        horizon = max(now - self.warmup, 1e-9)
        officers_busy = sum(o.busy for o in border.desks.officers)
        direct = replication_kpis(self, s, horizon, officers_busy, border.desks.duty_seconds)
        estimates = {**{k: virtual.get(k, math.nan) for k in VIRTUAL},
                     **{k: _corrected(direct[k], corrections[k]) for k in CONTROLLED}}
        # the shelter's cost from the estimated referrals (a run with no traveller: as counted)
        if "referrals" in virtual:
            estimates.update(cost_kpis(s, {**direct, **estimates}))
        else:
            estimates.update({k: direct[k] for k in COSTED})
        self.kpis = {**direct, **{direct_name(k): direct[k] for k in ESTIMATED}, **estimates}


def _corrected(direct: float, correction: float) -> float:
    """A control-variate estimate; an undefined or infinite count stays as it is."""
    return direct + correction if math.isfinite(direct) else direct


class HourlySeries:
    """Hour by hour from time 0, warm-up included: the queue wait of the travellers who arrived
    in each hour (total and count) and the bed-seconds occupied in each hour. Kept only when
    the warm-up check asks for it (`simulate(..., series=True)`)."""

    __slots__ = ("wait_total", "wait_count", "bed_seconds")

    def __init__(self):
        self.wait_total: list[float] = []
        self.wait_count: list[int] = []
        self.bed_seconds: list[float] = []

    def traveller_left(self, arrived: float, waited: float) -> None:
        hour = int(arrived // 3600)
        while len(self.wait_count) <= hour:
            self.wait_total.append(0.0)
            self.wait_count.append(0)
        self.wait_total[hour] += waited
        self.wait_count[hour] += 1

    def beds_held(self, start: float, end: float, occupied: int) -> None:
        """`occupied` beds were held from `start` to `end` (seconds)."""
        if end <= start:
            return
        last = int(end // 3600)
        while len(self.bed_seconds) <= last:
            self.bed_seconds.append(0.0)
        for hour in range(int(start // 3600), last + 1):
            overlap = min(end, (hour + 1) * 3600.0) - max(start, hour * 3600.0)
            if overlap > 0:
                self.bed_seconds[hour] += occupied * overlap


def replication_kpis(t: Tally, s, horizon: float, officers_busy: float, duty_seconds: float
                     ) -> dict[str, float]:
    """The KPIs as counted in this replication (before any virtual-victim estimate)."""
    def ratio(a, b, scale=1.0):
        return a / b * scale if b else math.nan

    out = {"identification_rate": ratio(t.identified, t.victims)}
    for g in GROUPS:
        out[f"identification_rate.{g}"] = ratio(t.identified_in[g], t.crossed[g])
    referrals = t.referrals_placed + t.refused_referrals + t.referrals_waiting
    gates = s.egates.gates
    out.update({
        "victims": float(t.victims),
        "identified": float(t.identified),
        "flag_ppv": ratio(t.flagged_victims, t.flags),
        "flags_per_10k": ratio(t.flags, t.travellers, 1e4),
        "false_referrals_per_10k": ratio(t.false_referrals, t.travellers, 1e4),
        "desk_wait_mean": t.desk_wait.mean / 60,
        "desk_wait_p95": t.desk_wait.quantile(0.95) / 60,
        "desk_within_target": t.desk_wait.share_within(t.desk_target),
        "egate_wait_mean": t.egate_wait.mean / 60 if gates else math.nan,
        "egate_wait_p95": t.egate_wait.quantile(0.95) / 60 if gates else math.nan,
        "egate_within_target": t.egate_wait.share_within(t.egate_target) if gates else math.nan,
        "secondary_wait_mean": ratio(t.secondary_wait_total, t.secondary_interviews) / 60,
        "officer_utilisation": ratio(officers_busy, duty_seconds),
        "secondary_utilisation": ratio(t.secondary_busy, s.secondary.specialists * horizon),
        "egate_utilisation": ratio(t.egate_busy, gates * horizon) if gates else math.nan,
        "missed_time_pressure": float(t.missed_pressure),
        "referrals": float(referrals),
        "shelter_occupancy": t.bed_seconds / horizon,
        "refused_referrals": float(t.refused_referrals),
        "referrals_waiting": float(t.referrals_waiting),
        "travellers": float(t.travellers),
    })
    out.update(cost_kpis(s, out))
    return out
