"""Result folders: what `run`, `compare` and `sweep` write (tables, the scenarios as run, how
they were run) and what `report` reads back."""

from __future__ import annotations

import hashlib
import json
import platform
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import scipy
import simpy
import yaml

import tipkit
from tipkit import outputs
from tipkit.sim.experiments.cost_effectiveness import cost_table
from tipkit.sim.experiments.designs import Comparison, Replicated, Sweep
from tipkit.sim.model.kpis import KPIS
from tipkit.sim.model.population import VictimPopulation
from tipkit.sim.experiments.replications import summary_table
from tipkit.sim.experiments import sensitivity
from tipkit.sim.experiments.sensitivity import GlobalSensitivity
from tipkit.sim.model.scenario import Scenario
from tipkit.errors import UserError

RUN_FILE = "run.json"


def provenance(population: VictimPopulation, seed: int) -> dict:
    """Seeds, versions and the population's fingerprint: enough to rerun and get the same bytes."""
    digest = hashlib.sha256()
    for name in ("cases.csv", "legs.csv", "cases.parquet", "legs.parquet"):
        path = Path(population.source) / name
        if path.is_file():
            digest.update(path.read_bytes())
    return {
        "seed": seed,
        "seeding": "numpy SeedSequence(seed, spawn_key=(replication, stream)); PCG64 per stream",
        "population": population.source,
        "population_sha256": digest.hexdigest(),
        "population_manifest_sha256": population.manifest_sha256,
        "population_profiles": len(population.profiles),
        "versions": {"tipkit": tipkit.__version__, "python": platform.python_version(),
                     "simpy": simpy.__version__, "numpy": np.__version__,
                     "scipy": scipy.__version__, "pandas": pd.__version__},
    }


def write_scenarios(folder: Path, scenarios: dict[str, Scenario], sources: dict[str, str]
                    ) -> None:
    """The scenarios as run (checked values) and their original text (with its comments:
    sources and assumptions)."""
    sub = folder / "scenarios"
    sub.mkdir(exist_ok=True)
    for i, (name, scenario) in enumerate(scenarios.items()):
        stem = f"{i:02d}-{_slug(name)}"
        outputs.write_yaml(sub / f"{stem}.yaml", scenario.to_mapping())
        if name in sources:
            outputs.write_text(sub / f"{stem}.source.yaml", sources[name])


def write_sensitivity(folder, result: GlobalSensitivity, meta: dict, sources: dict[str, str]
                      ) -> Path:
    """A global sensitivity folder: every assumption and its range (factors.csv), the Morris
    design (design.csv), each point's KPIs (points.csv: means; replications.csv: each run),
    the indices (indices.csv), each cost assumption swung on the runs as written (costs.csv)
    and the ranking in run.json."""
    folder = fresh_folder(folder)
    p = result.plan
    factors = [f.row() for f in p.factors] + [{**p.design_factors[-1].row(),
                                                "range": "which simulated days are drawn"}]
    outputs.write_csv(folder / "factors.csv", pd.DataFrame(factors))
    outputs.write_csv(folder / "design.csv", p.design)
    outputs.write_csv(folder / "points.csv", result.points)
    outputs.write_csv(folder / "replications.csv", result.replications)
    outputs.write_csv(folder / "indices.csv", result.indices)
    outputs.write_csv(folder / "costs.csv", result.costs)
    if getattr(result, "checks", None) is not None:     # an emulated answer: its emulators'
        outputs.write_csv(folder / "emulator.csv", result.checks)   # leave-one-out checks
    write_scenarios(folder, p.scenarios, sources)
    outputs.write_json(folder / RUN_FILE, {
        "kind": "sensitivity", "scenarios": list(p.scenarios), **result.describe(),
        "factors_varied": len(p.varied), "varied": sensitivity.VARIED,
        "replications": p.replications,
        "nominal_replications": p.nominal_replications, "runs": p.runs,
        "ranking": result.ranking, "ranking_held": result.held,
        "ranking_judged": result.judged, "sentence": result.sentence(), **meta})
    return folder


def write_run(folder, scenario: Scenario, rep: Replicated, meta: dict, source: str = "") -> Path:
    folder = fresh_folder(folder)
    table = rep.tables[scenario.name]
    outputs.write_csv(folder / "replications.csv", table)
    outputs.write_csv(folder / "summary.csv", summary_table(table))
    write_scenarios(folder, {scenario.name: scenario}, {scenario.name: source} if source else {})
    outputs.write_json(folder / RUN_FILE, {"kind": "run", "scenarios": [scenario.name],
                                           **_replication_meta(rep), **meta})
    return folder


def write_comparison(folder, scenarios: dict[str, Scenario], result: Comparison, meta: dict,
                     sources: dict[str, str], sensitivity: pd.DataFrame | None) -> Path:
    folder = fresh_folder(folder)
    reps = pd.concat([result.replicated.tables[n].assign(scenario=n) for n in result.names])
    reps = reps[["scenario"] + [c for c in reps.columns if c != "scenario"]]
    outputs.write_csv(folder / "replications.csv", reps)
    outputs.write_csv(folder / "summary.csv", result.summaries)
    outputs.write_csv(folder / "differences.csv", result.differences)
    outputs.write_csv(folder / "cost_effectiveness.csv",
                      cost_table(scenarios, result.replicated.tables))
    _write_sensitivity(folder, sensitivity)
    write_scenarios(folder, scenarios, sources)
    outputs.write_json(folder / RUN_FILE, {"kind": "compare", "scenarios": result.names,
                                           **_replication_meta(result.replicated), **meta})
    return folder


def write_sweep(folder, base: Scenario, result: Sweep, meta: dict, source: str,
                sensitivity: pd.DataFrame | None, replications: int) -> Path:
    folder = fresh_folder(folder)
    outputs.write_csv(folder / "results.csv", result.results)
    outputs.write_parquet(folder / "results.parquet", result.results)
    outputs.write_csv(folder / "replications.csv", result.replications)
    _write_sensitivity(folder, sensitivity)
    write_scenarios(folder, {base.name: base}, {base.name: source} if source else {})
    outputs.write_json(folder / RUN_FILE, {"kind": "sweep", "scenarios": [base.name],
                                           "axes": result.axes, "replications": replications,
                                           **meta})
    return folder


def fresh_folder(folder) -> Path:
    """The folder to write into: a fresh one (tipkit.outputs.staged_folder stages it)."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _write_sensitivity(folder: Path, sensitivity: pd.DataFrame | None) -> None:
    if sensitivity is not None:
        outputs.write_csv(folder / "sensitivity.csv", sensitivity)


def _replication_meta(rep: Replicated) -> dict:
    meta = {"replications": rep.replications}
    if rep.precision is not None:
        meta.update({"replications_rule": "auto (Hoad, Robinson and Davies 2010)",
                     "precision": rep.precision, "budget": rep.budget,
                     "replications_needed": rep.needed, "precision_reached": rep.precise})
    return meta


def _slug(name: str) -> str:
    return "".join(c if c.isalnum() or c in "-_" else "-" for c in name).strip("-")[:60] or "s"


@dataclass
class ResultFolder:
    """A result folder read back: its metadata, tables and scenarios."""
    folder: Path
    meta: dict
    tables: dict[str, pd.DataFrame]
    scenarios: list[Scenario]
    sources: list[str]

    @property
    def kind(self) -> str:
        return self.meta["kind"]


# what each kind of results folder must hold: its run.json keys and tables (the replications
# of one crossing point's KPIs are checked column by column where a kind has them)
_NEEDS = {"run": (("scenarios", "replications"), ("summary", "replications")),
          "compare": (("scenarios", "replications"), ("summary", "replications")),
          "sweep": (("scenarios", "replications", "axes"), ("results", "replications")),
          "sensitivity": (("scenarios", "ranking", "ranking_held", "ranking_judged"),
                          ("factors", "indices", "points", "replications")),
          "national": (("scenarios", "points", "replications"),
                       ("summary", "points", "routing", "replications", "point_replications")),
          "optimise": (("scenarios", "budget", "currency", "best"),
                       ("options", "front", "ranking", "chosen"))}
_POINT_REPLICATIONS = {"run": "replications", "compare": "replications",
                       "sweep": "replications", "sensitivity": "replications",
                       "national": "point_replications"}


def read_results(folder) -> ResultFolder:
    """A results folder read back and checked: a missing, corrupt or foreign file is one
    UserError naming it, never a report of blanks."""
    folder = Path(folder)
    run_file = folder / RUN_FILE
    rerun = "write the folder again with tipkit sim run, compare, sweep, sensitivity or optimise"
    if not run_file.is_file():
        raise UserError(f"{folder}: not a results folder (no {RUN_FILE}); {rerun}")
    try:
        meta = json.loads(run_file.read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError):
        raise UserError(f"{run_file} is not valid JSON: {rerun}") from None
    kind = meta.get("kind") if isinstance(meta, dict) else None
    if kind not in _NEEDS:
        raise UserError(f"{run_file}: unknown kind of results {kind!r}: {rerun}")
    keys, needed_tables = _NEEDS[kind]
    missing = [key for key in keys if key not in meta]
    if missing:
        raise UserError(f"{run_file} lacks {', '.join(missing)}: {rerun}")
    tables = {}
    for path in sorted(folder.glob("*.csv")):
        try:
            tables[path.stem] = pd.read_csv(path)
        except (ValueError, UnicodeDecodeError):  # pandas' ParserError and EmptyDataError too
            raise UserError(f"{path} is not a readable CSV table: {rerun}") from None
    for name in needed_tables:
        if name not in tables:
            raise UserError(f"{folder} has no {name}.csv: {rerun}")
    if kind in _POINT_REPLICATIONS:
        name = _POINT_REPLICATIONS[kind]
        _check_replications(folder / f"{name}.csv", tables[name])
    scenarios, sources = [], []
    for path in sorted((folder / "scenarios").glob("*.yaml")):
        if path.name.endswith(".source.yaml"):
            continue
        try:
            raw = yaml.safe_load(path.read_text("utf-8"))
        except yaml.YAMLError:
            raise UserError(f"{path} is not valid YAML: {rerun}") from None
        scenarios.append(Scenario.from_mapping(raw, where=str(path)))
        src = path.with_name(path.stem + ".source.yaml")
        sources.append(src.read_text("utf-8") if src.is_file() else "")
    if not scenarios:
        raise UserError(f"{folder} has no scenarios/ as run: {rerun}")
    return ResultFolder(folder, meta, tables, scenarios, sources)


def _check_replications(path: Path, table: pd.DataFrame) -> None:
    """Every KPI column present and numeric (blank where a KPI is undefined), two rows or more."""
    needed = ["replication"] + [k.name for k in KPIS]
    missing = [c for c in needed if c not in table.columns]
    if missing:
        raise UserError(f"{path} lacks the column(s) {', '.join(missing[:3])}: not a "
                        "replications table written by tipkit sim")
    bad = [c for c in needed if not pd.api.types.is_numeric_dtype(table[c])]
    if bad:
        raise UserError(f"{path}: column {bad[0]} holds values that are not numbers")
    if len(table) < 2 or table["replication"].isna().any():
        raise UserError(f"{path}: fewer than two replications")
