"""National result folders: what `run` and `compare` write for national scenarios (national and
per-point tables, the routing, the points as run) and what the report reads back."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from tipkit import outputs
from tipkit.sim.experiments.network import NationalRun, national_comparison, columns_first
from tipkit.sim.experiments.results import RUN_FILE, fresh_folder, write_scenarios
from tipkit.sim.model.national import NationalScenario

KIND = "national"


def national_mapping(national: NationalScenario) -> dict:
    """A national option as plain values: its points as run (whole scenarios) and its routing."""
    return {"kind": "national", "name": national.name, "question": national.question,
            "victims_per_day": national.victims_per_day,
            "points": {p.name: p.scenario.to_mapping() for p in national.points},
            "routing": {m: dict(s) for m, s in national.routing.items()}}


def write_national(folder, runs: dict[str, NationalRun], meta: dict,
                   sources: dict[str, dict[str, str]]) -> Path:
    """One national option (`run`) or several (`compare`, against the first), into a fresh
    folder (tipkit.outputs.staged_folder stages it). `sources`: option -> {national or point
    name: its files' text}."""
    folder = fresh_folder(folder)
    names = list(runs)
    comparison = national_comparison(runs)
    reps = pd.concat([r.table.assign(scenario=n) for n, r in runs.items()])
    outputs.write_csv(folder / "replications.csv", columns_first(reps, ["scenario"]))
    point_reps = pd.concat([t.assign(scenario=n, point=p) for n, r in runs.items()
                            for p, t in r.point_tables.items()])
    outputs.write_csv(folder / "point_replications.csv",
                      columns_first(point_reps, ["scenario", "point"]))
    outputs.write_csv(folder / "summary.csv", comparison.summaries)
    outputs.write_csv(folder / "points.csv", comparison.point_summaries)
    outputs.write_csv(folder / "routing.csv", routing_table(runs))
    for name, table in (("differences", comparison.differences),
                        ("point_differences", comparison.point_differences),
                        ("cost_effectiveness", comparison.costs)):
        if len(runs) > 1:
            outputs.write_csv(folder / f"{name}.csv", table)
    # the points as run are ordinary scenarios (the report reads them); each option whole
    points = {f"{n}--{p.name}": p.scenario for n, r in runs.items() for p in r.points}
    point_sources = {f"{n}--{p}": text for n in names for p, text in sources.get(n, {}).items()
                     if f"{n}--{p}" in points}
    write_scenarios(folder, points, point_sources)
    sub = folder / "national"
    sub.mkdir(exist_ok=True)
    for i, (name, run) in enumerate(runs.items()):
        outputs.write_yaml(sub / f"{i:02d}.yaml", national_mapping(run.national))
        text = sources.get(name, {}).get(run.national.name)
        if text:
            outputs.write_text(sub / f"{i:02d}.source.yaml", text)
    outputs.write_json(folder / RUN_FILE, {"kind": KIND, "scenarios": names,
                                           "points": runs[names[0]].national.point_names,
                                           "replications": len(runs[names[0]].table), **meta})
    return folder


def routing_table(runs: dict[str, NationalRun]) -> pd.DataFrame:
    """Per option and point: the modes it serves, its legs, its share of the victims, and the
    victims a day and victim share among its travellers that follow."""
    rows = []
    for name, run in runs.items():
        for p in run.points:
            rows.append({"scenario": name, "point": p.name,
                         "modes": " ".join(p.scenario.victims.transport),
                         "victim_weight": p.victim_weight,
                         "victims_per_day": run.national.victims_per_day * p.victim_weight,
                         "victim_share": p.scenario.victims.share})
    return pd.DataFrame(rows)
