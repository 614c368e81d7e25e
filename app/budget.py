"""The budget view without the page: which scenarios it can search (single crossing points and
national networks), the decisions it offers for each, and one search (tipkit sim optimise) with
the answer, charts and files the page shows."""

from __future__ import annotations

import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from tipkit.sim.experiments.budget_runs import load_base
from tipkit.sim.experiments.decisions import cost_today, currency
from tipkit.sim.model.national import NationalScenario, is_national_file
from tipkit.sim.report.charts import Chart

# the decisions the page offers at each point: (key, label, the values from the scenario)
CHOICES = {
    "specialist_officers": "Specialist-trained officers",
    "egates.gates": "E-gates",
    "officers": "Officers at the desks",
}
EGATE_VALUES = (0, 2, 4, 6, 8)


def budget_scenarios(folder: Path) -> dict[str, Path]:
    """Scenario files the view can search: national networks (in `national/`) first, then the
    single crossing points, by file name."""
    folder = Path(folder)
    if not folder.is_dir():
        return {}
    national = {p.stem: p for p in sorted((folder / "national").glob("*.yaml"))
                if is_national_file(p)}
    single = {p.stem: p for p in sorted(folder.glob("*.yaml"))}
    return {**national, **single}


@dataclass(frozen=True)
class Choice:
    """One decision the user may tick: a point (None at a single point), a key, its values."""
    point: str | None
    key: str
    values: tuple

    @property
    def label(self) -> str:
        where = f"{self.point}: " if self.point else ""
        return f"{where}{CHOICES[self.key]} ({self.values[0]}-{self.values[-1]})"

    @property
    def spec(self) -> str:
        """As `tipkit sim optimise --decide` reads it."""
        key = f"{self.point}.{self.key}" if self.point else self.key
        return f"{key}={','.join(str(v) for v in self.values)}"


def choices(base) -> list[Choice]:
    """The decisions offered: specialist-trained officers at every point (0 to all its
    officers), and e-gates (0-8) where travellers arrive in flight or ferry banks; at a single
    point also a few more officers."""
    points = ([(p.name, p.scenario) for p in base.points] if isinstance(base, NationalScenario)
              else [(None, base)])
    out = []
    for name, s in points:
        out.append(Choice(name, "specialist_officers", tuple(range(s.officers + 1))))
        if s.arrivals.pattern == "flights":
            out.append(Choice(name, "egates.gates", EGATE_VALUES))
        if name is None:
            out.append(Choice(None, "officers", tuple(range(s.officers, s.officers + 5))))
    return out


def budget_facts(path: Path) -> tuple[float, str]:
    """Today's border-agency cost a year and the currency of a scenario file."""
    base = load_base(path)
    return cost_today(base), currency(base)


@dataclass
class BudgetRequest:
    """What the page asks to search."""
    path: Path
    extra: float                        # money a year on top of today's cost
    decide: tuple[str, ...]
    wait_limit: float | None = 45.0     # 95th percentile desk wait, at every point (minutes)
    specialists_limit: int | None = None
    seed: int = 1
    precision: float = 0.1
    most: int = 80
    workers: int | None = None
    posterior: Path | None = None       # a calibration's posterior.csv: finalists across it
    draws: int = 50

    def options(self) -> int:
        """Options the decisions span (before the budget and the limits rule any out)."""
        count = 1
        for spec in self.decide:
            count *= len(spec.split("=", 1)[1].split(","))
        return count

    def units(self) -> float:
        """Work for the time estimate: options x traveller-days a replication simulates at
        every point (the search gives most options only a few replications)."""
        base = load_base(self.path)
        scenarios = ([p.scenario for p in base.points] if isinstance(base, NationalScenario)
                     else [base])
        return self.options() * sum(s.arrivals.daily_volume * s.run.days for s in scenarios)

    def key(self, population_dir: Path) -> str:
        """The request's identity in the app's cache: the scenario files' text (the network's
        and its points'), the decisions, limits, search settings, seed and victims."""
        from tipkit.app.jobs import file_stamp, request_key
        from tipkit.app.releases import release_stamp
        from tipkit.sim.model.scenario_files import scenario_source

        base = load_base(self.path)
        files = [p.path for p in base.points] if isinstance(base, NationalScenario) else []
        return request_key("budget", scenario_source(self.path),
                           [scenario_source(f) for f in files], self.extra, self.decide,
                           self.constraints(), self.seed, self.precision, self.most,
                           release_stamp(population_dir), file_stamp(self.posterior),
                           self.draws)

    def constraints(self) -> list[str]:
        out = []
        if self.wait_limit is not None:
            out.append(f"desk_wait_p95<={self.wait_limit:g}")
        if self.specialists_limit is not None:
            out.append(f"specialist_officers<={self.specialists_limit}")
        return out


@dataclass
class BudgetOutcome:
    request: BudgetRequest
    answer_html: str
    charts: list[Chart]
    options: pd.DataFrame
    front: pd.DataFrame
    downloads: dict[str, bytes] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)   # e.g. a warm-up too short (MSER-5)
    robustness: list[str] = field(default_factory=list)  # across the calibrated worlds


def early_text(answer, currency: str = "GBP") -> str:
    """A first answer as the page shows it: the emulator's answer in the command line's words
    (sim.report.budget_page.emulated_text), or any other answer's text."""
    from tipkit.sim.report.budget_page import emulated_text

    if hasattr(answer, "best_changes") or (hasattr(answer, "best") and
                                           hasattr(answer, "finalists")):
        return emulated_text(answer, currency)
    return str(answer)


def run_budget(request: BudgetRequest, population_dir=None, advance=None,
               early=None) -> BudgetOutcome:
    """Search the options within the budget, then write the results folder and the report in a
    temporary folder and keep what the page shows and offers for download. `early(answer)`,
    when the search offers a first (emulated) answer before its confirmation, is handed it."""
    from tipkit.sim.experiments.budget_runs import best_option_file, optimise_scenario
    from tipkit.sim.experiments.results import read_results
    from tipkit.sim.report.budget_page import optimise_answer, report_charts
    from tipkit.sim.report.page import write_report

    advance = advance or (lambda fraction, label: None)
    done, warnings = [0], []

    def progress(n: int) -> None:
        # the number of replications is not known in advance: the bar approaches 90%
        done[0] += n
        advance(0.9 * done[0] / (done[0] + 400), f"{done[0]} replications run")

    # the emulator-led search hands its first answer (and the currency) to `early`
    extra = ({"early": lambda answer, currency: early(early_text(answer, currency))}
             if early is not None else {})
    with tempfile.TemporaryDirectory(prefix="tipkit-budget-") as tmp:
        found, folder = optimise_scenario(
            request.path, budget=f"+{request.extra:.2f}", decide=request.decide,
            constraints=request.constraints(), seed=request.seed, out=Path(tmp) / "results",
            population_dir=population_dir, most=request.most, precision=request.precision,
            workers=request.workers, progress=progress, warn=warnings.append,
            posterior=request.posterior, draws=request.draws, **extra)
        advance(0.92, "writing the report")
        report = write_report(folder, folder / "report.html")
        results = read_results(folder)
        downloads = {name: (folder / name).read_bytes() for name in
                     ("options.csv", "front.csv", "ranking.csv") if (folder / name).is_file()}
        downloads["report.html"] = report.read_bytes()
        if (folder / "robustness.csv").is_file():
            downloads["robustness.csv"] = (folder / "robustness.csv").read_bytes()
        if found.best is not None:
            # a download is saved beside the scenario searched, not in the results folder
            downloads["best.yaml"] = best_option_file(
                Path(request.path), load_base(request.path), found, folder,
                beside=True).encode("utf-8")
        outcome = BudgetOutcome(request, optimise_answer(results), report_charts(results),
                                results.tables["options"], results.tables["front"], downloads,
                                warnings, list((results.meta.get("robustness") or {})
                                               .get("sentences", [])))
    advance(1.0, "done")
    return outcome
