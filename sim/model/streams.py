"""Random streams: one SeedSequence per replication, one numpy Generator per random input, so the
n-th traveller is the same person in every scenario (common random numbers)."""

from __future__ import annotations

import numpy as np

# One stream per random input. The position in this tuple is part of the seed: append new
# inputs at the end so that existing streams (and results) stay the same.
STREAMS = (
    "arrivals",            # arrival times (hours, flights, deboarding, walk)
    "victim",              # whether the traveller is a trafficking victim
    "profile",             # which release leg the victim is drawn from
    "desk_service",        # processing time at a manual desk
    "egate_choice",        # whether the traveller uses an e-gate
    "egate_failure",       # whether the e-gate fails and sends the traveller to a desk
    "egate_service",       # time at an e-gate
    "notice_document",     # whether the screener notices each indicator the victim carries
    "notice_minor",
    "notice_control",
    "notice_group",
    "false_alarm",         # whether the screener flags the traveller regardless of indicators
    "interview",           # length of the secondary-inspection interview
    "confirmation",        # whether the interview confirms (or wrongly refers) the traveller
    "stay",                # length of stay in a shelter bed
    "initial_stays",       # remaining stays of beds occupied at the start
    "fluid_days",          # fresh runs of arrivals for the desk-wait control (sim.model.control)
)


def replication_streams(seed: int, replication: int) -> dict[str, np.random.Generator]:
    """One independent Generator per random input of one replication."""
    return {name: replication_stream(seed, replication, name) for name in STREAMS}


def replication_stream(seed: int, replication: int, name: str) -> np.random.Generator:
    """The Generator of one random input of one replication, from its start (the same draws as
    `replication_streams(seed, replication)[name]`)."""
    return np.random.Generator(np.random.PCG64(
        np.random.SeedSequence(entropy=seed, spawn_key=(replication, STREAMS.index(name)))))
