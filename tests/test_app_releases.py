"""The datasets page's logic without a browser: finding releases, reading how each was made,
figures against achieved values, the privacy guarantee in words, distributions, the zip."""

import io
import os
import shutil
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner

from tipkit.app import releases
from tipkit.app.settings import PUBLISHED_FOLDER
from tipkit.synth.microdata.fixtures import write_fixture
from tipkit.cli import main
from tipkit.errors import UserError

ROOT = Path(__file__).resolve().parents[1]
DEFAULT = ROOT / "releases" / "iom-2018"


@pytest.fixture(scope="module")
def examined():
    return releases.examine(DEFAULT, PUBLISHED_FOLDER)


@pytest.fixture(scope="module")
def fitted(tmp_path_factory):
    """A small differentially private release fitted to case records (no legs)."""
    folder = tmp_path_factory.mktemp("fit")
    write_fixture(folder / "cases.csv", rows=2000, seed=3)
    out = folder / "releases" / "agency-dp"
    result = CliRunner().invoke(main, ["synth", "fit", "--data", str(folder / "cases.csv"),
                                       "--k", "5", "--epsilon", "4", "--delta", "1e-6",
                                       "--seed", "7", "--out", str(out)])
    assert result.exit_code == 0, result.output
    return out


def test_how_a_published_figures_release_was_made_is_read_from_its_manifest(examined):
    made = examined.manifest
    assert made.made_from == "published figures"
    assert made.settings.figures.name == "synth/published/iom-2018-border-crossings.yaml"
    assert made.settings.k == 11 and made.settings.reporting_length == 3
    assert made.settings.epsilon is None
    assert made.settings.quasi_identifiers == ("gender", "ageBroad", "citizenship",
                                               "CountryOfExploitation", "yearOfRegistration")
    assert examined.problems == ()


def test_how_a_fitted_release_was_made_is_read_from_its_manifest(fitted):
    made = releases.examine(fitted, PUBLISHED_FOLDER).manifest
    assert made.made_from == "case records" and made.settings.figures is None
    assert (made.settings.k, made.settings.epsilon, made.settings.delta) == (5, 4.0, 1e-6)


def test_a_release_without_a_manifest_is_a_one_line_error_saying_how_to_rebuild(tmp_path):
    old = tmp_path / "old"
    shutil.copytree(DEFAULT, old)
    (old / "release.json").unlink()
    with pytest.raises(UserError, match="no release.json.*rebuild it") as error:
        releases.examine(old, PUBLISHED_FOLDER)
    assert "\n" not in str(error.value)


def test_a_changed_file_or_a_changed_figures_file_is_shown(tmp_path, monkeypatch):
    copy = tmp_path / "iom-2018"
    shutil.copytree(DEFAULT, copy)
    card = copy / "datacard.md"
    card.write_text(card.read_text() + "edited\n")
    published = tmp_path / "published"
    published.mkdir()
    figures = PUBLISHED_FOLDER / "iom-2018-border-crossings.yaml"
    (published / figures.name).write_text(figures.read_text() + "# edited\n")
    found = releases.examine(copy, published)
    assert found.problems == ("datacard.md has changed since the release was made (its sha256 "
                              "differs from release.json)",)
    # run from the checkout, the file named in release.json is found unchanged: figures shown
    assert found.figures is not None
    monkeypatch.chdir(tmp_path)  # elsewhere only the edited copy is found: no figures to show
    assert releases.examine(copy, published).figures is None


def test_every_published_figure_is_shown_with_its_interval_and_achieved_value(examined):
    table = examined.figures
    assert len(table) == 15 and (table.holds == "yes").all()
    row = table[table.id == "2"].iloc[0]
    assert (row.published, row.low, row.high) == ("84%", 0.835, 0.845)
    assert row.low <= row.achieved <= row.high
    count = table[table.id == "11"].iloc[0]
    assert count.achieved == len(examined.cases) == 8000


def test_privacy_words_state_the_smallest_group_counted_on_the_rows(examined):
    words = releases.privacy_words(examined)
    assert examined.smallest_class >= 11 and examined.rare_combinations == 0
    assert f"at least {examined.smallest_class} of the 8,000 synthetic cases" in words
    assert "k = 11" in words and "No row describes a real person" in words
    assert "gender, age band, citizenship, country of exploitation and year of registration" \
        in words


def test_a_fitted_release_has_no_figures_and_says_what_dp_bounds(fitted):
    found = releases.examine(fitted, PUBLISHED_FOLDER)
    assert found.legs is None and found.figures is None
    assert found.smallest_class >= 5
    words = releases.privacy_words(found)
    assert "case records" in words and "epsilon = 4" in words


def test_releases_are_found_and_other_folders_ignored(tmp_path, fitted):
    shutil.copytree(fitted, tmp_path / "b-release")
    shutil.copytree(fitted, tmp_path / ".hidden")
    (tmp_path / "a-notes").mkdir()
    (tmp_path / "a-notes" / "readme.txt").write_text("not a release")
    assert [p.name for p in releases.find_releases(tmp_path)] == ["b-release"]
    assert releases.find_releases(tmp_path / "missing") == []


def test_release_zip_holds_data_metadata_and_card_with_the_same_bytes_every_time(tmp_path):
    copy = tmp_path / "iom-2018"
    shutil.copytree(DEFAULT, copy)
    first = releases.release_zip(copy)
    for path in copy.iterdir():           # new times on disk must not change the zip
        os.utime(path, (1_900_000_000, 1_900_000_000))
    (copy / ".cases.csv.swp").write_text("an editor's file, not the release")
    assert releases.release_zip(copy) == first
    with zipfile.ZipFile(io.BytesIO(first)) as archive:
        assert archive.namelist() == ["iom-2018/cases.csv", "iom-2018/datacard.md",
                                      "iom-2018/datapackage.json", "iom-2018/dataset.jsonld",
                                      "iom-2018/legs.csv", "iom-2018/metadata.json",
                                      "iom-2018/release.json"]
        assert archive.read("iom-2018/cases.csv") == (DEFAULT / "cases.csv").read_bytes()
        assert archive.testzip() is None


def test_distributions_keep_age_bands_in_order_and_blanks_last(examined):
    ages = releases.distribution(examined.cases, "ageBroad")
    assert list(ages.value[:3]) == ["0--8", "9--17", "18--20"]
    assert ages.value.iloc[-1] == releases.BLANK
    assert ages.rows.sum() == len(examined.cases)
    countries = releases.distribution(examined.cases, "citizenship", top=5)
    assert "all others" in set(countries.value)
    assert countries.rows.sum() == len(examined.cases)
    assert countries.share.sum() == pytest.approx(1.0)


def test_an_impossible_k_is_a_user_error_and_writes_nothing(tmp_path):
    figures = PUBLISHED_FOLDER / "iom-2018-border-crossings.yaml"
    with pytest.raises(UserError, match="use a smaller --k or more --cases"):
        releases.build(figures, tmp_path / "too-strict", cases=1000, k=400, seed=7)
    assert not (tmp_path / "too-strict").exists()


def test_build_writes_a_release_the_page_can_list_and_reports_each_stage(tmp_path):
    figures = PUBLISHED_FOLDER / "iom-2018-border-crossings.yaml"
    stages = []
    releases.build(figures, tmp_path / "small", cases=1000, k=5, seed=3,
                   advance=lambda fraction, label: stages.append(fraction))
    assert [p.name for p in releases.find_releases(tmp_path)] == ["small"]
    assert stages[-1] == 1.0 and stages == sorted(stages)
    table = releases.examine(tmp_path / "small", PUBLISHED_FOLDER).figures.set_index("id")
    assert (table[table.kind == "share"].holds == "yes").all()
    # 1,000 cases, not the published "nearly 8,000": the leg count is scaled to the size
    assert table.loc["11", "holds"] == "size chosen"
    assert table.loc["10", "holds"] == "yes" and table.loc["10", "high"] < 11025 / 7


def test_figures_files_are_told_from_priors_files():
    names = [p.name for p in releases.figures_files(PUBLISHED_FOLDER)]
    assert "iom-2018-border-crossings.yaml" in names and "ctdc-priors.yaml" not in names


def test_release_names_are_plain_folder_names():
    assert releases.release_name_ok("iom-2018-k20")
    assert not releases.release_name_ok("../escape")
    assert not releases.release_name_ok("")
