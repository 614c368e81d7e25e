"""The report a policymaker reads: one self-contained HTML file (charts embedded, works offline)
with a plain-language answer, the options side by side, the assumptions, and a STRESS-DES
appendix; plus a PNG of every chart beside it."""

from __future__ import annotations

import html
import math
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from tipkit import outputs
from tipkit.sim.experiments.warmup import METHOD as WARMUP_METHOD, WarmupCheck, needs_check
from tipkit.sim.model.assumptions import assumptions_in
from tipkit.sim.report import robustness as robust_section
from tipkit.sim.report import charts, sensitivity as global_sensitivity
from tipkit.sim.report.charts import Chart, Series
from tipkit.sim.model.control import FRESH_RUNS
from tipkit.sim.model.kpis import GROUP_WORDS, GROUPS, KPI_BY_NAME
from tipkit.sim.experiments.results import ResultFolder, read_results
from tipkit.sim.model.scenario import Scenario
from tipkit.sim.report.tables import format_value
from tipkit.sim.experiments.verdicts import paired_differences
from tipkit.errors import UserError

TABLE_KPIS = ("identification_rate", "flag_ppv", "false_referrals_per_10k", "desk_wait_mean",
              "desk_wait_p95", "desk_within_target", "officer_utilisation",
              "secondary_utilisation", "referrals", "refused_referrals")


@dataclass
class Option:
    """One option as the report shows it: its scenario, its KPIs, its replications."""
    name: str
    scenario: Scenario
    summary: dict[str, tuple[float, float, float]]     # kpi -> (mean, ci_low, ci_high)
    replications: pd.DataFrame

    def mean(self, kpi: str) -> float:
        return self.summary.get(kpi, (math.nan,) * 3)[0]

    def interval(self, kpi: str) -> tuple[float, float]:
        return self.summary.get(kpi, (math.nan,) * 3)[1:]

    @property
    def days(self) -> float:
        run = self.scenario.run
        return run.days - run.warmup_hours / 24

    @property
    def training_mix(self) -> str:
        t = self.scenario.training.shares()
        parts = [f"{t['specialist']:.0%} specialist" if t["specialist"] else "",
                 f"{t['basic']:.0%} basic" if t["basic"] else ""]
        return ", ".join(p for p in parts if p) or "no training"


@dataclass
class ReportContent:
    """What the report shows, before any HTML: for other front ends (e.g. a web page)."""
    options: list[Option]
    baseline: Option
    differences: dict[str, pd.DataFrame]   # option name -> paired differences vs the baseline
    sensitivity: pd.DataFrame | None
    charts: list[Chart]
    answer: str                            # the plain-language paragraph (simple HTML)
    global_sensitivity: ResultFolder | None = None   # every assumption varied together


def report_content(results: ResultFolder) -> ReportContent:
    """The options, paired differences, charts and answer of a results folder read back (a
    global sensitivity folder has no options: its chart and sentence only)."""
    found = global_sensitivity.included(results)
    if results.kind == global_sensitivity.KIND:
        return ReportContent([], None, {}, None, [global_sensitivity.chart(found)],
                             html.escape(global_sensitivity.sentence(found)), found)
    options, baseline = _options(results)
    differences = {o.name: paired_differences(baseline.replications, o.replications)
                   for o in options if o is not baseline}
    sensitivity = results.tables.get("sensitivity")
    chart_list = [c for c in (
        _identification_by_officers(options, results),
        _tradeoff(options),
        _referrals_against_beds(options),
        _false_referrals(options),
        _sensitivity_chart(sensitivity, results),
        global_sensitivity.chart(found) if found is not None else None,
        robust_section.chart(results),
    ) if c is not None]
    reps = _replications_text(results.meta).rstrip(".").replace(" per option", " each")
    answer = _answer(options, baseline, differences, sensitivity, reps)
    answer += _cost_sentence(options, baseline, differences)
    if found is not None:
        answer += " All assumptions varied together: " + html.escape(
            global_sensitivity.sentence(found))
    return ReportContent(options, baseline, differences, sensitivity, chart_list, answer,
                         found)


def write_report(folder, out, force: bool = False) -> Path:
    """Read a results folder (compare, sweep, run, sensitivity, national or optimise) and write
    the report and its PNGs (all of them appear together, or none; existing ones are replaced
    only with `force`)."""
    out = Path(out)
    if out.suffix.lower() != ".html":
        raise UserError(f"--out {out} must name an .html file (its PNG charts go beside it)")
    outputs.check_out(out, force=force, kind="file")
    results = read_results(folder)
    if results.kind in ("national", "optimise"):
        from tipkit.sim.report.budget_page import budget_report

        chart_list, page = budget_report(results, out)
    else:
        content = report_content(results)
        chart_list, page = content.charts, _page(results, content, out)
    pngs = [out.with_name(f"{out.stem}-{chart.key}.png") for chart in chart_list]
    with outputs.staged_files(out, *pngs, force=force) as (html_tmp, *png_tmps):
        for chart, tmp in zip(chart_list, png_tmps):
            charts.to_png(chart, tmp)
        html_tmp.write_text(page, encoding="utf-8")
    return out


# ---- options from any kind of results folder ------------------------------------------------

def _options(results: ResultFolder) -> tuple[list[Option], Option]:
    kind = results.kind
    if kind == "sweep":
        base = results.scenarios[0]
        axes = results.meta["axes"]
        table, reps = results.tables["results"], results.tables["replications"]
        options = []
        for cell, block in table.groupby("cell", sort=True):
            first = block.iloc[0]
            change = {k: _py(first[k]) for k in axes}
            label = ", ".join(f"{_short(k)} {v}" for k, v in change.items())
            options.append(Option(label, base.with_values(change), _summary(block),
                                  _cell(reps, "cell", cell)))
        baseline = next((o for o in options if all(
            _get(o.scenario, k) == _get(base, k) for k in axes)), options[0])
        return options, baseline
    summary, reps = results.tables["summary"], results.tables["replications"]
    names = results.meta["scenarios"]
    if kind == "run":
        option = Option(names[0], results.scenarios[0], _summary(summary), reps)
        return [option], option
    options = [Option(n, s, _summary(summary[summary.scenario == n]),
                      _cell(reps, "scenario", n)) for n, s in zip(names, results.scenarios)]
    return options, options[0]


def _summary(block: pd.DataFrame) -> dict:
    return {r.kpi: (r.mean, r.ci_low, r.ci_high) for r in block.itertuples(index=False)}


def _cell(reps: pd.DataFrame, column: str, value) -> pd.DataFrame:
    return reps[reps[column] == value].reset_index(drop=True)


def _py(value):
    if hasattr(value, "item"):
        value = value.item()
    return int(value) if isinstance(value, float) and value.is_integer() else value


def _get(scenario: Scenario, dotted: str):
    node = scenario
    for part in dotted.split("."):
        node = getattr(node, part)
    return node


def _short(dotted: str) -> str:
    return dotted.split(".")[-1].replace("_", " ")


# ---- the charts ----------------------------------------------------------------------------

def _identification_by_officers(options: list[Option], results: ResultFolder) -> Chart:
    groups: dict[str, list[Option]] = {}
    for o in options:
        key = _without_officers(o)
        groups.setdefault(key, []).append(o)
    series = []
    for members in groups.values():
        members.sort(key=lambda o: o.scenario.officers)
        first = members[0]
        name = first.training_mix
        if results.kind != "sweep" and len(members) == 1:
            name = f"{first.name} ({first.training_mix})"
        elif results.kind == "sweep":
            others = [f"{_short(k)} {_get(first.scenario, k)}" for k in results.meta["axes"]
                      if k != "officers"]
            name = ", ".join(others) or first.training_mix
        series.append(Series(name, [o.scenario.officers for o in members],
                             [o.mean("identification_rate") for o in members],
                             [o.interval("identification_rate")[0] for o in members],
                             [o.interval("identification_rate")[1] for o in members],
                             text=[o.name for o in members]))
    return Chart("identification", "Victims identified, by number of officers and training mix",
                 "lines", "Officers at the desks", "Share of victims identified", series,
                 caption="Each line is one training mix; the band is the 95% confidence "
                         "interval over replications.", y_percent=True)


def _without_officers(o: Option) -> str:
    mapping = o.scenario.to_mapping()
    mapping.pop("officers")
    mapping.pop("name")
    mapping.pop("question")
    return repr(mapping)


def _tradeoff(options: list[Option]) -> Chart:
    points = [(o.mean("desk_wait_mean"), o.mean("identification_rate"), o) for o in options]
    frontier = _not_dominated(points)
    label = len(options) <= 12
    all_series = Series("options", [p[0] for p in points], [p[1] for p in points],
                        [p[2].interval("identification_rate")[0] for p in points],
                        [p[2].interval("identification_rate")[1] for p in points],
                        [p[2].interval("desk_wait_mean")[0] for p in points],
                        [p[2].interval("desk_wait_mean")[1] for p in points],
                        text=[p[2].name if label else "" for p in points])
    front = sorted(frontier, key=lambda p: p[0])
    front_series = Series("not dominated (no option both identifies more and waits less)",
                          [p[0] for p in front], [p[1] for p in front],
                          text=[p[2].name for p in front], emphasis=True)
    return Chart("tradeoff", "Identification against waiting: which options are not dominated",
                 "points", "Mean desk wait (minutes)", "Share of victims identified",
                 [all_series, front_series], y_percent=True,
                 caption="Up and to the left is better. The dotted line joins the options that "
                         "no other option beats on both identification and waiting.")


def _not_dominated(points):
    usable = [p for p in points if math.isfinite(p[0]) and math.isfinite(p[1])]
    return [p for p in usable if not any(
        q[0] <= p[0] and q[1] >= p[1] and (q[0] < p[0] or q[1] > p[1]) for q in usable)]


def _referrals_against_beds(options: list[Option]) -> Chart:
    names = [o.name for o in options]

    def per_day(o: Option, kpi: str):
        m, (lo, hi) = o.mean(kpi), o.interval(kpi)
        return m / o.days, lo / o.days, hi / o.days

    referred = [per_day(o, "referrals") for o in options]
    refused = [per_day(o, "refused_referrals") for o in options]
    free = [o.scenario.shelter.beds - o.scenario.shelter.occupied_at_start for o in options]
    beds = [o.scenario.shelter.beds for o in options]
    same_beds = len(set(beds)) == 1
    series = [Series("referrals a day", names, [r[0] for r in referred],
                     [r[1] for r in referred], [r[2] for r in referred]),
              Series("refused a day (shelter full)", names, [r[0] for r in refused],
                     [r[1] for r in refused], [r[2] for r in refused])]
    if not same_beds:
        series.append(Series("beds free at the start", names, free))
    return Chart("referrals", "Referral load against shelter capacity", "bars", "",
                 "Referrals a day", series,
                 hline=free[0] if same_beds else None,
                 hline_label=f"{free[0]} of {beds[0]} beds free at the start" if same_beds else "",
                 caption="Referrals of identified victims (and false referrals) a day, and those "
                         "refused because every bed was taken. Beds are held for weeks, so a "
                         "day's referrals compete for the beds free at the start.")


def _false_referrals(options: list[Option]) -> Chart:
    names = [o.name for o in options]
    series = [Series("false referrals per 10,000 travellers", names,
                     [o.mean("false_referrals_per_10k") for o in options],
                     [o.interval("false_referrals_per_10k")[0] for o in options],
                     [o.interval("false_referrals_per_10k")[1] for o in options]),
              Series("travellers flagged per 10,000", names,
                     [o.mean("flags_per_10k") for o in options],
                     [o.interval("flags_per_10k")[0] for o in options],
                     [o.interval("flags_per_10k")[1] for o in options])]
    return Chart("false-referrals", "Flags and false referrals per 10,000 travellers", "bars",
                 "", "Per 10,000 travellers", series,
                 caption="Ordinary travellers wrongly referred as victims, beside everyone sent "
                         "to secondary inspection. At a prevalence far below 1%, most flags "
                         "are ordinary travellers.")


def _sensitivity_chart(table: pd.DataFrame | None, results: ResultFolder) -> Chart | None:
    if table is None or table.empty:
        return None
    series = [Series("gain in identification over the baseline", table.training_effect_scale
                     .tolist(), table.difference.tolist(), table.ci_low.tolist(),
                     table.ci_high.tolist())]
    return Chart("sensitivity", "If training works less (or more) than assumed",
                 "lines", "Training effect, as a multiple of the assumed effect",
                 "Gain in share of victims identified", series, y_percent=True, hline=0.0,
                 hline_label="no gain", vline=1.0, vline_label="as assumed",
                 caption="The most-trained option's paired gain over the baseline when "
                         "training's uplift in noticing indicators is scaled from 0 (training "
                         "achieves nothing) to 2 (twice the assumption). No study measures "
                         "this effect.")


# ---- the words -----------------------------------------------------------------------------

def _answer(options: list[Option], baseline: Option, differences: dict,
            sensitivity: pd.DataFrame | None, replications: str) -> str:
    """One paragraph in plain language."""
    b = baseline
    idr = b.mean("identification_rate")
    wait = b.mean("desk_wait_mean")
    text = [f"We simulated {len(options)} option{'s' if len(options) > 1 else ''} "
            f"({replications}, every option meeting the same travellers). "
            f"In the baseline (<b>{html.escape(b.name)}</b>), officers identify {_per100(idr)} of every 100 "
            f"trafficking victims who cross (95% CI {_ci100(b, 'identification_rate')}), "
            f"and travellers wait {wait:.1f} minutes at the desks on average."]
    if differences:
        gains = [(o, differences[o.name].set_index("kpi").loc["identification_rate"])
                 for o in options if o.name in differences]
        real = [(o, d) for o, d in gains if d.ci_low > 0]
        best = max(gains, key=lambda od: od[1].difference if math.isfinite(od[1].difference)
                   else -math.inf)
        o, d = best
        w = differences[o.name].set_index("kpi").loc["desk_wait_mean"]
        if real:
            text.append(f"<b>{html.escape(o.name)}</b> identifies the most victims "
                        f"({html.escape(d.verdict)}); for queues at the desks, it means "
                        f"{html.escape(w.verdict)}.")
            if len(real) > 1:
                text.append("Other options with a real gain: "
                            + _listing([x.name for x, _ in real if x is not o]) + ".")
        else:
            text.append("No option identifies clearly more victims than the baseline "
                        f"(the largest difference, {html.escape(o.name)}: "
                        f"{html.escape(d.verdict)}).")
        points = [(x.mean("desk_wait_mean"), x.mean("identification_rate"), x) for x in options]
        front = sorted(_not_dominated(points), key=lambda p: p[0])
        if front:
            text.append("Options that no other beats on both identification and waiting: "
                        + _listing([p[2].name for p in front]) + ".")
    refused = max(options, key=lambda x: _finite(x.mean("refused_referrals")) / x.days)
    if _finite(refused.mean("refused_referrals")) > 0:
        text.append(f"Shelters turn referrals away: up to "
                    f"{refused.mean('refused_referrals') / refused.days:.1f} a day "
                    f"({html.escape(refused.name)}).")
    else:
        text.append("Shelters refused no referral in any option.")
    text.append(METHOD_SENTENCE)
    if sensitivity is not None and not sensitivity.empty:
        half = sensitivity[sensitivity.training_effect_scale == 0.5]
        none = sensitivity[sensitivity.training_effect_scale == 0.0]
        if len(half) and len(none):
            text.append(
                "Training effects are assumptions, not measurements: if training achieved half "
                f"the assumed effect, the most-trained option's gain would be "
                f"{_signed100(half.iloc[0].difference)} per 100 victims "
                f"(95% CI {_signed100(half.iloc[0].ci_low)} to "
                f"{_signed100(half.iloc[0].ci_high)}); if it achieved nothing, "
                f"{_signed100(none.iloc[0].difference)}.")
    return " ".join(text)


def _cost_sentence(options: list[Option], baseline: Option, differences: dict) -> str:
    """What the option that identifies the most costs per additional victim identified."""
    from tipkit.sim.experiments.cost_effectiveness import BORDER_COST, cost_per_additional_victim

    if not differences or "cost_per_day" not in baseline.replications.columns:
        return ""
    gains = {name: d.set_index("kpi").loc["identification_rate"].difference
             for name, d in differences.items()}
    name = max(gains, key=lambda n: gains[n] if math.isfinite(gains[n]) else -math.inf)
    option = next(o for o in options if o.name == name)
    currency = baseline.scenario.costs.currency
    words = []
    for cost, whose in (("cost_per_day", "counting the shelter"), (BORDER_COST,
                                                                   "the border agency's")):
        row = cost_per_additional_victim(baseline.replications, option.replications,
                                         baseline.days, option.days, currency, cost)
        words.append(f"{whose}: {row['verdict']}")
    return (f" What <b>{html.escape(name)}</b> costs per additional victim identified, "
            + "; ".join(html.escape(w) for w in words) + ".")


METHOD_SENTENCE = (
    "Identification, flags and referrals are estimated with <i>virtual victims</i> (conditional "
    "Monte Carlo) and desk waits with a <i>control variate</i> (a fluid model of each day's "
    "queue), far more precisely than by counting the few victims who crossed: the appendix "
    "(section 4) gives both methods, and the direct counts are in replications.csv.")


def _listing(names: list[str], most: int = 5) -> str:
    shown = "; ".join(html.escape(n) for n in names[:most])
    return shown + (f" and {len(names) - most} more (see the table)" if len(names) > most
                    else "")


def _finite(x: float) -> float:
    return x if math.isfinite(x) else 0.0


def _per100(x: float) -> str:
    return f"{100 * x:.0f}" if math.isfinite(x) else "an unknown number"


def _signed100(x: float) -> str:
    return f"{100 * x:+.1f}" if math.isfinite(x) else "?"


def _ci100(o: Option, kpi: str) -> str:
    lo, hi = o.interval(kpi)
    return f"{100 * lo:.0f} to {100 * hi:.0f}" if math.isfinite(lo) else "not available"


def _assumptions_html(results: ResultFolder, options: list[Option]) -> str:
    rows, seen = [], set()
    for source in results.sources:
        for found in assumptions_in(source):
            key, value, note = found.key, found.value, found.note
            if key in seen:
                continue
            seen.add(key)
            training = key.startswith("screening.") or key.startswith("training.")
            rows.append(f"<tr class=\"{'training' if training else ''}\"><td><code>"
                        f"{html.escape(key)}</code></td><td>{html.escape(value)}</td><td>"
                        f"{html.escape(note.lstrip('# '))}</td></tr>")
    if not rows:
        return "<p>No value in these scenarios is marked as an assumption.</p>"
    return ("<table class=\"assumptions\"><thead><tr><th>Scenario key</th><th>Value</th>"
            "<th>Why (from the scenario file)</th></tr></thead><tbody>" + "".join(rows) +
            "</tbody></table>")


def _costs_html(results: ResultFolder) -> str:
    from tipkit.sim.report.budget_page import cost_flags_html

    return cost_flags_html(results.sources)


def _options_table(options: list[Option], differences: dict, baseline: Option) -> str:
    head = "".join(f"<th>{html.escape(KPI_BY_NAME[k].label)}</th>" for k in TABLE_KPIS)
    body = []
    for o in options:
        cells = []
        for k in TABLE_KPIS:
            m, (lo, hi) = o.mean(k), o.interval(k)
            if k in ("referrals", "refused_referrals"):
                m, lo, hi = m / o.days, lo / o.days, hi / o.days
            ci = (f"<br><small>{format_value(k, lo)} to {format_value(k, hi)}</small>"
                  if math.isfinite(lo) else "")
            cells.append(f"<td>{format_value(k, m)}{ci}</td>")
        verdict = ("baseline" if o is baseline else
                   differences[o.name].set_index("kpi").loc["identification_rate"].verdict)
        body.append(f"<tr><th>{html.escape(o.name)}<br><small>{html.escape(o.training_mix)}, "
                    f"{o.scenario.officers} officers</small></th>{''.join(cells)}"
                    f"<td>{html.escape(verdict)}</td></tr>")
    return (f"<div class=\"scroll\"><table class=\"options\"><thead><tr><th>Option</th>{head}"
            f"<th>Identification against the baseline</th></tr></thead><tbody>"
            f"{''.join(body)}</tbody></table></div><p class=\"note\">Means over replications "
            f"with 95% confidence intervals; referrals are per day.</p>")


def _groups_html(options: list[Option], baseline: Option, differences: dict,
                 most: int = 3) -> str:
    """Identification by group of victims: the baseline's rate, and the options with the
    largest overall gains against it, in points per 100 victims of each group."""
    groups = [g for g in GROUPS if math.isfinite(baseline.mean(f"identification_rate.{g}"))]
    if not groups:
        return "<p>No group of victims crossed in these runs.</p>"

    def gain(o: Option) -> float:
        d = differences[o.name].set_index("kpi").difference.get("identification_rate")
        return d if d is not None and math.isfinite(d) else -math.inf
    shown = sorted((o for o in options if o.name in differences), key=gain, reverse=True)[:most]
    head = (f"<th>Group of victims</th><th>{html.escape(baseline.name)} (baseline)</th>"
            + "".join(f"<th>{html.escape(o.name)} against the baseline</th>" for o in shown))
    body = []
    for g in groups:
        kpi = f"identification_rate.{g}"
        lo, hi = baseline.interval(kpi)
        ci = f" (95% CI {100 * lo:.1f} to {100 * hi:.1f})" if math.isfinite(lo) else ""
        cells = [f"<td>{100 * baseline.mean(kpi):.1f} per 100 {html.escape(GROUP_WORDS[g])} "
                 f"who crossed{ci}</td>"]
        for o in shown:
            row = differences[o.name].set_index("kpi").loc[kpi]
            cells.append(f"<td>{html.escape(row.verdict)}</td>")
        body.append(f"<tr><th>{html.escape(GROUP_WORDS[g].capitalize())}</th>"
                    f"{''.join(cells)}</tr>")
    more = (f"<p class=\"note\">The {len(shown)} options with the largest gains overall are "
            f"shown; every option's group differences are in differences.csv.</p>"
            if len(differences) > len(shown) else "")
    return (f"<div class=\"scroll\"><table class=\"groups\"><thead><tr>{head}</tr></thead>"
            f"<tbody>{''.join(body)}</tbody></table></div><p class=\"note\">Groups as the "
            f"victim release records them (gender, age group, travel document). Every rate "
            f"reads per 100 victims of that group who crossed.</p>{more}")


def _stress_appendix(results: ResultFolder, s: Scenario) -> str:
    meta = results.meta
    versions = ", ".join(f"{k} {v}" for k, v in sorted(meta.get("versions", {}).items()))
    reps = _replications_text(meta)
    sources = []
    for source in results.sources:
        for line in source.splitlines():
            if "border-parameters.md" in line and "#" in line:
                item = line.split("#", 1)[1].strip()
                if item not in sources:
                    sources.append(item)
    source_items = "".join(f"<li>{html.escape(x)}</li>" for x in sources[:40])
    commands = {"compare": "tipkit sim compare", "sweep": "tipkit sim sweep",
                "run": "tipkit sim run", "sensitivity": "tipkit sim sensitivity"}[results.kind]
    axes = meta.get("axes")
    if results.kind == global_sensitivity.KIND:
        reps = (f"Global sensitivity: {global_sensitivity.method_words(meta)}. Chance (which "
                "days are simulated) is "
                + ("measured on the runs as written" if meta.get("emulated") else
                   "a factor of its own") + ", the yardstick for the others.")
    return f"""
<h3>1. Objectives</h3>
<p>Estimate, for each option, how many trafficking victims crossing one official border point
are identified, how long travellers queue, and whether referral services can cope; and say
which differences between options are real (paired 95% intervals on common random numbers).</p>
<h3>2. Model logic</h3>
<p>A discrete-event simulation in SimPy of one crossing point. Travellers arrive
({html.escape(s.arrivals.pattern)} arrivals, {s.arrivals.daily_volume:,.0f} a day); a share
({s.victims.share:g}) are trafficking victims drawn from the journey legs that cross official
border points in a synthetic release (gender, age group, travel document, prior exploitation,
travelling in a group). Eligible adults may use e-gates (with a failure share sent to a desk);
everyone else queues first-come first-served for the next free officer. Officers have a
training level (none, basic, specialist) with a probability of noticing each indicator a victim
carries (a forged or not-own document, a minor, signs of control or prior exploitation, a group
with one speaker) and a false-alarm rate; training adds screening time. A long queue makes
officers faster and less attentive (time pressure). Flagged travellers are interviewed in
secondary inspection by a limited number of specialists; confirmed victims are identified and
referred, ordinary travellers are cleared or wrongly referred. Referrals need a shelter bed
(a SimPy Container) for the length of stay and are refused, or wait, when beds are full.
Full logic: <code>sim/model/border.py</code>, readable top to bottom.</p>
<h3>3. Data</h3>
<p>Victim population: <code>{html.escape(str(meta.get('population', '?')))}</code>
({meta.get('population_profiles', '?')} official-crossing legs; sha256
<code>{html.escape(str(meta.get('population_sha256', ''))[:16])}&hellip;</code>).
Parameters come from the public sources listed in each scenario file; values without evidence
are marked as assumptions (table above). Sources cited:</p><ul class="small">{source_items}</ul>
<h3>4. Experimentation</h3>
<p>{reps} Common random numbers: one numpy SeedSequence per replication (run seed
{meta.get('seed')}), one independent stream per random input, so the n-th traveller is the same
person in every option; options are compared by paired differences with 95% t-intervals.
{ESTIMATION_HTML}
{html.escape(_warmup_text(meta, s))}
{'Grid: ' + html.escape(', '.join(f'{k} = {v}' for k, v in axes.items())) + '.' if axes else ''}
Results are identical whether replications run serially, on local cores or on a Dask
cluster.</p>
<h3>5. Implementation</h3>
<p>tipkit (Python), {html.escape(versions)}. Seeding:
{html.escape(str(meta.get('seeding', '')))}.</p>
<h3>6. Code access</h3>
<p>The tipkit repository, <code>sim/</code> package; reproduce with <code>{commands}</code>
and the scenario files copied to <code>{html.escape(str(results.folder / 'scenarios'))}</code>
with seed {meta.get('seed')}.</p>
"""


# How the KPIs are estimated, as the STRESS-DES appendix (and the budget report) states it once.
ESTIMATION_HTML = f"""Estimation: the identification rates (overall and by group of victims), victims
identified, flags per 10,000, the share of flags that are victims, false referrals, referrals
and victims missed under time pressure are <b>conditional Monte Carlo ("virtual victims")</b>
estimates. Each replication conditions on its queues (who arrived, which officer or e-gate
screened whom, the queue length when each service began) and integrates out, in closed form, who
is a victim, which indicators they carry (the 16 patterns weighted as in the legs of the victim
population this point draws from, for its transport modes) and every screening and confirmation
draw: at each screening of every counted traveller, the probability that a victim in their place
would have been flagged and confirmed. Children, who may not use e-gates, meet the desk
conditions of the desk travellers arriving then. The estimates have the same expectation as the
direct counts, which are kept in <code>replications.csv</code> (columns ending
<code>_direct</code>), and a far smaller variance; the shelter's cost a day follows the
estimated referrals, while shelter occupancy and refused referrals are counted directly.
The desk waits (mean, 95th percentile, share within the target) are <b>control-variate</b>
estimates: each replication reports its counted value W minus F plus the mean of F over
{FRESH_RUNS} fresh runs of arrivals, where F is the same KPI of a fluid model of the desk queue
(the run's arrivals as a flow counted two minutes at a time, served first come first served at
the desks' rate, faster under time pressure, fewer officers at night, counting only the
travellers who arrive after the run's own warm-up) and the fresh runs come from a stream of their
own. The coefficient is fixed at 1, so the estimate is unbiased for the expected KPI of a run,
replications stay independent (the fresh runs' own error is inside each interval), and the
counted waits are kept as <code>desk_wait_mean_direct</code> and the like."""


def _warmup_text(meta: dict, s: Scenario) -> str:
    """The run's warm-up and the result of its MSER-5 check, in words."""
    if not needs_check(s) and not meta.get("warmup"):
        return ("A one-day run without a warm-up is a terminating run (it starts empty, as the "
                "day does): no warm-up applies.")
    text = (f"A run settling into a steady state discards a warm-up of {s.run.warmup_hours:g} "
            f"hours of its {s.run.days:g} days.")
    return f"{text} {warmup_checks_text(meta) or 'No warm-up check is stored with these results.'}"


def warmup_checks_text(meta: dict) -> str:
    """The warm-up checks stored in run.json, in words ("" when there are none)."""
    checks = [WarmupCheck.from_dict(d) for d in meta.get("warmup", {}).values()]
    if not checks:
        return ""
    return f"Warm-up check ({WARMUP_METHOD}): " + " ".join(c.sentence() for c in checks)


def _replications_text(meta: dict) -> str:
    n = meta.get("replications")
    if meta.get("replications_rule"):
        needed = [v for v in meta.get("replications_needed", {}).values() if v is not None]
        if meta.get("precision_reached"):
            return (f"{n} replications per option, chosen by the replications algorithm of "
                    f"Hoad, Robinson and Davies (2010): every headline KPI's 95% half-width is "
                    f"within {meta['precision']:.0%} of its mean after {max(needed)} "
                    f"replications.")
        return (f"{n} replications per option (the budget): the replications algorithm "
                f"(Hoad, Robinson and Davies 2010) did not reach {meta['precision']:.0%} "
                f"precision for every headline KPI; read intervals, not just means.")
    return f"{n} replications per option."


PAGE_STYLE = """
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:0;color:#222;
background:#fafafa}
main{max-width:1100px;margin:0 auto;padding:24px 28px 60px;background:#fff}
h1{font-size:1.6em;margin-bottom:.2em} h2{margin-top:1.8em;border-bottom:2px solid #1b6ca8;
padding-bottom:4px} .answer{font-size:1.08em;line-height:1.55;background:#eef5fb;
border-left:5px solid #1b6ca8;padding:14px 18px}
table{border-collapse:collapse;font-size:.86em} th,td{border-bottom:1px solid #ddd;
padding:6px 8px;text-align:left;vertical-align:top} .scroll{overflow-x:auto}
figure.chart{margin:22px 0;border:1px solid #e4e4e4;padding:8px}
figcaption{font-size:.88em;color:#444;margin-top:4px} .note,.small{font-size:.85em;color:#555}
.assumption-box{background:#fff6e5;border-left:5px solid #edae49;padding:10px 16px}
tr.training td{background:#fff0d9} code{font-size:.92em}
"""

CHECK_SCRIPT = """
window.addEventListener('load', function () {
  var figures = document.querySelectorAll('figure.chart');
  var drawn = 0;
  figures.forEach(function (f) { if (f.querySelector('svg.main-svg')) { drawn += 1; } });
  document.body.setAttribute('data-charts', String(figures.length));
  document.body.setAttribute('data-charts-drawn', String(drawn));
});
"""


def page_head(title: str) -> str:
    """The page up to its title: style and Plotly embedded, so that it opens offline."""
    import plotly.offline

    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{html.escape(title)}</title><style>{PAGE_STYLE}</style>
<script>{plotly.offline.get_plotlyjs()}</script></head>
<body><main>
<h1>{html.escape(title)}</h1>"""


def page_shell(title: str, results: ResultFolder, body: str,
               what: str = "A what-if simulation of one official border crossing point") -> str:
    """The whole page around a body: the head, what it shows and from which folder, and the
    script that records whether every chart was drawn."""
    return f"""{page_head(title)}
<p class="note">{html.escape(what)} (tipkit).
Results folder: <code>{html.escape(str(results.folder))}</code>.</p>
{body}
</main>
<script>{CHECK_SCRIPT}</script>
</body></html>
"""


def figures_html(chart_list: list[Chart], out: Path) -> dict[str, str]:
    """Each chart as an HTML figure (Plotly, drawn offline) with its caption and PNG link."""
    figures = {}
    for chart in chart_list:
        fig = charts.to_plotly(chart)
        div = fig.to_html(full_html=False, include_plotlyjs=False, div_id=f"chart-{chart.key}",
                          config={"displaylogo": False, "responsive": True})
        png = f"{out.stem}-{chart.key}.png"
        figures[chart.key] = (f"<figure class=\"chart\" data-chart=\"{chart.key}\">{div}"
                              f"<figcaption>{html.escape(chart.caption)} "
                              f"<a href=\"{png}\">PNG</a></figcaption></figure>")
    return figures


def _page(results: ResultFolder, content: ReportContent, out: Path) -> str:
    by_key = figures_html(content.charts, out)
    found = content.global_sensitivity
    if results.kind == global_sensitivity.KIND:
        names = results.meta["scenarios"]
        title = ("Border screening: which assumptions the answer depends on ("
                 + ", ".join(names[:4]) + (" and more" if len(names) > 4 else "") + ")")
        body = f"""<h2>The answer</h2>
<p class="answer">{content.answer}</p>
<h2>What the answer depends on</h2>
{by_key['global-sensitivity']}
{global_sensitivity.section_html(found)}
<h2>The assumptions, as written</h2>
{_assumptions_html(results, [])}
<h2>Appendix: STRESS-DES report</h2>
{_stress_appendix(results, results.scenarios[0])}"""
        return page_shell(title, results, body)
    options, baseline, differences = content.options, content.baseline, content.differences
    if results.kind == "sweep":
        title = (f"Border screening: {results.scenarios[0].name}, a grid of "
                 + " by ".join(_short(k) for k in results.meta["axes"]))
    else:
        title = ("Border screening: " + ", ".join(o.name for o in options[:4])
                 + (" and more" if len(options) > 4 else ""))
    trained = any(o.scenario.training.shares()["none"] < 1 for o in options)
    sens_html = by_key.get("sensitivity", (
        "<p><b>No sensitivity run is stored with these results</b> (they were made with "
        "--no-sensitivity): read the training options' gains as conditional on the assumed "
        "training effects.</p>") if trained else (
        "<p>No option has trained officers, so no sensitivity to the training effect was "
        "run.</p>"))
    together = (f"<h3>Every assumption varied together</h3>{by_key['global-sensitivity']}"
                f"{global_sensitivity.section_html(found)}" if found is not None else
                "<p class=\"note\">Every assumption varied together: run <code>tipkit sim "
                "sensitivity</code> on these scenarios with <code>--out "
                f"{html.escape(str(results.folder / 'sensitivity'))}</code> and this report "
                "shows which assumptions the answer depends on.</p>")
    body = f"""{robust_section.section_html(results, by_key.get(robust_section.KEY, ''))}
<h2>The answer</h2>
<p class="answer">{content.answer}</p>
<h2>The options side by side</h2>
{_options_table(options, differences, baseline)}
<h2>Identification</h2>
{by_key.get('identification', '')}
<h2>Who is identified</h2>
{_groups_html(options, baseline, differences)}
<h2>Identification against waiting</h2>
{by_key.get('tradeoff', '')}
<h2>Referrals and shelter capacity</h2>
{by_key.get('referrals', '')}
<h2>False referrals</h2>
{by_key.get('false-referrals', '')}
<h2>Costs: sourced and assumed</h2>
{_costs_html(results)}
<h2>The assumptions that drive the answer</h2>
<div class="assumption-box"><p><b>Training effects are assumptions.</b> No published study
measures how many more victims trained officers identify; evaluations count people trained, not
outcomes. The noticing probabilities of each training level (highlighted below) are therefore
scenario inputs, and the chart that follows shows how the answer moves if training works less
or more than assumed. The share of travellers who are victims is also an assumption: it scales
counts (victims, referrals) and the share of flags that are victims, not the identification
rate.</p></div>
{sens_html}
{together}
{_assumptions_html(results, options)}
<h2>Appendix: STRESS-DES report</h2>
{_stress_appendix(results, baseline.scenario)}"""
    return page_shell(title, results, body)

