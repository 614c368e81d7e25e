"""The DP engine's parts: the adaptive choice of tables, the fitted model, the refined counts."""

import numpy as np
import pandas as pd
import pytest

from tipkit.synth.microdata import marginals as model
from tipkit.synth.microdata.accounting import Budget
from tipkit.synth.microdata.estimation import combined, estimate
from tipkit.synth.microdata.refine import maximal, refine
from tipkit.synth.microdata.selection import private_model
from tipkit.synth.release.domain import Domain

DOMAIN = Domain(("A", "B", "C", "D"), (("a0", "a1", "a2"), ("b0", "b1", "b2"), ("c0", "c1"),
                                       ("d0", "d1")))


def _records(rows=6000, seed=0):
    """B copies A nine times in ten; C and D are independent coins."""
    rng = np.random.default_rng(seed)
    a = rng.integers(0, 3, rows)
    b = np.where(rng.random(rows) < 0.9, a, rng.integers(0, 3, rows))
    return np.column_stack([a, b, rng.integers(0, 2, rows), rng.integers(0, 2, rows)])


def _fit(epsilon=2.0, seed=0):
    budget = Budget(epsilon, 1e-6)
    rng, support_rng = (np.random.default_rng(s) for s in np.random.SeedSequence(seed).spawn(2))
    return private_model(_records(), DOMAIN, 11, budget, rng, support_rng, _pairs), budget


def _pairs(kept: Domain):
    return model.workload(kept.columns, 2)


def test_rounds_spend_the_whole_budget_on_choices_each_followed_by_its_measurement():
    fitted, budget = _fit()
    assert budget.spent == pytest.approx(budget.rho, rel=1e-9)
    kinds = [s.mechanism for s in budget.ledger]
    assert kinds[:4] == ["Gaussian"] * 4  # the one-way tables first
    rounds = kinds[4:]
    assert rounds == ["exponential", "Gaussian"] * (len(rounds) // 2) and rounds
    assert len(fitted.measurements) == 4 + len(rounds) // 2


def test_the_dependent_pair_is_chosen_first_and_the_model_learns_it():
    fitted, budget = _fit()
    assert budget.ledger[5].measurement == "2-way A x B"
    truth = model.marginal(_records(), DOMAIN, ("A", "B"))
    learnt = model.marginal(fitted.support, fitted.domain, ("A", "B"), fitted.weights)
    assert np.abs(learnt - truth / truth.sum()).sum() < 0.05
    independent = np.outer(truth.reshape(3, 3).sum(1), truth.reshape(3, 3).sum(0)).ravel()
    assert np.abs(independent / independent.sum() - truth / truth.sum()).sum() > 0.5


def test_a_table_is_measured_again_only_with_less_noise():
    fitted, _ = _fit(epsilon=8.0)
    seen = {}
    for m in fitted.measurements[4:]:
        if m.columns in seen:
            assert m.sigma < seen[m.columns]
        seen[m.columns] = m.sigma


def test_same_seed_same_model_and_another_seed_another():
    first, _ = _fit(seed=3)
    again, _ = _fit(seed=3)
    other, _ = _fit(seed=4)
    assert np.array_equal(first.support, again.support)
    assert np.array_equal(first.weights, again.weights)
    assert not np.array_equal(first.measurements[0].counts, other.measurements[0].counts)


def test_the_release_targets_are_the_models_own_tables():
    fitted, _ = _fit()
    tables = fitted.tables()
    assert {t.columns for t in tables} >= {("A",), ("A", "B"), ("C", "D")}
    for t in tables:  # consistent, never negative, and in records
        assert (t.counts >= 0).all() and t.counts.sum() == pytest.approx(fitted.total)


def test_an_ordered_column_merges_rare_values_into_the_nearest_kept_one():
    domain = Domain(("age",), (("0-4", "5-9", "10-14", "15-19"),))
    kept, maps = model.compress(domain, {"age": np.array([50.0, 3.0, 40.0, 2.0])}, 11,
                                ordered=("age",))
    assert kept.values == (("0-4", "10-14"),)
    assert maps[0].tolist() == [0, 0, 1, 1]  # 5-9 to 0-4 (a tie goes lower), 15-19 to 10-14
    other, _ = model.compress(domain, {"age": np.array([50.0, 3.0, 40.0, 2.0])}, 11)
    assert other.values == (("0-4", "10-14", "Other"),)
    # Blank and "Other" are no bins: rare, they are merged into "Other" as in any column.
    coded = Domain(("age",), (("0-4", "5-9", "10-14", "Other", ""),))
    kept, maps = model.compress(coded, {"age": np.array([50.0, 3.0, 40.0, 1.0, 2.0])}, 11,
                                ordered=("age",))
    assert kept.values == (("0-4", "10-14", "Other"),)
    assert maps[0].tolist() == [0, 0, 1, 2, 2]


def test_repeated_measurements_are_averaged_by_their_precision():
    first = model.Measurement(("A",), np.array([10.0, 0.0]), 1.0)
    second = model.Measurement(("A",), np.array([20.0, 6.0]), 2.0)
    [both] = combined([first, second])
    # weights 1 and 1/4: (10 + 20/4) / 1.25 = 12, (0 + 6/4) / 1.25 = 1.2
    assert both.counts.tolist() == pytest.approx([12.0, 1.2])
    assert both.sigma == pytest.approx(1 / np.sqrt(1.25))


def test_maximum_likelihood_recovers_a_distribution_from_its_tables():
    domain = Domain(("A", "B"), (("0", "1"), ("0", "1")))
    support = np.array([[0, 0], [0, 1], [1, 0], [1, 1]])
    truth = np.array([0.4, 0.1, 0.1, 0.4])
    tables = [model.Measurement(c, model.marginal(support, domain, c, truth * 1000), 1.0)
              for c in (("A",), ("B",), ("A", "B"))]
    shares = estimate(support, np.ones(4), domain, tables, 1000.0, 300)
    assert shares == pytest.approx(truth, abs=1e-3)


def test_refined_counts_keep_k_and_the_total_and_come_closer_to_the_targets():
    domain = Domain(("A", "B"), (("0", "1"), ("0", "1")))
    pool = np.array([[0, 0], [0, 1], [1, 0], [1, 1]])
    target = model.Measurement(("A", "B"), np.array([30.0, 0.0, 5.0, 25.0]))
    start = np.array([20, 0, 20, 20])
    counts = refine(pool, start, domain, [target], [("A", "B")], k=5)
    assert counts.sum() == 60
    assert all(c == 0 or c >= 5 for c in counts)
    assert np.abs(counts - target.counts).sum() < np.abs(start - target.counts).sum()
    assert counts.tolist() == [30, 0, 5, 25]


def test_a_protected_table_inside_another_adds_no_constraint():
    tables = [("A", "B", "C"), ("A", "B"), ("C",), ("D",), ("C", "D")]
    assert maximal(tables) == [("A", "B", "C"), ("C", "D")]


def test_refinement_opens_a_profile_the_targets_call_for():
    domain = Domain(("A", "B"), (("0", "1"), ("0", "1")))
    pool = np.array([[0, 0], [0, 1], [1, 0], [1, 1]])
    target = model.Measurement(("A", "B"), np.array([20.0, 20.0, 0.0, 20.0]))
    counts = refine(pool, np.array([30, 0, 15, 15]), domain, [target], [("A", "B")], k=5)
    assert counts.sum() == 60 and all(c == 0 or c >= 5 for c in counts)
    # The empty profile is opened with k rows and grows; the unwanted one shrinks to k.
    assert counts.tolist() == [20, 15, 5, 20]


def test_an_other_or_blank_the_data_never_holds_is_not_released_at_the_noise_level():
    # Public lists give every column an "Other" and a blank; these records hold neither.
    domain = Domain(("A", "B"), (("a0", "a1", "a2", "Other", ""), ("b0", "b1", "Other", "")))
    rng = np.random.default_rng(4)
    records = np.column_stack([rng.integers(0, 3, 3000), rng.integers(0, 2, 3000)])
    models = []
    for seed in range(3):
        budget = Budget(1.0, 1e-6)
        noise, support = (np.random.default_rng(s) for s in np.random.SeedSequence(seed).spawn(2))
        models.append(private_model(records, domain, 11, budget, noise, support, _pairs))
    for fitted in models:
        rows = fitted.domain.decode(fitted.support[fitted.weights > 0])
        assert not rows.isin(["Other", ""]).any().any()


def test_a_value_that_several_pairwise_rules_constrain_keeps_its_share_of_the_model():
    # A child has "N" in each of B..E, an adult never: under independence a child row that
    # passes all four rules is about one draw in ten million, so drawn and dropped, children
    # would vanish from the model; drawn around the rules' cells, they keep their 5%.
    constrained = ("B", "C", "D", "E")
    domain = Domain(("A", *constrained),
                    (("child", "adult", "Other", ""),) + (("N", "x", "y", "Other", ""),) * 4)
    rng = np.random.default_rng(2)
    child = rng.random(4000) < 0.05
    records = np.column_stack([np.where(child, 0, 1)]
                              + [np.where(child, 0, rng.integers(1, 3, 4000)) for _ in constrained])

    def marks(kept: Domain):
        is_child = np.array([v == "child" for v in kept.values[0]])
        return is_child, {c: np.array([v == "N" for v in kept.values[kept.columns.index(c)]])
                          for c in constrained}

    def admissible(support, kept, maps):
        is_child, is_n = marks(kept)
        return np.all([is_child[support[:, 0]] == is_n[c][support[:, kept.columns.index(c)]]
                       for c in constrained], axis=0)

    def forbidden(kept, maps):
        is_child, is_n = marks(kept)
        return [(("A", c), np.not_equal.outer(is_child, is_n[c])) for c in constrained]

    budget = Budget(2.0, 1e-6)
    noise, support = (np.random.default_rng(s) for s in np.random.SeedSequence(0).spawn(2))
    fitted = private_model(records, domain, 11, budget, noise, support, _pairs,
                           admissible=admissible, forbidden=forbidden)
    children = fitted.weights[fitted.domain.decode(fitted.support)["A"] == "child"].sum()
    assert children / fitted.weights.sum() == pytest.approx(child.mean(), abs=0.01)
    assert admissible(fitted.support, fitted.domain, fitted.maps).all()
