"""What `tipkit synth fit --audit` measures for the data card: the attacks on a release fitted to
half of the records, with the other half as the control (size-matched), and under DP the one-run
audit. Shipped as privacy-evidence.json beside the data card; the app shows its sentences.
"""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import numpy as np

from tipkit.synth.evaluate.attacks import ATTACKS, attack_release, attacks_record
from tipkit.synth.microdata.audit import CANARIES, run_audit
from tipkit.synth.microdata.readers import CaseRecords
from tipkit.synth.release.schema import CASE_ID

EVIDENCE = "privacy-evidence.json"
CONTROL = "the other half of the records, which the attacked release never saw"


def halves(records: CaseRecords, seed: int) -> tuple[CaseRecords, CaseRecords]:
    """The records split at random in two halves of the same size (one record left out when
    their number is odd), without journey legs: the attacks read the case columns."""
    table = records.table.reset_index(drop=True)
    order = np.random.default_rng(np.random.SeedSequence([seed, 0x4A1F])).permutation(len(table))
    half = len(table) // 2
    return tuple(replace(records, table=table.iloc[np.sort(part)].reset_index(drop=True),
                         legs=None, case_ids=None)
                 for part in (order[:half], order[half:2 * half]))


def fit_evidence(records: CaseRecords, settings, attacks: int = ATTACKS,
                 canaries: int = CANARIES, progress=None) -> dict:
    """A release fitted with `settings` to one half of `records`, attacked with the other half
    as the control (beside the same attacks on a random sample of the first half); under DP, the
    one-run audit of the same settings on all the records. `progress(stage)` is told each stage."""
    from tipkit.synth.microdata.fit import fit_release

    tell = progress or (lambda stage: None)
    train, control = halves(records, settings.seed)
    tell("fitting a release to half of the records")
    fitted = fit_release(train, settings)
    released = fitted.cases.drop(columns=[CASE_ID])
    if fitted.codebook is not None:  # numbers drawn inside their bins are attacked as the bins
        released = fitted.codebook.measured(released)
    tell("attacking it")
    results = attack_release(train.table, released, control.table, fitted.quasi_identifiers,
                             attacks, settings.seed)
    found = {"attacks": attacks_record(results, CONTROL, len(train.table), len(control.table))}
    if settings.private:
        tell("auditing the differential privacy")
        found["dp_audit"] = run_audit(records, settings, canaries).record()
    return found


def evidence_lines(evidence: dict) -> list[str]:
    """The data card's section on the measured evidence."""
    a = evidence["attacks"]
    lines = [
        "",
        "## Measured privacy evidence (`fit --audit`)",
        f"- Attacks (Anonymeter, Giomi et al. 2023): a second release was fitted with "
        f"the same settings to a random half of the records ({a['target_rows']} records) and "
        f"attacked; the other half ({a['control_rows']} records), which it never saw, is the "
        "control. A risk is the attacker's success on the records behind the release beyond "
        "its success on the control, as a share of what was left to gain (0: the release "
        "tells no more about the people in it than about anyone else), with its 95% interval. "
        "Beside it, the same attack on a plain random sample of the real records of the "
        "release's size: what publishing real records would score.",
        "",
        "| attack | tries | risk on the release (95% interval) | random sample of the real "
        "records (95% interval) |",
        "|---|---|---|---|",
    ]
    for r in a["attacks"]:
        name = r["attack"].replace("|", "\\|")  # the linkability sources' bar is no column
        lines.append(f"| {name} | {r['attacks']} | {_cell(r['release'])} | "
                     f"{_cell(r['random_sample_of_real_records'])} |")
    lines.append("")
    lines += [f"- {r['sentence']}" for r in a["attacks"]]
    if "dp_audit" in evidence:
        lines += ["- Differential privacy audit (one run, Steinke, Nasr and Jagielski 2023): "
                  + " ".join(evidence["dp_audit"]["sentences"])]
    lines.append("- These figures are measured on the records themselves (they are counts of "
                 "successes over thousands of tries, never about one record), and are not "
                 "covered by the differential privacy guarantee of the release.")
    return lines


def _cell(risk: dict) -> str:
    low, high = risk["ci95"]
    return f"{100 * risk['risk']:.1f}% ({100 * low:.1f}-{100 * high:.1f}%)"


def evidence_text(evidence: dict) -> str:
    return json.dumps(evidence, indent=2, sort_keys=True) + "\n"


def evidence_sentences(folder) -> list[str]:
    """The plain sentences of a release's privacy-evidence.json (none without one)."""
    path = Path(folder) / EVIDENCE
    if not path.is_file():
        return []
    try:
        evidence = json.loads(path.read_text(encoding="utf-8"))
        lines = [r["sentence"] for r in evidence["attacks"]["attacks"]]
        return lines + list(evidence.get("dp_audit", {}).get("sentences", []))
    except (ValueError, KeyError, TypeError):
        return []
