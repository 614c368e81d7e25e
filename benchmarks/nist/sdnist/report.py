"""Runs inside SDNist 2.4's own virtual environment (it cannot import tipkit): SDNist's report of
one deidentified CSV against the national 2019 excerpt, and the figures bench_nist.py prints.
Usage: python report.py DATA_ROOT DEIDENTIFIED.csv OUTPUT_FOLDER  (prints one JSON line)
"""

import json
import sys
from pathlib import Path

from sdnist.load import TestDatasetName
from sdnist.report.__main__ import run

root, deidentified, out = (Path(a) for a in sys.argv[1:4])
out.mkdir(parents=True, exist_ok=True)
run(deidentified, out, TestDatasetName.national2019, root, {"label": deidentified.stem},
    download=False, show_report=False)
print("SDNIST-REPORT " + (out / "report.json").as_posix())
