"""A few colleagues at once, in real browsers: the smaller version of
benchmarks/bench_app_sessions.py (3 sessions press Run together on 127.0.0.1). None fails or
hangs, each gets its answer, those behind were shown their place in the one queue, three
sessions asking the same question all get it, and the server stays well within memory."""

import importlib.util
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _benchmark():
    spec = importlib.util.spec_from_file_location(
        "bench_app_sessions", ROOT / "benchmarks" / "bench_app_sessions.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module          # its dataclasses look their module up
    spec.loader.exec_module(module)
    return module


@pytest.mark.slow
def test_three_sessions_at_once_each_get_their_answer_through_one_queue():
    bench = _benchmark()
    found = bench.measure(sessions=3, replications=2, jobs=1)
    many, same = found["many"], found["same"]
    assert [s.failure for s in many + same] == [None] * 6, found["log"][-2000:]
    assert all(s.answered is not None for s in many + same)
    # one run at a time for everyone: whoever pressed Run after the first saw a place
    assert any(s.places for s in many)
    assert found["peak"] < 4 * bench.GIB
    assert "Traceback" not in found["log"]
