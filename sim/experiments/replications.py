"""Running replications where the work is: in this process, on all local cores, or on a Dask
cluster. Each task is a batch of whole replications that returns KPI summaries only."""

from __future__ import annotations

import math
import os
import signal
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, replace
from typing import Callable, Hashable, Iterable

import pandas as pd

from tipkit.sim.model.kpis import DIRECT_KPIS, KPIS
from tipkit.sim.model.border import simulate
from tipkit.sim.model.population import VictimPopulation
from tipkit.sim.model.scenario import Scenario
from tipkit.sim.experiments.stats import t_interval
from tipkit.errors import UserError

Progress = Callable[[int], None]   # called with the number of replications just finished
CONNECT_TIMEOUT = "10s"            # how long to try reaching a Dask scheduler


@dataclass(frozen=True)
class Job:
    """Some replications of one scenario (or sweep cell), identified by `key`. A crossing point
    of a national network draws its victims from its own legs (`population`: a key into the
    mapping of populations passed to `execute`) on its own seed (`seed`, instead of the run's)."""
    key: Hashable
    scenario: Scenario
    replications: tuple[int, ...]
    population: Hashable | None = None
    seed: int | None = None


def run_batch(job: Job, population: VictimPopulation, seed: int
              ) -> tuple[Hashable, list[tuple[int, dict]]]:
    """Run a job's replications and keep their KPIs: `execute`'s default task."""
    return job.key, [(r, simulate(job.scenario, population, seed, r).kpis)
                     for r in job.replications]


def run_own(task: Callable, job: Job, population, seed: int):
    """Run `task` on a job with the job's own victims and seed (see `Job`); the unit of work sent
    to a process or a Dask worker, so that no task needs to know about national networks."""
    victims = population if job.population is None else population[job.population]
    return task(job, victims, seed if job.seed is None else job.seed)


def execute(jobs: list[Job], population, seed: int, *,
            workers: int | None = None, scheduler: str | None = None,
            progress: Progress | None = None, task: Callable = run_batch
            ) -> dict[Hashable, dict[int, dict]]:
    """Run every job and return {key: {replication: result}}. The results depend only on the
    seed and the jobs, never on where or in which order they ran. `population` is a
    VictimPopulation, or a mapping of them when jobs name theirs (`Job.population`). `task`
    (default `run_batch`: the KPIs) is what runs a batch on one population and seed, for
    experiments that need more than the KPIs."""
    batches = _split(jobs, workers or os.cpu_count() or 1, scheduler is not None)
    results: dict[Hashable, dict[int, dict]] = {job.key: {} for job in jobs}

    def collect(key, rows):
        results[key].update(rows)
        if progress is not None:
            progress(len(rows))

    if scheduler is not None:
        _on_dask(batches, population, seed, scheduler, collect, task)
    elif (workers or os.cpu_count() or 1) == 1 or len(batches) == 1:
        for batch in batches:
            collect(*run_own(task, batch, population, seed))
    else:
        _on_local_processes(batches, population, seed, workers or os.cpu_count() or 1, collect,
                            task)
    return results


def _on_local_processes(batches, population, seed, workers, collect, task) -> None:
    """Each process receives the population once, then small tasks (a scenario and some
    replication numbers), so that many small batches keep every core busy to the end.
    On Ctrl-C, SIGTERM or any error, the workers are killed at once: no queued batch runs on."""
    pool = ProcessPoolExecutor(max_workers=workers, initializer=_settle, initargs=(population,))
    try:
        futures = [pool.submit(_run_settled, b, seed, task) for b in batches]
        for future in as_completed(futures):
            collect(*future.result())
    except BaseException:
        # the processes are the pool's own (Python 3.14 names this terminate_workers())
        workers_left = list((pool._processes or {}).values())  # noqa: SLF001
        manager = pool._executor_manager_thread  # noqa: SLF001
        for process in workers_left:
            process.kill()
        pool.shutdown(wait=False, cancel_futures=True)
        for process in workers_left:
            process.join(timeout=5)
        # Let the pool's manager thread finish closing its pipe now: at exit, Python 3.11
        # would otherwise write to that pipe as it closes and print a traceback.
        if manager is not None:
            manager.join(timeout=5)
        raise
    pool.shutdown()


_SETTLED = None   # this process's population (or mapping of them), received once


def _settle(population) -> None:
    global _SETTLED
    _SETTLED = population
    # Ctrl-C reaches the whole process group: the parent alone answers it (and ends us), and
    # SIGTERM ends a worker outright, not through the handler the parent's fork left here.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)


def _run_settled(job: Job, seed: int, task: Callable):
    return run_own(task, job, _SETTLED, seed)


def _split(jobs: list[Job], workers: int, remote: bool) -> list[Job]:
    """Cut jobs into batches: enough of them to keep every worker busy to the end, few enough
    that scheduling costs little."""
    total = sum(len(j.replications) for j in jobs)
    per_batch = max(1, math.ceil(total / (workers * (16 if remote else 32))))
    batches = []
    for job in jobs:
        reps = job.replications
        for start in range(0, len(reps), per_batch):
            batches.append(replace(job, replications=reps[start:start + per_batch]))
    return batches


# glibc's malloc settings: Dask's nanny starts workers with MALLOC_TRIM_THRESHOLD_=65536
# (distributed.nanny.pre-spawn-environ), which also fixes the mmap threshold at 128 KiB; the
# simulation's many small objects and arrays then cost 15-25% more CPU than in a local process
# (bench: one point's 8 replications 0.67 s against 0.53 s of CPU). Set back to the most glibc's
# own dynamic thresholds reach (64-bit: mmap 32 MiB, trim twice that).
M_TRIM_THRESHOLD, M_MMAP_THRESHOLD = -1, -3
_MALLOC_SET = False


def roomy_malloc() -> bool:
    """glibc's dynamic malloc thresholds, at their usual ceiling, in this process (once); False
    where there is no glibc (macOS, musl), which then keeps its own."""
    global _MALLOC_SET
    if not _MALLOC_SET:
        _MALLOC_SET = True
        try:
            import ctypes

            libc = ctypes.CDLL("libc.so.6")
            libc.mallopt(M_TRIM_THRESHOLD, 64 << 20)
            libc.mallopt(M_MMAP_THRESHOLD, 32 << 20)
        except (OSError, AttributeError):
            return False
    return True


def run_on_worker(task: Callable, job: Job, population, seed: int):
    """`run_own` on a Dask worker, with malloc as a local process has it (see above)."""
    roomy_malloc()
    return run_own(task, job, population, seed)


def _on_dask(batches, population, seed, scheduler, collect, task) -> None:
    try:
        from distributed import Client, as_completed as dask_completed
    except ImportError:  # pragma: no cover - a dependency of tipkit
        raise UserError("--scheduler needs dask[distributed] installed") from None
    try:
        client = scheduler if not isinstance(scheduler, str) else Client(scheduler, timeout=CONNECT_TIMEOUT)
    except (OSError, TimeoutError) as error:
        raise UserError(f"cannot reach the Dask scheduler at {scheduler}: {error}") from None
    own = isinstance(scheduler, str)
    futures = []
    try:
        # in a list, so that a mapping of populations travels as one object
        shared = client.scatter([population], broadcast=True)[0]
        futures = [client.submit(run_on_worker, task, b, shared, seed, pure=False)
                   for b in batches]
        for future in dask_completed(futures):
            collect(*future.result())
    except BaseException:
        client.cancel(futures)  # stopped or failed: the cluster drops the batches still queued
        raise
    finally:
        if own:
            client.close()


# ---- tables ---------------------------------------------------------------------------------

def replications_table(results: dict[int, dict]) -> pd.DataFrame:
    """One row per replication, one column per KPI, in replication order; then the direct
    counts of the virtual-victim KPIs (`*_direct`), kept to check the estimates against."""
    rows = [{"replication": r, **results[r]} for r in sorted(results)]
    columns = ["replication"] + [k.name for k in KPIS + DIRECT_KPIS]
    return pd.DataFrame(rows, columns=columns)


def summary_table(replications: pd.DataFrame, kpis=KPIS) -> pd.DataFrame:
    """Mean and 95% t-interval of each KPI over replications (n counts replications where the
    KPI is defined, e.g. a group with at least one victim)."""
    rows = []
    for k in kpis:
        mean, low, high, n = t_interval(replications[k.name].tolist())
        # an interval never reaches values the KPI cannot take (below 0, or a share above 1)
        low = max(low, 0.0) if n > 1 else low
        high = min(high, 1.0) if n > 1 and k.form == "share" else high
        rows.append({"kpi": k.name, "mean": mean, "ci_low": low, "ci_high": high, "n": n})
    return pd.DataFrame(rows, columns=["kpi", "mean", "ci_low", "ci_high", "n"])


def run_replications(scenario: Scenario, population: VictimPopulation, seed: int,
                     replications: int | Iterable[int], **where) -> pd.DataFrame:
    """Replications of one scenario: the replications table (see `replications_table`)."""
    reps = tuple(range(replications)) if isinstance(replications, int) else tuple(replications)
    results = execute([Job("run", scenario, reps)], population, seed, **where)
    return replications_table(results["run"])
