"""SDNist 2.4's own report on tipkit releases of the NIST national 2019 excerpt, for bench_nist.py.

SDNist pins older numpy and pandas than tipkit, so it runs in its own virtual environment (made
with `python3 -m venv` and `pip install sdnist==2.4` if missing) through
benchmarks/nist/sdnist/report.py. Offline: its data root is laid out in a temporary folder from
the excerpt where it lies (../shared) and SDNist's config.json and mappings.json committed under
benchmarks/nist/sdnist/ (see SOURCE.md there); nothing is downloaded at run time but the package.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from tipkit.synth.evaluate.exact_matches import exact_match_figures
from tipkit.synth.microdata.codebook import parse_codebook
from tipkit.synth.microdata.dictionary import read_dictionary
from tipkit.synth.microdata.draft import draft_codebook
from tipkit.synth.microdata.fit import FitSettings, fit_release, write_fit
from tipkit.synth.microdata.journeys import read_input
from tipkit.synth.release.manifest import read_manifest
from tipkit.synth.release.schema import CASE_ID

HERE = Path(__file__).resolve().parent
CONFIGS = HERE / "nist" / "sdnist"
SDNIST = "sdnist==2.4"
SAMPLE_SEED = 10  # the real 10% sample's own stream


def sdnist_python(venv: Path | None) -> Path:
    """The Python of SDNist 2.4's virtual environment, made if missing."""
    venv = venv or Path(tempfile.gettempdir()) / "tipkit-sdnist-2.4"
    python = venv / "bin" / "python"
    ready = python.exists() and subprocess.run(
        [str(python), "-c", "import sdnist.report"], capture_output=True).returncode == 0
    if not ready:
        print(f"making SDNist's environment in {venv} (python3 -m venv; pip install {SDNIST})",
              flush=True)
        subprocess.run(["python3", "-m", "venv", str(venv)], check=True)
        subprocess.run([str(python), "-m", "pip", "install", "-q", SDNIST], check=True)
    return python


def data_root(data: Path, folder: Path) -> Path:
    """SDNist's data root: config.json, mappings.json, data_dictionary.json, and
    national/national2019.csv and .json, linked from where the excerpt lies."""
    root = folder / "sdnist-data"
    (root / "national").mkdir(parents=True)
    for name in ("config.json", "mappings.json"):
        (root / name).write_bytes((CONFIGS / name).read_bytes())
    (root / "data_dictionary.json").symlink_to(data.parent / "data_dictionary.json")
    for suffix in (".csv", ".json"):
        (root / "national" / f"national2019{suffix}").symlink_to(data.with_suffix(suffix))
    return root


def sdnist_report(python: Path, root: Path, table: pd.DataFrame, folder: Path, label: str) -> dict:
    """SDNist's report.json for one deidentified table (written as CSV in `folder`)."""
    path = folder / f"{label}.csv"
    table.to_csv(path, index=False)
    done = subprocess.run([str(python), str(CONFIGS / "report.py"), str(root), str(path),
                           str(folder / f"{label}-report")], capture_output=True, text=True)
    line = [x for x in done.stdout.splitlines() if x.startswith("SDNIST-REPORT ")]
    if done.returncode or not line:
        sys.exit(f"SDNist's report failed on {label}:\n{done.stdout[-2000:]}\n{done.stderr[-2000:]}")
    return json.loads(Path(line[0].split(" ", 1)[1]).read_text())


def sdnist_figures(report: dict) -> dict:
    """The figures printed from SDNist's report.json."""
    regression = report["linear_regression"]["total_population"]
    groups = report["linear_regression"]
    slope_gap = np.mean([abs(g["deidentified_regression_slope_and_intercept"][0]
                             - g["target_regression_slope_and_intercept"][0])
                         for g in groups.values()])
    inconsistent = {s["Inconsistency Group"]: s["Number of Records Inconsistent"]
                    for s in report["inconsistencies"]["summary"]}
    uem = report["unique_exact_matches"]
    named = [f"{i['inconsistency_name']} {i['inconsistency_violations']}"
             for group in ("age", "work", "housing")
             for i in report["inconsistencies"][group]["inconsistencies"]]
    dropped = report["data_description"]["deid"].get("validations", {}).get(
        "values_out_of_bound", {})
    return {
        "features SDNist dropped (values out of bounds)": ", ".join(
            f"{f} ({', '.join(map(str, v))})" if isinstance(v, list) else str(f)
            for f, v in dropped.items()) or "none",
        "k-marginal": report["k_marginal"]["k_marginal_synopsys"]["k_marginal_score"],
        "like a sample of": f"{report['k_marginal']['k_marginal_synopsys']['sub_sampling_equivalent']}%",
        "pMSE": f"{report['propensity mean square error']['pmse_score']:.4f}",
        "regression slope, intercept (real)": "{}, {} ({}, {})".format(
            *regression["deidentified_regression_slope_and_intercept"],
            *regression["target_regression_slope_and_intercept"]),
        "mean |slope gap| over groups": f"{slope_gap:.2f}",
        "PCA": "plots: " + report["pca"]["deidentified_all_components_plot"],
        "inconsistent age/work/housing": "/".join(str(inconsistent.get(g, "?"))
                                                  for g in ("Age", "Work", "Housing")),
        "inconsistencies by name": "; ".join(named) or "none",
        "unique exact matches": f"{uem['records matched in target data']} "
                                f"({uem['percent records matched in target data']}%)",
    }


def drafted_codebook(data: Path, features, folder: Path):
    """A codebook drafted with `tipkit synth codebook --dictionary` from SDNist's data dictionary,
    no rule added by hand. Two keys are set as a user sets them for this benchmark (neither is a
    rule): the ten features as quasi-identifiers, and ages released as whole years (SDNist reads
    AGEP as a number)."""
    dictionary = read_dictionary(data.parent / "data_dictionary.json")
    text = draft_codebook(data, list(features), dictionary).text
    lines = []
    for line in text.splitlines():
        if line.startswith("quasi_identifiers:"):
            line = f"quasi_identifiers: [{', '.join(features)}]"
        elif line.strip().startswith("release: bin"):
            line = line.replace("release: bin", "release: value")
        lines.append(line)
    path = folder / "drafted-codebook.yaml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return parse_codebook(path.read_text(encoding="utf-8"), str(path)), path


def sdnist_table(data: Path, codebook, codebook_path: Path, seed: int, venv, k: int,
                 delta: float) -> None:
    """Fit the releases, run SDNist's report on each and on a random 10% sample, and print its
    figures beside tipkit's (release.json and data card, and `evaluate`'s exact matches)."""
    features = list(codebook.quasi_identifiers)
    python = sdnist_python(venv)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        root = data_root(data, folder)
        drafted, drafted_path = drafted_codebook(data, features, folder)
        runs = [("tipkit, no DP", codebook, codebook_path, None),
                ("tipkit, epsilon 10", codebook, codebook_path, 10.0),
                ("tipkit, epsilon 1", codebook, codebook_path, 1.0),
                ("tipkit, epsilon 1, codebook drafted --dictionary", drafted, drafted_path, 1.0)]
        real_values = None
        for label, book, book_path, epsilon in runs:
            start = time.perf_counter()
            records = read_input(data, features, legs=False, codebook=book)
            if real_values is None:
                real_values = records.values
            settings = FitSettings(k=k, epsilon=epsilon, delta=delta if epsilon else None,
                                   seed=seed)
            fitted = fit_release(records, settings)
            out = folder / f"release-{len(rows)}"
            write_fit(fitted, records.table, out, inputs=(data, book_path))
            measured = read_manifest(out).measured
            released = pd.read_csv(out / "cases.csv", dtype=str).drop(columns=[CASE_ID])
            ours = exact_match_figures(real_values, released, features)["release"]
            card = (measured.released_uniques if measured.released_uniques is not None
                    else fitted.exact_matches_measured)
            print(f"  {label}: fitted and checked in {time.perf_counter() - start:.0f} s; "
                  "SDNist's report...", flush=True)
            rows.append({"release": label, **sdnist_figures(
                sdnist_report(python, root, released, folder, f"run{len(rows)}")),
                "tipkit evaluate: exact matches": ours["matched"],
                "data card: exact matches": ("0 (promise, checked)" if epsilon is None
                                             else f"{card} (evidence)"),
                "impossible rows (tipkit)": sum((measured.impossible_combinations or {}).values())})
        real = pd.read_csv(data, dtype=str, usecols=features)[features]
        rng = np.random.default_rng(SAMPLE_SEED)
        sample = real.iloc[np.sort(rng.choice(len(real), size=len(real) // 10, replace=False))]
        print("  real 10% sample: SDNist's report...", flush=True)
        rows.append({"release": "real records, random 10% sample", **sdnist_figures(
            sdnist_report(python, root, sample, folder, "sample")),
            "tipkit evaluate: exact matches": exact_match_figures(
                real_values, sample, features)["release"]["matched"]})
    print(f"SDNist {SDNIST.split('==')[1]}'s report (national 2019, the ten features, k={k}, "
          f"seed {seed}; the drafted codebook: {drafted_path.name} with no rule added by hand)")
    with pd.option_context("display.width", 250, "display.max_columns", 20,
                           "display.max_colwidth", 60):
        print(pd.DataFrame(rows, dtype=object).set_index("release").T.astype(object)
              .where(lambda t: t.notna(), "").to_string())
