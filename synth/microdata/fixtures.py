"""A CTDC-shaped fixture of case records for tests and benchmarks: never real data.

Seven Global Dataset columns with planted structure: trafficking flows (citizenship -> country)
that drive year, exploitation, gender and age; a long tail of rare pairs; a few unique canaries.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from tipkit.synth.release.schema import AGE_BANDS

# The seven columns of peer-figures.md, in the CTDC Global Dataset's column order.
FIXTURE_COLUMNS = (
    "yearOfRegistration", "gender", "ageBroad", "citizenship",
    "isForcedLabour", "isSexualExploit", "CountryOfExploitation",
)
YEARS = np.arange(2002, 2019)

# Main flows: (citizenship, country of exploitation, share, centre year, share sexual exploitation,
# share hotline). Close to the public one-way shares of ctdc-format.md; "00" is unknown, "-99" blank.
_FLOWS = (
    ("PH", "-99", 0.120, 2016, 0.75, 0.00), ("PH", "PH", 0.045, 2013, 0.85, 0.00),
    ("PH", "MY", 0.025, 2012, 0.30, 0.00), ("PH", "US", 0.015, 2016, 0.40, 0.60),
    ("PH", "00", 0.020, 2016, 0.70, 0.00),
    ("00", "US", 0.140, 2016, 0.80, 1.00), ("00", "-99", 0.040, 2015, 0.60, 0.50),
    ("UA", "UA", 0.060, 2010, 0.20, 0.00), ("UA", "RU", 0.055, 2012, 0.10, 0.00),
    ("UA", "PL", 0.020, 2015, 0.15, 0.00), ("UA", "TR", 0.015, 2008, 0.85, 0.00),
    ("UA", "-99", 0.012, 2011, 0.50, 0.00),
    ("MD", "MD", 0.045, 2009, 0.55, 0.00), ("MD", "RU", 0.035, 2011, 0.10, 0.00),
    ("MD", "TR", 0.020, 2006, 0.90, 0.00), ("MD", "AE", 0.010, 2007, 0.90, 0.00),
    ("MD", "-99", 0.012, 2010, 0.50, 0.00),
    ("US", "US", 0.075, 2017, 0.85, 1.00),
    ("KH", "KH", 0.015, 2014, 0.60, 0.00), ("KH", "TH", 0.015, 2013, 0.20, 0.00),
    ("KH", "MY", 0.010, 2014, 0.10, 0.00),
    ("ID", "ID", 0.018, 2012, 0.50, 0.00), ("ID", "MY", 0.022, 2011, 0.15, 0.00),
    ("BY", "BY", 0.012, 2009, 0.40, 0.00), ("BY", "RU", 0.018, 2010, 0.20, 0.00),
    ("MM", "TH", 0.016, 2015, 0.15, 0.00), ("MM", "MM", 0.010, 2016, 0.50, 0.00),
    ("RO", "RO", 0.006, 2014, 0.70, 0.00), ("RO", "GB", 0.007, 2016, 0.40, 0.00),
    ("-99", "-99", 0.006, 2014, 0.50, 0.50),
)
# The long tail: rare citizenships and countries whose pairs hold a few records each.
_TAIL_CITIZENSHIPS = (
    "NG", "VN", "CN", "IN", "NP", "BD", "LK", "TH", "LA", "UZ", "KG", "TJ", "KZ", "GE", "AM",
    "AZ", "AF", "PK", "GH", "ET", "ER", "SO", "KE", "UG", "NA", "HT", "HN", "GT", "SV", "MX",
    "CO", "BR", "AL", "BG", "RS",
)
_TAIL_COUNTRIES = (
    "US", "RU", "TR", "AE", "SA", "QA", "KW", "LB", "JO", "IL", "DE", "IT", "ES", "FR", "GB",
    "NL", "BE", "GR", "PL", "CZ", "TH", "MY", "JP", "KR", "CN", "IN", "NP", "LK", "ZA", "NG",
    "GH", "LY", "EG", "MX", "HT", "DO", "AR", "BR", "CO", "VN", "KH", "LA", "ID", "PH", "MM",
    "BD", "PK", "AF", "KZ", "UZ",
)
TAIL_SHARE = 0.08
# Canaries: unique records whose values no other record combines; a release must never show them.
CANARIES = (
    ("2003", "Transgender/NonConforming", "48+", "IS", "1", "0", "NZ"),
    ("2004", "Male", "0--8", "FJ", "0", "1", "CL"),
    ("2002", "Female", "48+", "MN", "1", "1", "PE"),
    ("2005", "Transgender/NonConforming", "39--47", "BT", "0", "1", "UY"),
    ("2006", "Male", "48+", "MV", "1", "0", "IS"),
    ("2003", "Female", "0--8", "TL", "1", "0", "PY"),
    ("2002", "Male", "39--47", "BO", "0", "1", "MN"),
    ("2004", "Transgender/NonConforming", "27--29", "PG", "1", "1", "BT"),
    ("2005", "Female", "48+", "CR", "0", "0", "FJ"),
    ("2006", "Male", "0--8", "PA", "1", "1", "MV"),
    ("2002", "Transgender/NonConforming", "0--8", "UY", "1", "0", "TL"),
    ("2003", "Male", "27--29", "CL", "0", "1", "BO"),
)

# Age bands by exploitation type: sexual exploitation of minors and young women, labour older.
_AGE_SEX = np.array([0.03, 0.30, 0.18, 0.15, 0.10, 0.07, 0.10, 0.05, 0.02])
_AGE_LABOUR = np.array([0.02, 0.06, 0.07, 0.09, 0.11, 0.12, 0.26, 0.18, 0.09])
_AGE_MALE_SHIFT = np.array([0.7, 0.6, 0.8, 0.9, 1.0, 1.1, 1.3, 1.4, 1.5])


def _pick(rng: np.random.Generator, probabilities: np.ndarray) -> np.ndarray:
    """One category index per row, from a row-wise matrix of probabilities."""
    cumulative = np.cumsum(probabilities / probabilities.sum(axis=1, keepdims=True), axis=1)
    return np.minimum((cumulative < rng.random((len(cumulative), 1))).sum(axis=1),
                      probabilities.shape[1] - 1)


def _tail_flows(rng: np.random.Generator) -> list[tuple]:
    """Rare citizenship/country pairs with Zipf-like shares summing to TAIL_SHARE."""
    pairs = sorted({(c, d) for c in _TAIL_CITIZENSHIPS for d in _TAIL_COUNTRIES if c != d})
    chosen = rng.choice(len(pairs), size=320, replace=False)
    weights = 1.0 / np.arange(1, len(chosen) + 1) ** 0.9
    weights *= TAIL_SHARE / weights.sum()
    return [
        (*pairs[i], w, int(rng.integers(2005, 2019)), float(rng.random()), 0.0)
        for i, w in zip(sorted(chosen), weights)
    ]


def fixture_cases(rows: int = 50_000, seed: int = 0) -> pd.DataFrame:
    """A table of `rows` case records in the CTDC Global Dataset coding (text values: "-99",
    "Unknown", "00", double-hyphen bands, Namibia's "NA"), deterministic from `seed`."""
    streams = [np.random.default_rng(s) for s in np.random.SeedSequence(seed).spawn(8)]
    tail_rng, flow_rng, year_rng, type_rng, gender_rng, age_rng, miss_rng, order_rng = streams
    flows = list(_FLOWS) + _tail_flows(tail_rng)
    shares = np.array([f[2] for f in flows])
    body = rows - len(CANARIES)
    flow = flow_rng.choice(len(flows), size=body, p=shares / shares.sum())
    cit = np.array([f[0] for f in flows])[flow]
    coe = np.array([f[1] for f in flows])[flow]
    centre = np.array([f[3] for f in flows])[flow]
    sex_share = np.array([f[4] for f in flows])[flow]
    hotline = miss_rng.random(body) < np.array([f[5] for f in flows])[flow]

    # Year: around the flow's centre, or in the 2015-2018 surge of registrations (2016 alone
    # holds a third of the public data); hotline cases are recent.
    spread = np.where(hotline, 0.8, 1.0)
    year = np.clip(np.rint(centre + spread * year_rng.standard_normal(body)), 2002, 2018)
    surge = year_rng.random(body) < np.where(hotline, 0.6, 0.35)
    year = np.where(surge, year_rng.choice([2015, 2016, 2017, 2018], size=body,
                                           p=[0.15, 0.55, 0.17, 0.13]), year)
    # Exploitation drifts towards labour over the years in labour-heavy flows (a 3-way effect).
    drift = np.where(sex_share < 0.5, -0.03 * (year - 2010), 0.0)
    sexual = type_rng.random(body) < np.clip(sex_share + drift, 0.02, 0.98)
    both = type_rng.random(body) < 0.03
    # Gender depends on exploitation type and flow (men in labour flows to Russia and Malaysia).
    female_share = np.where(sexual, 0.95, np.where(np.isin(coe, ["RU", "MY", "TH"]), 0.2, 0.45))
    u = gender_rng.random(body)
    gender = np.where(u < female_share, "Female", np.where(u < female_share + 0.005 + 0.01 * sexual,
                                                           "Transgender/NonConforming", "Male"))
    # Age depends on exploitation and gender (a 3-way effect), missing for most hotline rows.
    base = np.where(sexual[:, None], _AGE_SEX, _AGE_LABOUR)
    base = base * np.where((gender == "Male")[:, None], _AGE_MALE_SHIFT, 1.0)
    age = np.array(AGE_BANDS)[_pick(age_rng, base)]
    age_missing = miss_rng.random(body) < np.where(hotline, 0.75, 0.12)
    age = np.where(age_missing, np.where(hotline, "Unknown", "-99"), age)

    labour = np.where(sexual & ~both, "0", "1")
    sex = np.where(sexual | both, "1", "0")
    # Flags are missing on many rows: hotline rows often say "Unknown", case files "-99".
    flags_missing = miss_rng.random(body) < np.where(hotline, 0.55, 0.35)
    missing_code = np.where(hotline, "Unknown", "-99")
    labour = np.where(flags_missing & (miss_rng.random(body) < 0.9), missing_code, labour)
    sex = np.where(flags_missing & (miss_rng.random(body) < 0.8), missing_code, sex)

    table = pd.DataFrame({
        "yearOfRegistration": year.astype(int).astype(str),
        "gender": gender,
        "ageBroad": age,
        "citizenship": cit,
        "isForcedLabour": labour,
        "isSexualExploit": sex,
        "CountryOfExploitation": coe,
    })
    table = pd.concat([table, pd.DataFrame(list(CANARIES), columns=list(FIXTURE_COLUMNS))],
                      ignore_index=True)
    return table.iloc[order_rng.permutation(len(table))].reset_index(drop=True)


def write_fixture(path, rows: int = 50_000, seed: int = 0) -> pd.DataFrame:
    """Write the fixture as CSV (or Parquet for a .parquet path) and return it."""
    table = fixture_cases(rows, seed)
    if str(path).endswith(".parquet"):
        table.to_parquet(path, index=False)
    else:
        table.to_csv(path, index=False, lineterminator="\n")
    return table
