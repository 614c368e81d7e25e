"""The what-if explorer without the page: the levers a policymaker moves, the option they make
from a base scenario, the check that it can settle, and one run against the base with
everything the page shows and offers for download."""

from __future__ import annotations

import math
import tempfile
from dataclasses import dataclass, field, replace
from pathlib import Path

import pandas as pd
import yaml

from tipkit.sim.report.charts import Chart
from tipkit.sim.experiments.designs import most_trained
from tipkit.sim.model.kpis import KPI_BY_NAME
from tipkit.sim.model.population import VictimPopulation
from tipkit.sim.model.fields import changed_keys
from tipkit.sim.model.queueing import offered_utilisation
from tipkit.sim.model.scenario import Scenario
from tipkit.sim.model.scenario_files import scenario_source
from tipkit.errors import UserError

# KPIs the page shows as headline figures, with short names: the three the replications
# algorithm holds to a precision, then what shelters must absorb (a day, as in the report)
KEY_KPIS = {"identification_rate": "Victims identified", "desk_wait_mean": "Desk wait (min)",
            "flags_per_10k": "Flagged per 10,000", "referrals": "Referrals a day",
            "refused_referrals": "Refused a day"}
PER_DAY = ("referrals", "refused_referrals")
# verdicts in plain words, in this order
VERDICT_KPIS = ("identification_rate", "desk_wait_mean", "desk_wait_p95", "flag_ppv",
                "false_referrals_per_10k", "refused_referrals")


@dataclass(frozen=True)
class Lever:
    """One control on the page: a scenario key (dotted) shown in the page's units."""
    key: str
    label: str
    help: str
    scale: float = 1.0          # page value = scenario value * scale
    step: float = 1.0
    integer: bool = True
    format: str = "%d"          # how the slider prints its value (printf style)

    def shown(self, scenario: Scenario) -> float:
        value = _get(scenario, self.key) * self.scale
        return int(round(value)) if self.integer else float(round(value, 6))

    def upper(self, scenario: Scenario) -> float:
        """The slider's top: generous around the base scenario's value."""
        value = self.shown(scenario)
        top = {"officers": max(30, 3 * value), "egates.gates": max(20, 2 * value),
               "secondary.specialists": max(10, 3 * value), "shelter.beds": max(50, 4 * value),
               "victims.share": max(50.0, 5 * value)}.get(self.key, 100)
        return int(top) if self.integer else float(top)

    def lower(self) -> float:
        low = {"officers": 1, "secondary.specialists": 1}.get(self.key, 0)
        return int(low) if self.integer else float(low)


LEVERS = (
    Lever("officers", "Officers at the desks", "Officers on duty at the manual desks."),
    Lever("training.specialist_share", "Specialist-trained officers (%)",
          "Share of officers with specialist anti-trafficking training.", 100, 5, False,
          "%.0f%%"),
    Lever("training.basic_share", "Basic-trained officers (%)",
          "Share of officers with basic training (counted among those not specialist).",
          100, 5, False, "%.0f%%"),
    Lever("egates.gates", "E-gates", "Automated gates for eligible adults (0: none)."),
    Lever("secondary.specialists", "Secondary-inspection specialists",
          "Interviewers who see the travellers officers flag."),
    Lever("shelter.beds", "Shelter beds", "Service providers' beds for referred people."),
    Lever("victims.share", "Victims per 10,000 travellers",
          "Victim prevalence: an assumption, since none is published for border points.",
          10_000, 0.5, False, "%.1f"),
)
LEVER_BY_KEY = {lever.key: lever for lever in LEVERS}


def scenario_paths(folder: Path) -> dict[str, Path]:
    """The scenario files in a folder, by file name without .yaml, in name order."""
    folder = Path(folder)
    if not folder.is_dir():
        return {}
    return {p.stem: p for p in sorted(folder.glob("*.yaml"))}


def lever_values(scenario: Scenario) -> dict[str, float]:
    """Each lever's value for a scenario, in the page's units."""
    return {lever.key: lever.shown(scenario) for lever in LEVERS}


def option_from(base: Scenario, values: dict[str, float]) -> Scenario:
    """The option the levers describe: the base with the changed values (checked as a file
    would be: an impossible value is a UserError naming it)."""
    changes = {}
    for key, shown in values.items():
        lever = LEVER_BY_KEY[key]
        if shown == lever.shown(base):
            continue       # unmoved levers keep the base's exact value (no rounding drift)
        value = shown / lever.scale
        changes[key] = int(round(value)) if lever.integer else round(value, 10)
    changes["name"] = f"{base.name} what-if"
    changes["question"] = describe_changes(base, values) or "The base scenario, unchanged"
    return base.with_values(changes)


def describe_changes(base: Scenario, values: dict[str, float]) -> str:
    """The levers moved, in words: 'Officers at the desks 10 -> 12; E-gates 0 -> 4'."""
    parts = []
    for key, shown in values.items():
        lever = LEVER_BY_KEY[key]
        before = lever.shown(base)
        if shown != before:
            parts.append(f"{lever.label} {_number(before)} -> {_number(shown)}")
    return "; ".join(parts)


def officer_mix(scenario: Scenario) -> str:
    """'10 officers: 5 specialist, 2 basic, 3 untrained' (whole officers, as the model uses)."""
    levels = scenario.officer_levels()
    counts = {level: levels.count(level) for level in ("specialist", "basic", "none")}
    return (f"{scenario.officers} officers: {counts['specialist']} specialist, "
            f"{counts['basic']} basic, {counts['none']} untrained")


@dataclass(frozen=True)
class Settling:
    """Whether a scenario's queues can settle: `problems` stop a run (offered utilisation at
    or above 1 over the day), `warnings` do not (a busiest hour above 1 only builds a queue)."""
    problems: tuple[str, ...]
    warnings: tuple[str, ...]


def settling(scenario: Scenario) -> Settling:
    u = offered_utilisation(scenario)
    # each resource's own message, by zeroing the others' loads
    desks = replace(u, secondary=0.0, egates_peak=0.0).warnings()
    secondary = replace(u, desks_mean=0.0, desks_peak=0.0, egates_peak=0.0).warnings()
    egates = replace(u, desks_mean=0.0, desks_peak=0.0, secondary=0.0).warnings()
    problems = (desks if u.desks_mean >= 1 else []) + secondary
    warnings = ([] if u.desks_mean >= 1 else desks) + egates
    return Settling(tuple(problems), tuple(warnings))


def cannot_settle_message(scenario: Scenario) -> str | None:
    """One line for the page when the scenario cannot settle, naming what to change."""
    found = settling(scenario).problems
    if not found:
        return None
    return (f"{scenario.name} cannot settle: {'; '.join(found)}. Add officers or e-gates, or "
            "secondary-inspection specialists, before running it.")


def option_yaml(base: Scenario, base_file: str, option: Scenario) -> str:
    """The option as a scenario file that starts from the base and changes only what the
    levers moved; `tipkit sim run` reads it when it is saved beside the base file."""
    changed = changed_keys(base.to_mapping(), option.to_mapping())
    body: dict = {"based_on": base_file, "name": option.name, "question": option.question}
    for dotted in changed:
        if dotted in ("name", "question"):
            continue
        node = body
        parts = dotted.split(".")
        for part in parts[:-1]:
            node = node.setdefault(part, {})
        node[parts[-1]] = _get(option, dotted)
    head = (f"# Made in the tipkit what-if explorer from {base_file}: save it beside that file\n"
            f"# and run it with: tipkit sim run <this file>\n"
            f"# The changed values are the explorer's choices (assumptions of the option).\n")
    return head + yaml.safe_dump(body, sort_keys=False, allow_unicode=True)


# ---- one run against the base ---------------------------------------------------------------

@dataclass
class Request:
    """What the page asks to run."""
    base: Scenario
    base_path: Path
    option: Scenario
    replications: int = 20
    seed: int = 1
    sensitivity: bool = False
    anyway: bool = False            # run even if a queue cannot settle (results then depend on
                                    # the run length)
    workers: int | None = None
    posterior: Path | None = None   # a calibration's posterior.csv: run across its worlds
    draws: int = 50

    def work(self) -> int:
        """Replications to run, for the progress bar."""
        if self.posterior is not None:
            from tipkit.sim.experiments.robustness import DRAW_REPLICATIONS
            return 2 * self.draws * DRAW_REPLICATIONS
        extra = 0
        if self.sensitivity and most_trained(self.scenarios()) is not None:
            extra = min(self.replications, 20) * 6
        return 2 * self.replications + extra

    def scenarios(self) -> dict[str, Scenario]:
        return {self.base.name: self.base, self.option.name: self.option}

    def units(self) -> float:
        """Work for the time estimate: traveller-days simulated (replications x travellers a
        day x days)."""
        return self.work() * self.base.arrivals.daily_volume * self.base.run.days

    def key(self, release: Path, kind: str = "whatif", *more) -> str:
        """The request's identity in the app's cache: both scenarios' content, the settings,
        the seed and the victims' release (not the processes used: results do not depend on
        them)."""
        from tipkit.app.jobs import file_stamp, request_key
        from tipkit.app.releases import release_stamp

        return request_key(kind, self.base.to_mapping(), self.option.to_mapping(),
                           self.replications, self.seed, self.sensitivity, self.anyway,
                           release_stamp(release), file_stamp(self.posterior), *more)


@dataclass
class Outcome:
    """One finished what-if: the tables, words and charts the page shows, and the files it
    offers for download (bytes, built once)."""
    request: Request
    summaries: pd.DataFrame          # scenario, kpi, mean, ci_low, ci_high, n
    differences: pd.DataFrame        # scenario, kpi, difference, ci_low, ci_high, n, verdict
    answer_html: str                 # the report's plain-language answer
    charts: list[Chart]
    downloads: dict[str, bytes] = field(default_factory=dict)   # file name -> contents
    warmup_warnings: list[str] = field(default_factory=list)    # warm-ups too short (MSER-5)
    robustness: list[str] = field(default_factory=list)   # across the calibrated worlds

    def headline(self) -> list[dict]:
        """The key KPIs: base and option with intervals, the paired difference and verdict."""
        base, option = self.request.base.name, self.request.option.name
        run = self.request.base.run
        days = run.days - run.warmup_hours / 24
        rows = []
        for kpi, label in KEY_KPIS.items():
            scale = 1 / days if kpi in PER_DAY else 1.0
            b = tuple(x * scale for x in _row(self.summaries, base, kpi))
            o = tuple(x * scale for x in _row(self.summaries, option, kpi))
            d = self.differences[self.differences.kpi == kpi].iloc[0]
            rows.append({"kpi": kpi, "label": label, "base": b, "option": o,
                         "difference": tuple(float(x) * scale for x in
                                             (d.difference, d.ci_low, d.ci_high)),
                         "verdict": d.verdict, "better": KPI_BY_NAME[kpi].better})
        return rows

    def verdicts(self) -> list[str]:
        table = self.differences.set_index("kpi")
        return [table.loc[k].verdict for k in VERDICT_KPIS if k in table.index]

    def group_verdicts(self) -> list[str]:
        """Identification by group of victims, in points per 100 victims of that group."""
        from tipkit.sim.report.tables import group_verdicts

        return group_verdicts(self.differences)

    def kpi_table(self) -> pd.DataFrame:
        """Every KPI defined in the run: base, option, difference, each with its interval."""
        from tipkit.sim.report.tables import format_value

        base, option = self.request.base.name, self.request.option.name
        rows = []
        for kpi in self.differences.kpi:
            b, o = _row(self.summaries, base, kpi), _row(self.summaries, option, kpi)
            if not (math.isfinite(b[0]) or math.isfinite(o[0])):
                continue
            d = self.differences[self.differences.kpi == kpi].iloc[0]
            rows.append({"KPI": KPI_BY_NAME[kpi].label.strip(),
                         base: _with_interval(kpi, b, format_value),
                         option: _with_interval(kpi, o, format_value),
                         "difference (option - base)": signed_difference(
                             kpi, (d.difference, d.ci_low, d.ci_high), words=True)})
        return pd.DataFrame(rows)


def signed_difference(kpi: str, values, words: bool = False) -> str:
    """A paired difference in the KPI's own units, with its 95% interval: shares in
    percentage points ('+10.7 pts (+5.9 to +15.4)'), everything else as the KPI reads. With
    `words`, a rate says what it counts, as its verdict does ('+12.4 per 100 women who
    crossed (+8.1 to +16.0)')."""
    from tipkit.sim.experiments.verdicts import phrase

    mean, low, high = (float(v) for v in values)
    form = KPI_BY_NAME[kpi].form if kpi in KPI_BY_NAME else "number"
    scale, unit, digits = {"share": (100, " pts", 1), "minutes": (1, " min", 1),
                           "rate": (1, "", 2)}.get(form, (1, "", 1))
    if words and form in ("share", "rate"):
        scale, unit = phrase(kpi)[3:]
    if not math.isfinite(mean):
        return "-"
    text = f"{mean * scale:+.{digits}f}{unit}"
    if math.isfinite(low) and math.isfinite(high):
        text += f" ({low * scale:+.{digits}f} to {high * scale:+.{digits}f})"
    return text


def run(request: Request, population: VictimPopulation, advance=None) -> Outcome:
    """Run the base and the option on common random numbers, as `tipkit sim compare` does, into
    a temporary results folder with its HTML report, and keep their bytes for download."""
    from tipkit.sim.experiments.runs import Loaded, compare_loaded
    from tipkit.sim.report.page import write_report

    advance = advance or (lambda fraction, label: None)
    for message in (cannot_settle_message(request.base), cannot_settle_message(request.option)):
        if message and not request.anyway:
            raise UserError(message)
    total, done = request.work(), [0]

    def progress(n: int) -> None:
        done[0] += n
        # the report takes the last tenth of the bar
        advance(0.9 * done[0] / total, f"{done[0]} of {total} replications")

    scenarios = request.scenarios()
    if len(scenarios) < 2:
        raise UserError("the option needs its own name to be compared with the base")
    loaded = Loaded(scenarios, _sources(request), population)
    advance(0.0, "checking the warm-up")
    warnings: list[str] = []        # warm-ups too short (MSER-5)
    with tempfile.TemporaryDirectory(prefix="tipkit-app-") as tmp:
        if request.posterior is not None:
            from tipkit.sim.experiments import robust_runs, robustness
            result, folder = robust_runs.across_loaded(
                loaded, robustness.read_posterior(request.posterior), Path(tmp) / "results",
                draws=request.draws, seed=request.seed, workers=request.workers,
                progress=progress, warn=warnings.append)
        else:
            result, folder = compare_loaded(loaded, Path(tmp) / "results",
                                            replications=request.replications,
                                            seed=request.seed, sensitivity=request.sensitivity,
                                            workers=request.workers, progress=progress,
                                            warn=warnings.append)
        advance(0.92, "writing the report")
        report = write_report(folder, folder / "report.html")
        charts, answer = report_charts(folder)
        downloads = {name: (folder / name).read_bytes() for name in
                     ("summary.csv", "differences.csv", "replications.csv")}
        downloads["report.html"] = report.read_bytes()
        for name in ("robustness.csv", "worlds.csv"):
            if (folder / name).is_file():
                downloads[name] = (folder / name).read_bytes()
        from tipkit.sim.experiments.robust_runs import robustness_lines
        robust = robustness_lines(folder)
    downloads[f"{_slug(request.option.name)}.yaml"] = option_yaml(
        request.base, request.base_path.name, request.option).encode("utf-8")
    advance(1.0, "done")
    return Outcome(request, result.summaries, result.differences, answer, charts, downloads,
                   warnings, robust)


@dataclass
class AssumptionsOutcome:
    """Every assumption varied together around the base and the option: the chart of what the
    answer depends on, its sentence and table, and the files to download."""
    request: Request
    samples: int
    chart: Chart
    sentence: str
    table_html: str                   # what moves each headline KPI, and the ranges
    downloads: dict[str, bytes] = field(default_factory=dict)


def vary_assumptions(request: Request, population: VictimPopulation, samples: int = 8,
                     replications: int = 2, advance=None) -> AssumptionsOutcome:
    """`tipkit sim sensitivity` on the base and the option: Morris over every assumption the
    base's files mark, the option's levers held (they are the choice under study); the point
    with every assumption as written runs the request's replications."""
    from tipkit.sim.experiments import results, sensitivity
    from tipkit.sim.experiments.results import read_results
    from tipkit.sim.report import sensitivity as report_sensitivity
    from tipkit.sim.report.page import write_report

    advance = advance or (lambda fraction, label: None)
    scenarios = request.scenarios()
    if len(scenarios) < 2:
        raise UserError("the option needs its own name to be compared with the base")
    planned = sensitivity.plan(scenarios, _sources(request), trajectories=samples,
                               replications=replications, seed=request.seed,
                               nominal_replications=request.replications)
    total, done = planned.runs, [0]

    def progress(n: int) -> None:
        done[0] += n
        advance(0.95 * done[0] / total, f"{done[0]} of {total} runs "
                                        f"({len(planned.varied)} assumptions varied)")

    result = sensitivity.run(planned, population, workers=request.workers, progress=progress)
    advance(0.97, "writing the report")
    with tempfile.TemporaryDirectory(prefix="tipkit-app-") as tmp:
        folder = results.write_sensitivity(Path(tmp) / "sensitivity", result,
                                           results.provenance(population, request.seed),
                                           _sources(request))
        report = write_report(folder, folder / "report.html")
        found = read_results(folder)
        outcome = AssumptionsOutcome(request, samples, report_sensitivity.chart(found),
                                     report_sensitivity.sentence(found),
                                     report_sensitivity.section_html(found))
        outcome.downloads = {name: (folder / name).read_bytes() for name in
                             ("indices.csv", "factors.csv", "points.csv", "costs.csv")}
        outcome.downloads["sensitivity-report.html"] = report.read_bytes()
    advance(1.0, "done")
    return outcome


def report_charts(folder: Path) -> tuple[list[Chart], str]:
    """The report's charts and its plain-language answer for a results folder."""
    from tipkit.sim.report.page import report_content
    from tipkit.sim.experiments.results import read_results

    content = report_content(read_results(folder))
    return content.charts, content.answer


# ---- helpers --------------------------------------------------------------------------------

def _sources(request: Request) -> dict[str, str]:
    """Scenario text for the report's assumptions table: the base's files with their
    comments, and the option's file followed by the base's."""
    base_text = scenario_source(request.base_path)
    option_text = (f"# ---- {_slug(request.option.name)}.yaml\n"
                   + option_yaml(request.base, request.base_path.name, request.option)
                   + "\n" + base_text)
    return {request.base.name: base_text, request.option.name: option_text}


def _get(scenario: Scenario, dotted: str):
    node = scenario
    for part in dotted.split("."):
        node = getattr(node, part)
    return node


def _row(summaries: pd.DataFrame, scenario: str, kpi: str) -> tuple[float, float, float]:
    row = summaries[(summaries.scenario == scenario) & (summaries.kpi == kpi)]
    if row.empty:
        return (math.nan,) * 3
    r = row.iloc[0]
    return float(r["mean"]), float(r.ci_low), float(r.ci_high)


def _with_interval(kpi: str, values, format_value) -> str:
    mean, low, high = values
    if not math.isfinite(low):
        return format_value(kpi, mean)
    return f"{format_value(kpi, mean)} ({format_value(kpi, low)} to {format_value(kpi, high)})"


def _number(x: float) -> str:
    return f"{x:g}" if isinstance(x, float) else str(x)


def _slug(name: str) -> str:
    return "".join(c if c.isalnum() or c in "-_" else "-" for c in name).strip("-") or "option"
