"""A progress bar on stderr that appears only once a command has worked for a few seconds, so
quick commands, and errors found before the work starts, print nothing but their result."""

from __future__ import annotations

import sys
import threading
import time

import click

DELAY_SECONDS = 2.0


class Progress:
    """`with Progress(total, label) as progress: ... progress.advance(n, item)`. `total` None
    means unknown (the bar grows with the work). Nothing shows until DELAY_SECONDS have passed."""

    def __init__(self, total: int | None, label: str, *, show_eta: bool = True,
                 delay: float = DELAY_SECONDS):
        self.total, self.label, self.show_eta, self.delay = total, label, show_eta, delay
        self.done, self.item = 0, None
        self._bar = None
        self._lock = threading.Lock()
        self._timer = threading.Timer(delay, self._show)
        self._timer.daemon = True

    def __enter__(self) -> "Progress":
        self._started = time.monotonic()
        self._timer.start()
        return self

    def advance(self, n: int = 1, item: str | None = None) -> None:
        with self._lock:
            self.done += n
            self.item = item if item is not None else self.item
            if self._bar is None and time.monotonic() - self._started >= self.delay:
                self._open()
            elif self._bar is not None:
                self._grow()
                self._bar.update(n, self.item)

    def expect(self, total: int) -> None:
        """The work now expected in all (an estimate: the bar grows if more comes)."""
        with self._lock:
            self.total = total
            if self._bar is not None:
                self._bar.length = max(total, self.done + 1)

    def _show(self) -> None:
        with self._lock:
            if self._bar is None:
                self._open()

    def _open(self) -> None:
        self._bar = click.progressbar(
            length=max(self.total or self.done + 1, 1), label=self.label, file=sys.stderr,
            show_eta=self.show_eta, show_pos=self.total is not None and self.show_eta, width=30,
            item_show_func=lambda item: item)
        self._bar.__enter__()
        self._grow()
        self._bar.update(self.done, self.item)

    def _grow(self) -> None:
        # unknown, or more than estimated: the bar grows with the work
        if self.total is None or self.done >= self.total:
            self._bar.length = max(self._bar.length, self.done + 1)

    def __exit__(self, *failure) -> None:
        self._timer.cancel()
        with self._lock:
            if self._bar is not None:
                self._bar.__exit__(*failure)
