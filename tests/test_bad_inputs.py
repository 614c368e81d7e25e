"""The hostile inputs of issue 9, one test per row of its table: each is one line naming the
problem and the way out, exit status 2, nothing written or lost, nothing else printed first.

The read-only and immutable folders are a mocked OSError (these tests run as root, for whom
permission bits do not bind, and mounting or `chattr +i` needs privileges a CI box may lack)."""

from __future__ import annotations

import errno
import json
import os
import tempfile
from pathlib import Path

import pytest
from click.testing import CliRunner

from tipkit.cli import main
from tipkit.synth.microdata.fixtures import write_fixture

from test_sim_support import release  # noqa: F401 (fixture: a small population)

ROOT = Path(__file__).resolve().parents[1]
IOM = ROOT / "synth" / "published" / "iom-2018-border-crossings.yaml"
SCENARIOS = ROOT / "scenarios"


def _run(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


def _one_line_exit_2(result, *words) -> str:
    """The refusal as users see it: exit 2, a single line (stdout and stderr together)."""
    assert result.exit_code == 2, result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: "), result.output
    for word in words:
        assert word in lines[0], lines[0]
    return lines[0]


def _generate(out, *extra, figures=IOM):
    return _run("synth", "generate", "--published", figures, "--cases", 2000, "--k", 11,
                "--seed", 7, "--out", out, *extra)


def _names(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


def _cannot_create(monkeypatch, code):
    def refuse(*args, **kwargs):
        raise OSError(code, os.strerror(code), kwargs.get("dir"))
    monkeypatch.setattr(tempfile, "mkdtemp", refuse)


@pytest.fixture(scope="module")
def small_cases(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("data") / "cases.csv"
    write_fixture(path, rows=500, seed=4)
    return path


@pytest.fixture
def small_airport(tmp_path) -> Path:
    """The shipped airport baseline, small; it keeps its busiest-hour utilisation warning."""
    path = tmp_path / "airport-small.yaml"
    path.write_text((SCENARIOS / "airport-baseline.yaml").read_text()
                    .replace("daily_volume: 8000", "daily_volume: 800")
                    .replace("officers: 10 ", "officers: 1 ")
                    .replace("transport: [plane]", "transport: [plane, bus]"))
    return path


# ---- writing where nothing can be written ---------------------------------------------------

@pytest.mark.parametrize("code, words", [
    (errno.EACCES, "permission denied"),                       # a read-only parent folder
    (errno.EROFS, "read-only file system"),                    # a read-only file system
    (errno.EPERM, "not permitted (read-only or immutable)"),   # an immutable folder
])
def test_generate_where_nothing_can_be_written_is_one_line(tmp_path, monkeypatch, code, words):
    _cannot_create(monkeypatch, code)
    result = _generate(tmp_path / "release")
    _one_line_exit_2(result, f"cannot write {tmp_path}", words, "--out")
    assert _names(tmp_path) == []


def test_an_out_under_a_file_or_a_file_as_out_is_one_line(tmp_path):
    (tmp_path / "notes").write_text("mine")
    _one_line_exit_2(_generate(tmp_path / "notes" / "release"), "notes is a file, not a folder")
    _one_line_exit_2(_generate(tmp_path / "notes", "--force"), "is a file, not a folder")
    assert (tmp_path / "notes").read_text() == "mine"


def test_an_out_where_no_folder_can_be_made_is_one_line():
    _one_line_exit_2(_generate("/proc/tipkit-x"), "cannot write /proc", "choose an --out")


def test_sim_run_on_a_read_only_file_system_is_one_line(tmp_path, monkeypatch, release,
                                                        small_airport):
    _cannot_create(monkeypatch, errno.EROFS)
    result = _run("sim", "run", small_airport, "--replications", 2, "--out", tmp_path / "run",
                  "--population", release, "--jobs", 1)
    _one_line_exit_2(result, "read-only file system")
    assert not (tmp_path / "run").exists()


# ---- seeds, figure files, fit settings ------------------------------------------------------

@pytest.mark.parametrize("command", [
    ["sim", "run", "{scenario}", "--replications", "2"],
    ["sim", "compare", "{scenario}", "{scenario}", "--replications", "2"],
    ["sim", "sweep", "{scenario}", "--vary", "officers=1,2", "--replications", "2"],
    ["synth", "fit", "--data", "{cases}"],
    ["synth", "generate", "--published", str(IOM)],
])
def test_a_negative_seed_is_one_line_for_every_command(tmp_path, release, small_airport,
                                                       small_cases, command):
    args = [a.format(scenario=small_airport, cases=small_cases) for a in command]
    population = ["--population", str(release)] if args[0] == "sim" else []
    result = _run(*args, *population, "--seed", -1, "--out", tmp_path / "out")
    _one_line_exit_2(result, "--seed must be 0 or more (got -1)")
    assert not (tmp_path / "out").exists()


def test_a_figure_file_with_an_empty_list_is_one_line_for_check_and_generate(tmp_path):
    empty = tmp_path / "empty.yaml"
    empty.write_text("title: nothing\nfigures: []\n")
    _one_line_exit_2(_run("synth", "check", empty), "the list under 'figures' is empty")
    _one_line_exit_2(_generate(tmp_path / "out", figures=empty), "is empty")
    assert _names(tmp_path) == ["empty.yaml"]


def test_fit_without_the_default_quasi_identifiers_is_refused_before_fitting(tmp_path,
                                                                            monkeypatch):
    from tipkit.synth.microdata import marginals

    def never(*args, **kwargs):
        raise AssertionError("the fit started")
    monkeypatch.setattr(marginals, "ipf", never)
    monkeypatch.setattr(marginals, "pairwise_sample", never)
    data = tmp_path / "cases.csv"
    data.write_text("isForcedLabour,isSexualExploit\n" + "1,0\n0,1\n" * 40)
    result = _run("synth", "fit", "--data", data, "--k", 5, "--out", tmp_path / "out")
    _one_line_exit_2(result, "no quasi-identifier to protect", "ctdc-global-synthetic", "gender",
                     "ageBroad", "--quasi-identifiers")
    assert _names(tmp_path) == ["cases.csv"]


@pytest.mark.parametrize("epsilon, words", [
    ("inf", "--epsilon must be a number greater than 0 (got inf)"),
    ("nan", "--epsilon must be a number greater than 0"),
    ("1e-4", "swamping the 500 records"),      # took 232 s; now refused at once
    ("1e-300", "swamping the 500 records"),    # wrote 37,652,367 rows of "Other"
])
def test_an_epsilon_that_cannot_give_a_release_is_one_line(tmp_path, small_cases, epsilon,
                                                            words):
    result = _run("synth", "fit", "--data", small_cases, "--epsilon", epsilon, "--delta", 1e-6,
                  "--out", tmp_path / "out")
    line = _one_line_exit_2(result, words)
    if "swamping" in words:
        assert "use --epsilon" in line and "or more" in line
    assert not (tmp_path / "out").exists()


def test_the_smallest_epsilon_the_refusal_names_is_accepted(tmp_path, small_cases):
    refused = _run("synth", "fit", "--data", small_cases, "--epsilon", "0.01", "--delta", 1e-6,
                   "--out", tmp_path / "never")
    enough = refused.output.split("use --epsilon ")[1].split()[0]
    result = _run("synth", "fit", "--data", small_cases, "--epsilon", enough, "--delta", 1e-6,
                  "--out", tmp_path / "out")
    assert result.exit_code == 0, result.output


def test_fit_never_echoes_a_value_of_a_case(tmp_path, small_cases):
    import pandas as pd

    table = pd.read_csv(small_cases, dtype=str, keep_default_na=False)
    secret = "Q" * 5_000_000
    table.loc[3, "citizenship"] = secret
    data = tmp_path / "big.csv"
    table.to_csv(data, index=False)
    result = _run("synth", "fit", "--data", data, "--k", 5, "--out", tmp_path / "out")
    assert result.exit_code == 0
    assert "QQQQ" not in result.output and len(result.output) < 1000
    assert "citizenship: 1 values outside its public list read as Other" in result.output


# ---- generate: size, reporting length, sources ----------------------------------------------

def test_a_release_too_large_for_memory_is_refused_up_front(tmp_path, monkeypatch):
    from tipkit.synth.published import generate

    line = _one_line_exit_2(_generate(tmp_path / "out", "--cases", 1_000_000_000),
                            "--cases 1,000,000,000 would need about", "at most about")
    assert "cases here" in line
    monkeypatch.setattr(generate, "available_memory", lambda: 2 * 2**30)
    _one_line_exit_2(_generate(tmp_path / "out", "--cases", 2_000_000), "2.0 GiB free")
    assert _names(tmp_path) == []


def test_a_reporting_length_beyond_any_check_is_one_line(tmp_path, small_cases):
    _one_line_exit_2(_generate(tmp_path / "out", "--reporting-length", 99),
                     "134,217,727 combinations", "use 4 or less")
    _one_line_exit_2(_run("synth", "fit", "--data", small_cases, "--reporting-length", 0,
                          "--out", tmp_path / "out"), "must be at least 1")
    assert _names(tmp_path) == []
    # the bound is on the work, not the number: 7 columns have only 127 combinations in all
    assert _run("synth", "fit", "--data", small_cases, "--reporting-length", 99, "--k", 5,
                "--out", tmp_path / "out").exit_code == 0


def test_a_figure_without_quote_or_source_is_warned_and_marked_unsourced(tmp_path):
    text = IOM.read_text()
    quote = "    quote: '\"84 per cent of cases\"'\n"
    assert quote in text
    figures = tmp_path / "figures.yaml"
    figures.write_text(text.replace(quote, "", 1))
    result = CliRunner().invoke(main, ["synth", "check", str(figures)])
    assert result.exit_code == 0
    assert "warning: figure 2 has no quote" in result.stderr
    assert _generate(tmp_path / "out", figures=figures).exit_code == 0
    card = (tmp_path / "out" / "datacard.md").read_text()
    unsourced = [line for line in card.splitlines() if "**unsourced**" in line]
    assert len(unsourced) == 1 and unsourced[0].startswith("| 2 |")


# ---- --out and --force never lose data ------------------------------------------------------

def test_out_dot_with_force_is_refused_and_the_folder_and_figures_stay(tmp_path, monkeypatch):
    work = tmp_path / "work"
    work.mkdir()
    figures = work / "figures.yaml"
    figures.write_text(IOM.read_text())
    monkeypatch.chdir(work)
    _one_line_exit_2(_generate(".", "--force", figures="figures.yaml"),
                     "--out . is the current folder")
    assert _names(work) == ["figures.yaml"]


def test_out_holding_the_figure_file_is_refused(tmp_path):
    figures = tmp_path / "data" / "figures.yaml"
    figures.parent.mkdir()
    figures.write_text(IOM.read_text())
    _one_line_exit_2(_generate(tmp_path / "data", "--force", figures=figures),
                     "holds this command's own input")
    assert _names(tmp_path / "data") == ["figures.yaml"]


def test_a_failed_force_keeps_the_existing_folder_and_a_good_one_replaces_it(tmp_path):
    existing = tmp_path / "existing"
    (existing / "sub").mkdir(parents=True)
    (existing / "keep.txt").write_text("mine")
    failed = _generate(f"{existing}/sub/..", "--force", "--k", 500)   # cannot be built
    _one_line_exit_2(failed, "too few to meet figure")
    assert _names(existing) == ["keep.txt", "sub"]
    assert _generate(f"{existing}/sub/..", "--force").exit_code == 0
    assert _names(existing) == ["cases.csv", "datacard.md", "datapackage.json",
                                "dataset.jsonld", "legs.csv", "metadata.json", "release.json"]
    assert _names(tmp_path) == ["existing"]


def test_sim_run_into_an_existing_folder_needs_force_and_then_replaces_it(tmp_path, release,
                                                                          small_airport):
    out = tmp_path / "run"
    out.mkdir()
    (out / "summary.csv").write_text("half written by an earlier run")
    (out / "scenarios").write_text("a file where a folder belongs")
    args = ["sim", "run", small_airport, "--replications", 2, "--out", out, "--population",
            release, "--jobs", 1]
    _one_line_exit_2(_run(*args), f"--out {out} already exists (use --force")
    assert (out / "summary.csv").read_text() == "half written by an earlier run"
    assert _run(*args, "--force").exit_code == 0
    assert (out / "scenarios").is_dir() and "kpi" in (out / "summary.csv").read_text()
    assert _names(tmp_path) == ["airport-small.yaml", "run"]


@pytest.fixture(scope="module")
def fitted(tmp_path_factory, small_cases) -> Path:
    out = tmp_path_factory.mktemp("fitted") / "release"
    assert _run("synth", "fit", "--data", small_cases, "--k", 5, "--out", out).exit_code == 0
    return out


@pytest.mark.parametrize("name", ["notes.txt", "x.json"])
def test_evaluate_writes_an_html_file_and_its_json_beside_never_one_over_the_other(
        tmp_path, small_cases, fitted, name):
    (tmp_path / name).write_text("mine")
    result = _run("synth", "evaluate", "--real", small_cases, "--release", fitted,
                  "--out", tmp_path / name, "--no-sdmetrics", "--force")
    _one_line_exit_2(result, "must name an .html file")
    assert (tmp_path / name).read_text() == "mine"


def test_evaluate_refuses_an_existing_report_without_force(tmp_path, small_cases, fitted):
    args = ["synth", "evaluate", "--real", small_cases, "--release", fitted, "--out",
            tmp_path / "ev.html", "--no-sdmetrics", "--k", 5]
    assert _run(*args).exit_code == 0
    json_before = (tmp_path / "ev.json").read_text()
    _one_line_exit_2(_run(*args), "already exists")
    assert _run(*args, "--force").exit_code == 0
    assert json.loads((tmp_path / "ev.json").read_text()) == json.loads(json_before)
    assert _names(tmp_path) == ["ev.html", "ev.json"]


# ---- the codebook paths: fit --codebook and synth codebook -----------------------------------

@pytest.fixture(scope="module")
def drafted(tmp_path_factory, small_cases) -> Path:
    path = tmp_path_factory.mktemp("codebook") / "codebook.yaml"
    assert _run("synth", "codebook", "--data", small_cases, "--out", path).exit_code == 0
    return path


def _codebook_path(which: str, small_cases, drafted, out) -> list:
    if which == "draft":
        return ["synth", "codebook", "--data", small_cases, "--out", out]
    return ["synth", "fit", "--data", small_cases, "--codebook", drafted, "--k", 5, "--out", out]


def _existing(which: str, tmp_path) -> Path:
    """An output already there: a codebook file, or a release folder."""
    if which == "draft":
        out = tmp_path / "codebook.yaml"
        out.write_text("mine")
    else:
        out = tmp_path / "release"
        out.mkdir()
        (out / "keep.txt").write_text("mine")
    return out


def _kept(which: str, out: Path) -> bool:
    return (out if which == "draft" else out / "keep.txt").read_text() == "mine"


@pytest.mark.parametrize("which", ["draft", "fit"])
def test_the_codebook_paths_refuse_an_existing_out_without_force(tmp_path, small_cases, drafted,
                                                                 which):
    out = _existing(which, tmp_path)
    args = _codebook_path(which, small_cases, drafted, out)
    _one_line_exit_2(_run(*args), f"--out {out} already exists (use --force")
    assert _kept(which, out)
    assert _run(*args, "--force").exit_code == 0
    if which == "draft":
        assert "columns:" in out.read_text()
    else:
        assert {"codebook.yaml", "release.json"} <= set(_names(out)) and "keep.txt" not in \
            _names(out)
    assert _names(tmp_path) == [out.name]


def test_fit_refuses_an_out_holding_its_codebook(tmp_path, small_cases, drafted):
    codebook = tmp_path / "work" / "codebook.yaml"
    codebook.parent.mkdir()
    codebook.write_text(drafted.read_text())
    result = _run("synth", "fit", "--data", small_cases, "--codebook", codebook, "--k", 5,
                  "--out", codebook.parent, "--force")
    _one_line_exit_2(result, "holds this command's own input")
    assert _names(codebook.parent) == ["codebook.yaml"]


@pytest.mark.parametrize("which", ["draft", "fit"])
@pytest.mark.parametrize("code, words", [
    (errno.EACCES, "permission denied"),                       # a read-only parent folder
    (errno.EROFS, "read-only file system"),                    # a read-only file system
])
def test_the_codebook_paths_where_nothing_can_be_written_are_one_line(
        tmp_path, monkeypatch, small_cases, drafted, which, code, words):
    _cannot_create(monkeypatch, code)
    out = tmp_path / ("codebook.yaml" if which == "draft" else "release")
    result = _run(*_codebook_path(which, small_cases, drafted, out))
    _one_line_exit_2(result, f"cannot write {tmp_path}", words, "--out")
    assert _names(tmp_path) == []


@pytest.mark.parametrize("which", ["draft", "fit"])
def test_the_codebook_paths_on_a_full_disk_are_one_line_and_keep_the_old_output(
        tmp_path, monkeypatch, small_cases, drafted, which):
    """A disk that fills while the staged files are written: the error names no file (the file
    was open), and still becomes the one line about the --out (mocked: a real full disk needs
    a small mounted file system)."""
    write_text = Path.write_text

    def full(self, *args, **kwargs):
        if ".tmp" in str(self):  # a staged file, or one in a staging folder
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        return write_text(self, *args, **kwargs)

    out = _existing(which, tmp_path)
    monkeypatch.setattr(Path, "write_text", full)
    result = _run(*_codebook_path(which, small_cases, drafted, out), "--force")
    _one_line_exit_2(result, f"cannot write {out}: no space left on the disk")
    assert _kept(which, out)
    assert _names(tmp_path) == [out.name]


# ---- tables and folders that are not what they claim ----------------------------------------

def test_evaluate_on_an_empty_release_is_one_line(tmp_path, small_cases):
    empty = tmp_path / "release"
    empty.mkdir()
    (empty / "cases.csv").write_text("")
    _one_line_exit_2(_run("synth", "evaluate", "--real", small_cases, "--release", empty,
                          "--out", tmp_path / "ev.html"), "cases.csv is empty")
    (empty / "cases.csv").write_text("caseId,gender\n")
    _one_line_exit_2(_run("synth", "evaluate", "--real", small_cases, "--release", empty,
                          "--out", tmp_path / "ev.html"), "has no rows")
    assert _names(tmp_path) == ["release"]


@pytest.fixture(scope="module")
def results(tmp_path_factory, release) -> Path:
    out = tmp_path_factory.mktemp("results") / "run"
    scenario = out.parent / "small.yaml"
    scenario.write_text((SCENARIOS / "airport-baseline.yaml").read_text()
                        .replace("daily_volume: 8000", "daily_volume: 400")
                        .replace("transport: [plane]", "transport: [plane, bus]"))
    assert _run("sim", "run", scenario, "--replications", 3, "--out", out, "--population",
                release, "--jobs", 1).exit_code == 0
    return out


@pytest.mark.parametrize("damage, words", [
    (lambda f: (f / "replications.csv").write_text("a,b\n1,x\n"), "lacks the column(s)"),
    (lambda f: (f / "replications.csv").write_text(
        (f / "replications.csv").read_text().replace(",0.", ",zero.")), "not numbers"),
    (lambda f: (f / "run.json").write_text("{corrupt"), "run.json is not valid JSON"),
    (lambda f: (f / "run.json").write_text(json.dumps({"kind": "run", "scenarios": ["x"]})),
     "run.json lacks replications"),
])
def test_sim_report_on_a_damaged_results_folder_is_one_line(tmp_path, results, damage, words):
    import shutil

    folder = tmp_path / "damaged"
    shutil.copytree(results, folder)
    damage(folder)
    _one_line_exit_2(_run("sim", "report", folder), words, "write the folder again"
                     if "json" in words or "lacks rep" in words else "")
    assert not (folder / "report.html").exists()


def test_sim_report_refuses_an_existing_report_without_force(tmp_path, results):
    import shutil

    folder = tmp_path / "run"
    shutil.copytree(results, folder)
    assert _run("sim", "report", folder).exit_code == 0
    _one_line_exit_2(_run("sim", "report", folder), "report.html already exists")
    assert _run("sim", "report", folder, "--force").exit_code == 0
    assert not [p for p in folder.iterdir() if p.name.startswith(".")]


# ---- accepted before, now refused -----------------------------------------------------------

def test_evaluate_with_a_negative_k_is_one_line(tmp_path, small_cases, fitted):
    _one_line_exit_2(_run("synth", "evaluate", "--real", small_cases, "--release", fitted,
                          "--out", tmp_path / "ev.html", "--k", -4),
                     "--k must be at least 2 (got -4)")


@pytest.mark.parametrize("vary, words", [
    ("officers=1,,2", "an empty value between commas"),
    ("training.specialist_share=0..1:0.0000001", "10,000,001 values"),
    ("officers=1..inf", "'inf' is not a number"),
])
def test_a_bad_sweep_axis_is_one_line(tmp_path, release, small_airport, vary, words):
    _one_line_exit_2(_run("sim", "sweep", small_airport, "--vary", vary, "--out",
                          tmp_path / "out", "--population", release), words)
    assert not (tmp_path / "out").exists()


def test_a_key_given_twice_in_one_sweep_is_one_line(tmp_path, release, small_airport):
    _one_line_exit_2(_run("sim", "sweep", small_airport, "--vary", "officers=1,2", "--vary",
                          "officers=3", "--out", tmp_path / "out", "--population", release),
                     "--vary officers is given twice")


def test_training_shares_adding_to_more_than_one_in_a_file_are_one_line(tmp_path, release):
    scenario = tmp_path / "over.yaml"
    scenario.write_text(f"based_on: {SCENARIOS / 'airport-baseline.yaml'}\n"
                        "training:\n  basic_share: 0.5\n  specialist_share: 0.8\n")
    _one_line_exit_2(_run("sim", "run", scenario, "--out", tmp_path / "out", "--population",
                          release), "add up to 1.3", "make them add up to 1 or less")


@pytest.mark.parametrize("which", ["scenario", "figures", "codebook"])
def test_a_yaml_key_given_twice_is_one_line(tmp_path, release, small_cases, which):
    path = tmp_path / "twice.yaml"
    if which == "scenario":
        path.write_text(f"based_on: {SCENARIOS / 'airport-baseline.yaml'}\n"
                        "officers: 4\nofficers: 12\n")
        result = _run("sim", "run", path, "--out", tmp_path / "out", "--population", release)
    elif which == "figures":
        path.write_text(IOM.read_text().replace("title:", "title: first\ntitle:", 1))
        result = _run("synth", "check", path)
    else:
        path.write_text("columns:\n  gender: {values: [Female, Male]}\n"
                        "  gender: {values: [Male]}\n")
        result = _run("synth", "fit", "--data", small_cases, "--codebook", path, "--out",
                      tmp_path / "out")
    _one_line_exit_2(result, "is given twice", "line")


# ---- counts far beyond the machine, and the noise before an error ----------------------------

def test_a_grid_too_large_to_hold_is_one_line(tmp_path, release, small_airport):
    result = _run("sim", "sweep", small_airport, "--vary", "officers=1..1000",
                  "--vary", "victims.share=0.001..0.5:0.001", "--out", tmp_path / "out",
                  "--population", release)
    _one_line_exit_2(result, "a grid of 500,000 cells is more than a sweep takes (10,000)")


def test_a_sweep_far_beyond_a_day_is_refused_with_its_estimate(tmp_path, release,
                                                               small_airport):
    result = _run("sim", "sweep", small_airport, "--vary", "officers=1..100",
                  "--vary", "victims.share=0.001..0.1:0.001", "--replications", 5000,
                  "--jobs", 1, "--out", tmp_path / "out", "--population", release)
    line = _one_line_exit_2(result, "replications of about 800 travellers would take about",
                            "--yes")
    assert "days" in line or "hours" in line
    assert not (tmp_path / "out").exists()


def test_a_sim_error_found_after_loading_is_the_only_line(tmp_path, release, small_airport):
    """The scenario warns (utilisation 2.6 at the busiest hour), yet a refusal prints nothing
    before its line: no warning, no 'Running N replications'."""
    result = _run("sim", "run", small_airport, "--replications", 10**9, "--out",
                  tmp_path / "out", "--population", release)
    _one_line_exit_2(result, "would take about")
    warned = _run("sim", "run", small_airport, "--replications", 2, "--out", tmp_path / "ok",
                  "--population", release, "--jobs", 1)
    assert warned.exit_code == 0 and "Warning:" in warned.stderr   # the warning itself stays


# ---- the merged simulation commands: sensitivity, optimise, national run and compare ----------

@pytest.fixture
def network(tmp_path) -> Path:
    """A small national network (three points, a quarter day each)."""
    from test_sim_national import write_network

    return write_network(tmp_path / "net")


def _optimise(scenario, *extra):
    return ("sim", "optimise", scenario, "--budget", "+100000", "--decide", "officers=1..2",
            *extra)


@pytest.mark.parametrize("budget", ["lots", "-5", "nan", "+inf"])
def test_optimise_with_a_bad_budget_is_one_line(tmp_path, release, small_airport, budget):
    args = ["sim", "optimise", small_airport, "--budget", budget, "--decide", "officers=1..2",
            "--population", release, "--out", tmp_path / "opt"]
    _one_line_exit_2(_run(*args), "--budget must be", repr(budget))
    assert not (tmp_path / "opt").exists()


@pytest.mark.parametrize("decide, words", [
    ("officers=4..1", "the range must go up by a positive step"),
    ("officers=1..3:0", "the range must go up by a positive step"),
    ("officers=1..nan", "is not a number"),
    ("officers=1,,2", "an empty value between commas"),
    ("officers=1..100000", "at most 1,000 per key"),
])
def test_optimise_with_a_bad_decide_range_is_one_line(tmp_path, release, small_airport, decide,
                                                     words):
    args = ["sim", "optimise", small_airport, "--budget", "+100000", "--decide", decide,
            "--population", release, "--out", tmp_path / "opt"]
    _one_line_exit_2(_run(*args), f"--decide {decide}", words)
    assert not (tmp_path / "opt").exists()


@pytest.mark.parametrize("constraint, words", [
    ("desk_wiat_p95<=45", "no KPI desk_wiat_p95"),
    ("desk_wait_p95<=soon", "'soon' is not a number"),
    ("desk_wait_p95<=nan", "'nan' is not a number"),
    ("desk_wait_p95=45", "expected KPI<=VALUE"),
])
def test_optimise_with_an_unknown_or_bad_constraint_is_one_line(tmp_path, release,
                                                                small_airport, constraint, words):
    result = _run(*_optimise(small_airport, "--constraint", constraint, "--population", release,
                             "--out", tmp_path / "opt"))
    _one_line_exit_2(result, f"--constraint {constraint}", words)
    assert not (tmp_path / "opt").exists()


def test_a_national_file_naming_a_point_file_that_is_not_there_is_one_line(tmp_path, release,
                                                                           network):
    (network.parent / "rail.yaml").unlink()
    for args in (["run", network], ["compare", network, network],
                 [*_optimise(network)[1:3], "--budget", "+1", "--decide", "air.officers=3,4"]):
        result = _run("sim", *args, "--population", release, "--out", tmp_path / "out")
        _one_line_exit_2(result, "scenario file not found", "rail.yaml")
    assert not (tmp_path / "out").exists()


def test_a_national_file_with_a_repeated_key_is_one_line_at_its_line(tmp_path, release, network):
    network.write_text(network.read_text() + "victims_per_day: 13\n")
    result = _run("sim", "run", network, "--population", release, "--out", tmp_path / "out")
    _one_line_exit_2(result, "not valid YAML at line", "'victims_per_day' is given twice")
    assert not (tmp_path / "out").exists()


def _new_commands(tmp_path, small_airport, network) -> dict[str, list]:
    return {
        "sensitivity": ["sim", "sensitivity", small_airport, "--method", "morris-simulated",
                        "--samples", 2, "--replications", 1],
        "emulated sensitivity": ["sim", "sensitivity", small_airport, "--points", 40],
        "optimise": list(_optimise(small_airport)),
        "national run": ["sim", "run", network, "--replications", 2],
        "national compare": ["sim", "compare", network, network, "--replications", 2],
    }


@pytest.mark.parametrize("command", ["sensitivity", "optimise", "national run",
                                     "national compare"])
def test_the_new_commands_refuse_an_existing_out_without_force(tmp_path, release,
                                                               small_airport, network, command):
    out = tmp_path / "out"
    out.mkdir()
    (out / "summary.csv").write_text("an earlier result")
    args = _new_commands(tmp_path, small_airport, network)[command]
    _one_line_exit_2(_run(*args, "--population", release, "--out", out, "--jobs", 1),
                     f"--out {out} already exists (use --force")
    assert _names(out) == ["summary.csv"]
    assert (out / "summary.csv").read_text() == "an earlier result"


@pytest.mark.slow
def test_a_national_run_with_force_replaces_the_folder_only_when_complete(tmp_path, release,
                                                                          network):
    out = tmp_path / "out"
    out.mkdir()
    (out / "summary.csv").write_text("an earlier result")
    result = _run("sim", "run", network, "--replications", 2, "--population", release,
                  "--out", out, "--jobs", 1, "--force")
    assert result.exit_code == 0, result.output
    assert "kpi" in (out / "summary.csv").read_text() and (out / "routing.csv").is_file()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["net", "out"]   # no staging left


@pytest.mark.parametrize("command", ["sensitivity", "optimise", "national run",
                                     "national compare"])
def test_the_new_commands_refuse_a_negative_seed(tmp_path, release, small_airport, network,
                                                 command):
    args = _new_commands(tmp_path, small_airport, network)[command]
    result = _run(*args, "--population", release, "--seed", -1, "--out", tmp_path / "out")
    _one_line_exit_2(result, "--seed must be 0 or more (got -1)")
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("command, extra", [
    ("national run", ["--replications", 10**9]),
    ("sensitivity", ["--samples", 10**7]),
    ("emulated sensitivity", ["--points", 10**7]),
])
def test_the_new_commands_refuse_a_run_far_beyond_a_day_before_any_work(
        tmp_path, release, small_airport, network, command, extra):
    args = _new_commands(tmp_path, small_airport, network)[command]
    result = _run(*args, *extra, "--population", release, "--out", tmp_path / "out")
    _one_line_exit_2(result, "would take about", "--yes")
    assert not (tmp_path / "out").exists()


def test_audit_without_delta_is_one_line_naming_it(tmp_path, small_cases):
    # the audit takes fit's own refusals before it spends any budget
    result = _run("synth", "audit", "--data", small_cases, "--epsilon", 1,
                  "--out", tmp_path / "audit.json")
    _one_line_exit_2(result, "--epsilon needs --delta")
    assert not (tmp_path / "audit.json").exists()
