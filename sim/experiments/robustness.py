"""Decisions across the calibrated worlds: the options of `run`, `compare` or `optimise` simulated
in N worlds drawn from a calibration's posterior (posterior.csv), how often the recommendation
holds, each option's probability of being best and expected regret, and where it fails (PRIM).

A world is one posterior draw: the scenario's `# assumption` values set to that draw's. Every
option in a world meets the same travellers (common random numbers: the same replication
numbers); each world has its own days (replications d*R .. d*R+R-1), so the worlds pooled are
N*R distinct days and the pooled summary is an honest average over the posterior. Few days per
world suffice because the virtual-victim estimators make each day's identification precise; the
output says how large the day-to-day noise is against the spread between worlds.

Why systematic resampling: the posterior's weights become N equally weighted draws with the least
extra noise of the standard schemes (Douc and Cappe 2005), from one uniform number of its own
stream. Where the recommendation fails is sim.experiments.discovery's (PRIM).
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Hashable

import numpy as np
import pandas as pd

from tipkit.errors import UserError
from tipkit.sim.experiments.discovery import (PRIM_DIMENSIONS, PRIM_FAILURES, FailureBox,
                                              box_words, failure_box)
from tipkit.sim.model.costs import DAYS_A_YEAR, counted_days
from tipkit.sim.model.national import NationalScenario

WEIGHT = "weight"
DRAWS = 50                 # posterior draws (worlds) by default
DRAW_REPLICATIONS = 2      # simulated days per world and option by default
CREDIBLE = 0.90            # the credible interval across worlds
_STREAM = 0x726F62757374   # "robust": the resampling's own stream, apart from the replications'
OBJECTIVE = "identification_rate"


# ---- the posterior ---------------------------------------------------------------------------

@dataclass(frozen=True)
class Posterior:
    """Weighted draws of the varied assumptions: one column per dotted scenario key (national:
    POINT.key or victims_per_day), weights non-negative and adding up to 1."""
    keys: tuple[str, ...]
    values: np.ndarray          # (rows, keys)
    weights: np.ndarray         # (rows,)
    source: str
    sha256: str = ""


def read_posterior(path) -> Posterior:
    """posterior.csv read and checked: one UserError line for anything a posterior cannot be."""
    path = Path(path)
    if not path.is_file():
        raise UserError(f"--posterior {path}: no such file (give the posterior.csv that tipkit "
                        "sim calibrate wrote)")
    try:
        table = pd.read_csv(path)
    except (ValueError, UnicodeDecodeError):
        raise UserError(f"--posterior {path}: not a readable CSV table") from None
    return posterior_from_table(table, str(path),
                                hashlib.sha256(path.read_bytes()).hexdigest())


def posterior_from_table(table: pd.DataFrame, source: str = "posterior", sha256: str = ""
                         ) -> Posterior:
    where = f"--posterior {source}"
    if WEIGHT not in table.columns:
        raise UserError(f"{where}: no {WEIGHT} column (one column per varied key, then weight)")
    keys = tuple(str(c) for c in table.columns if c != WEIGHT)
    if not keys:
        raise UserError(f"{where}: no varied key: one column per dotted scenario key is needed")
    if len(table) == 0:
        raise UserError(f"{where}: no draws")
    for column in table.columns:
        if not pd.api.types.is_numeric_dtype(table[column]) or \
                not np.isfinite(table[column].to_numpy(dtype=float)).all():
            raise UserError(f"{where}: column {column} holds values that are not numbers")
    weights = table[WEIGHT].to_numpy(dtype=float)
    if (weights < 0).any():
        row = int(np.flatnonzero(weights < 0)[0])
        raise UserError(f"{where}: weight {weights[row]:g} in draw {row + 1} is negative")
    total = weights.sum()
    if not total > 0:
        raise UserError(f"{where}: the weights add up to 0")
    if abs(total - 1) > 1e-6:
        raise UserError(f"{where}: the weights add up to {total:g}, not 1")
    return Posterior(keys, table[list(keys)].to_numpy(dtype=float), weights / total, source,
                     sha256)


def check_keys(posterior: Posterior, base) -> None:
    """Every key of the posterior names a number the base scenario (or network) has."""
    from tipkit.sim.experiments.sensitivity import _field
    from tipkit.sim.model.fields import suggest

    where = f"--posterior {posterior.source}"
    for key in posterior.keys:
        if isinstance(base, NationalScenario):
            if key == "victims_per_day":
                continue
            point, _, rest = key.partition(".")
            if point not in base.point_names or not rest:
                raise UserError(f"{where}: unknown key {key}: a national key is POINT.key "
                                f"(points: {', '.join(base.point_names)}) or victims_per_day")
            if rest in ("victims.share", "victims.transport"):
                raise UserError(f"{where}: {key}: a network's victims at each point follow "
                                "from victims_per_day and the routing: vary victims_per_day")
        else:
            rest = key
        spec = _field(rest)
        if spec is None or spec[1].get("kind") != "number":
            top = rest.split(".")[0]
            raise UserError(f"{where}: unknown key {key}: not a number of the scenario"
                            f"{suggest(top, _top_keys())}")


def _top_keys() -> list[str]:
    import dataclasses

    from tipkit.sim.model.scenario import Scenario

    return [f.name for f in dataclasses.fields(Scenario)]


def systematic(weights: np.ndarray, n: int, rng: np.random.Generator) -> np.ndarray:
    """Systematic resampling: n row indices, row i about n * weights[i] times, in row order."""
    positions = (rng.random() + np.arange(n)) / n
    edges = np.cumsum(weights)
    edges[-1] = 1.0
    return np.searchsorted(edges, positions, side="right")


def draw_worlds(posterior: Posterior, draws: int, seed: int) -> pd.DataFrame:
    """`draws` worlds from the posterior by weight (systematic resampling on its own stream of
    the run seed): draw, posterior_row, one column per key."""
    if draws < 2:
        raise UserError(f"--draws must be at least 2 (got {draws})")
    rng = np.random.default_rng(np.random.SeedSequence([seed, _STREAM]))
    rows = systematic(posterior.weights, draws, rng)
    table = pd.DataFrame(posterior.values[rows], columns=list(posterior.keys))
    table.insert(0, "posterior_row", rows)
    table.insert(0, "draw", np.arange(draws))
    return table


def world_values(worlds: pd.DataFrame, draw: int) -> dict[str, float]:
    row = worlds.iloc[draw]
    return {k: float(row[k]) for k in worlds.columns if k not in ("draw", "posterior_row")}


def own_choices(options: dict[str, Any], keys) -> list[str]:
    """Posterior keys the options set differently: each option keeps its own value there (the
    choice under study is not an assumption to calibrate)."""
    from tipkit.sim.model.fields import get_dotted

    def value(option, key):
        if isinstance(option, NationalScenario):
            if key == "victims_per_day":
                return option.victims_per_day
            point, _, rest = key.partition(".")
            return get_dotted(option.point(point).scenario, rest)
        return get_dotted(option, key)

    return [k for k in keys if len({repr(value(o, k)) for o in options.values()}) > 1]


def in_world(option, values: dict[str, float], kept=()) -> Any:
    """An option as it runs in one world: the world's assumptions, but its own choices."""
    changes = {k: v for k, v in values.items() if k not in kept}
    try:
        return option.with_values(changes)
    except UserError as error:
        raise UserError(f"--posterior: a draw cannot be run: {error}") from None


# ---- simulating the options in every world ------------------------------------------------

@dataclass
class Worlds:
    """The options simulated in every world: per option, the pooled replications table (one
    row per world and day, `replication` = d*R + r) and, for networks, the pooled runs."""
    names: list[str]
    worlds: pd.DataFrame              # draw, posterior_row, <keys>
    replications: int                 # per world
    tables: dict[str, pd.DataFrame]   # option -> replications (point or national KPIs)
    runs: dict | None = None          # national: option -> NationalRun (pooled)
    kept: tuple[str, ...] = ()        # keys the options set themselves
    simulated: int = 0                # (point) replications simulated

    def per_world(self, kpi: str) -> np.ndarray:
        """(draws, options): the mean of a KPI over each world's days."""
        out = np.empty((len(self.worlds), len(self.names)))
        for j, name in enumerate(self.names):
            table = self.tables[name]
            draw = table["replication"].to_numpy() // self.replications
            values = table[kpi].to_numpy(dtype=float)
            for d in range(len(self.worlds)):
                mine = values[draw == d]
                mine = mine[np.isfinite(mine)]
                out[d, j] = mine.mean() if len(mine) else math.nan
        return out

    def noise(self, kpi: str = OBJECTIVE) -> float:
        """The sd of one world's mean from its days alone (pooled within-world variance)."""
        if self.replications < 2:
            return math.nan
        spreads = []
        for name in self.names:
            table = self.tables[name]
            groups = table.groupby(table["replication"] // self.replications)[kpi]
            spreads.append(groups.var(ddof=1).to_numpy(dtype=float))
        variance = np.nanmean(np.concatenate(spreads))
        return float(math.sqrt(variance / self.replications))


def simulate_worlds(options: dict[str, Any], worlds: pd.DataFrame, population, seed: int,
                    replications: int = DRAW_REPLICATIONS, *, workers=None, scheduler=None,
                    progress=None, decided=()) -> Worlds:
    """Every option in every world on common random numbers (within a world: the same days for
    every option; each world its own days), in one batch of jobs on local cores or Dask. Keys
    the options set differently, and the `decided` ones, keep each option's own value."""
    if replications < 1:
        raise UserError("--draw-replications must be at least 1")
    names = list(options)
    keys = [c for c in worlds.columns if c not in ("draw", "posterior_row")]
    chosen = set(own_choices(options, keys)) | set(decided)
    kept = tuple(k for k in keys if k in chosen)
    where = {"workers": workers, "scheduler": scheduler, "progress": progress}
    national = isinstance(next(iter(options.values())), NationalScenario)
    if national:
        return _simulate_networks(options, worlds, population, seed, replications, kept, where)
    from tipkit.sim.experiments.replications import Job, execute, replications_table

    jobs, key_of = [], {}
    for d in range(len(worlds)):
        values = world_values(worlds, d)
        reps = tuple(range(d * replications, (d + 1) * replications))
        for name in names:
            scenario = in_world(options[name], values, kept)
            config = (d, scenario)          # options alike in a world run once
            if config not in key_of:
                key_of[config] = len(jobs)
                jobs.append(Job(len(jobs), scenario, reps))
            key_of[(d, name)] = key_of[config]
    done = execute(jobs, population, seed, **where)
    tables = {}
    for name in names:
        merged: dict[int, dict] = {}
        for d in range(len(worlds)):
            merged.update(done[key_of[(d, name)]])
        tables[name] = _with_per_day(replications_table(merged), options[name])
    return Worlds(names, worlds, replications, tables, None, kept,
                  sum(len(j.replications) for j in jobs))


def _with_per_day(table: pd.DataFrame, scenario) -> pd.DataFrame:
    """A crossing point's table with identified_per_day (a network's has it already)."""
    return table.assign(identified_per_day=table["identified"] / counted_days(scenario))


def _simulate_networks(options, worlds, population, seed, replications, kept, where) -> Worlds:
    from tipkit.sim.experiments.network import NationalRun, national_table
    from tipkit.sim.experiments.replications import Job, execute, replications_table
    from tipkit.sim.model.national import deal_legs, legs_key, routed_points

    names = list(options)
    legs: dict[Hashable, Any] = {}
    for national in options.values():
        if not all(legs_key(national, p) in legs for p in national.point_names):
            legs.update(deal_legs(national, population, seed))
    jobs: list = []
    config_job: dict = {}
    routed: dict = {}
    for d in range(len(worlds)):
        values = world_values(worlds, d)
        reps = tuple(range(d * replications, (d + 1) * replications))
        for name in names:
            points = routed_points(in_world(options[name], values, kept), legs, seed)
            routed[(d, name)] = points
            for p in points:
                config = (d, p.scenario, p.legs, p.seed)   # a point alike in several options
                if config not in config_job:
                    config_job[config] = len(jobs)
                    jobs.append(Job(len(jobs), p.scenario, reps, population=p.legs,
                                    seed=p.seed))
    needed = {j.population for j in jobs}
    done = execute(jobs, {k: legs[k] for k in needed}, seed, **where)
    runs, tables = {}, {}
    for name in names:
        point_rows: dict[str, dict[int, dict]] = {}
        national_rows = []
        for d in range(len(worlds)):
            points = routed[(d, name)]
            own = {p.name: replications_table(done[config_job[(d, p.scenario, p.legs, p.seed)]])
                   for p in points}
            national_rows.append(national_table(points, own))
            for p in points:
                point_rows.setdefault(p.name, {}).update(
                    done[config_job[(d, p.scenario, p.legs, p.seed)]])
        table = pd.concat(national_rows, ignore_index=True)
        tables[name] = table
        nominal = routed_points(options[name], legs, seed)
        runs[name] = NationalRun(options[name], nominal,
                                 {p: replications_table(rows) for p, rows in point_rows.items()},
                                 table)
    return Worlds(names, worlds, replications, tables, runs, kept,
                  sum(len(j.replications) for j in jobs))


# ---- the analysis (pure) ----------------------------------------------------------------------

def credible(values: np.ndarray, level: float = CREDIBLE) -> tuple[float, float]:
    """The central credible interval of equally weighted draws (NaNs left out)."""
    x = values[np.isfinite(values)]
    if len(x) == 0:
        return math.nan, math.nan
    tail = (1 - level) / 2
    return float(np.quantile(x, tail)), float(np.quantile(x, 1 - tail))


def against_baseline(rates: np.ndarray, names: list[str]) -> pd.DataFrame:
    """Each option against the first (the baseline) over the worlds: the share of worlds where it
    identifies more (of the worlds where both are defined), the mean gain and its credible
    interval, in identification rate."""
    rows = []
    for j, name in enumerate(names[1:], start=1):
        gain = rates[:, j] - rates[:, 0]
        judged = np.isfinite(gain)
        low, high = credible(gain)
        rows.append({"scenario": name, "worlds": int(judged.sum()),
                     "worlds_better": int((gain[judged] > 0).sum()),
                     "share_better": float((gain[judged] > 0).mean()) if judged.any()
                     else math.nan,
                     "gain_mean": float(np.nanmean(gain)) if judged.any() else math.nan,
                     "gain_low": low, "gain_high": high})
    return pd.DataFrame(rows, columns=["scenario", "worlds", "worlds_better", "share_better",
                                       "gain_mean", "gain_low", "gain_high"])


def best_in_worlds(found: np.ndarray) -> np.ndarray:
    """(draws, options): each option's share of being best in each world (ties shared; a world
    where nothing is defined counts for no one)."""
    values = np.where(np.isfinite(found), found, -np.inf)
    top = values.max(axis=1, keepdims=True)
    best = (values == top) & np.isfinite(top)
    counts = best.sum(axis=1, keepdims=True)
    return np.where(counts > 0, best / np.maximum(counts, 1), 0.0)


def regrets(found_per_day: np.ndarray) -> np.ndarray:
    """(draws, options): victims a year each option identifies fewer than the best in that world."""
    values = np.where(np.isfinite(found_per_day), found_per_day, np.nan)
    return (np.nanmax(values, axis=1, keepdims=True) - values) * DAYS_A_YEAR


def decision_table(names: list[str], per_day: np.ndarray) -> pd.DataFrame:
    """Each option's probability of being best and its expected regret (victims a year lost
    against the best in each world, with its credible interval); least regret first."""
    best = best_in_worlds(per_day)
    regret = regrets(per_day)
    rows = []
    for j, name in enumerate(names):
        low, high = credible(regret[:, j])
        rows.append({"scenario": name, "probability_best": float(best[:, j].mean()),
                     "expected_regret_per_year": float(np.nanmean(regret[:, j])),
                     "regret_low": low, "regret_high": high,
                     "identified_per_year": float(np.nanmean(per_day[:, j]) * DAYS_A_YEAR)})
    table = pd.DataFrame(rows)
    order = np.lexsort((np.arange(len(names)), -table.probability_best.to_numpy(),
                        table.expected_regret_per_year.to_numpy()))
    return table.iloc[order].reset_index(drop=True)


def recommendation(decisions: pd.DataFrame) -> str:
    """The option to recommend: the least expected regret (the table's first row); when one
    option is best in every world, that option (its regret is then zero)."""
    return str(decisions.scenario.iloc[0])


# ---- the whole answer ----------------------------------------------------------------------

@dataclass
class Robustness:
    """What the worlds say: per option against the baseline, probability of best and regret,
    the recommendation, where it fails, and the sentences that say it."""
    worlds: Worlds
    baseline: pd.DataFrame          # against_baseline (empty for one option)
    decisions: pd.DataFrame         # decision_table
    recommended: str
    box: FailureBox | None
    sentences: list[str]
    noise: float                    # a world's identification rate: sd from its days alone
    spread: float                   # the same: sd between worlds (recommended option)
    labels: dict = field(default_factory=dict)    # option -> its words (optimise's options)

    def worlds_table(self) -> pd.DataFrame:
        """worlds.csv: one row per world and option, with the world's assumptions."""
        rates = self.worlds.per_world(OBJECTIVE)
        per_day = self.worlds.per_world("identified_per_day")
        best = best_in_worlds(per_day)
        regret = regrets(per_day)
        rows = []
        for d in range(len(self.worlds.worlds)):
            values = self.worlds.worlds.iloc[d].to_dict()
            for j, name in enumerate(self.worlds.names):
                rows.append({**values, "scenario": name, OBJECTIVE: rates[d, j],
                             "identified_per_day": per_day[d, j],
                             "best": best[d, j] > 0, "regret_per_year": regret[d, j]})
        table = pd.DataFrame(rows)
        table["draw"] = table["draw"].astype(int)
        table["posterior_row"] = table["posterior_row"].astype(int)
        return table

    def table(self) -> pd.DataFrame:
        """robustness.csv: one row per option."""
        table = self.decisions.merge(self.baseline, on="scenario", how="left")
        table.insert(1, "recommended", table.scenario == self.recommended)
        if self.labels:
            table.insert(1, "label", table.scenario.map(self.labels))
        return table

    def meta(self, posterior: Posterior) -> dict:
        box = self.box
        return {"posterior": posterior.source, "posterior_sha256": posterior.sha256,
                "posterior_rows": int(len(posterior.weights)), "keys": list(posterior.keys),
                "draws": int(len(self.worlds.worlds)),
                "draw_replications": self.worlds.replications,
                "resampling": "systematic, SeedSequence([seed, 0x726F62757374])",
                "kept_as_chosen": list(self.worlds.kept), "recommended": self.recommended,
                "credible_level": CREDIBLE, "world_noise_sd": self.noise,
                "world_spread_sd": self.spread,
                "failure_box": None if box is None else {
                    "coverage": box.coverage, "density": box.density, "worlds": box.worlds,
                    "failures": box.failures, "words": box_words(box),
                    "method": "PRIM (ema_workbench), threshold 0.8"},
                "sentences": self.sentences}


def analyse(worlds: Worlds, *, baseline: bool = True, labels: dict[str, str] | None = None
            ) -> Robustness:
    """The answer across the worlds. `baseline`: the first option is today's (compare, run);
    optimise's finalists are ranked among themselves. `labels`: words for option names."""
    labels = labels or {}
    names = worlds.names
    say = lambda n: labels.get(n, n)   # noqa: E731
    rates = worlds.per_world(OBJECTIVE)
    per_day = worlds.per_world("identified_per_day")
    n = len(worlds.worlds)
    versus = against_baseline(rates, names) if baseline and len(names) > 1 else \
        pd.DataFrame(columns=["scenario"])
    decisions = decision_table(names, per_day)
    recommended = recommendation(decisions)
    j = names.index(recommended)
    sentences = []
    if len(names) == 1:
        low, high = credible(rates[:, 0])
        sentences.append(f"{say(names[0])} identifies {100 * np.nanmean(rates[:, 0]):.1f} per "
                         f"100 victims across the {n} calibrated worlds ({CREDIBLE:.0%} credible "
                         f"interval {100 * low:.1f} to {100 * high:.1f}).")
    for row in versus.itertuples(index=False):
        if not row.worlds:
            continue
        sentences.append(
            f"{say(row.scenario)} identifies more victims than {say(names[0])} in "
            f"{row.share_better:.0%} of the calibrated worlds; the gain is "
            f"{100 * row.gain_mean:+.1f} per 100 ({CREDIBLE:.0%} credible interval "
            f"{100 * row.gain_low:+.1f} to {100 * row.gain_high:+.1f}).")
    box = None
    if len(names) > 1:
        top = decisions.iloc[0]
        share = float(decisions.set_index("scenario").probability_best[recommended])
        if share >= 1 - 1e-12:
            sentences.append(f"{say(recommended)} is the best option in every one of the {n} "
                             "calibrated worlds.")
        else:
            leader = decisions.sort_values("probability_best", ascending=False,
                                           kind="stable").iloc[0]
            words = (f"The best option differs between worlds: {say(recommended)} has the least "
                     f"expected regret ({top.expected_regret_per_year:.1f} victims a year fewer "
                     f"identified than the best of each world; best in {share:.0%} of them)")
            if leader.scenario != recommended:
                words += (f", though {say(leader.scenario)} is best most often "
                          f"({leader.probability_best:.0%})")
            sentences.append(words + ".")
            fails = best_in_worlds(per_day)[:, j] == 0
            keys = worlds.worlds.drop(columns=["draw", "posterior_row"])
            box = failure_box(keys.drop(columns=list(worlds.kept)), fails)
            if box is not None and box_words(box):
                sentences.append(
                    f"{say(recommended)} stops being the best when {box_words(box)} "
                    f"({box.coverage:.0%} of the {box.failures} worlds where it is not best lie "
                    f"there, and in {box.density:.0%} of the {box.worlds} worlds there it is "
                    "not best; PRIM).")
            elif fails.sum() < PRIM_FAILURES:
                sentences.append(f"{say(recommended)} is not best in {int(fails.sum())} of the "
                                 f"{n} worlds: too few to say where it fails (more --draws "
                                 "would).")
            else:
                sentences.append(f"No box of at most {PRIM_DIMENSIONS} assumptions holds most "
                                 f"of the {int(fails.sum())} worlds where {say(recommended)} is "
                                 "not best (PRIM): they are spread across the assumptions, not "
                                 "in one region of them.")
    noise = worlds.noise()
    spread = float(np.nanstd(rates[:, j], ddof=1)) if n > 1 else math.nan
    if math.isfinite(noise) and math.isfinite(spread):
        sentences.append(f"Each world is {worlds.replications} simulated days per option: the "
                         f"chance in one world's identification (sd {100 * noise:.2f} per 100) "
                         f"against the spread between worlds (sd {100 * spread:.2f} per 100).")
    return Robustness(worlds, versus, decisions, recommended, box, sentences, noise, spread,
                      labels)


def write_robustness(folder: Path, result: Robustness, posterior: Posterior) -> dict:
    """robustness.csv, worlds.csv and failure_box.csv into a staged results folder; the
    run.json entry returned."""
    from tipkit import outputs

    outputs.write_csv(folder / "robustness.csv", result.table())
    outputs.write_csv(folder / "worlds.csv", result.worlds_table())
    if result.box is not None:
        outputs.write_csv(folder / "failure_box.csv", result.box.limits)
    return result.meta(posterior)


def pooled_replicated(worlds: Worlds):
    """The worlds' days pooled as one Replicated (for the ordinary summary and differences:
    averages over the posterior, paired by world and day)."""
    from tipkit.sim.experiments.designs import Replicated

    tables = {n: t.drop(columns=["identified_per_day"], errors="ignore")
              for n, t in worlds.tables.items()}
    return Replicated(tables, len(worlds.worlds) * worlds.replications)


def optimise_finalists(found, most: int = 5) -> list[int]:
    """The options worth carrying across the worlds: the best, then the others meeting the
    constraints by their identification as simulated, up to `most`."""
    options = found.options
    keep = options[options.meets_constraints].sort_values(
        ["identification_rate", "option"], ascending=[False, True]).option.tolist()
    ordered = ([found.best] if found.best is not None else []) + \
        [int(o) for o in keep if o != found.best]
    return ordered[:most]


def option_scenario(space, base, option: int):
    """One option of an optimise search as a scenario (or network) to run in every world."""
    if isinstance(base, NationalScenario):
        points = tuple(replace(pt, scenario=space.points[i].scenarios[int(space.choice[option, i])])
                       for i, pt in enumerate(base.points))
        return replace(base, points=points, name=f"option {option}")
    return space.points[0].scenarios[int(space.choice[option, 0])].with_values(
        {"name": f"option {option}"})


def option_label(space, option: int) -> str:
    """An option in words: its decided values ('specialist_officers: capital-airport 6,
    north-road 6', or 'officers 8, egates.gates 2')."""
    changes = space.changes(option)
    parts = [k.partition(".") for k in changes]
    if len(changes) > 1 and len({rest for _, _, rest in parts}) == 1 and \
            all(p.name for p in space.points):
        return f"{parts[0][2]}: " + ", ".join(f"{point} {_plain(v)}" for (point, _, _), v
                                              in zip(parts, changes.values()))
    return ", ".join(f"{k} {_plain(v)}" for k, v in changes.items())


def _plain(value):
    value = value.item() if hasattr(value, "item") else value
    return int(value) if isinstance(value, float) and value.is_integer() else value


def across_finalists(found, base, posterior: Posterior, population, seed: int, *,
                     draws: int = DRAWS, replications: int = DRAW_REPLICATIONS, most: int = 5,
                     **where) -> Robustness:
    """`optimise --posterior`: the search's finalists (`optimise_finalists`) simulated in
    `draws` worlds of the posterior; the least-regret option among them."""
    chosen = optimise_finalists(found, most)
    if not chosen:
        raise UserError("--posterior: no option meets the constraints: nothing to carry "
                        "across the calibrated worlds")
    space = found.space
    options = {f"option {o}": option_scenario(space, base, o) for o in chosen}
    labels = {f"option {o}": f"option {o} ({option_label(space, o)})" for o in chosen}
    worlds = draw_worlds(posterior, draws, seed)
    simulated = simulate_worlds(options, worlds, population, seed, replications,
                                decided=decided_keys(space), **where)
    return analyse(simulated, baseline=False, labels=labels)


def decided_keys(space) -> list[str]:
    """The scenario keys the search decides (whole officers as the training shares they set),
    as a posterior names them: a finalist's decision is never an assumption to draw."""
    from tipkit.sim.experiments.decisions import OFFICER_KEYS

    out = []
    for d in space.decisions:
        key = OFFICER_KEYS.get(d.key, d.key)
        out.append(f"{d.point}.{key}" if d.point else key)
    return out
