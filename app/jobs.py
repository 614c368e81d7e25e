"""Work that runs in a background thread while the page stays live: its progress (a fraction
and what is being done), then its result or the one line a user should read if it failed."""

from __future__ import annotations

import logging
import threading
from typing import Any, Callable

from tipkit.errors import UserError

Advance = Callable[[float, str], None]     # (fraction done 0-1, what is being done)

_log = logging.getLogger(__name__)


class Job:
    """One piece of work, started at once in a daemon thread. `work(advance)` returns the
    result; a UserError becomes `error` (its one line), anything else a short message too,
    since a page must never show a stack trace (the trace goes to the server's log)."""

    def __init__(self, work: Callable[[Advance], Any], label: str = "starting"):
        self.fraction = 0.0
        self.label = label
        self.result: Any = None
        self.error: str | None = None
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._run, args=(work,), daemon=True,
                                        name=f"tipkit-app-{label}")
        self._thread.start()

    def _run(self, work) -> None:
        try:
            self.result = work(self.advance)
            self.fraction, self.label = 1.0, "done"
        except UserError as error:
            self.error = str(error)
        except Exception as error:      # noqa: BLE001 - shown as one line, logged in full
            _log.exception("background job failed")
            self.error = f"unexpected error ({type(error).__name__}): {error}"
        finally:
            self._done.set()

    def advance(self, fraction: float, label: str) -> None:
        self.fraction = min(1.0, max(0.0, fraction))
        self.label = label

    @property
    def running(self) -> bool:
        return not self._done.is_set()

    @property
    def succeeded(self) -> bool:
        return self._done.is_set() and self.error is None

    def wait(self, timeout: float | None = None) -> bool:
        """Block until the work ends (tests and scripts); True if it has."""
        return self._done.wait(timeout)
