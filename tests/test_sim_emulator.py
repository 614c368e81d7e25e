"""The emulator learns a known function from a few noisy points, and its intervals cover it."""

import numpy as np

from tipkit.sim.experiments.emulator import Box, Emulator, space_filling


def _truth(x):
    return np.column_stack([np.sin(3 * x[:, 0]) + x[:, 1] ** 2, 10 + 5 * x[:, 0]])


def test_emulator_recovers_a_known_function_within_its_intervals():
    box = Box.of({"a": (0.0, 2.0), "b": (-1.0, 1.0)})
    x = space_filling(box, 40, seed=3)
    noise_sd = 0.02
    y = _truth(x) + np.random.default_rng(4).normal(0, noise_sd, size=(40, 2))
    emulator = Emulator.fit(box, x, y, ["wavy", "line"], noise=np.full((40, 2), noise_sd ** 2))
    fresh = space_filling(box, 200, seed=5)
    mean, sd = emulator.predict(fresh)
    error = np.abs(mean - _truth(fresh))
    assert error[:, 0].max() < 0.15 and error[:, 1].max() < 0.05
    covered = (error <= 1.96 * sd + 1e-9).mean()
    assert covered > 0.85   # honest intervals, not a point guess
    assert emulator.predict_one("line", fresh)[0].shape == (200,)


def test_space_filling_stays_in_the_box_and_repeats_with_its_seed():
    box = Box.of({"officers": (2, 12), "share": (0.0, 1.0)})
    a, b = space_filling(box, 16, seed=1), space_filling(box, 16, seed=1)
    assert np.array_equal(a, b)
    assert (a >= box.low).all() and (a <= box.high).all()
    # a Latin hypercube: one point in each sixteenth of every input
    assert sorted(np.floor(box.to_unit(a)[:, 1] * 16).astype(int)) == list(range(16))
