"""The emulator-led search of `tipkit sim optimise`: the exact combination of point settings
(an integer program) is the best combination, the search finds what exhaustive search finds
on a small space, and the answer marks what is emulated."""

from __future__ import annotations

import itertools
import json

import numpy as np
import pandas as pd
from click.testing import CliRunner

from tipkit.cli import main
from tipkit.sim.experiments.decisions import decision_space, parse_constraint, parse_decision
from tipkit.sim.experiments.emulated_search import best_combinations, emulated_optimise
from tipkit.sim.experiments.optimise import OBJECTIVE, meets_constraints
from tipkit.sim.model.costs import border_cost_per_year

from test_sim_national import write_network
from test_sim_support import population, release, small_scenario  # noqa: F401 (fixtures)


def test_the_integer_program_finds_the_best_combinations_that_listing_every_option_finds():
    rng = np.random.default_rng(5)
    sizes = (4, 3, 5)
    values = [rng.normal(size=n) for n in sizes]
    costs = [rng.integers(0, 10, size=n).astype(float) for n in sizes]
    officers = [np.arange(n, dtype=float) for n in sizes]
    allowed = [rng.random(n) > 0.2 for n in sizes]
    budget, most_officers = 14.0, 6.0
    found = best_combinations(values, costs, allowed, budget,
                              [(officers, most_officers, True)], 4)
    listed = []
    for pick in itertools.product(*(range(n) for n in sizes)):
        if (all(a[s] for a, s in zip(allowed, pick))
                and sum(c[s] for c, s in zip(costs, pick)) <= budget
                and sum(o[s] for o, s in zip(officers, pick)) <= most_officers):
            listed.append((-sum(v[s] for v, s in zip(values, pick)), pick))
    listed.sort()
    assert found == [pick for _, pick in listed[:4]]


def test_the_emulator_led_search_finds_the_exhaustive_searchs_best_on_a_small_space(population):
    """40 options at one crossing point (officers x specialist-trained officers x e-gates) and
    a queue limit: the emulator-led search's best is the best of every option simulated to the
    same replications (or one it cannot tell from it), and it simulates fewer replications."""
    base = small_scenario({"officers": 3, "victims.share": 0.1, "run.days": 0.1,
                           "arrivals.daily_volume": 1200, "training.basic_share": 0})
    decisions = [parse_decision(s, None) for s in ("officers=3..5", "specialist_officers=0..5",
                                                   "egates.gates=0..2")]
    limits = [parse_constraint("desk_wait_p95<=10", None)]
    space, _ = decision_space(base, decisions, border_cost_per_year(base) + 500_000,
                              population, 1)
    seen = []
    found, emulated = emulated_optimise(base, space, population, 1, limits, workers=1,
                                        precision=0.08, early=seen.append)
    assert len(seen) == 1 and seen[0].best is not None       # the early, emulated answer
    within = np.flatnonzero(space.within)
    sims = found.simulations
    used = sims.simulated
    sims.ensure(within, found.replications)                  # exhaustive search, same seeds
    x = sims.series(within, OBJECTIVE, found.replications)
    means = dict(zip(within.tolist(), np.nanmean(x, axis=1).tolist()))
    ok = meets_constraints(sims, within, found.replications, limits)
    top = max(m for m, good in zip(means.values(), ok) if good)
    print(f"\n{len(space.choice)} options, {len(within)} within the budget: emulator-led "
          f"{used} replications, exhaustive {found.exhaustive_replications}")
    assert found.best is not None and space.within[found.best]
    assert means[found.best] >= top - 0.005
    assert used < found.exhaustive_replications
    # the emulated table covers every option within the budget; the finalists were simulated
    assert sorted(emulated.table.option) == within.tolist()
    assert set(emulated.table.option[emulated.table.confirmed_by_simulation]) == set(
        emulated.finalists) & set(within.tolist())
    assert found.best in set(emulated.finalists) | {space.today}


def test_a_national_search_by_emulator_answers_early_and_marks_what_is_emulated(
        tmp_path, release):
    path = write_network(tmp_path / "net")
    out = tmp_path / "opt"
    result = CliRunner().invoke(main, [
        "sim", "optimise", str(path), "--budget", "+30000",
        "--decide", "road.specialist_officers=0..3", "--decide", "rail.specialist_officers=0..3",
        "--constraint", "specialist_officers<=3", "--precision", "0.3", "--max-replications",
        "20", "--jobs", "1", "--population", str(release), "--out", str(out)])
    assert result.exit_code == 0, result.output + result.stderr
    assert "Expected: about" in result.stderr
    assert "First answer (EMULATED, not yet confirmed by simulation)" in result.stderr
    assert "every figure above is simulated" in result.stdout
    meta = json.loads((out / "run.json").read_text())
    assert meta["method"] == "emulator" and "emulated.csv" in meta["figures"]
    emulated = pd.read_csv(out / "emulated.csv")
    assert len(emulated) == meta["options_within"]
    assert emulated.emulated_ci_low.le(emulated.identification_rate_emulated).all()
    assert meta["point_simulations"] <= meta["exhaustive_point_simulations"]


def test_the_progress_bar_takes_an_estimate_and_grows_past_it():
    from tipkit.progress import Progress

    with Progress(None, "work", delay=0) as bar:
        bar.expect(10)
        bar.advance(4)
        assert bar._bar.length == 10                # the estimate: a bar with time left
        bar.advance(9)
        assert bar._bar.length >= 14                # more work than estimated: it grows
