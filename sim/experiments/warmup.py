"""Is a scenario's warm-up long enough? MSER-5 on hour-by-hour output averaged over a few
replications, for runs that settle into a steady state rather than end with the day.

MSER (White 1997) truncates a series where the marginal standard error of the remaining mean is
smallest; MSER-5 (Spratt 1998) applies it to batch means of five, which Hoad, Robinson and Davies
(2010) found the most reliable automatic warm-up rule. The rule itself is kim-convergence's
`mser_m`. MSER also "finds" a truncation point in series with no transient at all (a queue that
is almost always empty is a run of zeros and rare spikes), so a warm-up is called too short only
when the data it keeps move the series' mean: the paired difference over replications between
the mean after the scenario's warm-up and the mean after MSER's point must exclude zero.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import numpy as np

from tipkit.sim.experiments.replications import Job, execute
from tipkit.sim.experiments.stats import t_interval
from tipkit.sim.model.border import simulate
from tipkit.sim.model.population import VictimPopulation
from tipkit.sim.model.scenario import Scenario

REPLICATIONS = 10     # Hoad et al. average at least five; ten keep a full shelter's flat
                      # stretches from passing for the steady state
BATCH = 5             # observations (hours) per batch mean: MSER-5
MIN_BATCHES = 4       # fewer hours than this many batches cannot be judged
METHOD = ("MSER-5 (White 1997; Spratt 1998) on hourly queue waits and shelter occupancy, "
          f"averaged over {REPLICATIONS} replications (Hoad, Robinson and Davies 2010), and a "
          "paired t-test of whether the data it would discard move the mean")
UNITS = {"queue wait": "min", "shelter occupancy": "beds"}


@dataclass(frozen=True)
class SeriesCheck:
    """One output series: the hours MSER-5 discards (None: its truncation point falls in the
    second half, i.e. the series is still settling), and how far the mean after the scenario's
    own warm-up is from the mean after that point (a paired 95% interval over replications)."""
    series: str
    settles_after_hours: float | None
    bias: float
    bias_low: float
    bias_high: float

    @property
    def biased(self) -> bool:
        """The kept warm-up data move the mean: the interval excludes zero."""
        return self.bias_low > 0 or self.bias_high < 0

    def bias_text(self) -> str:
        return (f"its mean is off by {self.bias:+.2f} {UNITS.get(self.series, '')} "
                f"(95% CI {self.bias_low:+.2f} to {self.bias_high:+.2f})")


@dataclass(frozen=True)
class WarmupCheck:
    """The check of one scenario's warm-up against what MSER-5 suggests."""
    scenario: str
    warmup_hours: float
    run_hours: float
    series: tuple[SeriesCheck, ...]
    replications: int = REPLICATIONS

    @property
    def short(self) -> list[SeriesCheck]:
        """The series whose warm-up is too short: they settle later, and it matters."""
        return [s for s in self.series if s.biased and (
            s.settles_after_hours is None or s.settles_after_hours > self.warmup_hours)]

    @property
    def too_short(self) -> bool:
        return bool(self.short)

    @property
    def suggested_hours(self) -> float | None:
        """The warm-up the short series need, or None if one is still settling (or none is
        short)."""
        hours = [s.settles_after_hours for s in self.short]
        if not hours or any(h is None for h in hours):
            return None
        return max(hours)

    def message(self) -> str | None:
        """One line for the user when the warm-up is too short, naming what to set."""
        short = self.short
        if not short:
            return None
        details = "; ".join(f"{s.series}: {s.bias_text()}" for s in short)
        unsettled = [s.series for s in short if s.settles_after_hours is None]
        if unsettled:
            return (f"{self.scenario}: {' and '.join(unsettled)} still "
                    f"{'settles' if len(unsettled) == 1 else 'settle'} after half of the "
                    f"{self.run_hours / 24:g}-day run (MSER-5; {details}): lengthen run.days "
                    f"and run.warmup_hours ({self.warmup_hours:g} h now)")
        return (f"{self.scenario}: the warm-up of {self.warmup_hours:g} h is too short: MSER-5 "
                f"suggests {self.suggested_hours:g} h ({details}); set run.warmup_hours to "
                f"{self.suggested_hours:g} or more")

    def sentence(self) -> str:
        """The check's result in words, for the report."""
        if not self.series:
            return (f"{self.scenario}: the {self.run_hours:g}-hour run is too short for MSER-5 "
                    f"to judge its warm-up (it needs {MIN_BATCHES * BATCH} hours).")
        if self.too_short:
            return self.message() + "."
        found = ", ".join(
            f"{s.series} settles after {s.settles_after_hours:g} h" if s.settles_after_hours
            is not None else f"{s.series} shows no transient that moves its mean"
            for s in self.series)
        return (f"{self.scenario}: the warm-up of {self.warmup_hours:g} h is long enough "
                f"(MSER-5: {found}; what the warm-up keeps does not move any mean).")

    def as_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> "WarmupCheck":
        series = tuple(SeriesCheck(**s) for s in data["series"])
        return cls(data["scenario"], data["warmup_hours"], data["run_hours"], series,
                   data.get("replications", REPLICATIONS))


def needs_check(scenario: Scenario) -> bool:
    """Runs that settle into a steady state: longer than a day, or with a warm-up. A one-day
    run without one is a terminating run (an airport day that starts empty each morning):
    its starting state is part of the question, not a bias to discard."""
    return scenario.run.days > 1 or scenario.run.warmup_hours > 0


def truncation_point(values) -> int | None:
    """MSER-5's number of leading observations to discard from a series, or None when the
    truncation point falls in the second half (the series has not settled)."""
    from kim_convergence import mser_m

    x = np.asarray(values, dtype=float)
    if len(x) < MIN_BATCHES * BATCH:
        return None
    settled, point = mser_m(x, batch_size=BATCH)
    return int(point) if settled else None


def settles_after(values: np.ndarray) -> float | None:
    """The hours MSER-5 discards from an hourly series (hours without output are skipped, and
    the truncation point is read back as an hour of the run)."""
    hours = np.flatnonzero(np.isfinite(values))
    point = truncation_point(values[hours])
    if point is None:
        return None
    return float(hours[point]) if point < len(hours) else float(len(values))


def hourly_batch(job: Job, population: VictimPopulation, seed: int):
    """A batch of replications that returns each one's hour-by-hour output (an `execute` task)."""
    rows = []
    for replication in job.replications:
        series = simulate(job.scenario, population, seed, replication, series=True).series
        rows.append((replication, (series.wait_total, series.wait_count, series.bed_seconds)))
    return job.key, rows


def hourly_and_kpis_batch(job: Job, population: VictimPopulation, seed: int):
    """`hourly_batch` that also keeps each replication's KPIs (the same run: the check's
    replications then serve as the scenario's own first replications)."""
    rows = []
    for replication in job.replications:
        tally = simulate(job.scenario, population, seed, replication, series=True)
        series = tally.series
        rows.append((replication, ((series.wait_total, series.wait_count, series.bed_seconds),
                                   tally.kpis)))
    return job.key, rows


def hourly_output(scenario: Scenario, runs: dict[int, tuple]) -> dict[str, np.ndarray]:
    """Each series, one row per replication and one column per hour of the run, and pooled
    (the last row): mean queue wait (minutes) of travellers by hour of arrival (NaN: nobody
    arrived), and beds occupied (time average; only when the scenario has shelter beds)."""
    hours = int(math.ceil(scenario.run.days * 24))
    arrays = np.zeros((3, len(runs), hours))
    for i, replication in enumerate(sorted(runs)):
        for target, values in zip(arrays[:, i], runs[replication]):
            n = min(hours, len(values))
            target[:n] = values[:n]
    wait_total, wait_count, bed_seconds = arrays
    with np.errstate(invalid="ignore", divide="ignore"):
        waits = np.vstack([wait_total, wait_total.sum(0, keepdims=True)]) / np.vstack(
            [wait_count, wait_count.sum(0, keepdims=True)]) / 60
    out = {"queue wait": waits}
    if scenario.shelter.beds:
        beds = bed_seconds / 3600
        out["shelter occupancy"] = np.vstack([beds, beds.mean(0, keepdims=True)])
    return out


def series_check(name: str, rows: np.ndarray, warmup_hours: float) -> SeriesCheck:
    """MSER-5 on the pooled series (the last row), then the paired difference, replication by
    replication, between the mean after the warm-up and the mean after MSER's point (or over
    the second half, when the series is still settling)."""
    settles = settles_after(rows[-1])
    keep_from = settles if settles is not None else rows.shape[1] / 2
    start, reference = int(math.ceil(warmup_hours)), int(math.ceil(keep_from))
    with np.errstate(invalid="ignore"):
        differences = [np.nanmean(r[start:]) - np.nanmean(r[reference:]) for r in rows[:-1]]
    mean, low, high, _ = t_interval(differences)
    if start >= reference:
        mean = low = high = 0.0           # the warm-up already discards what MSER would
    return SeriesCheck(name, settles, _round(mean), _round(low), _round(high))


def check_warmups(scenarios: dict[str, Scenario], population, seed: int,
                  replications: int = REPLICATIONS, *, own: dict | None = None,
                  kept: dict | None = None, **where) -> dict[str, WarmupCheck]:
    """The MSER-5 check of every scenario that needs one (see `needs_check`), on the run's own
    replication seeds; `own` gives a scenario (by name) its own (population key, seed), as a
    point of a national network runs (`population` is then the mapping: see `Job`); `where`
    is `execute`'s (workers, scheduler). `kept`, if given, receives each checked scenario's
    KPIs by name and replication (the checks' runs are ordinary replications)."""
    checked = {name: s for name, s in scenarios.items() if needs_check(s)}
    if not checked:
        return {}
    own = own or {}
    runs = execute([Job(name, s, tuple(range(replications)), *own.get(name, ()))
                    for name, s in checked.items()],
                   population, seed, task=hourly_batch if kept is None else
                   hourly_and_kpis_batch, **where)
    if kept is not None:
        for name, rows in runs.items():
            kept[name] = {r: kpis for r, (_, kpis) in rows.items()}
        runs = {name: {r: series for r, (series, _) in rows.items()}
                for name, rows in runs.items()}
    found = {}
    for name, scenario in checked.items():
        output = hourly_output(scenario, runs[name])
        series = tuple(series_check(kind, rows, scenario.run.warmup_hours)
                       for kind, rows in output.items()
                       if np.isfinite(rows[-1]).sum() >= MIN_BATCHES * BATCH)
        found[name] = WarmupCheck(name, scenario.run.warmup_hours, scenario.run.days * 24,
                                  series, replications)
    return found


def reported(checks: dict[str, WarmupCheck], warn) -> dict:
    """A warning through `warn` for each warm-up too short, and the checks for run.json."""
    for check in checks.values():
        message = check.message()
        if message and warn is not None:
            warn(message)
    return {"warmup": {name: c.as_dict() for name, c in checks.items()}} if checks else {}


def _round(x: float) -> float:
    """Figures for run.json and messages, without floating-point dust."""
    return float(f"{x:.6g}") if math.isfinite(x) else x
