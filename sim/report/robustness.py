"""The report's first section when a results folder was made across calibrated worlds
(`--posterior`): how often the recommendation holds, each option's gain or regret across the
worlds as a chart, where the recommendation fails (PRIM's box), and what was drawn."""

from __future__ import annotations

import html
import math

import pandas as pd

from tipkit.sim.experiments.results import ResultFolder
from tipkit.sim.report.charts import Chart, Series

KEY = "robustness"


def meta(results: ResultFolder) -> dict | None:
    found = results.meta.get("robustness")
    return found if isinstance(found, dict) else None


def chart(results: ResultFolder) -> Chart | None:
    """Each option's gain over the baseline across the worlds (compare), or its regret
    (optimise), with the credible interval; None for a single scenario."""
    robust, table = meta(results), results.tables.get("robustness")
    if robust is None or table is None or len(table) < 2:
        return None
    level = f"{robust.get('credible_level', 0.9):.0%}"
    names = (table["label"] if "label" in table.columns else table["scenario"]).astype(str)
    if "gain_mean" in table.columns and table.gain_mean.notna().any():
        rows = table[table.gain_mean.notna()]
        labels = names[rows.index]
        return Chart(
            KEY, "Gain over the baseline across the calibrated worlds", "hbars",
            "Victims identified per 100, against the baseline", "",
            [Series("mean gain", labels.tolist(), (100 * rows.gain_mean).tolist(),
                    (100 * rows.gain_low).tolist(), (100 * rows.gain_high).tolist())],
            vline=0.0, vline_label="no gain",
            caption=(f"Each bar: the option's gain in identification over the baseline, averaged "
                     f"over {robust['draws']} worlds drawn from the calibration's posterior "
                     f"(whiskers: {level} credible interval across the worlds)."))
    return Chart(
        KEY, "Victims a year lost against the best option of each world", "hbars",
        "Expected regret (victims identified a year fewer than the best)", "",
        [Series("expected regret", names.tolist(), table.expected_regret_per_year.tolist(),
                table.regret_low.tolist(), table.regret_high.tolist())],
        caption=(f"Each bar: how many victims a year the option identifies fewer than the best "
                 f"option of each world, averaged over {robust['draws']} worlds drawn from the "
                 f"calibration's posterior (whiskers: {level} credible interval)."))


def section_html(results: ResultFolder, figure: str = "") -> str:
    """The section (empty when the folder was not made across worlds)."""
    robust = meta(results)
    if robust is None:
        return ""
    lines = "".join(f"<li>{html.escape(s)}</li>" for s in robust.get("sentences", []))
    box = robust.get("failure_box")
    box_html = ""
    limits = results.tables.get("failure_box")
    if box and limits is not None:
        rows = "".join(
            f"<tr><td>{html.escape(str(r.label))}</td><td>{_range(r)}</td></tr>"
            for r in limits.itertuples(index=False) if r.restricted_low or r.restricted_high)
        box_html = (f"<p>Where the recommendation fails (PRIM, {html.escape(box['method'])}): "
                    f"{box['coverage']:.0%} of the worlds where it is not best lie in this box; "
                    f"in {box['density']:.0%} of the {box['worlds']} worlds inside, it is not "
                    f"best.</p><table><thead><tr><th>assumption</th><th>in the box</th></tr>"
                    f"</thead><tbody>{rows}</tbody></table>")
    kept = robust.get("kept_as_chosen") or []
    kept_html = (f" The options' own choices are kept in every world: "
                 f"{html.escape(', '.join(kept))}." if kept else "")
    days = robust["draws"] * robust["draw_replications"]
    return f"""<h2>Across the calibrated worlds</h2>
<ul class="answer">{lines}</ul>
{figure}
{box_html}
{_table_html(results)}
<p class="note">{robust['draws']} worlds drawn by weight (systematic resampling) from
<code>{html.escape(str(robust['posterior']))}</code> ({robust['posterior_rows']} weighted draws
of {html.escape(', '.join(robust['keys']))}); every option ran {robust['draw_replications']}
day(s) in each world, on the same days as the other options (common random numbers).{kept_html}
{_below(results, days)}</p>"""


def _below(results: ResultFolder, days: int) -> str:
    if results.kind == "optimise":
        return ("The search below ran once, on the assumptions as the scenario writes them; its "
                "finalists then ran in every world.")
    return (f"The tables and charts below average over these {days} simulated days: they are "
            "means over the calibrated worlds, and their 95% intervals say how precisely those "
            "means are known, not how much the worlds differ.")


def _range(row) -> str:
    from tipkit.sim.experiments.discovery import value_words

    low, high = value_words(row.factor, row.low), value_words(row.factor, row.high)
    if row.restricted_low and row.restricted_high:
        return f"{low} to {high}"
    return f"below {high}" if row.restricted_high else f"above {low}"


def _table_html(results: ResultFolder) -> str:
    table = results.tables.get("robustness")
    if table is None or len(table) < 2:
        return ""
    head = ("<tr><th>option</th><th>best in</th><th>expected regret (victims a year)</th>"
            + ("<th>beats the baseline in</th><th>gain per 100</th>"
               if "share_better" in table.columns else "") + "</tr>")
    body = []
    for row in table.itertuples(index=False):
        name = getattr(row, "label", row.scenario)
        name = row.scenario if not isinstance(name, str) else name
        cells = [html.escape(name) + (" <b>(recommended)</b>" if row.recommended else ""),
                 f"{row.probability_best:.0%} of worlds",
                 f"{row.expected_regret_per_year:.1f} ({row.regret_low:.1f} to "
                 f"{row.regret_high:.1f})"]
        if "share_better" in table.columns:
            if pd.notna(getattr(row, "share_better", math.nan)):
                cells += [f"{row.share_better:.0%} of worlds",
                          f"{100 * row.gain_mean:+.1f} ({100 * row.gain_low:+.1f} to "
                          f"{100 * row.gain_high:+.1f})"]
            else:
                cells += ["(the baseline)", ""]
        body.append("<tr>" + "".join(f"<td>{c}</td>" for c in cells) + "</tr>")
    return (f"<div class=\"scroll\"><table class=\"options\"><thead>{head}</thead><tbody>"
            f"{''.join(body)}</tbody></table></div>")
