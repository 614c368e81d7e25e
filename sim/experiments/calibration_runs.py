"""The library behind `tipkit sim calibrate`: the scenario (one crossing point or a national
network) and the facts read and checked, the assumptions to calibrate and their priors (as
`sim sensitivity` reads them), the design points simulated on common random numbers, two
history-matching waves of emulators, the posterior, its check by simulation, and the folder.
"""

from __future__ import annotations

import math
import os
import re
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import yaml
from threadpoolctl import threadpool_limits

from tipkit import outputs
from tipkit.errors import UserError
from tipkit.sim.experiments import calibration as cal
from tipkit.sim.experiments.emulator import Box, space_filling
from tipkit.sim.experiments.preflight import check_seed, population_release, refuse_long
from tipkit.sim.experiments.replications import Job, execute
from tipkit.sim.experiments.sensitivity import (SPREAD, _field, _get, _tidy,
                                                assumption_factors, assumption_words)
from tipkit.sim.model.assumptions import assumptions_in
from tipkit.sim.model.costs import counted_days
from tipkit.sim.model.kpis import ESTIMATED, direct_name
from tipkit.sim.model.national import (NationalScenario, is_national_file, load_national,
                                       national_kpis)
from tipkit.sim.model.observed import ObservedFacts, check_facts, daily, load_facts
from tipkit.sim.model.population import VictimPopulation, load_population
from tipkit.sim.model.scenario import Scenario
from tipkit.sim.model.scenario_files import load_scenario, scenario_source

_TAG = 0x63616C6962         # "calib": the design's and sampler's streams, apart from the runs'
PARTICLES = 2000            # posterior draws (posterior.csv rows)
CHECK_DRAWS = 20            # posterior draws simulated to check the facts against
WEIGHT = "weight"
# a national point's victims come from victims_per_day and the routing, not its own share
ROUTED = ("victims.share",)


@dataclass
class Setup:
    """What a calibration works on, read and checked before any simulation."""
    path: Path
    scenario: Scenario | NationalScenario
    facts: ObservedFacts
    population: VictimPopulation
    params: list[cal.Parameter]
    sources: dict[str, str] = field(default_factory=dict)

    @property
    def national(self) -> bool:
        return isinstance(self.scenario, NationalScenario)

    @property
    def box(self) -> Box:
        return Box.of({p.name: (p.low, p.high) for p in self.params})

    @property
    def keys(self) -> list[str]:
        """posterior.csv's columns: every scenario key a calibrated assumption sets."""
        return [k for p in self.params for k in p.keys]

    def changes(self, values) -> dict[str, float]:
        return {k: float(v) for p, v in zip(self.params, values) for k in p.keys}

    def points(self) -> int:
        return len(self.scenario.points) if self.national else 1


def prepare(scenario_path, facts_path, *, varies=(), population_dir=None, out=None,
            force: bool = False, seed: int = 1) -> Setup:
    """Read and check everything, refuse an unsafe --out, before any work."""
    check_seed(seed)
    path = Path(scenario_path)
    national = is_national_file(path)
    scenario = load_national(path) if national else load_scenario(path)
    facts = load_facts(facts_path)
    check_facts(facts, scenario)
    files = [p.path for p in scenario.points] if national else [path]
    release = population_release(files, population_dir)
    if out is not None:
        outputs.check_out(out, force=force, inputs=[path, Path(facts_path), *files, release])
    population = load_population(release)
    if national:
        sources = {p.name: scenario_source(p.path) for p in scenario.points}
        sources[""] = path.read_text(encoding="utf-8")
        candidates = national_parameters(scenario, sources)
    else:
        population.by_transport(scenario.victims.transport)
        sources = {scenario.name: scenario_source(path)}
        candidates = [cal.Parameter(f.key, f.label, float(f.nominal), f.low, f.high,
                                    f.range_from, (f.key,))
                      for f in assumption_factors({scenario.name: scenario}, sources)
                      if f.varied]
    params = chosen(candidates, varies, scenario)
    if not params:
        raise UserError(f"{path}: no value marked # assumption can be calibrated: mark "
                        "probabilities, rates or durations with # assumption, or name them "
                        "with --vary KEY=LO..HI")
    return Setup(path, scenario, facts, population, params, sources)


def national_parameters(national: NationalScenario, sources: dict[str, str]
                        ) -> list[cal.Parameter]:
    """The network's assumptions: victims_per_day, and each point's, where a key written alike
    (same value and range) at several points is one assumption (officers' noticing, a shelter
    stay: what the country's officers and services are, not the point)."""
    found = []
    text = sources[""]
    for a in assumptions_in(text):
        if a.key == "victims_per_day":
            found.append(_national_prior(national.victims_per_day, a.range))
    groups: dict[tuple, list[str]] = {}
    labels = {}
    for point in national.points:
        for f in assumption_factors({point.name: point.scenario},
                                    {point.name: sources[point.name]}):
            if not f.varied or f.key in ROUTED:
                continue
            spec = (f.key, float(f.nominal), f.low, f.high, f.range_from)
            groups.setdefault(spec, []).append(point.name)
            labels[spec] = f.label
    for spec, points in groups.items():
        key, nominal, low, high, range_from = spec
        shared = sum(1 for s in groups if s[0] == key) == 1 and len(points) > 1
        # a point's own value is POINT.key; points sharing one value among others P1+P2.key
        name = key if shared or len(national.points) == 1 else f"{'+'.join(points)}.{key}"
        label = labels[spec] + ("" if name == key else f" at {', '.join(points)}")
        found.append(cal.Parameter(name, label, nominal, low, high, range_from,
                                   tuple(f"{p}.{key}" for p in points)))
    return found


def _national_prior(value: float, stated) -> cal.Parameter:
    label = "how many victims cross the network's points a day"
    if stated is not None:
        return cal.Parameter("victims_per_day", label, value, stated[0], stated[1],
                             "scenario", ("victims_per_day",))
    return cal.Parameter("victims_per_day", label, value, _tidy(value * (1 - SPREAD)),
                         _tidy(value * (1 + SPREAD)), f"+-{SPREAD:.0%}", ("victims_per_day",))


_VARY = re.compile(r"^\s*([\w.\-]+)\s*(?:=\s*([-\d.eE+]+)\s*\.\.\s*([-\d.eE+]+))?\s*$")


def chosen(candidates: list[cal.Parameter], varies, scenario) -> list[cal.Parameter]:
    """Every candidate, or only those --vary names (KEY, or KEY=LO..HI for another prior
    range; a key no file marks # assumption may be named with its range)."""
    if not varies:
        return candidates
    by_name = {p.name: p for p in candidates}
    out = []
    for spec in varies:
        match = _VARY.match(spec)
        if match is None:
            raise UserError(f"--vary {spec}: expected KEY or KEY=LO..HI, e.g. "
                            "victims.share=0.0005..0.002")
        key, lo, hi = match.groups()
        known = by_name.get(key)
        if known is None:
            known = _unmarked(key, scenario, spec, by_name)
        if lo is not None:
            try:
                low, high = float(lo), float(hi)
            except ValueError:
                raise UserError(f"--vary {spec}: LO and HI must be numbers") from None
            if not low < high:
                raise UserError(f"--vary {spec}: LO must be below HI")
            _within(spec, known.keys[0], low, high)
            known = cal.Parameter(known.name, known.label, known.nominal, low, high, "--vary",
                                  known.keys)
        if known.name in (p.name for p in out):
            raise UserError(f"--vary {key} is given twice")
        out.append(known)
    return out


def _within(spec: str, key: str, low: float, high: float) -> None:
    """A prior range must stay within what the key can take (a share within 0-1)."""
    inner = key if key == "victims_per_day" else (key.partition(".")[2] if _field(key) is None
                                                  else key)
    found = _field(inner)
    if found is None:
        return
    lo, hi = found[1].get("lo", -math.inf), found[1].get("hi", math.inf)
    if low < lo or high > hi:
        raise UserError(f"--vary {spec}: {inner} can only take values from {lo:g} to {hi:g}")


def _unmarked(key: str, scenario, spec: str, by_name) -> cal.Parameter:
    """A key no file marks # assumption (or a tied national key split to one point)."""
    national = isinstance(scenario, NationalScenario)
    if national:
        point, _, inner = key.partition(".")
        tied = by_name.get(inner)
        if inner and tied is not None and key in tied.keys:
            return cal.Parameter(key, f"{tied.label} at {point}", tied.nominal, tied.low,
                                 tied.high, tied.range_from, (key,))
        if not inner or point not in scenario.point_names:
            raise UserError(f"--vary {spec}: not an assumption of this network (a point's key is "
                            f"POINT.key; calibrated by default: {', '.join(by_name)})")
        base = scenario.point(point).scenario
    else:
        inner, base = key, scenario
    found = _field(inner)
    if found is None or found[1].get("kind") != "number" or found[1].get("integer"):
        raise UserError(f"--vary {spec}: {inner} is not a number the scenario can take a "
                        "prior over (counts and choices are the options', not assumptions)")
    value = float(_get(base, inner))
    if "=" not in spec:
        raise UserError(f"--vary {spec}: {key} is not marked # assumption: give its prior "
                        f"range, {key}=LO..HI")
    return cal.Parameter(key, assumption_words(inner), value, value, value, "--vary", (key,))


# ---- simulating design points ---------------------------------------------------------------

@dataclass
class Simulated:
    """The facts' model values at each simulated point: per replication (points, reps, facts),
    and the direct count of each total per replication (for its dispersion)."""
    x: np.ndarray
    values: np.ndarray
    counts: np.ndarray


def simulate(setup: Setup, x: np.ndarray, replications: int | tuple, seed: int, **where
             ) -> Simulated:
    """Every point of `x` (values of the parameters) on the same replication seeds (a count:
    the first ones; or their numbers)."""
    reps = tuple(range(replications)) if isinstance(replications, int) else tuple(replications)
    replications = len(reps)
    facts = setup.facts.facts
    values = np.full((len(x), replications, len(facts)), np.nan)
    counts = np.full_like(values, np.nan)
    if setup.national:
        from tipkit.sim.experiments.network import PointCache, run_nationals

        options = {i: setup.scenario.with_values(setup.changes(row)) for i, row in enumerate(x)}
        runs = run_nationals(options, setup.population, seed, reps, cache=PointCache(), **where)
        for i in range(len(x)):
            run = runs[i]
            rows = {p.name: run.point_tables[p.name].set_index("replication") for p in
                    run.points}
            days = {p.name: counted_days(p.scenario) for p in run.points}
            for r_i, r in enumerate(reps):
                point_rows = {name: t.loc[r].to_dict() for name, t in rows.items()}
                nat = national_kpis(run.points, point_rows)
                nat_direct = national_kpis(run.points, {n: _direct(row) for n, row in
                                                        point_rows.items()})
                for j, f in enumerate(facts):
                    if f.point:
                        row, d = point_rows[f.point], days[f.point]
                        values[i, r_i, j], counts[i, r_i, j] = _value(f, row, d, False)
                    else:
                        values[i, r_i, j] = nat[f.kpi]
                        counts[i, r_i, j] = nat_direct[f.kpi]
    else:
        jobs = [Job(i, setup.scenario.with_values(setup.changes(row)), reps)
                for i, row in enumerate(x)]
        done = execute(jobs, setup.population, seed, **where)
        for i, job in enumerate(jobs):
            d = counted_days(job.scenario)
            for r_i, r in enumerate(reps):
                for j, f in enumerate(facts):
                    values[i, r_i, j], counts[i, r_i, j] = _value(f, done[i][r], d, False)
    return Simulated(np.asarray(x, float), values, counts)


def _value(f, row: dict, days: float, national: bool) -> tuple[float, float]:
    """(the fact's model value, the replication's direct count) from a run's KPIs."""
    kpi = f.point_kpi
    per_day = daily(kpi, national)
    value = row[kpi] / days if per_day else row[kpi]
    direct = _direct(row)[kpi]
    if per_day and f.total is None:
        direct = direct / days        # a mean's direct value in the fact's own units
    return value, direct


def _direct(row: dict) -> dict:
    """A run's KPIs with each virtual-victim or control-variate estimate replaced by its
    direct count: what an agency would have recorded that day."""
    return {**row, **{k: row[direct_name(k)] for k in ESTIMATED if direct_name(k) in row}}


def dispersion(sim: Simulated, setup: Setup) -> list[float]:
    """Each total's count variance over its mean across one replication's days (pooled over
    the design points), at least 1 (a count's own Poisson noise)."""
    out = []
    for j, f in enumerate(setup.facts.facts):
        c = sim.counts[:, :, j]
        ok = np.isfinite(c).all(axis=1)
        if f.total is None or ok.sum() == 0 or sim.counts.shape[1] < 2:
            out.append(1.0)
            continue
        var, mean = c[ok].var(axis=1, ddof=1).sum(), c[ok].mean(axis=1).sum()
        out.append(max(1.0, float(var / mean)) if mean > 0 else 1.0)
    return out


def simulate_facts(setup: Setup, truth, days: int, first_replication: int, seed: int,
                   **where) -> ObservedFacts:
    """The facts an agency would record over `days` simulated days if the calibrated
    assumptions had the values `truth`: each total the sum of the days' direct counts, each
    mean the days' direct mean with its 90% interval (t, from the days' spread). The
    simulation-based check calibrates to these."""
    from dataclasses import replace

    from scipy.stats import t

    reps = tuple(range(first_replication, first_replication + days))
    sim = simulate(setup, np.atleast_2d(truth), reps, seed, **where)
    facts = []
    for j, f in enumerate(setup.facts.facts):
        counts = sim.counts[0, :, j]
        if f.total is not None:
            facts.append(replace(f, total=float(np.nansum(counts))))
            continue
        direct = counts[np.isfinite(counts)]
        mean = float(direct.mean())
        half = float(t.ppf(0.5 + cal.LEVEL / 2, len(direct) - 1) * direct.std(ddof=1)
                     / np.sqrt(len(direct)))
        facts.append(replace(f, mean=mean, interval=(mean - half, mean + half),
                             level=cal.LEVEL))
    period = days * (1.0 if setup.national else counted_days(setup.scenario))
    return ObservedFacts(f"simulated at the truth ({days} days)", period, tuple(facts))


# ---- the calibration ------------------------------------------------------------------------

@dataclass
class Calibration:
    setup: Setup
    design: Simulated                 # every simulated design point (both waves)
    fact_models: list[cal.FactModel]
    emulator: cal.FactEmulator
    draws: np.ndarray                 # posterior draws, parameter values (PARTICLES, params)
    weights: np.ndarray
    summary: pd.DataFrame             # one row per parameter (calibration.summarise)
    corr: np.ndarray
    words: list[str]
    checks: pd.DataFrame
    informed_by: list[list[str]]
    simulated: int                    # replications simulated (point replications, national)
    seconds: float
    waves: list[int] = field(default_factory=list)


def plan_size(setup: Setup, points: int | None, replications: int) -> tuple[int, int]:
    """(first wave's design points, second wave's): 8 per calibrated assumption, at least 40."""
    first = points or max(40, 8 * len(setup.params))
    return first, first // 2


def total_runs(setup: Setup, points: int | None, replications: int) -> int:
    first, second = plan_size(setup, points, replications)
    return (first + second + CHECK_DRAWS) * replications * setup.points()


def calibrate(setup: Setup, *, points: int | None = None, replications: int = 4, seed: int = 1,
              workers=None, scheduler=None, progress=None, long_ok: bool = False,
              design: Simulated | None = None, check: bool = True) -> Calibration:
    """Two history-matching waves (a Latin hypercube over the prior box, then half as many
    points drawn from the first wave's posterior), the emulators refitted on both, the
    posterior by tempered SMC, and the facts checked by simulating posterior draws. `design`,
    when given, is an already simulated design (the simulation-based check reuses one)."""
    started = time.monotonic()
    if replications < 2:
        raise UserError("--replications must be at least 2 (a point's noise needs two)")
    first, second = plan_size(setup, points, replications)
    where = {"workers": workers, "scheduler": scheduler, "progress": progress}
    scenarios = ([p.scenario for p in setup.scenario.points] if setup.national
                 else [setup.scenario])
    if design is None:
        refuse_long([(s, (first + second + CHECK_DRAWS) * replications) for s in scenarios],
                    workers=workers, scheduler=scheduler, long_ok=long_ok,
                    fewer="fewer --points or --replications")
    box = setup.box
    simulated = 0
    if design is None:
        x1 = space_filling(box, first, np.random.SeedSequence([seed, _TAG, 1]))
        design = simulate(setup, x1, replications, seed, **where)
        simulated += first * replications * setup.points()
        fitted = fit(setup, design, seed)
        draws, _ = posterior(setup, fitted, seed, wave=1)
        x2 = wave_points(draws, second, seed)
        more = simulate(setup, x2, replications, seed, **where)
        simulated += second * replications * setup.points()
        design = Simulated(np.vstack([design.x, more.x]), np.concatenate(
            [design.values, more.values]), np.concatenate([design.counts, more.counts]))
    fitted = fit(setup, design, seed)
    draws, weights = posterior(setup, fitted, seed, wave=2)
    models, emulator = fitted
    summary = cal.summarise(setup.params, draws, weights)
    corr = cal.correlations(draws, weights)
    words = cal.identifiability_words(summary, corr)
    centre = np.array([r["median"] for r in summary])
    informed = cal.informs(models, emulator, setup.params, centre)
    checks = pd.DataFrame()
    if check:
        checks, checked = check_facts_by_simulation(setup, models, emulator, draws,
                                                    replications, seed, **where)
        simulated += checked
    return Calibration(setup, design, models, emulator, draws, weights, pd.DataFrame(summary),
                       corr, words, checks, informed, simulated,
                       time.monotonic() - started, [first, second])


def fit(setup: Setup, sim: Simulated, seed: int
        ) -> tuple[list[cal.FactModel], cal.FactEmulator]:
    """The facts' models (with each total's dispersion) and their emulators, learned on the
    design points where every fact is defined."""
    with threadpool_limits(1):    # small matrices: threads only contend with the runs' cores
        return _fit(setup, sim, seed)


def _fit(setup: Setup, sim: Simulated, seed: int):
    values = np.nanmean(sim.values, axis=1)
    variances = np.nanvar(sim.values, axis=1, ddof=1) / sim.values.shape[1]
    ok = np.isfinite(values).all(axis=1) & np.isfinite(variances).all(axis=1)
    if ok.sum() < 10:
        raise UserError("the facts' KPIs are undefined at most design points (e.g. no victim "
                        "crossed): use more --replications")
    shared = variances[ok].mean(axis=0)     # a mean of the design's days: its error's variance
    models = [cal.FactModel(f, setup.facts.period_days, d, float(v))
              for f, d, v in zip(setup.facts.facts, dispersion(sim, setup), shared)]
    emulator = cal.FactEmulator(setup.box, setup.facts.kpis, sim.x[ok], values[ok],
                                variances[ok], seed)
    return models, emulator


def posterior(setup: Setup, fitted, seed: int, wave: int) -> tuple[np.ndarray, np.ndarray]:
    """Posterior draws (parameter values) and their weights, by SMC on the emulators."""
    models, emulator = fitted
    box = setup.box

    def log_like(u):
        mean, sd = emulator.predict(box.from_unit(u))
        return cal.log_likelihood(models, mean, sd)

    rng = np.random.default_rng(np.random.SeedSequence([seed, _TAG, 100 + wave]))
    with threadpool_limits(1):
        u, _ = cal.smc_posterior(log_like, len(setup.params), PARTICLES, rng)
    return box.from_unit(u), np.full(len(u), 1.0 / len(u))


def wave_points(draws: np.ndarray, n: int, seed: int) -> np.ndarray:
    """n distinct posterior draws: the next wave's design points, where the facts are
    plausible (history matching's refocusing)."""
    unique = np.unique(draws, axis=0)
    rng = np.random.default_rng(np.random.SeedSequence([seed, _TAG, 2]))
    pick = rng.choice(len(unique), size=min(n, len(unique)), replace=False)
    return unique[np.sort(pick)]


def check_facts_by_simulation(setup: Setup, models, emulator, draws: np.ndarray,
                              replications: int, seed: int, **where
                              ) -> tuple[pd.DataFrame, int]:
    """Every fact against the calibrated model's predictive (CHECK_DRAWS posterior draws
    simulated), and whether any value within the prior ranges can reproduce it."""
    rng = np.random.default_rng(np.random.SeedSequence([seed, _TAG, 3]))
    pick = np.sort(rng.choice(len(draws), size=min(CHECK_DRAWS, len(draws)), replace=False))
    sim = simulate(setup, draws[pick], replications, seed, **where)
    model_values = np.nanmean(sim.values, axis=1)
    prior_x = setup.box.from_unit(rng.random((4000, len(setup.params))))
    reach_x = np.vstack([prior_x, draws])
    mean, sd = emulator.predict(reach_x)
    closest = cal.implausibility(models, mean, sd).min(axis=0)
    rows = []
    for j, m in enumerate(models):
        f = m.fact
        finite = model_values[:, j][np.isfinite(model_values[:, j])]
        pred, low, high = (cal.predictive_interval(m, finite, rng) if len(finite)
                           else (math.nan,) * 3)
        if f.total is not None:
            half = cal.z_level() * math.sqrt(m.dispersion * max(f.total, 1.0))
            obs_low, obs_high = max(0.0, f.total - half), f.total + half
        else:
            obs_low, obs_high = f.interval
        if closest[j] > cal.IMPLAUSIBLE:
            verdict = (f"cannot be reproduced: at no value of the assumptions within their "
                       f"ranges does the model come within {cal.IMPLAUSIBLE:g} standard "
                       f"deviations of it (closest: {closest[j]:.1f})")
        elif low <= f.value <= high:
            verdict = "reproduced: within the calibrated model's 90% predictive interval"
        else:
            verdict = ("not reproduced: outside the calibrated model's 90% predictive interval "
                       "(the facts pull the assumptions different ways, or the model lacks "
                       "something)")
        rows.append({"kpi": f.kpi, "kind": f.kind, "observed": f.value,
                     "observed_low": obs_low, "observed_high": obs_high,
                     "predicted_mean": pred, "predicted_low": low, "predicted_high": high,
                     "closest_sd": closest[j], "verdict": verdict, "source": f.source,
                     "illustrative": f.illustrative})
    return pd.DataFrame(rows), len(pick) * replications * setup.points()


# ---- the folder -----------------------------------------------------------------------------

def write_calibration(folder: Path, c: Calibration, out: Path, meta: dict) -> None:
    """posterior.csv, calibrated.yaml, checks.csv and checks.png, identifiability.csv,
    design.csv, calibration.txt and run.json into `folder` (the staging folder of `out`)."""
    import json

    from tipkit.sim.report.charts import to_png

    setup = c.setup
    posterior = pd.DataFrame({k: c.draws[:, i] for i, p in enumerate(setup.params)
                              for k in p.keys})
    posterior[WEIGHT] = c.weights
    posterior.to_csv(folder / "posterior.csv", index=False, float_format="%.10g")
    (folder / "calibrated.yaml").write_text(calibrated_yaml(c, out), encoding="utf-8")
    c.checks.to_csv(folder / "checks.csv", index=False, float_format="%.6g")
    to_png(checks_chart(c.checks), folder / "checks.png")
    ident = c.summary.assign(calibrated_to=["; ".join(i) for i in c.informed_by])
    ident.to_csv(folder / "identifiability.csv", index=False, float_format="%.6g")
    design = pd.DataFrame(c.design.x, columns=[p.name for p in setup.params])
    for j, kpi in enumerate(setup.facts.kpis):
        design[kpi] = np.nanmean(c.design.values[:, :, j], axis=1)
    design.to_csv(folder / "design.csv", index=False, float_format="%.8g")
    (folder / "calibration.txt").write_text(text(c, timed=False) + "\n",
                                            encoding="utf-8")
    (folder / "run.json").write_text(json.dumps(meta, indent=2, sort_keys=True) + "\n",
                                     encoding="utf-8")


def calibrated_yaml(c: Calibration, out: Path) -> str:
    """The scenario at the posterior median: a file based on the one calibrated (relative to
    the output folder) that sets each calibrated value, its comment giving the 90% interval
    (as the `range` sensitivity reads) and the facts it was calibrated to."""
    setup = c.setup
    base = os.path.relpath(setup.path.resolve(), Path(out).resolve())
    facts = setup.facts.path.name if setup.facts.path else setup.facts.name
    notes = {}
    for p, row, informed in zip(setup.params, c.summary.to_dict("records"), c.informed_by):
        to = (f"to {', '.join(informed)} ({facts})" if informed
              else f"no fact of {facts} moves it beyond the fact's own noise")
        note = (f"assumption, calibrated: range {_g(row['low'])}-{_g(row['high'])} is the 90% "
                f"posterior interval (prior {_g(p.low)}-{_g(p.high)}), {to}")
        for k in p.keys:
            notes[k] = (_g(row["median"]), note)
    head = [f"# Calibrated by tipkit sim calibrate to {facts} ({len(setup.facts.facts)} facts "
            f"over {setup.facts.period_days:g} days): each calibrated value is its posterior",
            "# median; the other values are those of the file it is based on.",
            f"based_on: {base}"]
    name = f"{setup.scenario.name}-calibrated"
    question = f"{setup.scenario.question} (calibrated to {setup.facts.name})".strip()
    head += [f"name: {_quoted(name)}", f"question: {_quoted(question)}"]
    if setup.national:
        body = []
        if "victims_per_day" in notes:
            value, note = notes.pop("victims_per_day")
            body.append(f"victims_per_day: {value}   # {note}")
        if notes:
            body.append("set:")
            body += [f"  {k}: {v}   # {note}" for k, (v, note) in notes.items()]
        return "\n".join(head + ["kind: national"] + body) + "\n"
    return "\n".join(head + _nested(setup.scenario, notes)) + "\n"


def _nested(scenario: Scenario, notes: dict[str, tuple[str, str]]) -> list[str]:
    """Dotted keys as nested YAML lines; a duration (given whole: its keys only make sense
    together) is written whole, its other keys as the file has them."""
    from tipkit.sim.model.fields import given_whole

    tree: dict = {}
    mapping = scenario.to_mapping()
    for key, (value, note) in notes.items():
        parts = key.split(".")
        parent = _field(".".join(parts[:-1])) if len(parts) > 1 else None
        node = tree
        for part in parts[:-1]:
            node = node.setdefault(part, {})
        if parent is not None and given_whole(parent[1]["cls"]):
            whole = mapping
            for part in parts[:-1]:
                whole = whole[part]
            for k, v in whole.items():
                node.setdefault(k, (yaml.safe_dump(v, default_flow_style=True).strip()
                                    .removesuffix("...").strip(), ""))
        node[parts[-1]] = (value, note)
    lines = []

    def emit(node, indent):
        for k, v in node.items():
            if isinstance(v, dict):
                lines.append(f"{'  ' * indent}{k}:")
                emit(v, indent + 1)
            else:
                value, note = v
                lines.append(f"{'  ' * indent}{k}: {value}" + (f"   # {note}" if note else ""))

    emit(tree, 0)
    return lines


def checks_chart(checks: pd.DataFrame):
    from tipkit.sim.report.charts import Chart, Series

    obs = checks.observed.to_numpy(float)
    scale = np.where(obs != 0, obs, 1.0)
    names = [k.replace(".", ".\n") for k in checks.kpi]     # a point's name on its own line
    return Chart(
        "checks", "Each fact against the calibrated model (as a share of the observed value)",
        "points", "fact", "relative to the observed value",
        [Series("observed (90% interval)", names, list(obs / scale),
                list(checks.observed_low / scale), list(checks.observed_high / scale)),
         Series("calibrated model, posterior predictive (90%)", names,
                list(checks.predicted_mean / scale), list(checks.predicted_low / scale),
                list(checks.predicted_high / scale))],
        caption="1 is the observed value; a fact whose intervals do not overlap is not "
                "reproduced.", hline=1.0)


def text(c: Calibration, timed: bool = True) -> str:
    """What the terminal and calibration.txt say (the file without the time it took: the same
    seed gives the same bytes)."""
    setup = c.setup
    took = f", {c.seconds / 60:.1f} min" if timed else ""
    lines = [f"Calibrated {len(setup.params)} assumptions of {setup.scenario.name} to "
             f"{len(setup.facts.facts)} facts ({setup.facts.name}, {setup.facts.period_days:g} "
             f"days): {c.simulated} simulated replications{took}.", "",
             "Facts against the calibrated model (90% intervals):"]
    for r in c.checks.to_dict("records"):
        flag = " [illustrative]" if r["illustrative"] else ""
        lines.append(f"  {r['kpi']}: observed {_g(r['observed'])}, model "
                     f"{_g(r['predicted_mean'])} ({_g(r['predicted_low'])} to "
                     f"{_g(r['predicted_high'])}): {r['verdict']}{flag}")
    lines += ["", "What the facts pin down:"] + [f"  {w}" for w in c.words]
    return "\n".join(lines)


def _g(x: float) -> str:
    """A value as a person writes it: 4 significant digits, never an exponent above 1,000."""
    if not math.isfinite(x):
        return "nan"
    return f"{x:.0f}" if abs(x) >= 1000 else f"{x:.4g}"


def _quoted(s: str) -> str:
    return yaml.safe_dump(s, default_flow_style=True, width=1000).strip().removesuffix(
        "...").strip()


# ---- the command ----------------------------------------------------------------------------

def run_calibration(setup: Setup, *, out, points=None, replications: int = 4, seed: int = 1,
                    force: bool = False, workers=None, scheduler=None, progress=None,
                    long_ok: bool = False) -> tuple[Calibration, Path]:
    """`tipkit sim calibrate`, after `prepare`: the calibration and its folder (staged: it
    appears whole, or not at all)."""
    from tipkit.sim.experiments import results

    c = calibrate(setup, points=points, replications=replications, seed=seed, workers=workers,
                  scheduler=scheduler, progress=progress, long_ok=long_ok)
    meta = {**results.provenance(setup.population, seed),
            "command": "calibrate", "scenario": str(setup.path),
            "observed": str(setup.facts.path), "method": METHOD,
            "design_points": c.waves, "replications_per_point": replications,
            "simulated_replications": c.simulated, "particles": PARTICLES,
            "calibrated": [p.name for p in setup.params]}
    inputs = [setup.path, setup.facts.path]
    with outputs.staged_folder(out, force=force, inputs=inputs) as staging:
        write_calibration(staging, c, Path(out), meta)
        _check_runnable(staging / "calibrated.yaml", setup.national)
    return c, Path(out)


METHOD = ("history matching with Gaussian-process emulators (two waves: a Latin hypercube over "
          "the prior box, then points drawn from the first posterior), Gaussian likelihood "
          "(a total's count noise with the simulation's over-dispersion, a mean's interval read "
          "as a normal one, plus the emulator's sd), posterior by tempered sequential Monte "
          "Carlo on the emulators")


def _check_runnable(path: Path, national: bool) -> None:
    """calibrated.yaml must load as `tipkit sim run` will load it (from a sibling folder of the
    output, so its relative based_on resolves the same)."""
    (load_national if national else load_scenario)(path)


# ---- the method checked: simulation-based calibration ---------------------------------------

@dataclass
class CoverageCheck:
    """How often each assumption's 90% posterior interval covered its truth."""
    params: list[cal.Parameter]
    truths: np.ndarray              # (truths, params)
    covered: np.ndarray             # (truths, params) bool
    width_ratio: np.ndarray         # (truths, params): posterior 90% width / prior's
    design_points: int
    simulated: int
    seconds: float

    @property
    def coverage(self) -> np.ndarray:
        return self.covered.mean(axis=0)


def coverage_check(setup: Setup, *, truths: int = 30, days: int = 30, points: int | None = None,
                   replications: int = 4, seed: int = 1, workers=None, scheduler=None,
                   report=None) -> CoverageCheck:
    """Simulation-based calibration: `truths` assumption sets drawn from the prior, the facts
    an agency would record at each over `days` simulated days of its own (`simulate_facts`),
    each calibrated on one emulator design (a Latin hypercube simulated once: the issue lets
    one design serve every truth). `report(i, covered)` hears of each truth done."""
    started = time.monotonic()
    d = len(setup.params)
    points = points or max(60, 12 * d)
    where = {"workers": workers, "scheduler": scheduler}
    x = space_filling(setup.box, points, np.random.SeedSequence([seed, _TAG, 1]))
    design = simulate(setup, x, replications, seed, **where)
    rng = np.random.default_rng(np.random.SeedSequence([seed, _TAG, 0x5BC]))
    drawn = setup.box.from_unit(rng.random((truths, d)))
    covered = np.zeros((truths, d), bool)
    ratios = np.zeros((truths, d))
    for i, truth in enumerate(drawn):
        # replication numbers no design point uses: the truth's days are days of their own
        facts = simulate_facts(setup, truth, days, 1_000_000 + i * days, seed, **where)
        one = Setup(setup.path, setup.scenario, facts, setup.population, setup.params,
                    setup.sources)
        c = calibrate(one, replications=replications, seed=seed + i, design=design,
                      check=False)
        covered[i] = (c.summary.low.to_numpy() <= truth) & (truth <= c.summary.high.to_numpy())
        ratios[i] = c.summary.width_ratio.to_numpy()
        if report is not None:
            report(i, covered[i])
    return CoverageCheck(setup.params, drawn, covered, ratios, points,
                         points * replications + truths * days,
                         time.monotonic() - started)
