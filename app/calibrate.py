"""The app's Calibrate step: calibrate a scenario's assumptions to an agency's observed facts
(the library function behind `tipkit sim calibrate`), and keep what the page shows, offers for
download and hands on to the what-if and budget pages (the posterior's path)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from tipkit.app.budget import budget_scenarios, load_base
from tipkit.sim.model.national import NationalScenario

FACTS_FOLDER = "observed"     # beside the scenarios: the facts files the page offers
DOWNLOADS = ("posterior.csv", "calibrated.yaml", "checks.csv", "calibration.txt")

calibration_scenarios = budget_scenarios   # the same files: networks first, then single points


def facts_files(scenarios: Path) -> dict[str, Path]:
    """The observed-facts files shipped beside the scenarios, by file name."""
    folder = Path(scenarios) / FACTS_FOLDER
    return {p.stem: p for p in sorted(folder.glob("*.yaml"))} if folder.is_dir() else {}


@dataclass(frozen=True)
class CalibrationRequest:
    """What the page asks to calibrate."""
    scenario: Path
    facts: Path
    seed: int = 1
    replications: int = 4
    points: int | None = None        # None: the command's default design
    workers: int | None = None

    def key(self, release: Path) -> str:
        """The request's identity in the app's cache: the scenario files' and the facts' text,
        the settings, the seed and the victims (results do not depend on the processes)."""
        from tipkit.app.jobs import file_stamp, request_key
        from tipkit.app.releases import release_stamp
        from tipkit.sim.model.scenario_files import scenario_source

        base = load_base(self.scenario)
        files = [p.path for p in base.points] if isinstance(base, NationalScenario) else []
        return request_key("calibrate", scenario_source(self.scenario),
                           [scenario_source(f) for f in files], file_stamp(self.facts),
                           self.seed, self.replications, self.points, release_stamp(release))

    def units(self, release: Path) -> float:
        """Work for the time estimate: the replications the calibration simulates x the
        travellers a replication simulates at every point."""
        from tipkit.sim.experiments.calibration_runs import prepare, total_runs

        setup = prepare(self.scenario, self.facts, population_dir=release, seed=self.seed)
        base = setup.scenario
        scenarios = ([p.scenario for p in base.points] if isinstance(base, NationalScenario)
                     else [base])
        day = sum(s.arrivals.daily_volume * s.run.days for s in scenarios)
        return total_runs(setup, self.points, self.replications) * day / len(scenarios)


@dataclass
class CalibrationOutcome:
    """One finished calibration: its words, its checks, where its folder is (the posterior the
    other pages take) and its files for download."""
    request: CalibrationRequest
    text: str
    checks: pd.DataFrame
    folder: Path
    downloads: dict[str, bytes] = field(default_factory=dict)

    @property
    def posterior(self) -> Path:
        return self.folder / "posterior.csv"


def calibration_folder(runs: Path, request: CalibrationRequest) -> Path:
    """Where the app writes a calibration: one folder per scenario, facts and seed (the same
    request gives the same bytes, so writing it again replaces it with itself)."""
    return Path(runs) / f"{request.scenario.stem}-{request.facts.stem}-seed{request.seed}"


def run_calibration(request: CalibrationRequest, population_dir: Path, runs: Path,
                    advance=None) -> CalibrationOutcome:
    """Calibrate (checked before any work, as the command is), write the folder under `runs`
    and keep what the page shows."""
    from tipkit.sim.experiments import calibration_runs as cr

    advance = advance or (lambda fraction, label: None)
    out = calibration_folder(runs, request)
    setup = cr.prepare(request.scenario, request.facts, population_dir=population_dir,
                       out=out, force=True, seed=request.seed)
    total = cr.total_runs(setup, request.points, request.replications)
    done = [0]

    def progress(n: int) -> None:
        done[0] += n
        advance(min(0.95, done[0] / total), f"{done[0]:,} of about {total:,} replications")

    found, folder = cr.run_calibration(setup, out=out, points=request.points,
                                       replications=request.replications, seed=request.seed,
                                       force=True, workers=request.workers, progress=progress,
                                       long_ok=True)
    advance(1.0, "done")
    downloads = {name: (folder / name).read_bytes() for name in DOWNLOADS
                 if (folder / name).is_file()}
    return CalibrationOutcome(request, cr.text(found, timed=False), found.checks, Path(folder),
                              downloads)
