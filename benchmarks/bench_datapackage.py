"""What the standard data package costs: the seconds the release writer spends writing and checking
datapackage.json and dataset.jsonld, beside what `frictionless validate` takes on the same files.

Run: python benchmarks/bench_datapackage.py  (the committed release, and a fit of a 20,000-row
CTDC-shaped fixture; no real data). Prints one line per release.
"""

from __future__ import annotations

import json
import shutil
import sys
import tempfile
import time
from pathlib import Path

from click.testing import CliRunner

ROOT = Path(__file__).resolve().parents[1]


def _timed(release: Path, specs) -> tuple[float, float, bool]:
    import frictionless

    from tipkit.synth.release.datapackage import About, write_data_package
    from tipkit.synth.release.folder import read_release
    from tipkit.synth.release.manifest import read_manifest

    package = json.loads((release / "datapackage.json").read_text())
    about = About(package["name"], package["title"], package["description"],
                  tuple(s["title"] for s in package["sources"]))
    cases, legs = read_release(release)
    fmt = package["resources"][0]["format"]
    clock = time.perf_counter()
    write_data_package(release, fmt, cases, legs, specs, read_manifest(release), about)
    ours = time.perf_counter() - clock
    clock = time.perf_counter()
    report = frictionless.validate(str(release / "datapackage.json"))
    return ours, time.perf_counter() - clock, report.valid


def main() -> None:
    from tipkit.cli import main as tipkit
    from tipkit.synth.microdata.codebook import GLOBAL_DATASET_CODEBOOK, builtin_codebook
    from tipkit.synth.microdata.fixtures import write_fixture
    from tipkit.synth.release.datapackage import codebook_fields, schema_fields
    from tipkit.synth.release.folder import read_release

    import frictionless  # noqa: F401  (imported once, outside the timings)

    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        default = tmp / "iom-2018"
        shutil.copytree(ROOT / "releases" / "iom-2018", default)
        rows = []
        rows.append(("iom-2018 (generate, 8,000 cases)", *_timed(default, schema_fields())))
        data = tmp / "records.csv"
        write_fixture(data, rows=20_000, seed=5)
        fitted = tmp / "fit"
        result = CliRunner().invoke(tipkit, ["synth", "fit", "--data", str(data), "--k", "5",
                                             "--seed", "3", "--out", str(fitted)])
        if result.exit_code != 0:
            sys.exit(result.output)
        cases, _ = read_release(fitted)
        specs = codebook_fields(builtin_codebook(GLOBAL_DATASET_CODEBOOK), cases)
        rows.append((f"fit ({len(cases):,} cases)", *_timed(fitted, specs)))
    print(f"{'release':36} {'write + own check':>18} {'frictionless validate':>22}  valid")
    for name, ours, theirs, valid in rows:
        print(f"{name:36} {ours:>16.2f} s {theirs:>20.2f} s  {valid}")


if __name__ == "__main__":
    main()
