"""Queueing formulas: the offered utilisation of a scenario (checked before it runs) and the
Erlang-C wait of an M/M/c queue (which the model must reproduce with screening switched off)."""

from __future__ import annotations

import math
from dataclasses import dataclass

from tipkit.sim.model.scenario import Scenario


def erlang_c_wait(arrival_rate: float, service_rate: float, servers: int) -> float:
    """Mean wait in queue of an M/M/c queue (same time unit as the rates); inf if rho >= 1."""
    a = arrival_rate / service_rate
    rho = a / servers
    if rho >= 1:
        return math.inf
    # sum a^k/k! computed by recurrence to stay finite for many servers
    term, total = 1.0, 1.0
    for k in range(1, servers):
        term *= a / k
        total += term
    last = term * a / servers / (1 - rho)
    p_wait = last / (total + last)
    return p_wait / (servers * service_rate - arrival_rate)


@dataclass(frozen=True)
class Utilisation:
    """Offered load over capacity at the desks and in secondary inspection."""
    desks_mean: float
    desks_peak: float
    peak_hour: int
    secondary: float
    egates_peak: float

    def warnings(self) -> list[str]:
        out = []
        if self.desks_mean >= 1:
            out.append(f"desk utilisation over the day is {self.desks_mean:.2f} (>= 1): queues "
                       "grow without limit and results depend on the run length")
        elif self.desks_peak >= 1:
            out.append(f"desk utilisation in the busiest hour ({self.peak_hour:02d}:00) is "
                       f"{self.desks_peak:.2f} (>= 1): queues build up in that hour")
        if self.secondary >= 1:
            out.append(f"secondary-inspection utilisation is {self.secondary:.2f} (>= 1): "
                       "flagged travellers wait without limit")
        if self.egates_peak >= 1:
            out.append(f"e-gate utilisation in the busiest hour is {self.egates_peak:.2f} (>= 1)")
        return out


def offered_utilisation(scenario: Scenario) -> Utilisation:
    """rho = lambda / (c mu) per hour of the day, from the scenario alone (no simulation)."""
    s = scenario
    volume = s.arrivals.hourly_volume()
    gates = s.egates.gates
    to_gates = s.egates.eligible_share if gates else 0.0
    to_desks = 1 - to_gates + to_gates * s.egates.failure_share
    level_mix = s.officer_levels()
    extra = {lv: getattr(s.screening, lv).extra_seconds for lv in ("none", "basic", "specialist")}
    desk_seconds = s.desk.service_seconds.expected
    if s.desk.service_seconds.cap is not None:
        desk_seconds = min(desk_seconds, s.desk.service_seconds.cap)
    desk_seconds += sum(extra[lv] for lv in level_mix) / len(level_mix)
    gate_seconds = s.egates.service_seconds.expected

    desk_rho, gate_rho, work, capacity = [], [], 0.0, 0.0
    for hour, v in enumerate(volume):
        officers = s.officers
        ns = s.night_shift
        if ns is not None and ns.covers(hour):
            officers = ns.officers
        desk_rho.append(v * to_desks * desk_seconds / (officers * 3600))
        gate_rho.append(v * to_gates * gate_seconds / (gates * 3600) if gates else 0.0)
        if v > 0:                       # over the hours travellers arrive
            work += v * to_desks * desk_seconds
            capacity += officers * 3600
    desks_mean = work / capacity if capacity else 0.0
    peak_hour = max(range(24), key=lambda h: desk_rho[h])

    fa = sum(getattr(s.screening, lv).false_alarm for lv in level_mix) / len(level_mix)
    flagged_per_day = s.arrivals.daily_volume * (fa + s.victims.share)
    secondary = flagged_per_day * s.secondary.interview_minutes.expected * 60 / (
        s.secondary.specialists * 86400)
    return Utilisation(desks_mean, desk_rho[peak_hour], peak_hour, secondary, max(gate_rho))

