"""The report's global sensitivity: which assumptions the answer depends on (the Morris indices as
a chart), one plain sentence, what moves each headline KPI, and the range each assumption took."""

from __future__ import annotations

import html
import json
import math

from tipkit.sim.experiments.results import RUN_FILE, ResultFolder, read_results
from tipkit.sim.experiments.cost_effectiveness import money
from tipkit.sim.experiments.sensitivity import (CHANCE, COST_A_DAY, answer_outcome,
                                                summary_sentence)
from tipkit.sim.report.charts import Chart, Series
from tipkit.sim.report.tables import effect_text, effect_with_interval, outcome_words

KIND = "sensitivity"
SHOWN = 12          # assumptions in the chart
TOP = 3             # assumptions per KPI in the table


def included(results: ResultFolder) -> ResultFolder | None:
    """The global sensitivity of a results folder: the folder itself, or the first folder
    inside it that holds one (`tipkit sim sensitivity ... --out <compare folder>/sensitivity`)."""
    if results.kind == KIND:
        return results
    for sub in sorted(p for p in results.folder.iterdir() if p.is_dir()):
        run = sub / RUN_FILE
        if run.is_file() and json.loads(run.read_text("utf-8")).get("kind") == KIND:
            return read_results(sub)
    return None


def sentence(found: ResultFolder) -> str:
    meta = found.meta
    return summary_sentence(found.tables["indices"], meta["ranking"], meta["ranking_held"],
                            meta["ranking_judged"], meta["scenarios"][0],
                            found.tables.get("costs"), emulated=meta.get("emulated"))


def method_words(meta: dict) -> str:
    """How the indices were found, in one sentence for a caption or an appendix."""
    if meta.get("emulated"):
        return (f"{meta['method']}: {meta['points']} simulated assumption sets, "
                f"{meta['replications']} replication{'s' if meta['replications'] > 1 else ''} "
                f"of each option at each on the same days, then {meta['trajectories']} Morris "
                f"trajectories on the emulators; {meta['nominal_replications']} replications "
                "with every assumption as written")
    return (f"{meta['method']}; {meta['points']} sample points with {meta['replications']} "
            f"replications of each option at each, and {meta['nominal_replications']} with "
            "every assumption as written")


def chart(found: ResultFolder) -> Chart:
    """mu* of every assumption for the answer's outcome, largest first, beside chance."""
    meta, indices = found.meta, found.tables["indices"]
    outcome, scenario = answer_outcome(indices, meta["ranking"])
    rows = indices[(indices.outcome == outcome) & (indices.scenario == scenario)]
    chance = rows[rows.factor == CHANCE].mu_star
    rows = rows[rows.factor != CHANCE].sort_values("rank").head(SHOWN)
    chance_level = float(chance.iloc[0]) if len(chance) else None
    what = outcome_words(outcome, scenario, meta["scenarios"][0])
    points = 100.0      # both outcomes are shares: shown per 100 victims, as verdicts are
    if meta.get("emulated"):
        caption = (f"The outcome: {what}. Every assumption varied together, EMULATED "
                   f"({method_words(meta)}). A bar is the mean absolute change in the outcome "
                   "when that assumption moves across its range, wherever the others are, "
                   "computed on the emulator; the whisker its 95% interval (the emulator's "
                   "own uncertainty and the trajectories drawn). The dotted line, SIMULATED, "
                   "is the same measure for chance alone (other simulated days, from the "
                   "spread of the runs as written): an assumption matters when its interval "
                   "clears it.")
    else:
        caption = (f"The outcome: {what}. Every assumption varied together ({meta['method']}; "
                   f"{meta['points']} sample points, {meta['replications']} replications of "
                   "each option at each, on the same days). A bar is the mean absolute change "
                   "in the outcome when that assumption moves across its range, wherever the "
                   "others are; the whisker its 95% bootstrap interval. The dotted line is the "
                   "same measure for chance alone (other simulated days): an assumption "
                   "matters when its interval clears it.")
    return Chart(
        "global-sensitivity", "Which assumptions the answer depends on", "hbars",
        "Typical change across the assumption's range (per 100 victims)", "",
        [Series("effect (mu*)", rows.label.tolist(), (rows.mu_star * points).tolist(),
                (rows.mu_star_low * points).tolist(), (rows.mu_star_high * points).tolist(),
                text=rows.factor.tolist())],
        vline=chance_level * points if chance_level is not None else None,
        vline_label="chance alone", caption=caption)


def section_html(found: ResultFolder) -> str:
    """The method in a sentence, what moves each headline KPI, and every assumption's range."""
    meta, indices, factors = found.meta, found.tables["indices"], found.tables["factors"]
    baseline = meta["scenarios"][0]
    rows = []
    for (outcome, scenario), block in indices.groupby(["outcome", "scenario"], sort=False):
        chance = block[block.factor == CHANCE].mu_star
        ranked = block[block.factor != CHANCE].sort_values("rank").head(TOP)
        level = chance.iloc[0] if len(chance) else math.nan
        drivers = "".join(
            f"<li>{_bold(html.escape(r.label), r.mu_star_low > level)}: "
            f"{effect_with_interval(outcome, r)}</li>" for r in ranked.itertuples(index=False))
        rows.append(f"<tr><td>{html.escape(outcome_words(outcome, scenario, baseline))}</td>"
                    f"<td><ol>{drivers}</ol></td><td>"
                    f"{effect_text(outcome, chance.iloc[0] if len(chance) else math.nan)}"
                    f"</td></tr>")
    varied = factors[factors.varied & (factors.factor != CHANCE)]
    ranges = "".join(
        f"<tr><td><code>{html.escape(r.factor)}</code></td><td>{html.escape(r.label)}</td>"
        f"<td>{r.nominal}</td><td>{r.low:g} to {r.high:g}</td><td>{html.escape(r.range)}</td>"
        f"</tr>" for r in varied.itertuples(index=False))
    left = factors[~factors.varied]
    kept = "; ".join(f"<code>{html.escape(r.factor)}</code> ({html.escape(r.why_not_varied)})"
                     for r in left.itertuples(index=False))
    if meta.get("emulated"):
        lead = (f"<p>{html.escape(method_words(meta))}. <b>Emulated</b>: every effect (mu*) "
                "and the share of the assumption space where the ranking holds, each with its "
                "95% interval. <b>Simulated</b>: the ranking with every assumption as written, "
                "chance's effect, the costs' swings and the ranking at each simulated "
                f"assumption set. Varied: {html.escape(meta['varied'])}.</p>"
                f"{_checks_html(found.tables.get('emulator'))}")
    else:
        lead = (f"<p>{html.escape(meta['method'])}: {meta['trajectories']} trajectories, "
                f"{meta['points']} sample points, {meta['replications']} replication"
                f"{'s' if meta['replications'] > 1 else ''} of each option at each point on "
                f"the same replication seeds (common random numbers), and "
                f"{meta['nominal_replications']} with every assumption as written (the "
                f"ranking's reference). Varied: {html.escape(meta['varied'])}.</p>")
    return (
        f"{lead}"
        "<p class=\"small\">In bold: assumptions whose effect clearly exceeds chance's (its "
        "95% interval lies above chance's effect).</p>"
        "<div class=\"scroll\"><table class=\"drivers\"><thead><tr><th>Outcome</th>"
        "<th>Assumptions that move it most (mu*, 95% CI)</th><th>Chance alone</th></tr>"
        f"</thead><tbody>{''.join(rows)}</tbody></table></div>"
        "<details><summary>The range of each assumption varied</summary>"
        "<table class=\"ranges\"><thead><tr><th>Scenario key</th><th>In words</th>"
        "<th>As written</th><th>Varied over</th><th>Range from</th></tr></thead>"
        f"<tbody>{ranges}</tbody></table>"
        f"<p class=\"small\">Not varied: {kept or 'none'}.</p></details>"
        f"{_costs_html(found.tables.get('costs'))}")


def _costs_html(costs) -> str:
    """Each cost assumption swung one at a time on the runs as written: the cost answer at the
    ends of its range (the costs are not in the Morris design: they change no simulated
    outcome)."""
    if costs is None or costs.empty:
        return ""
    rows = "".join(
        f"<tr><td><code>{html.escape(r.factor)}</code></td><td>{html.escape(r.label)}</td>"
        f"<td>{html.escape(r.scenario)}</td><td>{r.nominal:g}</td><td>{r.low:g} to "
        f"{r.high:g}</td><td>{money(r.at_low, r.currency)} to {money(r.at_high, r.currency)}"
        f"</td></tr>" for r in costs.itertuples(index=False))
    what = ("cost a day" if costs.outcome.iloc[0] == COST_A_DAY else
            "cost per additional victim identified (border agency and shelter)")
    return ("<details><summary>The costs, swung one at a time</summary><p class=\"small\">"
            "Costs change no simulated outcome, only the cost KPIs worked out from each run "
            "afterwards, so they are not in the Morris design (they would add sample points "
            "and re-simulate days the costs cannot change). Instead each cost number is set "
            f"to each end of its range on the runs with every assumption as written: the "
            f"{what} at either end, exactly.</p><table class=\"ranges\"><thead><tr><th>"
            "Scenario key</th><th>In words</th><th>Option</th><th>As written</th><th>Swung "
            f"over</th><th>The {html.escape(what)}</th></tr></thead><tbody>{rows}</tbody>"
            "</table></details>")


def _checks_html(checks) -> str:
    """How well each emulator predicted the simulations it was not shown."""
    if checks is None or checks.empty:
        return ""
    return f"<p class=\"small\">{html.escape(checks_sentence(checks))}</p>"


def checks_sentence(checks) -> str:
    """The emulators' leave-one-out check in one sentence."""
    q2, covered = checks.q2.dropna(), checks.covered.dropna()
    if q2.empty:
        return "No emulator could be checked."
    return (f"Emulators checked by leaving each simulated assumption set out in turn: they "
            f"explain {q2.min():.0%} to {q2.max():.0%} of the outcomes' spread at the sets "
            f"they did not see (Q2), and {covered.min():.0%} to {covered.max():.0%} of those "
            "simulations fall inside their 95% intervals (emulator.csv).")


def _bold(text: str, bold: bool) -> str:
    return f"<b>{text}</b>" if bold else text
