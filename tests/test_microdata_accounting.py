"""The privacy budget: (epsilon, delta) to zCDP, Gaussian noise scale, no overspending."""

import math

import numpy as np
import pytest

from tipkit.synth.microdata.accounting import Budget, cdp_delta, cdp_rho, gaussian_sigma


def test_rho_from_epsilon_delta_implies_that_delta():
    rho = cdp_rho(4.0, 1e-6)
    assert cdp_delta(rho, 4.0) <= 1e-6
    assert cdp_delta(rho * 1.01, 4.0) > 1e-6  # the largest such rho, not a loose one
    # Tighter than the simple bound rho + 2 sqrt(rho log(1/delta)) = epsilon.
    simple = (math.sqrt(math.log(1e6) + 4.0) - math.sqrt(math.log(1e6))) ** 2
    assert rho > simple


def test_gaussian_sigma_matches_zcdp_definition():
    assert gaussian_sigma(0.5) == pytest.approx(1.0)
    assert gaussian_sigma(0.02) == pytest.approx(5.0)


def test_budget_records_every_measurement_and_refuses_to_overspend():
    budget = Budget(1.0, 1e-6)
    rng = np.random.default_rng(0)
    budget.measure("one", np.zeros(3), budget.rho / 2, rng)
    budget.measure("two", np.zeros(3), budget.rho / 2, rng)
    assert [s.measurement for s in budget.ledger] == ["one", "two"]
    assert budget.spent == pytest.approx(budget.rho)
    with pytest.raises(ValueError, match="overspend"):
        budget.measure("three", np.zeros(3), budget.rho / 10, rng)


def test_exponential_mechanism_costs_epsilon_squared_over_8_and_is_recorded():
    budget = Budget(1.0, 1e-6)
    chosen = budget.select("choice", np.array([0.0, 5.0, 1.0]), 0.1, np.random.default_rng(0))
    assert chosen in (0, 1, 2)
    entry = budget.ledger[-1]
    assert (entry.rho, entry.cells, entry.mechanism) == (pytest.approx(0.1 ** 2 / 8), 3,
                                                         "exponential")
    with pytest.raises(ValueError, match="overspend"):
        budget.select("too much", np.zeros(2), 10.0, np.random.default_rng(0))


def test_a_round_is_a_choice_with_the_measurement_of_the_table_it_chose():
    budget = Budget(1.0, 1e-6)
    rng = np.random.default_rng(0)
    budget.measure("one-way A", np.zeros(3), budget.rho / 4, rng)
    budget.select("choice of the next table among 2", np.array([0.0, 1.0]), 0.1, rng)
    _, sigma = budget.measure("2-way A x B", np.zeros(6), budget.rho / 4, rng)
    summary = budget.summary()
    assert summary["rounds"] == [{"round": 1, "table": "2-way A x B", "among": 2,
                                  "choice_rho": pytest.approx(0.1 ** 2 / 8),
                                  "rho": budget.rho / 4, "sigma": sigma, "cells": 6}]
    assert [m["round"] for m in summary["measurements"]] == [None, 1, 1]


def test_exponential_mechanism_draws_from_its_distribution():
    # P(i) is proportional to exp(epsilon q_i / (2 sensitivity)): with q = (0, 2), epsilon 1
    # and sensitivity 1, the second table is chosen with probability e / (1 + e) = 0.731.
    budget = Budget(1e6, 1e-6)
    rng = np.random.default_rng(1)
    picks = [budget.select("c", np.array([0.0, 2.0]), 1.0, rng) for _ in range(4000)]
    assert np.mean(picks) == pytest.approx(math.e / (1 + math.e), abs=0.025)
    halved = [budget.select("c", np.array([0.0, 2.0]), 1.0, rng, sensitivity=2.0)
              for _ in range(4000)]
    assert np.mean(halved) == pytest.approx(math.exp(0.5) / (1 + math.exp(0.5)), abs=0.025)


def test_gaussian_rho_is_the_inverse_of_gaussian_sigma():
    from tipkit.synth.microdata.accounting import gaussian_rho, gaussian_sigma

    for rho in (1e-4, 0.05, 1.0, 7.5):
        for sensitivity in (1.0, 2.0):
            assert math.isclose(gaussian_rho(gaussian_sigma(rho, sensitivity), sensitivity), rho)
