"""The data card of a release built from published figures: a datasheet for the people who use it.

It says how the data were made, what every figure was asked and achieved, what was in tension,
where each column comes from, and what the privacy guarantee does and does not protect against.
"""

from __future__ import annotations

from tipkit.synth.published.consistency import figure_order
from tipkit.synth.release.schema import CASE_COLUMNS, JOURNEY_COLUMNS, LEG_COUNT, LEG_QUASI_IDENTIFIERS


def _figure_table(release) -> list[str]:
    rows = ["| # | figure | published | interval used | achieved (on the released rows) | source |",
            "|---|---|---|---|---|---|"]
    adjusted = {old.id: old for old, _ in release.analysis.adjustments}
    for fv in release.measured.figure_values:
        f, kind = fv.figure, fv.figure.definition
        interval = kind.interval_text(f.low, f.high)
        if f.kind == "count" and f.unit == "leg" and release.leg_range \
                and release.leg_range != (f.low, f.high):
            interval += f" (scaled: {kind.interval_text(*release.leg_range)})"
        if f.id in adjusted:
            old = adjusted[f.id]
            interval += f" (published {kind.interval_text(old.low, old.high)}, relaxed)"
        source = release.analysis.figures.sources.get(f.source, f.source)
        quote = f"{f.quote} - {source}" if f.quote else source
        if f.unsourced:  # the figure file gave no quote or no source: say so where it is read
            quote = f"**unsourced** (no {' and no '.join(f.unsourced)})" + (
                f": {quote.strip(' -')}" if quote.strip(" -") else "")
        rows.append(f"| {f.id} | {f.describe()} | {f.published or '-'} | {interval} | "
                    f"{kind.achieved_text(fv)} | {quote.replace('|', '/')} |")
    return rows


def _tension_lines(analysis) -> list[str]:
    lines = []
    for q in analysis.quantities:
        note = ""
        if q.in_tension:
            ids = ", ".join(sorted(q.tension_figures, key=figure_order))
            note = f" **In tension:** figures {ids} hold it away from its prior."
        lines.append(f"- {q.label} (among cases where known): prior {q.prior:.3f}, implied range "
                     f"[{q.range.low:.3f}, {q.range.high:.3f}], used {q.solution:.3f}.{note}")
    binding = ", ".join(f"{fid} ({side} end)" for fid, side in analysis.binding) or "none"
    lines.append(f"- Figures binding at the solution: {binding}.")
    if analysis.adjustments:
        lines.append("- The figures could not all hold as published; they were relaxed by the least "
                     "total adjustment (`--relax`), as the table above shows.")
    return lines


def _column_lines(release) -> list[str]:
    figures = release.analysis.figures.constraining
    named = {c: sorted({f.id for f in figures if c in f.columns}, key=figure_order)
             for c in (*CASE_COLUMNS, *JOURNEY_COLUMNS)}
    lines = []
    for column in (*CASE_COLUMNS, *JOURNEY_COLUMNS, LEG_COUNT):
        prior = release.priors[column]
        given = f", given {prior.given}" if prior.given else ""
        if named.get(column):
            how = f"published figures {', '.join(named[column])}, closest to the prior ({prior.source}{given})"
        else:
            how = f"prior: {prior.source}{given}"
        lines.append(f"- `{column}`: {how}")
    return lines


def datacard(release) -> str:
    """The card as Markdown: how the release was made and what it guarantees as its release.json
    states them (release.manifest), the figures and their tensions from the analysis."""
    made, a = release.manifest, release.analysis
    r, m = made.settings, made.measured
    qis = ", ".join(r.quasi_identifiers)
    generalised_by_prior = sum(int((release.cases[c] == "Other").sum())
                               for c in ("citizenship", "CountryOfExploitation"))
    values = len(release.cases) * len(CASE_COLUMNS)
    lines = [
        f"# Data card: {a.figures.title}",
        "",
        "## In plain words",
        f"{m.cases.rows:,} synthetic victims of trafficking and their {m.legs.rows:,} international journey legs. "
        "No row describes a real person: the data were drawn from published figures and public "
        "shares, not from case records. Every published figure below holds on the released rows "
        f"themselves. Every released case record is shared, identically, by at least {r.k} cases, so "
        "no one in it can be singled out by any combination of its values.",
        "",
        "## How it was made",
        f"- Command: `{made.command}` (tipkit {made.tool_version}).",
        "- Fit: the joint distribution of the columns the figures name, closest to the documented "
        "priors (maximum entropy relative to them), with every figure inside its interval; "
        "values go missing at random at their prior shares afterwards.",
        f"- Profiles: {release.profiles:,} distinct case records with their journeys were drawn from "
        f"that joint; an integer program (HiGHS) gave each at least {r.k} copies so that every figure "
        "lies inside its interval exactly on the released rows; columns no figure names were then "
        "filled from their priors by systematic sampling. Rows are shuffled; ids are sequential.",
        "- A journey has the same border point, transport mode, travel document, exploitation and "
        "group status on all its legs (a simplification: no published figure describes mixed journeys).",
        f"- Same inputs and seed give byte-identical files (seed {r.seed}; one random stream per input).",
        "",
        "## Published figures: interval and value achieved",
        *_figure_table(release),
        "",
        "## Figures in tension and how that was resolved",
        *_tension_lines(a),
        "",
        "## Privacy",
        f"- Quasi-identifiers of cases: {qis}; k = {r.k}. Smallest class in cases.csv: "
        f"{m.cases.smallest_class}.",
        f"- Legs: each leg's {', '.join(LEG_QUASI_IDENTIFIERS)} with its case's quasi-identifiers; "
        f"smallest class in legs.csv: {m.legs.smallest_class}.",
        f"- Rare combinations (1 to {r.reporting_length} values, any columns) in fewer than {r.k} rows: "
        f"cases {sum(m.cases.rare_by_length.values())}, legs {sum(m.legs.rare_by_length.values())}.",
        f"- Values generalised or suppressed to reach k: 0 of {values:,} (0.00%) and 0 rows: the "
        "release is k-anonymous by construction, so nothing had to be removed afterwards. "
        f"Separately, {generalised_by_prior:,} country values ({generalised_by_prior / values:.2%} of all values) are "
        "`Other` because the public shares name only the most common countries.",
        "- Checked after writing, by re-reading the files from disk.",
        "",
        "### What this does and does not protect against",
        "- It does: no record of a real victim is in these files; nobody can be singled out by "
        f"any combination of values, since each is shared by at least {r.k} rows.",
        "- It does not: protect the published figures themselves (they are public already), nor "
        "make the data a substitute for real case data in questions the figures do not cover. "
        "Dependence between columns exists only where a published figure implies it; every other "
        "column is independent of the rest, so cross-tabulations of unconstrained columns show no "
        "real structure. k-anonymity does not prevent inferring a value shared by a whole class "
        "(no l-diversity is claimed). This release is not differentially private: it was built "
        "from published aggregates, not from records.",
        "",
        "## Where each column comes from",
        *_column_lines(release),
        "",
        "## Files",
        f"- `cases.{r.format}`: `caseId` and the 27 fields of the CTDC Global Synthetic Dataset (blank = missing; "
        "countries as ISO 3166-1 alpha-3; `Other` = a country the public shares do not name).",
        f"- `legs.{r.format}`: `legId`, `caseId`, `legIndex`, `borderPoint`, `transportMode`, `travelDocument`, "
        "`exploitedBeforeCrossing`, `travelledInGroup`.",
        "- `metadata.json`: SDV metadata of both tables and their link; "
        "`sdv.metadata.Metadata.load_from_json('metadata.json')`.",
        "- `datapackage.json`: the standard description (Frictionless Data Package: types, keys, "
        "value lists, licence); `dataset.jsonld`: the same for repositories and search engines "
        "(schema.org Dataset). Loading in R or Stata: docs/loading-releases.md.",
        "",
    ]
    return "\n".join(lines)
