"""Property-based: any figure file that some distribution satisfies gives a release meeting its
guarantees; a file whose figures contradict each other is refused, naming them."""

import numpy as np
import yaml
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings, strategies as st

from tipkit.synth.published.checks import measure_release
from tipkit.synth.published.figures import load_figures
from tipkit.synth.published.joint import constraints_for, figure_domain, prior_joint
from tipkit.synth.published.priors import load_priors
from tipkit.synth.release.folder import read_release
from tipkit.synth.release.schema import DEFAULT_QUASI_IDENTIFIERS
from tipkit.cli import main

# Filters a random figure may use: (column, values) pairs over the journey and case columns.
FILTERS = [
    ("gender", ["Woman"]), ("gender", ["Man"]), ("ageBroad", ["adult"]), ("ageBroad", ["child"]),
    ("borderPoint", ["official"]), ("travelDocument", ["forged"]), ("travelDocument", ["own"]),
    ("transportMode", ["bus"]), ("transportMode", ["plane"]), ("travelledInGroup", ["1"]),
    ("exploitedBeforeCrossing", ["1"]),
]
PRIORS = load_priors()


@st.composite
def satisfiable_files(draw):
    """Figures whose intervals surround the true shares of one random distribution."""
    n_figures = draw(st.integers(1, 5))
    specs = []
    for i in range(n_figures):
        stat = draw(st.sampled_from(FILTERS))
        pop = draw(st.sampled_from([None] + [f for f in FILTERS if f[0] != stat[0]]))
        unit = draw(st.sampled_from(["case", "leg"]))
        specs.append((i, unit, pop, stat))
    raw = {"figures": [{"id": f"f{i}", "unit": unit, "statistic": {stat[0]: list(stat[1])},
                        **({"population": {pop[0]: list(pop[1])}} if pop else {}), "interval": [0, 1]}
                       for i, unit, pop, stat in specs]}
    # The truth: the prior tilted at random (seeded), so the figures' shares are feasible.
    seed = draw(st.integers(0, 2**32 - 1))
    return raw, seed, draw(st.floats(0.03, 0.08)), draw(st.integers(3, 11))


def _with_true_intervals(raw, seed, width, tmp_path):
    path = tmp_path / "truth.yaml"
    path.write_text(yaml.safe_dump(raw))
    figures = load_figures(path)
    domain = figure_domain(figures.figures, PRIORS)
    prior = prior_joint(domain, PRIORS)
    tilt = np.random.default_rng(seed).gamma(2.0, size=prior.shape)
    truth = prior * tilt / (prior * tilt).sum()
    shares = constraints_for(domain, figures.figures).shares(truth)
    for entry, share in zip(raw["figures"], shares):
        entry["interval"] = [round(max(0.0, float(share) - width), 4), round(min(1.0, float(share) + width), 4)]
    path.write_text(yaml.safe_dump(raw))
    return path


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(case=satisfiable_files())
def test_satisfiable_figures_always_give_a_release_meeting_every_guarantee(case, tmp_path_factory):
    raw, seed, width, k = case
    tmp_path = tmp_path_factory.mktemp("prop")
    path = _with_true_intervals(raw, seed, width, tmp_path)
    out = tmp_path / "release"
    result = CliRunner().invoke(main, ["synth", "generate", "--published", str(path), "--cases",
                                       "2000", "--k", str(k), "--seed", "1", "--out", str(out)])
    assert result.exit_code == 0, result.output
    cases, legs = read_release(out)
    measured = measure_release(cases, legs, load_figures(path).figures, DEFAULT_QUASI_IDENTIFIERS, k, 3)
    assert measured.problems(k) == []
    assert all(fv.holds() for fv in measured.figure_values)
    assert measured.release.case_report.smallest_class >= k and measured.release.leg_report.smallest_class >= k


@settings(max_examples=15, deadline=None)
@given(overall=st.floats(0.2, 0.7), gap=st.floats(0.05, 0.25), width=st.floats(0.0, 0.02))
def test_contradictory_figures_are_refused_naming_them(overall, gap, width):
    """Women and men both cross officially more often than everybody together: impossible."""
    import tempfile
    from pathlib import Path

    raw = {"figures": [
        {"id": "all", "unit": "case", "statistic": {"borderPoint": "official"},
         "interval": [round(overall, 4), round(overall + width, 4)]},
        {"id": "women", "unit": "case", "population": {"gender": "Woman"},
         "statistic": {"borderPoint": "official"}, "interval": [round(overall + width + gap, 4), 1.0]},
        {"id": "men", "unit": "case", "population": {"gender": "Man"},
         "statistic": {"borderPoint": "official"}, "interval": [round(overall + width + gap, 4), 1.0]},
        {"id": "group", "unit": "leg", "statistic": {"travelledInGroup": "1"}, "published": "about 80%"},
    ]}
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "contradiction.yaml"
        path.write_text(yaml.safe_dump(raw))
        out = Path(folder) / "release"
        result = CliRunner().invoke(main, ["synth", "generate", "--published", str(path), "--out", str(out)])
        assert result.exit_code == 2
        assert "figures all, women, men cannot all hold at once" in result.output
        assert not out.exists()
