"""What a crossing point costs a day: the border agency's staff, training, e-gates and secondary
inspection (fixed by the scenario) and the shelter bed-nights its referrals commit (simulated).

Pure functions of a scenario (and of one replication's KPIs for the shelter): the budget an
optimiser checks never needs a simulation, and every figure can be recomputed by hand.
"""

from __future__ import annotations

from tipkit.sim.model.scenario import LEVELS, Scenario

DAYS_A_YEAR = 365.0
HOURS_A_DAY = 24


def officer_hours_a_day(s: Scenario) -> float:
    """Desk officer shift-hours in a day: the officers on duty in each hour (night shift aware)."""
    night = s.night_shift
    return float(sum(night.officers if night is not None and night.covers(h) else s.officers
                     for h in range(HOURS_A_DAY)))


def people_per_post(s: Scenario) -> float:
    """People who must hold a level of training to keep one desk post at that level on duty:
    the hours a post is staffed in a year over one officer's working hours (a 24-hour post at
    1,600 hours a year needs about 5.5 people)."""
    staffed_hours = officer_hours_a_day(s) / s.officers * DAYS_A_YEAR
    return staffed_hours / s.costs.officer_hours_per_year


def trained_posts(s: Scenario) -> dict[str, int]:
    """Desk posts at each training level, as the model staffs them (whole officers)."""
    levels = s.officer_levels()
    return {level: levels.count(level) for level in LEVELS}


def border_costs_per_day(s: Scenario) -> dict[str, float]:
    """The border agency's cost a day, by item: desk staff, training (each trained person's
    course spread over `training_years`), e-gates, secondary-inspection specialists."""
    c = s.costs
    posts = trained_posts(s)
    people = people_per_post(s)
    training_a_year = people * (posts["basic"] * c.basic_training
                                + posts["specialist"] * c.specialist_training) / c.training_years
    return {
        "staff": officer_hours_a_day(s) * c.officer_per_hour,
        "training": training_a_year / DAYS_A_YEAR,
        "egates": s.egates.gates * c.egate_per_day,
        "secondary": s.secondary.specialists * HOURS_A_DAY * c.secondary_per_hour,
    }


def border_cost_per_year(s: Scenario) -> float:
    """What the border agency spends on this crossing point in a year: what a budget covers."""
    return sum(border_costs_per_day(s).values()) * DAYS_A_YEAR


def counted_days(s: Scenario) -> float:
    """Days of a replication whose travellers are counted (after the warm-up)."""
    return s.run.days - s.run.warmup_hours / 24


def shelter_cost_per_day(s: Scenario, referrals: float, refused: float) -> float:
    """Bed-nights that one replication's accepted referrals commit (each for the mean length of
    stay), priced a night and spread over the counted days."""
    committed = max(referrals - refused, 0.0)
    return committed * s.shelter.stay_days.expected * s.costs.shelter_bed_per_night \
        / counted_days(s)


def cost_kpis(s: Scenario, kpis: dict[str, float]) -> dict[str, float]:
    """The cost KPIs of one replication, from its referral KPIs (by name)."""
    border = sum(border_costs_per_day(s).values())
    shelter = shelter_cost_per_day(s, kpis["referrals"], kpis["refused_referrals"])
    return {"cost_per_day": border + shelter, "cost_border_per_day": border,
            "cost_shelter_per_day": shelter}
