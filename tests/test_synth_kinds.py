"""A published-figure kind is one class: a new one, registered in kinds.KINDS, is fitted by the
joint, met by the profile sizing, measured by the checks and shown by the data card unchanged."""

import pytest

from tipkit.synth.published import default_figures, kinds
from tipkit.synth.published.figures import Figure, load_figures
from tipkit.synth.published.generate import Request, build_release
from tipkit.synth.published.datacard import datacard


class Ratio(kinds.Share):
    """Units with `statistic` per unit with `population` (say, women per man): linear, like a
    share, but its population does not contain its statistic and it may exceed 1."""

    name = "ratio"
    plural = "ratios"

    def check_interval(self, low, high, where):
        if low < 0:
            raise ValueError(where)

    def describe(self, figure, describe_filter):
        return f"{describe_filter(figure.statistic)} per {describe_filter(figure.population)}"

    def weights(self, figure, rows):
        return (rows.weigh(figure.unit, rows.match(figure.unit, figure.population)),
                rows.weigh(figure.unit, rows.match(figure.unit, figure.statistic)))


def test_a_new_kind_defined_in_one_class_is_fitted_met_measured_and_described(monkeypatch):
    monkeypatch.setitem(kinds.KINDS, "ratio", Ratio())
    iom = load_figures(default_figures())
    women_per_man = Figure("R1", "case", "ratio", 1.0, 1.1, {"gender": ("Man",)},
                           {"gender": ("Woman",)}, "one woman per man", "", "")
    figures = iom.replace((*iom.figures, women_per_man))
    release = build_release(Request(default_figures(), cases=3000, k=11, seed=7),
                            figures=figures)
    cases = release.cases
    ratio = (cases.gender == "Woman").sum() / (cases.gender == "Man").sum()
    assert 1.0 <= ratio <= 1.1
    value = next(fv for fv in release.measured.figure_values if fv.figure.id == "R1")
    assert value.value == pytest.approx(ratio) and value.holds()
    assert release.measured.problems(11) == []
    assert "| R1 | gender = Woman per gender = Man | one woman per man | [1.0000, 1.1000] |" \
        in datacard(release)
    # without the ratio the same request releases a different female share: it was imposed
    plain = build_release(Request(default_figures(), cases=3000, k=11, seed=7))
    plain_ratio = (plain.cases.gender == "Woman").sum() / (plain.cases.gender == "Man").sum()
    assert not 1.0 <= plain_ratio <= 1.1
