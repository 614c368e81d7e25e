"""The data card of a release fitted to case records: how it was made and what it protects.

Written for the people who will use the data; under differential privacy it states the budget,
the mechanism, the split and every measurement, and tells no count of the input.
"""

from __future__ import annotations

from tipkit.synth.microdata.codebook import DEFAULT_YEARS, SHIPPED
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


def datacard(fitted, made) -> str:
    """Markdown for `datacard.md` of a FittedRelease: how it was made and what it promises as
    its release.json (`made`, a manifest.Manifest) states them."""
    s = made.settings
    private = made.promised.differential_privacy is not None
    years = s.options.get("years") or DEFAULT_YEARS
    columns = [c for c in fitted.cases.columns if c != CASE_ID]
    lines = [
        "# Data card: synthetic case records fitted to case data",
        "",
        "## How it was made",
        f"- Source format: {fitted.source_format}.",
        f"- Released: {len(fitted.cases)} synthetic cases, columns {', '.join(columns)}; "
        f"{fitted.profiles} distinct rows.",
        f"- Engine: `{s.engine}`. Seed: {s.seed}. Command: `{made.command}`.",
        _PRIVATE_METHOD if private else _METHOD,
        "- Values that no release could show k times were generalised to "
        f"\"{OTHER}\"" + (":" if fitted.generalised else "."),
    ]
    for name, n in fitted.generalised.items():
        lines.append(f"  - {name}: {n} values.")
    if fitted.out_of_domain:
        lines.append(f"- Values outside the public list of their column were read as \"{OTHER}\":")
        for name, values in fitted.out_of_domain.items():
            if not private:
                lines.append(f"  - {name}: {sum(values.values())} values: {', '.join(sorted(values))}")
                continue
            count, sigma = fitted.out_of_domain_noisy.get(name, (float("nan"), float("nan")))
            lines.append(f"  - {name}: about {count:.0f} records hold \"{OTHER}\" in the measured "
                         f"one-way table, with the values too rare to keep (a noisy count, sigma "
                         f"{sigma:.1f}; the values are not listed: DP release)")
    if s.codebook is not None:
        lines += _codebook_lines(fitted, made)
    if fitted.journeys is not None:
        lines += _journey_lines(fitted)
    in_bins = " (numbers counted in their bins)" if made.promised.codings else ""
    lines += [
        "",
        "## Guarantees (checked on the written files)",
        f"- k-anonymity with k = {s.k} on the quasi-identifiers "
        f"({', '.join(s.quasi_identifiers)}){in_bins}.",
        f"- No combination of up to {s.reporting_length} values, across all columns, occurs in "
        f"fewer than {s.k} rows (the Synthetic Data Showcase's rule){in_bins}.",
    ]
    if made.promised.impossible_combinations is not None:
        rules = len(fitted.codebook.impossible)
        lines.append(f"- No row has a combination the codebook calls impossible "
                     f"({rules} rule{'' if rules == 1 else 's'}, listed above){in_bins}.")
    if fitted.journeys is not None:
        lines += [
            f"- legs.csv: every leg's {', '.join(LEG_QUASI_IDENTIFIERS)} together with its "
            f"case's quasi-identifiers are shared by at least {s.k} legs; no combination of up "
            f"to {s.reporting_length} values of {', '.join(LEG_COLUMNS)} occurs in fewer than "
            f"{s.k} legs; leg ids are new (1..m) and every leg belongs to a released case.",
        ]
    if private:
        b = made.promised.differential_privacy
        lines += [
            f"- ({b['epsilon']:g}, {b['delta']:g})-differential privacy for the whole release: "
            f"{b['mechanism']}, rho = {b['rho']:.5f} (spent {b['rho_spent']:.5f}). "
            + _public_lists(fitted, years) + "; everything after the noisy measurements (fitting, "
            "sampling, k-anonymisation, numbers drawn inside their bins) is post-processing.",
            "- The released number of rows is itself a noisy count. (An epsilon whose noise "
            "would swamp every count is refused before any measurement.)",
        ]
        lines += _exact_value_evidence(fitted)
        if fitted.journeys is not None:
            lines.append("- Neighbouring inputs differ by one case together with all its journey "
                         "legs: each case is one row of every measured table, so every table "
                         "keeps sensitivity 1.")
        lines += _budget_lines(b)
    else:
        lines += [
            "- No released row has the quasi-identifier values of a record that is unique on "
            f"them in the input{in_bins} ({fitted.unique_rows_excluded} candidate rows were "
            "excluded for this).",
        ]
        if made.promised.released_uniques_excluded:
            lines.append(
                "- In the values released (numbers as the file shows them, not their bins): no "
                "released row is a record that is unique in the input on the released columns "
                f"(SDNist's unique exact matches: 0). {fitted.values_redrawn} rows whose drawn "
                "number would have been one had it swapped with another row of the same bin or "
                f"drawn again inside its bin; {fitted.values_unavoidable} candidate rows were "
                "excluded because every number of their bin would have been one.")
        if fitted.journeys is not None:
            lines.append("- No released leg has the border point, transport mode, travel document "
                         "and case quasi-identifiers of an input leg that is unique on them.")
        lines += [
            "- This release is not differentially private: its tables are fitted to exact "
            "counts of the input.",
        ]
    if fitted.audit is not None:  # fit --audit
        from tipkit.synth.microdata.evidence import evidence_lines

        lines += evidence_lines(fitted.audit)
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


def _exact_value_evidence(fitted) -> list[str]:
    """Under DP, with numbers drawn inside their bins: no check against the records after the
    draw (the budget does not cover one), and the figure measured, as evidence only."""
    if fitted.exact_matches_measured is None:
        return []
    share = (f" ({fitted.exact_matches_measured / fitted.input_uniques:.2%} of "
             f"{fitted.input_uniques})" if fitted.input_uniques else "")
    return [
        "- Numbers drawn inside their bins are not checked against the records: under "
        "differential privacy no post-check against the records is allowed (it would use them "
        "outside the budget). Measured after the release was made, as evidence only (not a "
        "guarantee, and changing nothing in the release): "
        f"{fitted.exact_matches_measured} records unique in the input on the released columns "
        f"reappear exactly in the values released{share} (SDNist's unique exact matches). A "
        "random sample of the records reproduces about its own share of them (10% for a 10% "
        "sample).",
    ]


def _budget_lines(b: dict) -> list[str]:
    """How the budget was spent, as release.json records it: the measurements outside the
    rounds (the one-way tables), then every round's choice and measurement."""
    before = [m for m in b["measurements"] if m.get("round") is None]
    lines = [
        "- How the budget was spent: first the one-way table of every column; then, round "
        "by round, the exponential mechanism chose the table the model fitted worst (less "
        "the noise its measurement would carry) among those still open, and the Gaussian "
        "mechanism measured it, until the budget was spent (AIM, McKenna et al. 2022). "
        f"{len(b['rounds'])} rounds; every measurement and every choice is listed below with "
        "its rho, and they add up to the rho spent.",
        "",
        "### Measurements before the rounds",
        "",
        "| measurement | rho | noise sigma | cells |",
        "|---|---|---|---|",
    ]
    lines += [f"| {m['measurement']} | {m['rho']:.6f} | {m['sigma']:.2f} | {m['cells']} |"
              for m in before]
    lines += [
        "",
        "### Selection rounds (the table chosen, and its measurement)",
        "",
        "| round | table chosen | among | rho of the choice | rho of the measurement "
        "| noise sigma |",
        "|---|---|---|---|---|---|",
    ]
    lines += [f"| {r['round']} | {r['table']} | {r['among']} | {r['choice_rho']:.6f} | "
              f"{r['rho']:.6f} | {r['sigma']:.2f} |" for r in b["rounds"]]
    return lines


def _public_lists(fitted, years) -> str:
    """Where a DP release's category lists come from (`years`: a CTDC file's year range)."""
    codebook = fitted.codebook
    if codebook is None or codebook.builtin:
        first, last = years
        return (f"Every category list is public (ISO 3166-1, the CTDC codebook, the year range "
                f"{first}-{last})")
    return (f"Every category list, range and bin is public: from codebook {codebook.name}, "
            "whose every released column is marked public (reviewed)")


def _codebook_lines(fitted, made) -> list[str]:
    """Which codebook was used (as release.json records it), how numbers were released, and the
    impossible combinations."""
    codebook, shipped = fitted.codebook, made.settings.codebook
    kind = "built-in codebook" if codebook.builtin else "codebook"
    lines = [f"- Read with the {kind} `{shipped.name}`, shipped as `{SHIPPED}` "
             f"(sha256 {shipped.sha256})"
             + (": the value lists taken from the data are cut to the values released."
                if fitted.codebook_text != codebook.text else ".")]
    for name in fitted.cases.columns:
        column = codebook.columns.get(name)
        if column is None or not column.bins:
            continue
        how = ("as its bin (release: bin, the default: a bin is what was measured)"
               if column.release == "bin" else
               ("as a whole number drawn uniformly inside its bin, independently of the "
                "records (release: value)" if fitted.settings.private else
                "as a whole number drawn inside its bin (release: value) in proportion to how "
                "many input records hold each number, among those at least k = "
                f"{fitted.settings.k} hold (uniformly in a bin with none)")
               + "; each guarantee below says whether it counts the number in its bin or as "
               "released")
        lines.append(f"- {name}: measured in the bins {', '.join(column.bin_labels())}; released "
                     f"{how}.")
    for rule in codebook.impossible:
        lines.append(f"- Impossible combination {rule.number} (never released): {rule.text}.")
    return lines


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
