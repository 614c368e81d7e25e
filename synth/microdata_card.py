"""The data card of a release fitted to case records: how it was made and what it protects.

Written for the people who will use the data; under differential privacy it states the budget,
the mechanism, the split and every measurement, and tells no count of the input.
"""

from __future__ import annotations

from synth.schema import CASE_ID, OTHER


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
        "- Method: the one-, two- and three-way tables of the case records were measured; "
        "candidate rows were drawn from the pairwise structure of those tables, weighted by "
        "iterative proportional fitting so that their tables match the measured ones, and every "
        "combination that would occur fewer than k times was dropped and the rest recalibrated. "
        "No row is copied from the input: rows are generated, ids are new.",
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
    lines += [
        "",
        "## Guarantees (checked on the written files)",
        f"- k-anonymity with k = {s.k} on the quasi-identifiers "
        f"({', '.join(fitted.quasi_identifiers)}).",
        f"- No combination of up to {s.reporting_length} values, across all columns, occurs in "
        f"fewer than {s.k} rows (the Synthetic Data Showcase's rule).",
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
            "",
            "### Budget split (every measurement)",
            "",
            "| measurement | rho | noise sigma | cells |",
            "|---|---|---|---|",
        ]
        lines += [f"| {m['measurement']} | {m['rho']:.6f} | {m['sigma']:.2f} | {m['cells']} |"
                  for m in b["measurements"]]
    else:
        lines += [
            "- No released row has the quasi-identifier values of a record that is unique on "
            f"them in the input ({fitted.unique_rows_excluded} candidate rows were excluded "
            "for this).",
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
        "",
    ]
    return "\n".join(lines)
