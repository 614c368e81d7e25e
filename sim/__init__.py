"""Border-crossing-point simulation (SimPy): screening, training, secondary inspection, referral.

The few names users need, loaded on first use so that `tipkit --help` stays quick; the command
line is `tipkit sim` (tipkit.sim.cli).
"""

import importlib

_WHERE = {
    "Scenario": "tipkit.sim.model.scenario",
    "load_scenario": "tipkit.sim.model.scenario",
    "VictimPopulation": "tipkit.sim.model.population",
    "load_population": "tipkit.sim.model.population",
    "simulate": "tipkit.sim.model.border",
    "run_replications": "tipkit.sim.experiments.replications",
    "summary_table": "tipkit.sim.experiments.replications",
    "replicate": "tipkit.sim.experiments.designs",
    "compare": "tipkit.sim.experiments.designs",
    "sweep": "tipkit.sim.experiments.designs",
    "write_report": "tipkit.sim.report.page",
}
__all__ = list(_WHERE)


def __getattr__(name: str):
    if name in _WHERE:
        return getattr(importlib.import_module(_WHERE[name]), name)
    raise AttributeError(f"module 'tipkit.sim' has no attribute {name!r}")
