"""The evaluation report as one self-contained HTML page: no script, no network, inline SVG.

Renders the dict of tipkit.synth.evaluate.evaluation (the JSON beside it holds the same numbers).
"""

from __future__ import annotations

from html import escape

from tipkit.synth.evaluate.evaluation import KMARGINAL


def _colour(score: float) -> str:
    """Red (poor) to green (identical) for a score in [0.8, 1]."""
    t = max(0.0, min(1.0, (score - 0.8) / 0.2))
    return f"rgb({int(215 - 170 * t)},{int(48 + 130 * t)},{int(39 + 60 * t)})"


def heat_map(columns, pairs: dict[str, float]) -> str:
    """An inline SVG grid of the two-way score of every pair of columns."""
    cell, left, top = 54, 190, 20
    size = len(columns)
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{left + cell * size + 10}" '
             f'height="{top + cell * size + 190}" font-family="sans-serif" font-size="11">']
    for i, a in enumerate(columns):
        parts.append(f'<text x="{left - 6}" y="{top + cell * i + cell / 2 + 4}" '
                     f'text-anchor="end">{escape(a)}</text>')
        x = left + cell * i + cell / 2
        y = top + cell * size + 8
        parts.append(f'<text x="{x}" y="{y}" transform="rotate(60 {x} {y})">{escape(a)}</text>')
        for j, b in enumerate(columns):
            score = pairs.get(f"{a} x {b}", pairs.get(f"{b} x {a}"))
            if score is None:
                continue
            parts.append(
                f'<rect x="{left + cell * j}" y="{top + cell * i}" width="{cell - 2}" '
                f'height="{cell - 2}" fill="{_colour(score)}"><title>{escape(a)} x {escape(b)}: '
                f'{score:.3f}</title></rect>'
                f'<text x="{left + cell * j + cell / 2 - 1}" y="{top + cell * i + cell / 2 + 4}" '
                f'text-anchor="middle" fill="white">{score:.3f}</text>')
    parts.append("</svg>")
    return "".join(parts)


def _table(rows, header) -> str:
    head = "".join(f"<th>{escape(str(h))}</th>" for h in header)
    body = "".join("<tr>" + "".join(f"<td>{escape(_fmt(v))}</td>" for v in row) + "</tr>"
                   for row in rows)
    return f"<table><tr>{head}</tr>{body}</table>"


def _fmt(value) -> str:
    if isinstance(value, float):
        return f"{value:.4f}"
    return str(value)


def _attacks_section(attacks: dict | None) -> list[str]:
    """The attacks (evaluate --holdout): each risk beside a random sample of the real records."""
    if not attacks:
        return []

    def cell(risk):
        low, high = risk["ci95"]
        return f"{100 * risk['risk']:.1f}% ({100 * low:.1f}-{100 * high:.1f}%)"

    return [
        "<h2>Attacks</h2>",
        f"<p>Anonymeter's attacks on the release, with {escape(attacks['control'])} as the "
        "control: a risk is the success on the real records beyond the success on the "
        "control, as a share of what was left to gain, with its 95% interval; beside it the "
        "same attack on a plain random sample of the real records of the release's size "
        "(no protection).</p>",
        _table([(a["attack"], a["attacks"], cell(a["release"]),
                 cell(a["random_sample_of_real_records"])) for a in attacks["attacks"]],
               ["attack", "tries", "risk on the release (95%)",
                "random sample of real records (95%)"]),
        "<ul>" + "".join(f"<li>{escape(a['sentence'])}</li>" for a in attacks["attacks"])
        + "</ul>",
    ]


def render(result: dict) -> str:
    f, p, c = result["fidelity"], result["privacy"], result["cost_of_protection"]
    sections = [
        "<h1>Evaluation of a synthetic release</h1>",
        f"<p>Release <code>{escape(result['release'])}</code> against real records "
        f"<code>{escape(result['real'])}</code>"
        + (f", read with the codebook <code>{escape(result['codebook']['name'])}</code> "
           f"(sha256 <code>{escape(result['codebook']['sha256'])}</code>)"
           if result.get("codebook") else "") + ".</p>",
        "<h2>In plain words</h2><ul>" + "".join(f"<li>{escape(s)}</li>" for s in result["summary"])
        + "</ul>",
        "<h2>Fidelity</h2>",
        "<p>Marginal scores (NIST k-marginal style): 1 minus the total variation distance between "
        "real and synthetic tables, averaged over every combination of that many columns.</p>",
        _table(f["marginal_scores"].items(), ["tables", "score"]),
        f"<p>{escape(KMARGINAL)}: <b>{f[KMARGINAL]:.1f}</b>. As SDNist 2.x computes it (NIST "
        "CRC): the mean over every pair of columns of 2 minus the L1 distance between the real "
        "and synthetic two-way densities, times 500; numbers in 20 percentile bins of the real "
        "data. 1000: identical pairs.</p>",
        "<h3>Every column</h3>", _table(f["one_way_by_column"].items(), ["column", "score"]),
        "<h3>Every pair of columns</h3>", heat_map(result["columns"], f["two_way_by_pair"]),
    ]
    if "sdmetrics" in f:
        for name, report in f["sdmetrics"].items():
            sections.append(f"<h3>SDMetrics {name} report: {report['score']:.4f}</h3>")
            sections.append(_table(report["properties"].items(), ["property", "score"]))
    dcr = p["distance_to_closest_record"]
    sections += [
        "<h2>Privacy</h2>",
        _table([
            ("quasi-identifiers", ", ".join(p["quasi_identifiers"])),
            ("smallest class (must be at least k)", f"{p['smallest_class']} (k = {p['k']})"),
            *[(f"rare combinations of {n} values (must be 0)", v)
              for n, v in p["rare_combinations"].items()],
            ("real records unique on the quasi-identifiers", p["real_unique_records"]),
            ("share of them whose values reappear", p["real_unique_reappearing_share"]),
            ("release rows identical to a real record", dcr["release"]["exact_match_share"]),
            (f"baseline: {dcr['baseline_kind']}", dcr["baseline"]["exact_match_share"]),
            ("mean distance to closest real record (columns)", dcr["release"]["mean_distance"]),
            ("baseline mean distance", dcr["baseline"]["mean_distance"]),
            *[(f"rows with impossible combination {rule} (must be 0)", n)
              for rule, n in p.get("impossible_combinations", {}).items()],
        ] + ([(f"l-diversity of {p['l_diversity']['column']}: smallest l",
               p["l_diversity"]["smallest_l"]),
              ("classes with a single value of it", p["l_diversity"]["classes_with_one_value"])]
             if p["l_diversity"] else []), ["measure", "value"]),
        *_attacks_section(p.get("attacks")),
        "<h2>Cost of protection</h2>",
        _table([
            ("release rows / real rows (record expansion)", c["record_expansion"]),
            ("real rows whose class is absent from the release", 
             c["real_rows_whose_class_is_absent_share"]),
        ] + [(f"{col}: Other in release / in real",
              f"{c['values_other'][col]} / {c['values_other_in_real'][col]}")
             for col in result["columns"]]
          + [(f"{col}: blank in release / in real",
              f"{c['values_blank'][col]} / {c['values_blank_in_real'][col]}")
             for col in result["columns"]], ["measure", "value"]),
    ]
    style = ("body{font-family:sans-serif;max-width:60em;margin:2em auto;color:#222}"
             "table{border-collapse:collapse;margin:.5em 0}td,th{border:1px solid #ccc;"
             "padding:.2em .6em;text-align:left}")
    return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            f"<title>Evaluation of a synthetic release</title><style>{style}</style></head>"
            f"<body>{''.join(sections)}</body></html>\n")
