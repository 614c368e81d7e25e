"""Where the app finds its scenarios, releases and published-figures files: folders that
`tipkit app` passes to the Streamlit server in environment variables."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from tipkit.synth.published import FOLDER as PUBLISHED_FOLDER

# the server runs the page scripts in another process: settings travel in its environment
RELEASES = "TIPKIT_APP_RELEASES"
SCENARIOS = "TIPKIT_APP_SCENARIOS"
PUBLISHED = "TIPKIT_APP_PUBLISHED"
JOBS = "TIPKIT_APP_JOBS"
RUNS_AT_ONCE = "TIPKIT_APP_RUNS_AT_ONCE"
PER_SESSION = "TIPKIT_APP_PER_SESSION"
CACHE = "TIPKIT_APP_CACHE"


@dataclass(frozen=True)
class Settings:
    """The folders the app reads and writes, how many processes a run may use, and how the
    server's one queue serves its sessions."""
    releases: Path
    scenarios: Path
    published: Path
    jobs: int | None = None          # None: every core
    runs_at_once: int = 1            # runs the whole server does at once (each uses `jobs`)
    per_session: int = 2             # runs one session may have waiting or running
    cache: Path | None = None        # folder of finished results; None: in memory only

    def environment(self) -> dict[str, str]:
        """The settings as environment variables for the server process."""
        env = {RELEASES: str(self.releases), SCENARIOS: str(self.scenarios),
               PUBLISHED: str(self.published), RUNS_AT_ONCE: str(self.runs_at_once),
               PER_SESSION: str(self.per_session)}
        if self.jobs is not None:
            env[JOBS] = str(self.jobs)
        if self.cache is not None:
            env[CACHE] = str(self.cache)
        return env

    @property
    def cores(self) -> int:
        """Processes one run uses."""
        return self.jobs or os.cpu_count() or 1


def current() -> Settings:
    """The settings the server was started with; the current folder's `releases` and
    `scenarios` when started some other way (e.g. `streamlit run app/screens/app_main.py`)."""
    jobs, cache = os.environ.get(JOBS), os.environ.get(CACHE)
    return Settings(releases=Path(os.environ.get(RELEASES, "releases")),
                    scenarios=Path(os.environ.get(SCENARIOS, "scenarios")),
                    published=Path(os.environ.get(PUBLISHED, str(PUBLISHED_FOLDER))),
                    jobs=int(jobs) if jobs else None,
                    runs_at_once=int(os.environ.get(RUNS_AT_ONCE) or 1),
                    per_session=int(os.environ.get(PER_SESSION) or 2),
                    cache=Path(cache) if cache else None)


def shown(path: Path) -> str:
    """A folder as the page names it: relative to where the app was started, if inside it."""
    try:
        return str(Path(path).resolve().relative_to(Path.cwd().resolve())) or "."
    except ValueError:
        return str(path)


def no_scenarios(config) -> str:
    """What a page that starts from a scenario says when the scenarios folder holds none."""
    return (f"No scenario files in {shown(config.scenarios)}: start the app from the tipkit "
            "folder or pass --scenarios DIR to tipkit app.")
