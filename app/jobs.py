"""One queue of work for the whole app server: every session's runs wait their turn for a fixed
number of workers (each run uses the server's processes alone), each shows its place in the
queue and the time to start, one session may have only a few waiting or running, and a request
made before (runs are deterministic by seed) is answered from the cache at once."""

from __future__ import annotations

import collections
import functools
import hashlib
import json
import logging
import os
import pickle
import tempfile
import threading
import time
from pathlib import Path
from typing import Any, Callable

import tipkit
from tipkit.errors import UserError

Advance = Callable[[float, str], None]     # (fraction done 0-1, what is being done)
Early = Callable[[Any], None]              # a first answer, emulated, before the confirmed one
Work = Callable[[Advance, Early], Any]

_log = logging.getLogger(__name__)

# What a run costs before this server has measured one of its kind: seconds per unit of work
# (a what-if: per traveller-day simulated, replications of both scenarios counted; a budget
# search: per option and traveller-day of every point) on top of a fixed part (the warm-up
# check, the report). Measured on this 2-core machine under other work: an airport what-if
# of 20 replications in 14.5 s, the national budget question with its defaults in 172 s.
# Each finished run replaces the rate by the server's own measured speed.
PRIOR_SECONDS_PER_UNIT = {"whatif": 3.6e-5, "budget": 6.3e-7, "calibrate": 1.7e-5}
FIXED_SECONDS = {"whatif": 3.0, "budget": 5.0, "calibrate": 20.0}  # calibrate: the GP fits
SPEED_MEMORY = 0.5      # weight of the newest measurement in the running estimate


class QueueFull(UserError):
    """A session asked for more runs than one session may have waiting or running."""


class Job:
    """One piece of work: waiting in the queue, running, then done with its result or the one
    line a user should read if it failed. `work(advance, early)` returns the result; a
    UserError becomes `error` (its one line), anything else a short message too, since a page
    must never show a stack trace (the trace goes to the server's log)."""

    def __init__(self, work: Work | None, label: str = "waiting", *, kind: str = "run",
                 key: str | None = None, estimate: float | None = None, units: float = 0.0):
        self.kind, self.key, self.units = kind, key, units
        self.estimate = estimate        # seconds the run should take, from measured speed
        self.fraction = 0.0
        self.label = label
        self.result: Any = None
        self.error: str | None = None
        self.early_answer: Any = None   # the emulated first answer, until the result settles it
        self.cached = False             # answered from the cache, without running
        self.submitted = time.monotonic()
        self.started: float | None = None
        self.finished: float | None = None
        self._work = work
        self._done = threading.Event()

    @classmethod
    def answered(cls, result: Any, kind: str, key: str) -> "Job":
        """A job finished at once with a result from the cache."""
        job = cls(None, "answered from the cache", kind=kind, key=key, estimate=0.0)
        job.result, job.cached, job.fraction = result, True, 1.0
        job.started = job.finished = job.submitted
        job._done.set()
        return job

    def run(self) -> None:
        """Do the work in the calling thread (one of the queue's workers)."""
        self.started = time.monotonic()
        try:
            self.result = self._work(self.advance, self.early)
            self.fraction, self.label = 1.0, "done"
        except UserError as error:
            self.error = str(error)
        except Exception as error:      # noqa: BLE001 - shown as one line, logged in full
            _log.exception("background job failed")
            self.error = f"unexpected error ({type(error).__name__}): {error}"
        finally:
            self.finished = time.monotonic()
            self._work = None           # let go of what the work held (populations, requests)
            self._done.set()

    def advance(self, fraction: float, label: str) -> None:
        self.fraction = min(1.0, max(0.0, fraction))
        self.label = label

    def early(self, answer: Any) -> None:
        """Keep a first answer (the emulator's) to show, marked, until the result settles it."""
        self.early_answer = answer

    @property
    def state(self) -> str:
        if self._done.is_set():
            return "done"
        return "waiting" if self.started is None else "running"

    @property
    def running(self) -> bool:
        """Not finished yet: waiting in the queue or running."""
        return not self._done.is_set()

    @property
    def succeeded(self) -> bool:
        return self._done.is_set() and self.error is None

    def seconds_left(self) -> float | None:
        """The time this run still needs: its estimate while it waits; while it runs, what its
        progress so far implies (or the estimate less the time spent, before there is any)."""
        if not self.running:
            return 0.0
        if self.started is None:
            return self.estimate
        spent = time.monotonic() - self.started
        if self.fraction >= 0.05:
            return spent * (1 - self.fraction) / self.fraction
        return None if self.estimate is None else max(self.estimate - spent, 0.0)

    def wait(self, timeout: float | None = None) -> bool:
        """Block until the work ends (tests and scripts); True if it has."""
        return self._done.wait(timeout)


class Speeds:
    """Seconds per unit of work of each kind of run, as measured on this server."""

    def __init__(self, prior: dict[str, float] | None = None):
        self._rate = dict(PRIOR_SECONDS_PER_UNIT if prior is None else prior)
        self.measured: set[str] = set()
        self._lock = threading.Lock()

    def estimate(self, kind: str, units: float) -> float | None:
        rate = self._rate.get(kind)
        return (None if rate is None or units <= 0
                else FIXED_SECONDS.get(kind, 0.0) + rate * units)

    def record(self, kind: str, units: float, seconds: float) -> None:
        seconds -= FIXED_SECONDS.get(kind, 0.0)
        if units <= 0 or seconds <= 0:
            return
        with self._lock:
            rate = seconds / units
            if kind in self.measured:      # later runs refine the first measurement
                rate = SPEED_MEMORY * rate + (1 - SPEED_MEMORY) * self._rate[kind]
            self._rate[kind] = rate
            self.measured.add(kind)


class ResultCache:
    """Finished results by request key: the most recent `capacity` in memory (least recently
    used dropped first) and, if a folder is given, every one on disk, so that a restarted
    server still answers the questions asked before. The folder is the app's own: a file there
    is loaded as Python objects (pickle), so it must not be writable by anyone else."""

    def __init__(self, capacity: int = 32, folder: Path | None = None):
        self.capacity = capacity
        self.folder = None if folder is None else Path(folder)
        self._memory: collections.OrderedDict[str, Any] = collections.OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: str) -> Any | None:
        with self._lock:
            if key in self._memory:
                self._memory.move_to_end(key)
                return self._memory[key]
        if self.folder is None:
            return None
        path = self._path(key)
        try:
            with path.open("rb") as file:
                value = pickle.load(file)     # noqa: S301 - the app's own cache folder
        except FileNotFoundError:
            return None
        except Exception:                     # noqa: BLE001 - a damaged file is a cache miss
            _log.warning("cache file %s could not be read: ignored", path)
            return None
        self._remember(key, value)
        return value

    def put(self, key: str, value: Any) -> None:
        self._remember(key, value)
        if self.folder is None:
            return
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            # written whole, then renamed: a reader never sees half a file
            with tempfile.NamedTemporaryFile(dir=self.folder, suffix=".part",
                                             delete=False) as file:
                pickle.dump(value, file, protocol=pickle.HIGHEST_PROTOCOL)
            os.replace(file.name, self._path(key))
        except (OSError, pickle.PicklingError, TypeError, AttributeError) as error:
            _log.warning("result not cached on disk: %s", error)

    def _remember(self, key: str, value: Any) -> None:
        with self._lock:
            self._memory[key] = value
            self._memory.move_to_end(key)
            while len(self._memory) > self.capacity:
                self._memory.popitem(last=False)

    def _path(self, key: str) -> Path:
        return self.folder / f"{key}.pickle"


def request_key(kind: str, *parts: Any) -> str:
    """A request's identity: its kind and everything its result depends on (scenario
    content, settings, seed, the victims' file, the code that computes it), hashed."""
    text = json.dumps([kind, code_fingerprint(), *parts], sort_keys=True, default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def file_stamp(path) -> str | None:
    """A file's content, hashed (None for no file): a request that reads a file, such as a
    calibrated posterior, is the same request only with the same content."""
    if path is None:
        return None
    try:
        return hashlib.sha256(Path(path).read_bytes()).hexdigest()
    except OSError:
        return str(path)   # unreadable: the run itself says so in one line


@functools.cache
def code_fingerprint() -> str:
    """The simulation's and the app's code, hashed: a cached answer is never one that an
    older version of the model computed (the version number alone stays put between
    releases)."""
    import tipkit.app
    import tipkit.sim

    digest = hashlib.sha256(tipkit.__version__.encode())
    for package in (tipkit.sim, tipkit.app):
        root = Path(package.__file__).parent
        for path in sorted(root.rglob("*.py")):
            digest.update(str(path.relative_to(root)).encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


class JobQueue:
    """The server's runs, first come first served, on `workers` threads. A session may have
    at most `per_session` runs waiting or running; a request identical to one finished is
    answered from `cache`, and one identical to a run waiting or running joins that run."""

    def __init__(self, workers: int = 1, per_session: int = 2,
                 cache: ResultCache | None = None, speeds: Speeds | None = None):
        if workers < 1 or per_session < 1:
            raise UserError("the app needs at least one worker and one run per session")
        self.workers, self.per_session = workers, per_session
        self.cache = cache if cache is not None else ResultCache()
        self.speeds = speeds if speeds is not None else Speeds()
        self._waiting: collections.deque[Job] = collections.deque()
        self._running: list[Job] = []
        self._sessions: dict[str, list[Job]] = {}
        self._under_way: dict[str, Job] = {}      # key -> the run that will answer it
        self._changed = threading.Condition()
        self._threads: list[threading.Thread] = []

    def submit(self, session: str, work: Work, *, kind: str, label: str = "waiting",
               key: str | None = None, units: float = 0.0) -> Job:
        """Queue a run for a session (or answer it from the cache, or join the identical run
        under way); QueueFull if the session already has its most."""
        with self._changed:
            if key is not None:
                found = self.cache.get(key)
                if found is not None:
                    return Job.answered(found, kind, key)
            mine = [j for j in self._sessions.get(session, []) if j.running]
            joined = self._under_way.get(key) if key is not None else None
            if joined is not None and joined in mine:
                return joined
            if len(mine) >= self.per_session:
                raise QueueFull(
                    f"you already have {len(mine)} run{'s' if len(mine) > 1 else ''} waiting "
                    f"or running, the most one session may have on this server: wait for one "
                    "to finish")
            if joined is not None:
                job = joined
            else:
                job = Job(work, label, kind=kind, key=key, units=units,
                          estimate=self.speeds.estimate(kind, units))
                self._waiting.append(job)
                if key is not None:
                    self._under_way[key] = job
                self._start_workers()
                self._changed.notify()
            self._sessions[session] = mine + [job]
            return job

    def pending(self, session: str) -> int:
        """Runs of a session waiting or running."""
        with self._changed:
            return sum(j.running for j in self._sessions.get(session, []))

    def position(self, job: Job) -> int:
        """1 for the next run to start, 2 for the one after...; 0 once it runs or is done."""
        with self._changed:
            try:
                return self._waiting.index(job) + 1
            except ValueError:
                return 0

    def seconds_to_start(self, job: Job | None = None) -> float | None:
        """When a waiting job (or, without one, a new run) should start: the workers' runs
        finish and those ahead take their estimated time. None when a run ahead has no
        estimate yet."""
        with self._changed:
            running = list(self._running)
            ahead = (list(self._waiting) if job is None or job not in self._waiting
                     else list(self._waiting)[:self._waiting.index(job)])
        if job is not None and job.state != "waiting":
            return 0.0
        free = [r.seconds_left() for r in running] + [0.0] * (self.workers - len(running))
        if any(t is None for t in free) or any(a.estimate is None for a in ahead):
            return None
        for waiting in ahead:          # each run ahead takes the first worker free
            free.sort()
            free[0] += waiting.estimate
        return min(free)

    def waiting(self) -> int:
        with self._changed:
            return len(self._waiting)

    def _start_workers(self) -> None:
        while len(self._threads) < self.workers:
            thread = threading.Thread(target=self._serve, daemon=True,
                                      name=f"tipkit-app-worker-{len(self._threads) + 1}")
            self._threads.append(thread)
            thread.start()

    def _serve(self) -> None:
        while True:
            with self._changed:
                while not self._waiting:
                    self._changed.wait()
                job = self._waiting.popleft()
                self._running.append(job)
            job.run()
            with self._changed:
                self._running.remove(job)
                if job.key is not None:
                    self._under_way.pop(job.key, None)
                    if job.succeeded:
                        self.cache.put(job.key, job.result)
                if job.succeeded:
                    self.speeds.record(job.kind, job.units, job.finished - job.started)
                for session, jobs in list(self._sessions.items()):
                    kept = [j for j in jobs if j.running]
                    if kept:
                        self._sessions[session] = kept
                    else:
                        del self._sessions[session]


_SERVER_QUEUE: tuple[tuple, JobQueue] | None = None
_SERVER_LOCK = threading.Lock()


def server_queue(workers: int = 1, per_session: int = 2, cache_folder: Path | None = None
                 ) -> JobQueue:
    """The one queue of this server process, shared by every session (a module's state
    outlives the page scripts' reruns). Asked with other settings, it starts a new queue: the
    old one finishes what it holds."""
    global _SERVER_QUEUE
    wanted = (workers, per_session, None if cache_folder is None else str(cache_folder))
    with _SERVER_LOCK:
        if _SERVER_QUEUE is None or _SERVER_QUEUE[0] != wanted:
            _SERVER_QUEUE = (wanted, JobQueue(workers, per_session,
                                              ResultCache(folder=cache_folder)))
        return _SERVER_QUEUE[1]


def about(seconds: float | None) -> str:
    """A duration as a page says it: 'about 40 s', 'about 3 min'."""
    if seconds is None:
        return "unknown"
    if seconds < 1:
        return "under a second"
    if seconds < 90:
        return f"about {max(1, round(seconds / 5) * 5 if seconds >= 10 else round(seconds))} s"
    return f"about {round(seconds / 60)} min"
