"""Published-figure files: intervals from wording, and one clear error for each kind of bad file."""

import pytest

from tipkit.synth.published.figures import interval_from_wording, load_figures
from tipkit.synth.published.priors import load_priors
from tipkit.synth.published.joint import validate_values
from tipkit.errors import UserError

IOM = "synth/published/iom-2018-border-crossings.yaml"


@pytest.mark.parametrize("wording, kind, expected", [
    ("84%", "share", (0.835, 0.845)),
    ("almost 80%", "share", (0.775, 0.80)),
    ("about 80%", "share", (0.775, 0.825)),
    ("7.5%", "share", (0.0745, 0.0755)),
    ("about 10,500", "count", (9975, 11025)),
    ("nearly 8,000", "count", (7600, 8000)),
])
def test_interval_follows_the_wording(wording, kind, expected):
    assert interval_from_wording(wording, kind) == pytest.approx(expected)


def test_almost_is_not_a_rounding_interval():
    low, high = interval_from_wording("almost 80%", "share")
    assert high == pytest.approx(0.80) and high - low > 0.01


def test_two_thirds_and_one_third_are_complementary():
    low, high = interval_from_wording("two thirds", "share")
    low3, high3 = interval_from_wording("one third", "share")
    assert low < 2 / 3 < high and low3 < 1 / 3 < high3
    assert 1 - high == pytest.approx(low3) and 1 - low == pytest.approx(high3)


def test_iom_file_has_every_published_figure():
    figures = load_figures(IOM)
    assert [f.id for f in figures.figures] == [
        "1", "2", "3", "4", "5", "6", "7", "8", "9", "10", "11", "12a", "12b", "12c", "13"]
    assert all(f.quote and f.source in figures.sources for f in figures.figures)
    by_id = {f.id: f for f in figures.figures}
    assert by_id["4"].population["ageBroad"] == ("18--20", "21--23", "24--26", "27--29",
                                                 "30--38", "39--47", "48+")
    assert by_id["10"].kind == "count" and by_id["10"].unit == "leg"


def _write(tmp_path, text):
    path = tmp_path / "figures.yaml"
    path.write_text(text)
    return path


@pytest.mark.parametrize("text, message", [
    ("figures: [unit: case\n", "not valid YAML"),
    ("figures:\n  - {unit: case, statistic: {shoeSize: '42'}, published: 50%}\n", "unknown column 'shoeSize'"),
    ("figures:\n  - {unit: case, statistic: {gender: Woman}, interval: [0.2, 1.4]}\n", "outside [0, 1]"),
    ("figures:\n  - {unit: case, statistic: {gender: Woman}, interval: [0.6, 0.4]}\n", "low above high"),
    ("figures:\n  - {unit: person, statistic: {gender: Woman}, published: 50%}\n", "unit must be"),
    ("figures:\n  - {unit: case, statistic: {gender: Woman}, published: most}\n", "cannot read the wording"),
    ("figures:\n  - {unit: case, statistic: {gender: Woman}, published: 50%, colour: red}\n", "unknown key"),
])
def test_bad_figure_file_is_one_clear_error(tmp_path, text, message):
    with pytest.raises(UserError, match=message.replace("[", r"\[").replace("]", r"\]")):
        load_figures(_write(tmp_path, text))


def test_unknown_value_is_named(tmp_path):
    figures = load_figures(_write(tmp_path, "figures:\n  - {unit: case, statistic: {gender: Robot}, published: 50%}\n"))
    with pytest.raises(UserError, match="gender has no value 'Robot'"):
        validate_values(figures.figures, load_priors(figures.priors_path))


def test_a_file_can_name_its_own_priors(tmp_path):
    builtin = load_priors()
    text = open(builtin.path).read().replace("{Woman: 0.728, Man: 0.272}", "{Woman: 0.5, Man: 0.5}")
    (tmp_path / "my-priors.yaml").write_text(text)
    figures = load_figures(_write(tmp_path, "priors: my-priors.yaml\nfigures:\n"
                                  "  - {unit: case, statistic: {gender: Woman}, published: 50%}\n"))
    assert load_priors(figures.priors_path)["gender"].conditional(None).tolist() == [0.5, 0.5]
