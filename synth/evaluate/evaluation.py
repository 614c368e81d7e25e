"""`tipkit synth evaluate`: how faithful and how safe a release is, measured against the real data.

Fidelity (k-way marginal scores, SDMetrics reports), privacy (classes, rare combinations, records
reproduced, distance to closest record, l-diversity) and the cost of protection, as one dict.
"""

from __future__ import annotations

from itertools import combinations
from pathlib import Path

import numpy as np
import pandas as pd

_BUILTIN = ("ctdc-global-dataset", "ctdc-global-synthetic")  # read as CTDC files, flags merged
KMARGINAL = "SDNist 2-way k-marginal score (0-1000)"


def _joint_codes(real: pd.DataFrame, synthetic: pd.DataFrame, columns):
    """Both tables' values as integer codes over their union, column by column."""
    real_codes, synth_codes, sizes = [], [], []
    for c in columns:
        codes, uniques = pd.factorize(pd.concat([real[c], synthetic[c]], ignore_index=True))
        real_codes.append(codes[: len(real)])
        synth_codes.append(codes[len(real):])
        sizes.append(len(uniques))
    return np.column_stack(real_codes), np.column_stack(synth_codes), np.array(sizes)


def marginal_scores(real: pd.DataFrame, synthetic: pd.DataFrame, columns, length: int):
    """NIST k-marginal style: for every `length` columns, 1 - total variation distance between
    the real and synthetic tables. Returns {combination: score}."""
    r, s, sizes = _joint_codes(real, synthetic, columns)
    scores = {}
    for combo in combinations(range(len(columns)), length):
        shape = tuple(sizes[list(combo)])
        a = np.bincount(np.ravel_multi_index(tuple(r[:, j] for j in combo), shape),
                        minlength=int(np.prod(shape))) / max(len(real), 1)
        b = np.bincount(np.ravel_multi_index(tuple(s[:, j] for j in combo), shape),
                        minlength=int(np.prod(shape))) / max(len(synthetic), 1)
        scores[tuple(columns[j] for j in combo)] = 1.0 - 0.5 * float(np.abs(a - b).sum())
    return scores


def mean_score(real, synthetic, columns, length: int) -> float:
    scores = marginal_scores(real, synthetic, columns, length)
    return float(np.mean(list(scores.values()))) if scores else float("nan")


def _codes_over(tables, columns):
    """Each table as integer codes over the union of their values, column by column."""
    out = [np.empty((len(t), len(columns)), dtype=np.int64) for t in tables]
    for j, c in enumerate(columns):
        codes, _ = pd.factorize(pd.concat([t[c] for t in tables], ignore_index=True))
        start = 0
        for i, t in enumerate(tables):
            out[i][:, j] = codes[start:start + len(t)]
            start += len(t)
    return out


def closest_distances(rows: np.ndarray, others: np.ndarray, exclude_self: bool = False):
    """For each of `rows`, the number of columns in which the closest of `others` differs
    (Hamming distance). With `exclude_self`, `rows` is `others` and a row is not its own match."""
    found = np.empty(len(rows), dtype=np.int64)
    for start in range(0, len(rows), 256):
        chunk = rows[start:start + 256]
        distance = (chunk[:, None, :] != others[None, :, :]).sum(axis=2)
        if exclude_self:
            distance[np.arange(len(chunk)), np.arange(start, start + len(chunk))] = 10 ** 6
        found[start:start + len(chunk)] = distance.min(axis=1)
    return found


def distance_to_closest(real: pd.DataFrame, synthetic: pd.DataFrame, columns, holdout=None):
    """Distance to closest real record: of released rows, against the baseline of a holdout's
    rows (or, without a holdout, of each real record to the other real records)."""
    tables = [real, synthetic] + ([holdout] if holdout is not None else [])
    coded = _codes_over(tables, columns)
    real_rows, real_counts = np.unique(coded[0], axis=0, return_counts=True)

    def summary(rows, weights, distances):
        weights = weights / weights.sum()
        return {"exact_match_share": float(weights[distances == 0].sum()),
                "mean_distance": float((weights * distances).sum())}

    synth_rows, synth_counts = np.unique(coded[1], axis=0, return_counts=True)
    released = summary(synth_rows, synth_counts, closest_distances(synth_rows, real_rows))
    if holdout is not None:
        rows, counts = np.unique(coded[2], axis=0, return_counts=True)
        baseline = summary(rows, counts, closest_distances(rows, real_rows))
        kind = "holdout records"
    else:
        # A real record shares its row with another record when its row occurs twice or more.
        own = closest_distances(real_rows, real_rows, exclude_self=True)
        own = np.where(real_counts > 1, 0, own)
        baseline = summary(real_rows, real_counts, own)
        kind = "each real record against the others"
    return {"release": released, "baseline": baseline, "baseline_kind": kind}


def l_diversity(synthetic: pd.DataFrame, quasi_identifiers, sensitive: str) -> dict:
    """How many distinct values of `sensitive` each quasi-identifier class holds."""
    distinct = synthetic.groupby(list(quasi_identifiers), sort=False)[sensitive].nunique()
    return {"column": sensitive, "smallest_l": int(distinct.min()) if len(distinct) else 0,
            "classes": int(len(distinct)),
            "classes_with_one_value": int((distinct == 1).sum())}


def _sdmetrics(real: pd.DataFrame, synthetic: pd.DataFrame, columns) -> dict:
    from sdmetrics.reports import DiagnosticReport, QualityReport

    metadata = {"tables": {"cases": {"columns": {c: {"sdtype": "categorical"} for c in columns}}}}
    found = {}
    for name, report in (("quality", QualityReport()), ("diagnostic", DiagnosticReport())):
        report.generate({"cases": real[list(columns)]}, {"cases": synthetic[list(columns)]},
                        metadata, verbose=False)
        properties = report.get_properties()
        found[name] = {"score": float(report.get_score()),
                       "properties": {str(r["Property"]): float(r["Score"])
                                      for _, r in properties.iterrows()}}
    return found


def judged_by(release_path, k: int | None, quasi_identifiers, codebook_path=None):
    """The k, quasi-identifiers and codebook to judge a release by: those given, else those its
    release.json records (the codebook as the release ships it, codebook.yaml). A release
    without release.json needs k given (it may come from another tool); its quasi-identifiers
    then default to its codebook's or the standard five (None), its codebook to a codebook.yaml
    beside its tables."""
    from tipkit.synth.microdata.codebook import SHIPPED, load_codebook, shipped_codebook
    from tipkit.synth.release.manifest import MANIFEST, read_manifest
    from tipkit.errors import UserError

    release = Path(release_path)
    given = load_codebook(codebook_path) if codebook_path else None
    if k is not None and not (release / MANIFEST).is_file():
        if given is None and (release / SHIPPED).is_file():
            given = load_codebook(release / SHIPPED)
        return k, quasi_identifiers, given
    try:
        made = read_manifest(release)
    except UserError as error:
        if k is not None and quasi_identifiers:  # judged by what was given, as before release.json
            return k, quasi_identifiers, given
        raise UserError(f"{error} (or give --k and --quasi-identifiers to judge it by)") from None
    return (made.settings.k if k is None else k,
            quasi_identifiers or made.settings.quasi_identifiers,
            given or shipped_codebook(release, made))


def _ctdc(codebook) -> bool:
    """A CTDC format's built-in codebook (as built in, or shipped unchanged in a release)."""
    from tipkit.synth.microdata.codebook import builtin_codebook

    return codebook.name in _BUILTIN and codebook.text == builtin_codebook(codebook.name).text


def _read_real(path, columns, codebook):
    """Real records coded as the release was: through its codebook (values outside a list read
    as "Other", not refused: this is a measurement), or as CTDC files when it is a built-in one."""
    from tipkit.synth.microdata.readers import read_cases
    from tipkit.errors import UserError

    if codebook is None or _ctdc(codebook):
        real = read_cases(path).table
        absent = [c for c in columns if c not in real.columns]
        if absent:
            raise UserError(f"{path} has no column {absent[0]!r} of the release")
        return real[columns]
    return read_cases(path, columns, codebook=codebook, strict=False).table


def kmarginal(real_path, real: pd.DataFrame, written: pd.DataFrame, synthetic: pd.DataFrame,
              codebook) -> float:
    """SDNist's 2-way k-marginal score (0-1000) of the release on its columns. A number column
    of a user's codebook whose release holds numbers (release: value, or no bins) is scored as
    SDNist scores numbers: in 20 percentile bins of the real numbers, read from the real file
    (anything not a number in range, such as a missing code, is SDNist's N); every other column
    as coded (`real`, `synthetic`: a number released as its bin, as its bin)."""
    from tipkit.synth.evaluate.kmarginal import NA, kmarginal_score
    from tipkit.synth.microdata.readers import read_text

    columns = list(written.columns)
    numbers = [c for c in columns if codebook is not None and not _ctdc(codebook)
               and c in codebook.columns and codebook.column(c).kind == "number"
               and not (codebook.column(c).bins and codebook.column(c).release == "bin")]
    real_scored, synthetic_scored = real[columns].copy(), synthetic[columns].copy()
    raw = (read_text(Path(real_path)).rename(columns=codebook.aliases())
           if any(codebook.column(c).bins for c in numbers) else None)
    for name in numbers:
        column = codebook.column(name)
        source = raw[name] if column.bins else real[name]
        real_scored[name] = _numbers_or_na(source, column.range, NA).to_numpy()
        synthetic_scored[name] = _numbers_or_na(written[name], column.range, NA).to_numpy()
    return kmarginal_score(real_scored, synthetic_scored, columns, numeric=numbers)


def _numbers_or_na(values: pd.Series, bounds, na: str) -> pd.Series:
    """Whole numbers inside `bounds` as text; anything else as `na`."""
    numbers = pd.to_numeric(values.astype(str).str.strip(), errors="coerce")
    inside = numbers.between(*bounds) & (numbers % 1 == 0)
    return numbers.where(inside).map(lambda v: na if pd.isna(v) else str(int(v)))


def evaluate_release(real_path, release_path, k: int | None = None, quasi_identifiers=None,
                     sensitive=None, holdout=None, sdmetrics: bool = True,
                     codebook_path=None, attacks: int | None = None) -> dict:
    """Every number of the evaluation report, for one release against the real records. `k`,
    `quasi_identifiers` and the codebook (`codebook_path`) default to what the release's
    release.json records. With a `holdout`, `attacks` tries of each attack (default
    tipkit.synth.evaluate.attacks.ATTACKS; 0: none), the holdout as the control."""
    from tipkit.synth.release.guarantees import rare_combinations, smallest_class, unique_records
    from tipkit.synth.release.folder import read_release
    from tipkit.synth.release.schema import CASE_ID, DEFAULT_QUASI_IDENTIFIERS, MISSING, OTHER
    from tipkit.errors import UserError

    cases, _ = read_release(release_path)
    columns = [c for c in cases.columns if c != CASE_ID]
    if len(cases) == 0 or not columns:
        raise UserError(f"{release_path}: the release has no rows or no columns to evaluate")
    k, quasi_identifiers, codebook = judged_by(release_path, k, quasi_identifiers, codebook_path)
    real = _read_real(real_path, columns, codebook)
    # Numbers drawn inside their bins are compared, and counted, as their bins.
    synthetic = codebook.measured(cases[columns]) if codebook else cases[columns]
    held = _read_real(holdout, columns, codebook) if holdout else None
    if quasi_identifiers:
        unknown = [q for q in quasi_identifiers if q not in columns]
        if unknown:
            raise UserError(f"quasi-identifier {unknown[0]!r} is not a column of the release")
    defaults = codebook.quasi_identifiers if codebook else DEFAULT_QUASI_IDENTIFIERS
    qi = list(quasi_identifiers or [q for q in defaults if q in columns])
    if not qi:
        raise UserError(f"{release_path} has none of the default quasi-identifiers "
                        f"({', '.join(defaults)}): name them with "
                        "--quasi-identifiers")
    if sensitive is None:
        sensitive = "isSexualExploit" if "isSexualExploit" in columns and \
            "isSexualExploit" not in qi else next((c for c in columns if c not in qi), None)
    elif sensitive not in columns:
        raise UserError(f"sensitive column {sensitive!r} is not a column of the release")

    fidelity = {f"{r}-way": mean_score(real, synthetic, columns, r) for r in (1, 2, 3)
                if r <= len(columns)}
    per_column = {c[0]: s for c, s in marginal_scores(real, synthetic, columns, 1).items()}
    pairs = {f"{a} x {b}": s for (a, b), s in marginal_scores(real, synthetic, columns, 2).items()}
    sdnist = kmarginal(real_path, real, cases[columns], synthetic, codebook)

    uniques = unique_records(real, qi)
    reappear = len(uniques.merge(synthetic[qi].drop_duplicates(), how="inner"))
    in_release = real[qi].merge(synthetic[qi].drop_duplicates(), how="left", indicator=True)
    privacy = {
        "quasi_identifiers": qi,
        "k": k,
        "smallest_class": smallest_class(synthetic, qi),
        "rare_combinations": {str(n): c for n, c in
                              rare_combinations(synthetic, columns, k, 3).items()},
        "real_unique_records": len(uniques),
        "real_unique_reappearing_share": reappear / len(uniques) if len(uniques) else 0.0,
        "distance_to_closest_record": distance_to_closest(real, synthetic, columns, held),
        "l_diversity": l_diversity(synthetic, qi, sensitive) if sensitive else None,
        "impossible_combinations": {
            f"{number}: {codebook.impossible[number].text}": count
            for number, count in (codebook.impossible_rows(synthetic) if codebook else {}).items()
        },
    }
    # SDNist's unique exact matches, in the values released (a drawn number as the file shows it).
    from tipkit.synth.evaluate.exact_matches import exact_match_figures, real_values

    shown = real_values(real_path, columns, codebook)
    privacy["unique_exact_matches"] = exact_match_figures(
        real if shown is None else shown, cases[columns], columns)
    if held is not None and attacks != 0:
        from tipkit.synth.evaluate.attacks import ATTACKS, attack_release, attacks_record

        found = attack_release(real, synthetic, held, qi, attacks or ATTACKS)
        privacy["attacks"] = attacks_record(found, f"the holdout records ({holdout})",
                                            len(real), len(held))
    cost = {
        "release_rows": len(synthetic),
        "real_rows": len(real),
        "record_expansion": len(synthetic) / max(len(real), 1),
        "real_rows_whose_class_is_absent_share":
            float((in_release["_merge"] == "left_only").mean()),
        "values_other": {c: int((synthetic[c] == OTHER).sum()) for c in columns},
        "values_other_in_real": {c: int((real[c] == OTHER).sum()) for c in columns},
        "values_blank": {c: int((synthetic[c] == MISSING).sum()) for c in columns},
        "values_blank_in_real": {c: int((real[c] == MISSING).sum()) for c in columns},
    }
    result = {
        "real": str(real_path), "release": str(release_path), "columns": columns,
        "codebook": codebook.record() if codebook else None,
        "fidelity": {"marginal_scores": fidelity, KMARGINAL: sdnist,
                     "one_way_by_column": per_column, "two_way_by_pair": pairs},
        "privacy": privacy, "cost_of_protection": cost,
    }
    if sdmetrics:
        result["fidelity"]["sdmetrics"] = _sdmetrics(real, synthetic, columns)
    result["summary"] = plain_summary(result)
    return result


def plain_summary(result: dict) -> list[str]:
    """A few sentences for a reader who is not a statistician."""
    f = result["fidelity"]["marginal_scores"]
    p = result["privacy"]
    c = result["cost_of_protection"]
    rare = sum(p["rare_combinations"].values())
    weakest = min(result["fidelity"]["two_way_by_pair"].items(), key=lambda kv: kv[1],
                  default=(None, None))
    lines = [
        f"Counts of single columns in the release match the real records to "
        f"{100 * f['1-way']:.1f}%, counts of pairs of columns to {100 * f.get('2-way', 1):.1f}%, "
        f"and of three columns together to {100 * f.get('3-way', 1):.1f}% "
        "(100% would be identical tables). "
        f"{KMARGINAL}: {result['fidelity'][KMARGINAL]:.1f}.",
        f"Every group of people who share {', '.join(p['quasi_identifiers'])} in the release "
        f"has at least {p['smallest_class']} members"
        + (f" (the required minimum is {p['k']})." if p['smallest_class'] >= p['k'] else
           f", FEWER than the required {p['k']}: this release is not safe to publish."),
        (f"No combination of up to three values is rarer than {p['k']} rows."
         if rare == 0 else f"{rare} combinations of up to three values are rarer than "
         f"{p['k']} rows: this release is not safe to publish."),
        f"Of the {p['real_unique_records']} real people who are unique on these attributes, "
        f"{100 * p['real_unique_reappearing_share']:.1f}% have a matching group in the release.",
        f"The release has {c['release_rows']} rows for {c['real_rows']} real records.",
    ]
    if "unique_exact_matches" in p:
        from tipkit.synth.evaluate.exact_matches import plain_sentence

        lines.insert(4, plain_sentence(p["unique_exact_matches"]))
    if weakest[0]:
        lines.append(f"The pair of columns least well kept is {weakest[0]} "
                     f"({100 * weakest[1]:.1f}%).")
    lines += [a["sentence"] for a in p.get("attacks", {}).get("attacks", [])]
    if result.get("codebook"):
        impossible = sum(p["impossible_combinations"].values())
        lines.append(f"Read with the codebook {result['codebook']['name']}: "
                     + (f"no row has any of its {len(p['impossible_combinations'])} impossible "
                        "combinations." if impossible == 0 else
                        f"{impossible} rows have a combination it calls impossible."))
    return lines


def evaluation_paths(out) -> tuple:
    """The HTML report `out` names and the JSON beside it; `out` must end in .html, so that
    the two are never one file."""
    from tipkit.errors import UserError

    out = Path(out)
    if out.suffix.lower() != ".html":
        raise UserError(f"--out {out} must name an .html file (the JSON goes beside it)")
    return out, out.with_suffix(".json")


def write_evaluation(result: dict, out, force: bool = False, inputs=()) -> tuple:
    """Write the HTML report and, beside it, the JSON with the same numbers (both appear
    together, or neither; existing ones are replaced only with `force`)."""
    import json

    from tipkit.outputs import staged_files
    from tipkit.synth.evaluate.html import render

    html_path, data_path = evaluation_paths(out)
    with staged_files(html_path, data_path, force=force, inputs=inputs) as (html_tmp, data_tmp):
        data_tmp.write_text(json.dumps(result, indent=2, sort_keys=True) + "\n", encoding="utf-8")
        html_tmp.write_text(render(result), encoding="utf-8")
    return html_path, data_path
