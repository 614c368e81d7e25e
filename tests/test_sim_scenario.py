"""Scenario files: checked on load, every shipped value sourced or marked as an assumption."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from tipkit.sim.model.queueing import offered_utilisation
from tipkit.sim.model.scenario import Scenario
from tipkit.sim.model.scenario_files import load_scenario
from tipkit.errors import UserError

from test_sim_support import small_scenario

SCENARIOS = Path(__file__).resolve().parents[1] / "scenarios"


def test_unknown_key_is_an_error_that_suggests_the_right_one(tmp_path):
    path = tmp_path / "typo.yaml"
    path.write_text("oficers: 12\n")
    with pytest.raises(UserError, match="unknown key oficers.*did you mean officers"):
        load_scenario(path)


def test_unknown_nested_key_names_its_section():
    with pytest.raises(UserError, match=r"secondary: unknown key specialist \(did you mean "
                                        r"specialists\?\)"):
        Scenario.from_mapping({"secondary": {"specialist": 3}})


@pytest.mark.parametrize("raw, problem", [
    ({"officers": 0}, "officers: 0 is outside 1"),
    ({"victims": {"share": 1.5}}, "victims.share: 1.5 is outside"),
    ({"officers": 2.5}, "expected a whole number"),
    ({"shelter": {"beds": 2, "occupied_at_start": 3}}, "more than the 2 beds"),
    ({"arrivals": {"hourly_profile": [1, 2]}}, "expected 24 numbers"),
    ({"egates": {"service_seconds": {"distribution": "lognormal", "median": 30}}},
     "needs median and sigma"),
    ({"run": {"days": 1, "warmup_hours": 30}}, "leaves nothing"),
    ({"desk": {"service_seconds": {"distribution": "gamma"}}}, "not one of lognormal"),
])
def test_out_of_range_values_are_refused_with_the_key_named(raw, problem):
    with pytest.raises(UserError, match=re.escape(problem)):
        Scenario.from_mapping(raw)


def test_invalid_yaml_is_a_one_line_error(tmp_path):
    path = tmp_path / "broken.yaml"
    path.write_text("officers: [1, 2\n")
    with pytest.raises(UserError, match="not valid YAML"):
        load_scenario(path)


def test_dotted_change_to_an_unknown_key_is_refused():
    with pytest.raises(UserError, match="did you mean specialist_share"):
        small_scenario().with_values({"training.specialist_shares": 0.5})


def test_dotted_change_is_checked_like_a_file():
    changed = small_scenario().with_values({"training.specialist_share": 0.5, "officers": 8})
    assert (changed.training.specialist_share, changed.officers) == (0.5, 8)
    with pytest.raises(UserError, match="officers"):
        small_scenario().with_values({"officers": -1})


def test_more_training_makes_every_officer_at_least_as_trained():
    rank = {"none": 0, "basic": 1, "specialist": 2}
    for officers in (1, 5, 10, 13):
        previous = None
        for share in (0, 0.1, 0.25, 0.5, 0.75, 1):
            levels = small_scenario({"training.specialist_share": share,
                                     "training.basic_share": 0}).officer_levels(officers)
            assert len(levels) == officers
            assert levels.count("specialist") == round(share * officers + 1e-9) or \
                abs(levels.count("specialist") - share * officers) <= 0.5 + 1e-9
            if previous is not None:
                assert all(rank[a] >= rank[b] for a, b in zip(levels, previous))
            previous = levels


def test_utilisation_at_or_above_one_is_flagged_before_running():
    busy = small_scenario({"officers": 1})
    assert offered_utilisation(busy).desks_mean >= 1
    assert any("grow without limit" in w for w in offered_utilisation(busy).warnings())
    assert offered_utilisation(small_scenario()).warnings() == []


@pytest.mark.parametrize("name", ["airport-baseline.yaml", "land-border-baseline.yaml"])
def test_shipped_baselines_load(name):
    scenario = load_scenario(SCENARIOS / name)
    assert scenario.name == name.removesuffix(".yaml")


def _leaf_lines_without_source(text: str) -> list[str]:
    """Lines holding a value whose comment (or an enclosing section's comment) neither cites
    border-parameters.md (or cost-sources.md) nor says assumption."""
    tagged = ("border-parameters.md", "cost-sources.md", "assumption", "by definition")
    stack: list[tuple[int, bool]] = []       # (indent, section is tagged)
    missing = []
    above = ""                               # a comment line just above applies to the next
    for line in text.splitlines():
        if not line.strip():
            above = ""
            continue
        if line.lstrip().startswith("#"):
            above = line
            continue
        indent = len(line) - len(line.lstrip())
        body, _, comment = line.partition("#")
        ok = any(t in comment + above for t in tagged)
        above = ""
        while stack and stack[-1][0] >= indent:
            stack.pop()
        inherited = any(t for _, t in stack)
        key, _, value = body.strip().partition(":")
        if value.strip():
            if key not in ("name", "question", "distribution", "based_on") and not (ok or inherited):
                missing.append(line)
        else:
            stack.append((indent, ok or inherited))
    return missing


def test_every_shipped_value_cites_its_source_or_says_assumption():
    files = sorted(SCENARIOS.glob("*.yaml"))
    assert len(files) >= 2
    for path in files:
        text = path.read_text()
        assert text.startswith("# Question:"), f"{path.name} must open with its question"
        assert _leaf_lines_without_source(text) == [], path.name
        yaml.safe_load(text)
        load_scenario(path)


def test_the_source_check_catches_an_unsourced_value():
    assert _leaf_lines_without_source("officers: 3\nvictims:\n  share: 0.1  # assumption\n") \
        == ["officers: 3"]


def test_a_scenario_based_on_another_changes_only_what_it_names(tmp_path):
    (tmp_path / "base.yaml").write_text("officers: 7\ntraining:\n  basic_share: 0.3\n"
                                        "desk:\n  target_minutes: 25\n")
    (tmp_path / "option.yaml").write_text("based_on: base.yaml\ntraining:\n"
                                          "  specialist_share: 0.5\n")
    option = load_scenario(tmp_path / "option.yaml")
    assert option.name == "option"
    assert (option.officers, option.training.basic_share, option.training.specialist_share,
            option.desk.target_minutes) == (7, 0.3, 0.5, 25)
    (tmp_path / "loop.yaml").write_text("based_on: loop.yaml\n")
    with pytest.raises(UserError, match="circle"):
        load_scenario(tmp_path / "loop.yaml")


def test_the_library_answers_the_common_questions():
    names = {p.stem for p in SCENARIOS.glob("*.yaml")}
    assert {"airport-train-none", "airport-train-half", "airport-train-all",
            "airport-more-desks", "airport-egates", "airport-holiday-surge",
            "airport-shelter-expansion", "land-border-night-one-officer"} <= names
    base = load_scenario(SCENARIOS / "airport-baseline.yaml")
    half = load_scenario(SCENARIOS / "airport-train-half.yaml")
    assert half.training.specialist_share == 0.5
    assert half.with_values({"training.specialist_share": 0.0, "name": base.name,
                             "question": base.question}) == base


def test_specialist_training_takes_precedence_over_basic():
    mix = small_scenario({"training.basic_share": 0.4, "training.specialist_share": 0.8})
    assert mix.training.shares() == pytest.approx({"specialist": 0.8, "basic": 0.2, "none": 0})
    assert mix.officer_levels(10) == ["specialist"] * 8 + ["basic"] * 2


def test_code_defaults_are_the_sourced_airport_baseline():
    """The sourced values live in the YAML: the code's defaults must equal them, so that a
    scenario leaving a key out runs the cited value, never a second, unsourced one."""
    baseline = load_scenario(SCENARIOS / "airport-baseline.yaml").to_mapping()
    defaults = Scenario().to_mapping()
    for key in ("name", "question"):
        baseline.pop(key), defaults.pop(key)
    assert defaults == baseline


def test_a_partial_section_keeps_the_level_defaults_but_a_duration_is_given_whole():
    scenario = Scenario.from_mapping({"screening": {"specialist": {"document": 0.9}},
                                      "desk": {"service_seconds": {"distribution": "exponential",
                                                                   "mean": 60}}})
    assert scenario.screening.specialist.document == 0.9
    assert scenario.screening.specialist.control == Scenario().screening.specialist.control
    assert scenario.desk.service_seconds.cap is None       # not merged with the default's cap


def test_options_loaded_under_one_name_are_named_apart_by_their_files(tmp_path):
    """Two files that call themselves the same are told apart by file name, scenarios and
    national networks alike; an option whose name is free keeps it."""
    from tipkit.sim.model.national import load_national
    from tipkit.sim.model.scenario_files import named_apart

    base = SCENARIOS / "airport-baseline.yaml"
    copy = tmp_path / "my-airport.yaml"
    copy.write_text(base.read_text())
    first = named_apart(load_scenario(base), base, {})
    second = named_apart(load_scenario(copy), copy, {first.name: first})
    assert first.name == load_scenario(base).name
    assert second.name == f"{first.name} (my-airport)"
    assert second.with_values({"name": first.name}) == first    # nothing else changed
    network = SCENARIOS / "national" / "national-baseline.yaml"
    national = load_national(network)
    assert named_apart(national, tmp_path / "b.yaml", {national.name: national}).name == \
        f"{national.name} (b)"
