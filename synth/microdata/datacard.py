"""The data card of a release fitted to case records: how it was made and what it protects.

Written for the people who will use the data; under differential privacy it states the budget,
the mechanism, the split and every measurement, and tells no count of the input.
"""

from __future__ import annotations

from tipkit.synth.release.schema import CASE_ID, LEG_COLUMNS, LEG_QUASI_IDENTIFIERS, OTHER


_METHOD = (
    "- Method: the one-, two- and three-way tables of the case records were measured; "
    "candidate rows were drawn from the pairwise structure of those tables, weighted by "
    "iterative proportional fitting so that their tables match the measured ones, and every "
    "combination that would occur fewer than k times was dropped and the rest recalibrated. "
    "No row is copied from the input: rows are generated, ids are new.")
_PRIVATE_METHOD = (
    "- Method: noisy tables of the case records were measured (which ones, chosen round by "
    "round: see the budget below); a model, weights on candidate rows, was fitted to them by "
    "maximum likelihood; every combination that would occur fewer than k times was dropped "
    "and the rest recalibrated to the model's tables, then whole counts were moved between "
    "rows where that brought the release closer to them. No row is copied from the input: "
    "rows are generated, ids are new.")


def datacard(fitted) -> str:
    """Markdown for `datacard.md` of a FittedRelease."""
    s = fitted.settings
    columns = [c for c in fitted.cases.columns if c != CASE_ID]
    lines = [
        "# Data card: synthetic case records fitted to case data",
        "",
        "## How it was made",
        f"- Source format: {fitted.source_format}.",
        f"- Released: {len(fitted.cases)} synthetic cases, columns {', '.join(columns)}; "
        f"{fitted.profiles} distinct rows.",
        f"- Engine: `{s.engine}`. Seed: {s.seed}. Command: `tipkit synth fit --k {s.k} "
        f"--seed {s.seed}" + (f" --epsilon {s.epsilon:g} --delta {s.delta:g}" if s.private else "")
        + "`.",
        _PRIVATE_METHOD if s.private else _METHOD,
        "- Values that no release could show k times were generalised to "
        f"\"{OTHER}\"" + (":" if fitted.generalised else "."),
    ]
    for name, n in fitted.generalised.items():
        lines.append(f"  - {name}: {n} values.")
    if fitted.out_of_domain:
        lines.append(f"- Values outside the public list of their column were read as \"{OTHER}\":")
        for name, values in fitted.out_of_domain.items():
            shown = ", ".join(sorted(values)) if not s.private else "(not listed: DP release)"
            lines.append(f"  - {name}: {shown}")
    if fitted.journeys is not None:
        lines += _journey_lines(fitted)
    lines += [
        "",
        "## Guarantees (checked on the written files)",
        f"- k-anonymity with k = {s.k} on the quasi-identifiers "
        f"({', '.join(fitted.quasi_identifiers)}).",
        f"- No combination of up to {s.reporting_length} values, across all columns, occurs in "
        f"fewer than {s.k} rows (the Synthetic Data Showcase's rule).",
    ]
    if fitted.journeys is not None:
        lines += [
            f"- legs.csv: every leg's {', '.join(LEG_QUASI_IDENTIFIERS)} together with its "
            f"case's quasi-identifiers are shared by at least {s.k} legs; no combination of up "
            f"to {s.reporting_length} values of {', '.join(LEG_COLUMNS)} occurs in fewer than "
            f"{s.k} legs; leg ids are new (1..m) and every leg belongs to a released case.",
        ]
    if s.private:
        b = fitted.budget
        lines += [
            f"- ({b['epsilon']:g}, {b['delta']:g})-differential privacy for the whole release: "
            f"{b['mechanism']}, rho = {b['rho']:.5f} (spent {b['rho_spent']:.5f}). Every category "
            "list is public (ISO 3166-1, the CTDC codebook, the year range "
            f"{(s.years or (2000, 2030))[0]}-{(s.years or (2000, 2030))[1]}); everything after "
            "the noisy measurements (fitting, sampling, k-anonymisation) is post-processing.",
            "- The released number of rows is itself a noisy count.",
        ]
        if fitted.journeys is not None:
            lines.append("- Neighbouring inputs differ by one case together with all its journey "
                         "legs: each case is one row of every measured table, so every table "
                         "keeps sensitivity 1.")
        lines += [
            "- How the budget was spent: first the one-way table of every column; then, round "
            "by round, the exponential mechanism chose the table the model fitted worst (less "
            "the noise its measurement would carry) and the Gaussian mechanism measured it, "
            "until the budget was spent (AIM, McKenna et al. 2022). Each choice is listed with "
            "its budget and the number of tables it chose among.",
            "",
            "### Budget split (every measurement and every choice)",
            "",
            "| step | rho | noise sigma | cells (choices: tables chosen among) |",
            "|---|---|---|---|",
        ]
        lines += [f"| {m['measurement']} | {m['rho']:.6f} | "
                  f"{'-' if m.get('mechanism') == 'exponential' else format(m['sigma'], '.2f')} | "
                  f"{m['cells']} |" for m in b["measurements"]]
    else:
        lines += [
            "- No released row has the quasi-identifier values of a record that is unique on "
            f"them in the input ({fitted.unique_rows_excluded} candidate rows were excluded "
            "for this).",
        ]
        if fitted.journeys is not None:
            lines.append("- No released leg has the border point, transport mode, travel document "
                         "and case quasi-identifiers of an input leg that is unique on them.")
        lines += [
            "- This release is not differentially private: its tables are fitted to exact "
            "counts of the input.",
        ]
    lines += [
        "",
        "## What this does not protect against",
        "- Someone who knows a person is in the data may still learn what is true of most "
        "people who share their quasi-identifiers (attribute disclosure; see the l-diversity in "
        "`tipkit synth evaluate`).",
        "- Without --epsilon, the presence of a common combination in the release reflects the "
        "input; differential privacy bounds what any single record can change.",
        "- Relationships among four or more columns are only those implied by the fitted tables.",
    ]
    if fitted.journeys is not None:
        lines.append("- The legs of a released case all share its journey values; a journey "
                     "whose legs differ in the input is not reproduced leg by leg.")
    lines.append("")
    return "\n".join(lines)


def _journey_lines(fitted) -> list[str]:
    """How the journey legs were modelled: summarised per case, fitted, expanded back."""
    j, s = fitted.journeys, fitted.settings
    journey = [c for c in LEG_COLUMNS if c != "legIndex"]
    counts = ", ".join(str(n) for n in j["counts"])
    lines = [
        f"- Journey legs: {j['legs']} legs in legs.csv. Each input case's legs were summarised "
        "into case-level columns: legCount (its number of legs) and "
        f"{', '.join(journey)}, taken from its first leg (lowest legIndex). These columns were "
        "fitted jointly with the case columns, as more measured columns (one case with all "
        "its legs is one row of every table), and take part in the k-anonymisation. Each "
        "released case was then expanded into legCount legs numbered 1 to legCount, which all "
        "carry its journey values. Leg ids are new.",
        f"- Numbers of legs per released case: {counts}. A number of legs that no release "
        "could show k times is recoded to the nearest one that can be shown (a case without "
        "legs is never given any: if too few cases have none, none is released).",
    ]
    if s.private:
        lines.append("- Where the legs of an input case differ, its first leg's values are used.")
    else:
        lines.append(f"- Input: {j['input_legs']} legs; {j['varying']} cases had legs whose "
                     "journey values differ, summarised by their first leg.")
        for name, n in j["generalised"].items():
            what = "number of legs recoded" if name == "legCount" else f"\"{OTHER}\""
            lines.append(f"  - {name}: {n} cases ({what}).")
    return lines
