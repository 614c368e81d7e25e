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
