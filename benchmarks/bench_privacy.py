"""Benchmark of the privacy evidence: Anonymeter's attacks on tipkit releases beside a random sample
of the real records, and the one-run DP audit (honest, and with the noise scaled down 20x).

Attacks: the NIST CRC national 2019 excerpt (read through benchmarks/nist/codebook-national2019.yaml
as bench_nist.py reads it; ten features, all quasi-identifiers) and the CTDC fixture, each split
in two halves of the same size: a release (no DP, epsilon 10, epsilon 1; k = 11, delta 1e-6) is
fitted to one, the other is the control, as `fit --audit` does. Figures to reach: the random
sample's lower 95% bound above 0, and every release's upper 95% bound below the random sample's
estimate. Audit: the CTDC fixture at epsilon 1, 4 and 10, 1000 canaries; the bounds must stay
below the claim, and the broken mechanism's white-box bound should exceed it.
Run: .venv/bin/python benchmarks/bench_privacy.py [--nist national2019.csv] [--fixture-rows N]
     [--attacks N] [--epsilons none,10,1] [--audit-epsilons 1,4,10] [--canaries N]
     [--kinds linkability,...] [--skip-fixture] [--skip-attacks] [--skip-audit]
About an hour on a loaded 2-core machine (NIST: some 15 minutes of attacks per release).
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import pandas as pd

from tipkit.synth.evaluate.attacks import KINDS, attack_release
from tipkit.synth.microdata.audit import ceiling, run_audit
from tipkit.synth.microdata.codebook import load_codebook
from tipkit.synth.microdata.evidence import halves
from tipkit.synth.microdata.fit import FitSettings, fit_release
from tipkit.synth.microdata.fixtures import write_fixture
from tipkit.synth.microdata.journeys import read_input
from tipkit.synth.release.schema import CASE_ID

HERE = Path(__file__).resolve().parent
CODEBOOK = HERE / "nist" / "codebook-national2019.yaml"
_EXCERPTS = [root / "shared" / "benchmarks" / "nist-crc" / "national2019.csv"
             for root in HERE.parents[1:3]]
NIST = next((path for path in _EXCERPTS if path.exists()), _EXCERPTS[0])
K = 11
DELTA = 1e-6
YEARS = (2002, 2018)  # the fixture's years: the public range of a DP fit of it


def _percent(value, low, high) -> str:
    return f"{100 * value:5.1f} [{100 * low:4.1f}, {100 * high:4.1f}]"


def attack_table(name: str, records, epsilons, attacks: int, seed: int, years=None,
                 kinds=KINDS) -> list[dict]:
    """Every release of one half attacked with the other half as control, beside a random sample."""
    train, control = halves(records, seed)
    rows = []
    for label in epsilons:
        epsilon = None if label == "none" else float(label)
        settings = FitSettings(k=K, epsilon=epsilon, delta=DELTA if epsilon else None,
                               years=years if epsilon else None, seed=seed)
        start = time.perf_counter()
        fitted = fit_release(train, settings)
        released = fitted.codebook.measured(fitted.cases.drop(columns=[CASE_ID]))
        fit_seconds = time.perf_counter() - start
        results = attack_release(train.table, released, control.table, fitted.quasi_identifiers,
                                 attacks, seed, kinds)
        print(f"  {name}, epsilon {label}: fit {fit_seconds:.0f} s, attacks "
              f"{time.perf_counter() - start - fit_seconds:.0f} s", flush=True)
        for r in results:
            rows.append({
                "data": name, "epsilon": label, "attack": r.name[:44], "tries": r.attacks,
                "release risk % [95%]": _percent(r.release.value, r.release.low, r.release.high),
                "random sample % [95%]": _percent(r.sample.value, r.sample.low, r.sample.high),
                "sample > 0": "yes" if r.sample.low > 0 else "NO",
                "release high < sample": "yes" if r.release.high < r.sample.value else "NO",
            })
    return rows


def audit_table(records, epsilons, canaries: int, seed: int) -> list[dict]:
    rows = []
    for label in epsilons:
        for scale, mechanism in ((1.0, "as shipped"), (1 / 20, "noise / 20 (broken)")):
            settings = FitSettings(k=K, epsilon=float(label), delta=DELTA, years=YEARS, seed=seed)
            found = run_audit(records, settings, canaries, _noise_scale=scale)
            rows.append({
                "claimed (eps, delta)": f"({label}, {DELTA:g})", "mechanism": mechanism,
                "white-box eps >=": f"{found.white_box.epsilon:.2f} "
                                    f"({found.white_box.right}/{found.white_box.guesses})",
                "black-box eps >=": f"{found.black_box.epsilon:.2f} "
                                    f"({found.black_box.right}/{found.black_box.guesses})",
                "below claim": "yes" if found.holds else "NO",
                "canaries (in)": f"{found.canaries} ({found.included})",
                "seconds": f"{found.seconds:.0f}",
            })
            print(f"  audit epsilon {label}, {mechanism}: {found.seconds:.0f} s", flush=True)
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--nist", type=Path, default=NIST)
    parser.add_argument("--fixture-rows", type=int, default=20_000)
    parser.add_argument("--attacks", type=int, default=2000)
    parser.add_argument("--epsilons", default="none,10,1")
    parser.add_argument("--audit-epsilons", default="1,4,10")
    parser.add_argument("--canaries", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--kinds", default=",".join(KINDS),
                        help="the attacks to run (comma-separated: singling out, ...)")
    parser.add_argument("--skip-fixture", action="store_true")
    parser.add_argument("--skip-attacks", action="store_true")
    parser.add_argument("--skip-audit", action="store_true")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp())
    fixture_path = folder / "fixture.csv"
    write_fixture(fixture_path, rows=args.fixture_rows, seed=0)
    fixture = read_input(fixture_path, legs=False, years=YEARS)
    pd.set_option("display.width", 250)
    pd.set_option("display.max_columns", 12)
    if not args.skip_attacks:
        epsilons = args.epsilons.split(",")
        kinds = tuple(k.strip() for k in args.kinds.split(","))
        rows = []
        if args.nist.exists():
            codebook = load_codebook(CODEBOOK)
            nist = read_input(args.nist, codebook.quasi_identifiers, legs=False,
                              codebook=codebook)
            print(f"NIST {args.nist}: {len(nist.table)} records, halves of "
                  f"{len(nist.table) // 2}; {args.attacks} tries per attack", flush=True)
            rows += attack_table("NIST national 2019", nist, epsilons, args.attacks, args.seed,
                                 kinds=kinds)
        else:
            print(f"no NIST excerpt at {args.nist}: the attacks run on the fixture only")
        if not args.skip_fixture:
            print(f"CTDC fixture: {len(fixture.table)} records, halves of "
                  f"{len(fixture.table) // 2}", flush=True)
            rows += attack_table("CTDC fixture", fixture, epsilons, args.attacks, args.seed,
                                 YEARS, kinds)
        table = pd.DataFrame(rows)
        print(table.to_string(index=False))
        print(f"random sample told apart from zero: {(table['sample > 0'] == 'yes').sum()} of "
              f"{len(table)}; release's upper bound below the sample's estimate: "
              f"{(table['release high < sample'] == 'yes').sum()} of {len(table)}")
    if not args.skip_audit:
        print(f"\nOne-run DP audit on the CTDC fixture ({len(fixture.table)} records), "
              f"{args.canaries} canaries; the largest bound this many canaries can show: "
              f"{ceiling(args.canaries, DELTA):.2f}", flush=True)
        rows = audit_table(fixture, args.audit_epsilons.split(","), args.canaries, args.seed)
        print(pd.DataFrame(rows).to_string(index=False))


if __name__ == "__main__":
    main()
