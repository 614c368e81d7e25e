"""Border-crossing-point simulation (SimPy): screening, training, secondary inspection, referral.

The few names users need, loaded on first use so that `tipkit --help` stays quick; the command
line is `tipkit sim` (sim.cli).
"""

import importlib

_WHERE = {
    "Scenario": "sim.scenario", "load_scenario": "sim.scenario",
    "VictimPopulation": "sim.population", "load_population": "sim.population",
    "simulate": "sim.model",
    "run_replications": "sim.replications", "summary_table": "sim.replications",
    "replicate": "sim.experiments", "compare": "sim.experiments", "sweep": "sim.experiments",
    "write_report": "sim.report",
}
__all__ = list(_WHERE)


def __getattr__(name: str):
    if name in _WHERE:
        return getattr(importlib.import_module(_WHERE[name]), name)
    raise AttributeError(f"module 'sim' has no attribute {name!r}")
