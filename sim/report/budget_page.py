"""The reports of what to buy and where: an `optimise` folder (the best option within the budget
first, in plain words, then the front of identification against cost and how sure the ranking
is) and a national `run` or `compare` folder (the network, point by point); both flag every cost
that rests on an assumption."""

from __future__ import annotations

import html
import math
from pathlib import Path

import pandas as pd

from tipkit.sim.experiments.cost_effectiveness import money
from tipkit.sim.experiments.results import ResultFolder, read_results
from tipkit.sim.model.assumptions import source_lines
from tipkit.sim.report.charts import Chart, Series
from tipkit.sim.report.tables import format_value, kpi_label

WORDS = {"specialist_officers": "specialist-trained officers",
         "basic_officers": "basic-trained officers", "egates.gates": "e-gates",
         "officers": "officers at the desks", "secondary.specialists":
         "secondary-inspection specialists", "shelter.beds": "shelter beds"}
COST_KEYS = ("currency", "price_year", "officer_per_hour", "secondary_per_hour",
             "basic_training", "specialist_training", "training_years",
             "officer_hours_per_year", "egate_per_day", "shelter_bed_per_night")


# ---- costs: sourced or assumed ------------------------------------------------------------

def cost_status(sources: list[str]) -> list[dict]:
    """Each cost key as the scenario files give it: its value, whether it is sourced
    (cites cost-sources.md), partly assumed, an assumption, or the code's default."""
    found: dict[str, dict] = {}
    for source in sources:
        inside = False
        for indent, key, value, comment in source_lines(source):
            if indent == 0:
                inside = key.strip() == "costs"
                continue
            if not inside or key.strip() in found:
                continue
            cited, assumed = "cost-sources.md" in comment, "assumption" in comment
            status = ("partly assumed" if cited and assumed else "sourced" if cited else
                      "assumption" if assumed else "not sourced")
            found[key.strip()] = {"key": f"costs.{key.strip()}", "value": value.strip(),
                                  "status": status, "note": comment.strip()}
    return [found.get(k, {"key": f"costs.{k}", "value": "(default)", "status": "code default",
                          "note": "not in the scenario files: the code's default (the "
                                  "airport baseline's figure)"}) for k in COST_KEYS]


def cost_flags_html(sources: list[str]) -> str:
    """The costs as a table, every one that rests on an assumption flagged."""
    rows = cost_status(sources)
    flagged = [r for r in rows if r["status"] != "sourced"]
    body = "".join(
        f"<tr class=\"{'' if r['status'] == 'sourced' else 'training'}\"><td><code>"
        f"{html.escape(r['key'])}</code></td><td>{html.escape(r['value'])}</td><td><b>"
        f"{html.escape(r['status'])}</b></td><td>{html.escape(r['note'].lstrip('# '))}</td>"
        f"</tr>" for r in rows)
    return (f"<div class=\"assumption-box\"><p><b>{len(flagged)} of {len(rows)} cost inputs "
            "rest on an assumption</b> (highlighted): pay scales, e-gate procurement and course "
            "structures are published, but turning them into a cost a shift-hour, a day or a "
            "trained officer takes on-costs, working hours, service lives and course days that "
            "no source gives. Sources: <code>docs/cost-sources.md</code>.</p></div>"
            "<table class=\"assumptions\"><thead><tr><th>Cost</th><th>Value</th><th>Status</th>"
            f"<th>Why (from the scenario file)</th></tr></thead><tbody>{body}</tbody></table>")


# ---- optimise: the answer -----------------------------------------------------------------

def describe(changes: dict) -> str:
    """An option's decided values in words, point by point."""
    by_point: dict[str, list[str]] = {}
    for label, value in changes.items():
        point, _, key = label.partition(".") if _is_point_label(label, changes) else ("", "",
                                                                                      label)
        words = WORDS.get(key, key.replace("_", " "))
        if value == 1 and words.endswith("s"):
            words = words[:-1].replace("officers", "officer")
        by_point.setdefault(point, []).append(f"{_number(value)} {words}")
    parts = [f"{p}: {', '.join(v)}" if p else ", ".join(v) for p, v in by_point.items()]
    return "; ".join(parts)


def _is_point_label(label: str, changes: dict) -> bool:
    # a national option's labels all start with their point; a single point's are scenario keys
    first = label.split(".")[0]
    return first not in ("training", "egates", "secondary", "shelter", "desk", "arrivals",
                         "victims", "screening", "time_pressure", "run", "costs", "night_shift",
                         "officers", "specialist_officers", "basic_officers")


def optimise_answer(results: ResultFolder, markup: bool = True) -> str:
    """The answer to 'what should we buy, and where?' in plain words (simple HTML, or text)."""
    meta = results.meta
    b = (lambda s: f"<b>{html.escape(s)}</b>") if markup else (lambda s: s)
    esc = html.escape if markup else (lambda s: s)
    cur = meta["currency"]
    options = results.tables["options"]
    ranking = results.tables.get("ranking", pd.DataFrame())
    national = meta.get("national")
    rate_word = "Nationally it identifies" if national else "It identifies"
    budget = (f"Within a budget of {money(meta['budget'], cur)} a year for the border agency "
              f"(staff, training, e-gates, secondary inspection; today "
              f"{money(meta['cost_today'], cur)})")
    limits = meta.get("constraints") or []
    if meta.get("best") is None:
        return (f"{budget}, no option meets every constraint ({esc('; '.join(limits))}). "
                "Raise the budget, widen the decisions, or relax a constraint.")
    best = options[options.option == meta["best"]].iloc[0]
    text = [f"{budget}, the best option is: {b(describe(meta['best_changes']))}."]
    text.append(f"{rate_word} {_per100(best.identification_rate)} of every 100 trafficking "
                f"victims who cross (95% CI {_per100(best.ci_low)} to {_per100(best.ci_high)}) "
                f"and costs {money(best.cost_per_year, cur)} a year.")
    vs_today = _row(ranking, "best - today")
    if vs_today is not None:
        text.append(
            f"Against today ({esc(describe(meta['today_changes']) or 'as it stands')}) that is "
            f"{_signed100(vs_today.difference)} per 100 victims (paired 95% CI "
            f"{_signed100(vs_today.ci_low)} to {_signed100(vs_today.ci_high)}), "
            f"{vs_today.extra_identified_per_day:+.2f} victims identified a day, for "
            f"{money(abs(vs_today.extra_cost_per_year), cur)} a year "
            f"{'more' if vs_today.extra_cost_per_year >= 0 else 'less'}"
            + (f": {money(vs_today.border_cost_per_additional_victim, cur)} of border-agency "
               f"spending per additional victim identified (95% CI "
               f"{money(vs_today.border_cost_ci_low, cur)} to "
               f"{money(vs_today.border_cost_ci_high, cur)}, Fieller)."
               if math.isfinite(vs_today.border_cost_per_additional_victim) else
               ": the cost per additional victim is not defined, since the gain's interval "
               "includes zero."))
    if limits:
        worst = "; ".join(f"{esc(label)}: {best[label]:.1f} at the worst" for label in limits
                          if label in best.index and isinstance(best[label], float))
        text.append(f"It keeps every constraint by its mean ({worst})." if worst else
                    f"It keeps every constraint ({esc('; '.join(limits))}).")
    runner = _row(ranking, "best - runner-up")
    if runner is not None:
        second = describe(meta.get("runner_up_changes") or {})
        if runner.ci_low > 0:
            sure = "the best is ahead beyond chance"
        elif runner.difference == 0 and runner.ci_low == runner.ci_high:
            sure = ("the two identify exactly the same victims in every replication; the best "
                    "is the cheaper")
        else:
            sure = ("the two cannot be told apart at this precision: choose between them on "
                    "other grounds")
        gap = runner.difference * 100
        text.append(f"How sure is the ranking: the runner-up ({esc(second)}) identifies "
                    f"{abs(gap):.1f} {'fewer' if gap >= 0 else 'more'} per 100 victims than "
                    f"the best (paired 95% CI of best minus runner-up "
                    f"{_signed100(runner.ci_low)} to {_signed100(runner.ci_high)}): {sure}.")
    share = meta["option_replications"] / max(meta["exhaustive_replications"], 1)
    if meta.get("method") == "emulator":
        emulated = meta.get("emulated", {})
        points = meta["point_simulations"] / max(meta["exhaustive_point_simulations"], 1)
        text.append(
            f"Searched {meta['options']:,} options, {meta['options_within']:,} within the "
            f"budget and limits, led by an emulator of each point's KPIs (learned from "
            f"{emulated.get('design_settings', 0)} simulated point settings), the best solved "
            f"exactly, then {len(emulated.get('finalists', []))} finalists"
            f"{' and today' if meta.get('today') is not None else ''} confirmed "
            f"by ranking and selection on common random numbers: every figure above is "
            f"simulated. {meta['point_simulations']:,} point replications, where exhaustive "
            f"search at the same precision ({meta['replications']} replications each) needs "
            f"{meta['exhaustive_point_simulations']:,} ({points:.0%}).")
        return " ".join(text)
    text.append(
        f"Searched {meta['options']:,} options, {meta['options_within']:,} within the budget "
        f"and limits, by ranking and selection on common random numbers: "
        f"{meta['option_replications']:,} option-replications, where exhaustive search at the "
        f"same precision ({meta['replications']} replications each) needs "
        f"{meta['exhaustive_replications']:,} ({share:.0%}).")
    return " ".join(text)


def emulated_text(answer, currency: str) -> str:
    """The emulator's first answer (sim.experiments.emulated_search.Emulated), marked as
    emulated, for the terminal while the confirmation runs."""
    if answer.best is None:
        return ("First answer (EMULATED, not yet confirmed by simulation): no option seems to "
                "meet every constraint; confirming by simulation...")
    return (f"First answer (EMULATED, not yet confirmed by simulation): "
            f"{describe(answer.best_changes)}. It would identify about "
            f"{_per100(answer.rate)} of every 100 victims who cross (emulated 95% interval "
            f"{_per100(answer.low)} to {_per100(answer.high)}) for {money(answer.cost, currency)}"
            f" a year. Confirming the {len(answer.finalists)} finalists by simulation...")


def answer_text(folder) -> str:
    """The optimise answer for the terminal."""
    return optimise_answer(read_results(folder), markup=False)


# ---- optimise: charts --------------------------------------------------------------------

def _front_chart(results: ResultFolder) -> Chart:
    meta = results.meta
    options = results.tables["options"]
    front = results.tables["front"]
    ok = options[options.meets_constraints]
    today, kilo = meta["cost_today"], 1e3

    def extra(costs) -> list[float]:
        return ((costs - today) / kilo).tolist()

    series = [Series("options simulated (meeting the constraints)", extra(ok.cost_per_year),
                     ok.identification_rate.tolist()),
              Series("front: no cheaper option identifies more", extra(front.cost_per_year),
                     front.identification_rate.tolist(), front.ci_low.tolist(),
                     front.ci_high.tolist(), emphasis=True)]
    for role, label in (("best", "the best option"), ("today", "today")):
        o = meta.get(role)
        if o is not None and (options.option == o).any():
            row = options[options.option == o].iloc[0]
            series.append(Series(label, extra(pd.Series([row.cost_per_year])),
                                 [row.identification_rate], [row.ci_low], [row.ci_high],
                                 text=[label]))
    return Chart("front", "Identification against cost: the options within the budget",
                 "points", f"Extra border agency cost a year over today "
                           f"({meta['currency']} thousand)",
                 "Share of victims identified", series, y_percent=True,
                 vline=(meta["budget"] - today) / kilo, vline_label="budget",
                 caption="Each dot is an option the search simulated (options dropped early "
                         "have fewer replications). The front joins the options that no "
                         "cheaper option beats; bars are 95% confidence intervals. The best "
                         "option: " + describe(meta.get("best_changes") or {}) + ".")


def _points_chart(results: ResultFolder, kpi: str, title: str, y_label: str,
                  limit: float | None = None) -> Chart | None:
    chosen = results.tables.get("chosen")
    if chosen is None or chosen.empty:
        return None
    block = chosen[chosen.kpi == kpi]
    series = []
    for role in ("today", "best"):
        rows = block[block.option_role == role]
        if rows.empty:
            continue
        series.append(Series(role, [p or results.meta["scenarios"][0] for p in
                                    rows.point.fillna("").tolist()],
                             rows["mean"].tolist(), rows.ci_low.tolist(), rows.ci_high.tolist()))
    return Chart(f"points-{kpi}", title, "bars", "", y_label, series,
                 y_percent=kpi == "identification_rate", hline=limit,
                 hline_label="constraint" if limit is not None else "",
                 caption="Today and the best option at each crossing point, with 95% "
                         "confidence intervals over the final replications.")


# ---- national run or compare ---------------------------------------------------------------

def national_answer(results: ResultFolder) -> str:
    summary = results.tables["summary"]
    names = results.meta["scenarios"]
    cur = results.scenarios[0].costs.currency if results.scenarios else ""

    def value(name, kpi):
        row = summary[(summary.scenario == name) & (summary.kpi == kpi)]
        return row.iloc[0] if len(row) else None

    base = names[0]
    rate, per_day = value(base, "identification_rate"), value(base, "identified_per_day")
    cost, worst = value(base, "cost_per_day"), value(base, "desk_wait_p95_worst")
    points = results.meta.get("points", [])
    text = [f"We simulated the national network <b>{html.escape(base)}</b> ({len(points)} "
            f"crossing points: {html.escape(', '.join(points))}; {results.meta['replications']} "
            f"replications, every option meeting the same travellers). Nationally, officers "
            f"identify {_per100(rate['mean'])} of every 100 trafficking victims who cross "
            f"(95% CI {_per100(rate.ci_low)} to {_per100(rate.ci_high)}), about "
            f"{per_day['mean']:.1f} a day, at a cost of {money(cost['mean'], cur)} a day "
            f"(border agency and shelter); at the worst point the 95th percentile desk wait is "
            f"{worst['mean']:.1f} minutes."]
    point_table = results.tables["points"]
    rates = point_table[(point_table.scenario == base) & (point_table.kpi ==
                                                          "identification_rate")]
    if len(rates):
        low, high = rates.loc[rates["mean"].idxmin()], rates.loc[rates["mean"].idxmax()]
        text.append(f"By point, identification ranges from {_per100(low['mean'])} per 100 at "
                    f"{html.escape(low.point)} to {_per100(high['mean'])} at "
                    f"{html.escape(high.point)}.")
    diffs = results.tables.get("differences")
    costs = results.tables.get("cost_effectiveness")
    for name in names[1:]:
        block = diffs[diffs.scenario == name].set_index("kpi")
        text.append(f"<b>{html.escape(name)}</b>: "
                    f"{html.escape(block.loc['identification_rate'].verdict)}; "
                    f"{html.escape(block.loc['desk_wait_p95_worst'].verdict)}.")
        if costs is not None:
            for row in costs[costs.scenario == name].itertuples(index=False):
                text.append(f"Cost per additional victim ({html.escape(row.costs_counted)}): "
                            f"{html.escape(row.verdict)}.")
    return " ".join(text)


def _national_charts(results: ResultFolder) -> list[Chart]:
    table = results.tables["points"]
    out = []
    for kpi, title, label in (
            ("identification_rate", "Victims identified at each crossing point",
             "Share of victims identified"),
            ("desk_wait_p95", "Slow desk waits at each crossing point (95th percentile)",
             "Minutes"),
            ("cost_per_day", "Cost a day at each crossing point (border agency and shelter)",
             "Cost a day")):
        series = []
        for name in results.meta["scenarios"]:
            rows = table[(table.scenario == name) & (table.kpi == kpi)]
            series.append(Series(name, rows.point.tolist(), rows["mean"].tolist(),
                                 rows.ci_low.tolist(), rows.ci_high.tolist()))
        out.append(Chart(f"points-{kpi}", title, "bars", "", label, series,
                         y_percent=kpi == "identification_rate",
                         caption="Means over replications with 95% confidence intervals, one "
                                 "bar per option."))
    return out


# ---- the page ------------------------------------------------------------------------------

def report_charts(results: ResultFolder) -> list[Chart]:
    """The charts of an optimise or national folder, as the report draws them."""
    if results.kind != "optimise":
        return _national_charts(results)
    constraint = _wait_limit(results.meta.get("constraints") or [])
    return [c for c in (
        _front_chart(results),
        _points_chart(results, "identification_rate",
                      "Victims identified at each crossing point: today and the best option",
                      "Share of victims identified"),
        _points_chart(results, "desk_wait_p95",
                      "Slow desk waits at each crossing point (95th percentile)",
                      "Minutes", constraint)) if c is not None]


_NO_WARMUP = ("No warm-up check is stored with these results: one-day runs without a warm-up "
              "are not checked (they start empty, as the day does).")


def budget_report(results: ResultFolder, out: Path) -> tuple[list[Chart], str]:
    """The report of an optimise or national folder to be written at `out`: its charts (PNGs
    beside it) and the HTML page, charts embedded (page.write_report writes both)."""
    from tipkit.sim.report.page import (ESTIMATION_HTML, _assumptions_html, figures_html,
                                        page_shell, warmup_checks_text)

    from tipkit.sim.report import robustness as robust_section

    robust_chart = robust_section.chart(results)
    chart_list = report_charts(results) + ([robust_chart] if robust_chart else [])
    if results.kind == "optimise":
        answer = optimise_answer(results)
        title = f"What to buy, and where: {results.meta['scenarios'][0]}"
        middle = _options_html(results)
    else:
        answer = national_answer(results)
        title = "National network: " + ", ".join(results.meta["scenarios"][:3])
        middle = _national_table_html(results)
    figures = figures_html(chart_list, out)
    what = ("A search for what to buy, by simulation" if results.kind == "optimise" else
            "A what-if simulation of a national network of crossing points")
    robust = robust_section.section_html(results, figures.pop(robust_section.KEY, ""))
    body = f"""{robust}
<h2>The answer</h2>
<p class="answer">{answer}</p>
{''.join(figures.values())}
{middle}
<h2>Costs: sourced and assumed</h2>
{cost_flags_html(results.sources)}
<h2>The assumptions that drive the answer</h2>
<div class="assumption-box"><p><b>Training effects are assumptions.</b> No published study
measures how many more victims trained officers identify, so where a trained officer "identifies
the most victims" depends on the assumed noticing probabilities (highlighted below) as much as
on where the victims cross. Victims a day and the routing of transport modes to points are
assumptions too.</p></div>
{_assumptions_html(results, [])}
<h2>Estimation and warm-up</h2>
<p>Every point's run, in every option, is estimated as a single crossing point's is.
{ESTIMATION_HTML}</p>
<p>{html.escape(warmup_checks_text(results.meta) or _NO_WARMUP)}</p>"""
    return chart_list, page_shell(title, results, body, what)


def _options_html(results: ResultFolder, most: int = 15) -> str:
    options = results.tables["options"]
    cur = results.meta["currency"]
    limits = [c for c in results.meta.get("constraints") or [] if c in options.columns]
    rows = []
    for _, r in options.head(most).iterrows():
        extra = "".join(f"<td>{r[c]:.1f}</td>" for c in limits)
        rows.append(f"<tr><td>{html.escape(describe(_changes(r, options)))}</td>"
                    f"<td>{money(r.cost_per_year, cur)}</td><td>{_per100(r.identification_rate)}"
                    f" <small>({_per100(r.ci_low)} to {_per100(r.ci_high)})</small></td>"
                    f"<td>{int(r.replications)}</td>{extra}<td>{html.escape(str(r.fate))}</td>"
                    f"</tr>")
    head = "".join(f"<th>{html.escape(c)} (mean, worst point)</th>" for c in limits)
    meta = results.meta
    return (f"<h2>The best options</h2><div class=\"scroll\"><table class=\"options\"><thead>"
            f"<tr><th>Option</th><th>Cost a year</th><th>Identified per 100 victims (95% CI)"
            f"</th><th>Replications</th>{head}<th>Fate</th></tr></thead><tbody>"
            f"{''.join(rows)}</tbody></table></div>"
            f"<p class=\"note\">The {min(most, len(options))} options with the highest "
            f"identification of the {len(options):,} simulated (options.csv has all). "
            f"Search: {html.escape(meta.get('search', ''))}; stopped because "
            f"{html.escape(meta.get('stop', ''))}. Point replications simulated: "
            f"{meta.get('point_simulations', 0):,} (exhaustive search: "
            f"{meta.get('exhaustive_point_simulations', 0):,}).</p>")


def _national_table_html(results: ResultFolder) -> str:
    summary = results.tables["summary"]
    names = results.meta["scenarios"]
    kpis = ("identification_rate", "identified_per_day", "cost_per_day", "cost_border_per_day",
            "cost_shelter_per_day", "desk_wait_p95_worst", "refused_referrals_per_day")
    head = "".join(f"<th>{html.escape(kpi_label(k).strip())}</th>" for k in kpis)
    rows = []
    for name in names:
        cells = []
        for k in kpis:
            row = summary[(summary.scenario == name) & (summary.kpi == k)]
            if row.empty:
                cells.append("<td>-</td>")
                continue
            r = row.iloc[0]
            cells.append(f"<td>{format_value(k, r['mean'])}<br><small>{format_value(k, r.ci_low)}"
                         f" to {format_value(k, r.ci_high)}</small></td>")
        rows.append(f"<tr><th>{html.escape(name)}</th>{''.join(cells)}</tr>")
    return (f"<h2>The options side by side (national)</h2><div class=\"scroll\"><table "
            f"class=\"options\"><thead><tr><th>Option</th>{head}</tr></thead><tbody>"
            f"{''.join(rows)}</tbody></table></div><p class=\"note\">Means over replications "
            f"with 95% confidence intervals. points.csv has every KPI at every point.</p>")


# ---- helpers ---------------------------------------------------------------------------------

def _changes(row: pd.Series, options: pd.DataFrame) -> dict:
    fixed = {"option", "cost_per_year", "replications", "identification_rate", "ci_low",
             "ci_high", "meets_constraints", "clearly_meets", "fate"}
    return {c: row[c] for c in options.columns if c not in fixed and "<=" not in c
            and ">=" not in c}


def _wait_limit(constraints: list[str]) -> float | None:
    for label in constraints:
        if label.startswith("desk_wait_p95 <="):
            return float(label.split("<=")[1].split()[0])
    return None


def _row(table: pd.DataFrame, comparison: str):
    if table is None or table.empty:
        return None
    rows = table[table.comparison == comparison]
    return rows.iloc[0] if len(rows) else None


def _number(x) -> str:
    if isinstance(x, float) and x.is_integer():
        return str(int(x))
    return f"{x:g}" if isinstance(x, float) else str(x)


def _per100(x: float) -> str:
    return f"{100 * x:.1f}" if x is not None and math.isfinite(x) else "?"


def _signed100(x: float) -> str:
    return f"{100 * x:+.1f}" if x is not None and math.isfinite(x) else "?"
