"""`tipkit synth check`: tensions, implied ranges, binding figures, conflicts and relaxation."""

import pytest
from click.testing import CliRunner

from tipkit.synth.published.consistency import analyse
from tipkit.synth.published.figures import load_figures
from tipkit.synth.published.priors import load_priors
from tipkit.cli import main
from tipkit.errors import UserError

IOM = "synth/published/iom-2018-border-crossings.yaml"


@pytest.fixture(scope="module")
def iom():
    figures = load_figures(IOM)
    return analyse(figures, load_priors(figures.priors_path))


def _quantity(analysis, label):
    return next(q for q in analysis.quantities if q.label == label)


def test_iom_figures_imply_the_published_female_and_adult_ranges(iom):
    female = _quantity(iom, "gender = Woman")
    adult = _quantity(iom, "ageBroad = adult")
    # 0.84 w + 0.73 (1 - w) = s and 0.80 a + 0.56 (1 - a) = s with s in "almost 80%", rounded
    assert female.range.low == pytest.approx((0.775 - 0.735) / (0.845 - 0.735), abs=1e-6)
    assert female.range.high == pytest.approx((0.800 - 0.725) / (0.835 - 0.725), abs=1e-6)
    assert adult.range.low == pytest.approx((0.775 - 0.565) / (0.805 - 0.565), abs=1e-6)
    assert adult.range.high == pytest.approx(1.0, abs=1e-5)  # children exist, if barely


def test_tension_between_figures_1_4_and_5_is_reported(iom):
    adult = _quantity(iom, "ageBroad = adult")
    assert adult.in_tension and set(adult.tension_figures) == {"1", "4", "5"}
    female = _quantity(iom, "gender = Woman")
    assert female.in_tension and set(female.tension_figures) == {"1", "2", "3"}


def test_the_solution_meets_every_figure_and_says_which_bind(iom):
    for figure in iom.constraints.figures:
        assert figure.low - 1e-6 <= iom.fitted_shares[figure.id] <= figure.high + 1e-6
    assert {fid for fid, _ in iom.binding} >= {"4", "5"}


def test_check_command_prints_ranges_tension_and_solution():
    result = CliRunner().invoke(main, ["synth", "check", IOM])
    assert result.exit_code == 0, result.output
    assert "Consistent" in result.output
    assert "figures 1, 4, 5 together hold ageBroad = adult within [0.875, 1.000]" in result.output
    assert "gender = Woman" in result.output and "Binding at the solution" in result.output


CONTRADICTION = """
figures:
  - {id: all, unit: case, statistic: {borderPoint: official}, interval: [0.70, 0.75]}
  - {id: women, unit: case, population: {gender: Woman}, statistic: {borderPoint: official}, interval: [0.80, 0.85]}
  - {id: men, unit: case, population: {gender: Man}, statistic: {borderPoint: official}, interval: [0.80, 0.85]}
  - {id: forged, unit: case, statistic: {travelDocument: forged}, interval: [0.05, 0.10]}
"""


def test_contradictory_figures_name_the_smallest_conflicting_set(tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text(CONTRADICTION)
    result = CliRunner().invoke(main, ["synth", "check", str(path)])
    assert result.exit_code == 2
    assert "figures all, women, men cannot all hold at once" in result.output
    assert "forged" not in result.output.split("cannot")[0]
    assert len(result.output.strip().splitlines()) == 1


def test_relax_records_the_least_adjustment(tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text(CONTRADICTION)
    figures = load_figures(path)
    analysis = analyse(figures, load_priors(), relax=True)
    changed = {old.id for old, _ in analysis.adjustments}
    assert changed and changed <= {"all", "women", "men"}
    for figure in analysis.constraints.figures:
        assert figure.low - 1e-6 <= analysis.fitted_shares[figure.id] <= figure.high + 1e-6
    with pytest.raises(UserError):
        analyse(figures, load_priors(), relax=False)
