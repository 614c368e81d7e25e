"""One official border crossing point, simulated traveller by traveller in SimPy. Read it top to
bottom to follow one traveller: arrival, desk or e-gate, screening, secondary inspection, referral.
"""

from __future__ import annotations

from collections import deque

import numpy as np
import simpy
from scipy.special import ndtri

from tipkit.sim.model.arrivals import arrival_blocks
from tipkit.sim.model.control import wait_corrections
from tipkit.sim.model.kpis import GROUPS, HourlySeries, Tally
from tipkit.sim.model.population import VictimPopulation
from tipkit.sim.model.scenario import INDICATORS, Duration, Indicators, Scenario
from tipkit.sim.model.streams import replication_streams
from tipkit.sim.model.virtual import (ADULT_AFTER_GATE, CHILD_AT_DESK, EVERY, ScreeningRecord,
                                      flag_sums, pattern_weights, virtual_kpis)

HOUR = 3600.0
DAY = 86400.0


class Traveller:
    """Someone crossing. The random draws that make them who they are (victim or not, how long
    their desk takes, what a screener notices) are fixed at arrival by their arrival number, so
    they are the same person in every scenario."""

    __slots__ = ("number", "arrived", "draws", "i", "victim", "counted", "channel", "waited",
                 "flagged", "confirmed")

    def __init__(self, number: int, arrived: float, draws: "TravellerDraws", i: int,
                 counted: bool):
        self.number = number
        self.arrived = arrived
        self.draws = draws
        self.i = i
        self.victim = draws.victim[i]   # a VictimProfile, or None for an ordinary traveller
        self.counted = counted          # False during the warm-up
        self.channel = "desk"
        self.waited = 0.0               # seconds queueing for a desk or a gate
        self.flagged = False
        self.confirmed = False


class Officer:
    """A border officer at a manual desk, with the screening sensitivity of their training."""

    __slots__ = ("number", "level", "noticing", "false_alarm", "extra_seconds", "busy")

    def __init__(self, number: int, level: str, scenario: Scenario):
        sensitivity = getattr(scenario.screening, level)
        self.number = number
        self.level = level
        self.noticing = sensitivity.noticing()
        self.false_alarm = sensitivity.false_alarm
        self.extra_seconds = sensitivity.extra_seconds
        self.busy = 0.0


class Desks:
    """The manual desks: officers on duty, and one first-come-first-served queue of travellers
    waiting for the next free officer."""

    def __init__(self, env: simpy.Environment, officers: list[Officer]):
        self.env = env
        self.officers = officers
        self.idle = list(reversed(officers))   # pop() hands out officer 0 first
        self.queue: deque = deque()
        self.off_duty: list[Officer] = []
        self.standing_down = 0                 # officers to send off duty as they come free
        self.on_duty = len(officers)
        self.duty_seconds = 0.0                # officer-seconds on duty since the warm-up
        self._since = 0.0

    def free_officer(self):
        """An officer if one is free and nobody is queueing, else an event that a released
        officer will succeed with themself."""
        if self.idle and not self.queue:
            return self.idle.pop()
        turn = self.env.event()
        self.queue.append(turn)
        return turn

    def release(self, officer: Officer) -> None:
        if self.standing_down:
            self.standing_down -= 1
            self.off_duty.append(officer)
        elif self.queue:
            self.queue.popleft().succeed(officer)
        else:
            self.idle.append(officer)

    def set_on_duty(self, wanted: int) -> None:
        """Change the number of officers on duty (a shift change): busy officers finish first."""
        self.count_duty()
        change = wanted - self.on_duty
        self.on_duty = wanted
        while change < 0:
            if self.idle:
                self.off_duty.append(self.idle.pop())
            else:
                self.standing_down += 1
            change += 1
        while change > 0:
            if self.standing_down:
                self.standing_down -= 1
            else:
                self.release(self.off_duty.pop())
            change -= 1

    def count_duty(self, warmup: float = 0.0) -> None:
        now = self.env.now
        start = max(self._since, warmup)
        if now > start:
            self.duty_seconds += self.on_duty * (now - start)
        self._since = now


class Border:
    """Everything a traveller meets at the crossing point, and the tally of what happened."""

    def __init__(self, env: simpy.Environment, scenario: Scenario):
        s = scenario
        self.env = env
        self.scenario = s
        self.warmup = s.run.warmup_hours * HOUR
        self.desks = Desks(env, [Officer(n, level, s) for n, level in
                                 enumerate(s.officer_levels())])
        self.egates = simpy.Resource(env, s.egates.gates) if s.egates.gates else None
        self.egate_noticing = s.egates.screening.noticing()
        self.egate_false_alarm = s.egates.screening.false_alarm
        self.specialists = simpy.Resource(env, s.secondary.specialists)
        self.beds = (simpy.Container(env, s.shelter.beds,
                                     init=s.shelter.beds - s.shelter.occupied_at_start)
                     if s.shelter.beds else None)
        pressure = s.time_pressure
        self.pressure_per_traveller = 1.0 / pressure.full_at_queue
        self.noticing_loss = pressure.noticing_loss
        self.speed_up = pressure.speed_up
        self.tally = Tally(s.desk.target_minutes * 60, s.egates.target_minutes * 60)
        self.tally.warmup = self.warmup
        self.record = ScreeningRecord(s)   # what virtual victims in each place would have met
        self.log = None                 # called with each traveller who leaves, if set
        self.in_system = 0
        self.arrivals_over = False
        self.all_done = env.event()

    def borrow_desk(self, route: int) -> None:
        """A virtual victim in a counted place meets a desk now, but the place's traveller did
        not: they get the officer a joiner would get now if one is idle and nobody queues, else
        the conditions of the next traveller to join the desk queue (see sim.model.virtual)."""
        desks = self.desks
        if desks.idle and not desks.queue:
            self.record.desk(route, desks.idle[-1].level, 0)
        else:
            self.record.borrowing.append(route)

    def settle_borrowing(self) -> None:
        """Routes still waiting at the end (nobody joined a desk after them) meet the desks as a
        traveller arriving after everyone left would: the next idle officer, no queue."""
        desks = self.desks
        officer = desks.idle[-1] if desks.idle else desks.officers[0]
        for route in self.record.borrowing:
            self.record.desk(route, officer.level, 0)
        self.record.borrowing = []


# ---- one traveller, from arrival to referral ------------------------------------------------

def crossing(env: simpy.Environment, border: Border, traveller: Traveller):
    """The traveller's way through the crossing point."""
    tally = border.tally
    draws, i = traveller.draws, traveller.i
    victim = traveller.victim
    if traveller.counted:
        tally.traveller_crossed(victim)

    if border.egates is not None and draws.uses_egate[i]:
        child = victim is not None and victim.age == "child"
        if traveller.counted:
            # virtual victims in this place: an adult takes the gate, a child a desk on arrival
            border.record.gates += 1
            if not child:
                border.borrow_desk(CHILD_AT_DESK)
        if child:                                # children are not eligible for e-gates
            flagged = yield from desk(env, border, traveller, CHILD_AT_DESK)
            if traveller.counted and draws.egate_fails[i]:
                border.borrow_desk(ADULT_AFTER_GATE)
        else:
            traveller.channel = "egate"
            flagged, failed = yield from egate(env, border, traveller)
            if failed and not flagged:
                traveller.channel = "egate+desk"
                flagged = yield from desk(env, border, traveller, ADULT_AFTER_GATE)
            elif failed and traveller.counted:
                border.borrow_desk(ADULT_AFTER_GATE)   # an unflagged victim would go on
    else:
        flagged = yield from desk(env, border, traveller, EVERY)

    if flagged:
        traveller.flagged = True
        yield from secondary_inspection(env, border, traveller)

    if border.log is not None:
        border.log(traveller)
    if tally.series is not None:
        tally.series.traveller_left(traveller.arrived, traveller.waited)
    border.in_system -= 1
    if border.in_system == 0 and border.arrivals_over:
        border.all_done.succeed()


def egate(env, border: Border, traveller: Traveller):
    """An automated gate: no officer, a low screening sensitivity, sometimes a failure."""
    draws, i = traveller.draws, traveller.i
    with border.egates.request() as gate:
        yield gate
        waited = env.now - traveller.arrived
        traveller.waited = waited
        if traveller.counted:
            border.tally.egate_wait.add(waited)
        service = draws.egate_service[i]
        yield env.timeout(service)
        if traveller.counted:
            border.tally.egate_busy += service
    flagged = _noticed(traveller, border.egate_noticing, border.egate_false_alarm, 1.0)
    if traveller.counted:
        border.tally.screened(traveller.victim, flagged, flagged)
    return flagged, draws.egate_fails[i]


def desk(env, border: Border, traveller: Traveller, route: int):
    """A manual desk: wait for an officer, who processes and screens the traveller. A long
    queue makes the officer faster and less attentive (time pressure). `route` says which
    virtual victims of the traveller's place this screening stands for."""
    draws, i = traveller.draws, traveller.i
    desks = border.desks
    record = border.record
    joined = env.now
    borrowed = record.borrowing          # virtual victims who meet the desk as this joiner does
    if borrowed:
        record.borrowing = []
    else:
        borrowed = ()                    # (later arrivals append to the record's own list)
    officer = desks.free_officer()
    if not isinstance(officer, Officer):
        officer = yield officer
    waited = env.now - joined
    traveller.waited += waited
    queued = len(desks.queue)
    if traveller.counted:
        record.desk(route, officer.level, queued)
    for other in borrowed:
        record.desk(other, officer.level, queued)
    queue_pressure = queued * border.pressure_per_traveller
    if queue_pressure > 1.0:
        queue_pressure = 1.0
    service = (draws.desk_service[i] + officer.extra_seconds) * (
        1.0 - border.speed_up * queue_pressure)
    if traveller.counted:
        border.tally.desk_wait.add(waited)
        officer.busy += service
    yield env.timeout(service)
    desks.release(officer)

    attention = 1.0 - border.noticing_loss * queue_pressure
    flagged = _noticed(traveller, officer.noticing, officer.false_alarm, attention)
    if traveller.counted:
        # had the officer been under no pressure, would they have flagged this victim?
        relaxed = flagged or (traveller.victim is not None and attention < 1.0 and
                              _noticed(traveller, officer.noticing, officer.false_alarm, 1.0))
        border.tally.screened(traveller.victim, flagged, relaxed)
    return flagged


def _noticed(traveller: Traveller, noticing, false_alarm: float, attention: float) -> bool:
    """A screener flags a traveller by noticing any indicator they carry, or at random."""
    draws, i = traveller.draws, traveller.i
    if draws.false_alarm[i] < false_alarm * attention:
        return True
    victim = traveller.victim
    if victim is None:
        return False
    # Indicators by name: what the victim carries, this traveller's draws, the screener's odds.
    for carried, notice, odds in zip(victim.indicators, draws.notice, noticing):
        if carried and notice[i] < odds * attention:
            return True
    return False


def secondary_inspection(env, border: Border, traveller: Traveller):
    """A specialist interviews the flagged traveller: victims are confirmed (identified) or
    missed, ordinary travellers cleared or wrongly referred."""
    draws, i = traveller.draws, traveller.i
    queued = env.now
    with border.specialists.request() as specialist:
        yield specialist
        interview = draws.interview[i]
        if traveller.counted:
            border.tally.secondary_wait_total += env.now - queued
            border.tally.secondary_busy += interview
        yield env.timeout(interview)
    s = border.scenario.secondary
    victim = traveller.victim
    confirmed = draws.confirmation[i] < (s.confirms_victim if victim is not None
                                         else s.refers_ordinary)
    traveller.confirmed = confirmed
    if traveller.counted:
        border.tally.interviewed(victim, confirmed)
    if confirmed:
        env.process(referral(env, border, draws.stay[i], traveller.counted))


def referral(env, border: Border, stay: float, counted: bool):
    """Referral to a service provider: a shelter bed for the length of stay, refused when the
    beds are full (or, if the scenario says so, a wait for the next free bed)."""
    tally = border.tally
    beds = border.beds
    if beds is None or (beds.level < 1 and border.scenario.shelter.when_full == "refuse"):
        if counted:
            tally.refused_referrals += 1
        return
    if counted:
        tally.referrals_waiting += 1
    yield beds.get(1)
    if counted:
        tally.referrals_waiting -= 1
        tally.referrals_placed += 1
    tally.bed_change(env.now, +1)
    yield env.timeout(stay)
    tally.bed_change(env.now, -1)
    yield beds.put(1)


# ---- arrivals, shifts and one replication ----------------------------------------------------

class TravellerDraws:
    """The random draws of one hour of travellers, one list per random input, indexed by the
    traveller's place in that hour."""

    __slots__ = ("victim", "desk_service", "uses_egate", "egate_fails", "egate_service",
                 "notice", "false_alarm", "interview", "confirmation", "stay")

    def __init__(self, n: int, streams, scenario: Scenario, profiles):
        s = scenario
        victim = streams["victim"].random(n) < s.victims.share
        pick = (streams["profile"].random(n) * len(profiles)).astype(np.int64)
        self.victim = [profiles[k] if v else None for v, k in zip(victim.tolist(), pick.tolist())]
        self.desk_service = _durations(s.desk.service_seconds, streams["desk_service"].random(n))
        self.uses_egate = (streams["egate_choice"].random(n) < s.egates.eligible_share).tolist()
        self.egate_fails = (streams["egate_failure"].random(n) < s.egates.failure_share).tolist()
        self.egate_service = _durations(s.egates.service_seconds, streams["egate_service"].random(n))
        self.notice = Indicators(*(streams[f"notice_{name}"].random(n).tolist()
                                   for name in INDICATORS))
        self.false_alarm = streams["false_alarm"].random(n).tolist()
        self.interview = _durations(s.secondary.interview_minutes,
                                    streams["interview"].random(n), 60.0)
        self.confirmation = streams["confirmation"].random(n).tolist()
        self.stay = _durations(s.shelter.stay_days, streams["stay"].random(n), DAY)


def _durations(duration: Duration, u: np.ndarray, unit: float = 1.0) -> list[float]:
    """Durations in seconds by inversion of uniform draws (so that scenarios with different
    parameters still pair the same traveller with the same quantile)."""
    if duration.distribution == "exponential":
        values = -duration.mean * np.log1p(-u)
    else:
        values = duration.median * np.exp(duration.sigma * ndtri(u))
    if duration.cap is not None:
        values = np.minimum(values, duration.cap)
    return (values * unit).tolist()


def traveller_arrivals(env: simpy.Environment, border: Border, streams, profiles):
    """Travellers arrive an hour at a time; each starts their crossing on arrival."""
    s = border.scenario
    warmup = border.warmup
    number = 0
    for times in arrival_blocks(s.arrivals, s.run.days, streams["arrivals"]):
        draws = TravellerDraws(len(times), streams, s, profiles)
        for i, arrived in enumerate(times.tolist()):
            delay = arrived - env.now
            if delay > 0:
                yield env.timeout(delay)
            border.in_system += 1
            env.process(crossing(env, border,
                                 Traveller(number, arrived, draws, i, arrived >= warmup)))
            number += 1
    border.arrivals_over = True
    if border.in_system == 0:
        border.all_done.succeed()


def shifts(env: simpy.Environment, border: Border):
    """The night shift: fewer officers on duty between two hours of each day."""
    s = border.scenario
    night = s.night_shift
    hour = 0
    while True:
        wanted = night.officers if night.covers(hour % 24) else s.officers
        if wanted != border.desks.on_duty:
            border.desks.count_duty(border.warmup)
            border.desks.set_on_duty(wanted)
        yield env.timeout(HOUR)
        hour += 1


def occupied_beds_at_start(env: simpy.Environment, border: Border, streams):
    """Beds occupied when the run starts free up after the rest of their stay."""
    s = border.scenario.shelter
    if not s.occupied_at_start:
        return
    border.tally.bed_change(0.0, s.occupied_at_start)
    rng = streams["initial_stays"]
    stays = np.asarray(_durations(s.stay_days, rng.random(s.occupied_at_start), DAY))
    # a bed found occupied is part-way through its stay
    for left in np.sort(stays * rng.random(s.occupied_at_start)).tolist():
        yield env.timeout(left - env.now)
        border.tally.bed_change(env.now, -1)
        yield border.beds.put(1)


def simulate(scenario: Scenario, population: VictimPopulation, seed: int, replication: int,
             queue_probe_seconds: float | None = None, log=None, series: bool = False
             ) -> Tally:
    """Run one replication until every traveller who arrived has left the crossing point.
    `log`, if given, is called with each Traveller as they leave (per-traveller records are
    kept only on request); `series` keeps hour-by-hour output for the warm-up check."""
    env = simpy.Environment()
    border = Border(env, scenario)
    border.log = log
    if series:
        border.tally.series = HourlySeries()
    streams = replication_streams(seed, replication)
    victims = population.by_transport(scenario.victims.transport)
    profiles = victims.profiles
    env.process(traveller_arrivals(env, border, streams, profiles))
    if scenario.night_shift is not None:
        env.process(shifts(env, border))
    if scenario.shelter.beds:
        env.process(occupied_beds_at_start(env, border, streams))
    if queue_probe_seconds:
        env.process(_queue_probe(env, border, queue_probe_seconds))
    env.run(until=border.all_done)
    border.desks.count_duty(border.warmup)
    border.settle_borrowing()
    weights = victims.derived("patterns", lambda: pattern_weights(profiles, GROUPS))
    virtual = virtual_kpis(flag_sums(border.record, scenario), weights, scenario,
                           border.tally.travellers)
    border.tally.finish(env.now, border, virtual, wait_corrections(scenario, seed, replication))
    return border.tally


def _queue_probe(env, border: Border, every: float):
    """Samples the desk queue length at a fixed interval (for checking Little's law)."""
    tally = border.tally
    while True:
        yield env.timeout(every)
        if env.now >= border.warmup:
            tally.queue_samples += 1
            tally.queue_sampled_total += len(border.desks.queue)
