"""The codebook: a YAML description of a case table (its columns, their public values, missing codes,
numeric ranges and bins, quasi-identifiers and impossible combinations), loaded and checked here.

Every problem is one UserError line naming the key (`columns.AGEP.bins: ...`). The CTDC formats are
two built-in codebooks (synth/microdata/codebooks/) read by the same code. Schema: docs/microdata.md.
"""

from __future__ import annotations

import difflib
import hashlib
from dataclasses import dataclass, field, replace
from functools import cached_property, lru_cache
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from tipkit.synth.release.schema import MISSING, OTHER
from tipkit.errors import UserError
from tipkit.yamlfiles import load_yaml, problem

BUILTIN_FOLDER = Path(__file__).parent / "codebooks"
GLOBAL_DATASET_CODEBOOK = "ctdc-global-dataset"
GLOBAL_SYNTHETIC_CODEBOOK = "ctdc-global-synthetic"
YEAR_COLUMN = "yearOfRegistration"  # the column CTDC's `--years` sets the range of
DEFAULT_YEARS = (2000, 2030)  # its range in a DP release of a CTDC file unless --years says
ISO_COUNTRIES = "iso-3166-alpha-3"  # the one named public list (pycountry); alpha-2 codes read too
MAX_WHOLE_NUMBERS = 1000  # an unbinned range beyond this many values needs bins
SHIPPED = "codebook.yaml"  # the codebook's name in a release folder

TOP_KEYS = ("name", "description", "source", "id", "any_subset", "missing", "outside",
            "columns", "quasi_identifiers", "impossible")
COLUMN_KEYS = ("description", "labels", "values", "public", "missing", "recode", "ignore_case",
               "outside", "range", "bins", "release", "aliases")
OUTSIDE = ("refuse", "other")
RELEASE = ("bin", "value")
DEFAULT_RELEASE = "bin"  # a bin is what was measured; a value inside it is invented precision


@lru_cache(maxsize=1)
def countries() -> tuple[str, ...]:
    """ISO 3166-1 alpha-3 codes of every country (the public list, from pycountry)."""
    import pycountry

    return tuple(sorted(c.alpha_3 for c in pycountry.countries))


@lru_cache(maxsize=1)
def _country_set() -> frozenset[str]:
    return frozenset(countries())


@lru_cache(maxsize=1)
def _alpha2_to_alpha3() -> dict[str, str]:
    import pycountry

    return {c.alpha_2: c.alpha_3 for c in pycountry.countries}


class Outside(str):
    """A raw value that is not in its column's list or range; the text says why."""


NOT_LISTED = Outside("outside its list")
NOT_A_NUMBER = Outside("not a number")
NOT_WHOLE = Outside("not a whole number")


@dataclass(frozen=True)
class Column:
    """One column: a categorical list of values, a numeric range (with bins), or, with neither,
    open (its values are the data's own: never public)."""

    name: str
    description: str = ""
    values: tuple[str, ...] | None = None
    named_list: str | None = None
    labels: dict[str, str] = field(default_factory=dict)
    public: bool = True
    missing: tuple[str, ...] = ()
    recode: dict[str, str] = field(default_factory=dict)
    ignore_case: bool = False
    outside: str = "refuse"
    range: tuple[float, float] | None = None
    bins: tuple[float, ...] | None = None
    release: str = DEFAULT_RELEASE
    aliases: tuple[str, ...] = ()

    @property
    def kind(self) -> str:
        if self.range is not None:
            return "number"
        return "categorical" if self.values is not None or self.named_list else "open"

    @property
    def whole(self) -> bool:
        """Whole-number bins: labelled "10-14" (both ends included) and drawn as integers."""
        edges = (*self.range, *(self.bins or ()))
        return all(float(e).is_integer() for e in edges)

    def listed(self) -> tuple[str, ...] | None:
        """The column's values in our coding (without "Other" and blank), or None when open."""
        if self.named_list:
            return countries()
        if self.values is not None:
            return tuple(v for v in self.values if v.lower() != OTHER.lower())
        if self.range is None:
            return None
        if self.bins:
            return tuple(self.bin_labels())
        low, high = (int(x) for x in self.range)
        return tuple(str(v) for v in range(low, high + 1))

    def bin_labels(self) -> list[str]:
        return list(self._bin_labels)

    @cached_property
    def _bin_labels(self) -> tuple[str, ...]:
        edges, last = list(self.bins), len(self.bins) - 2
        if self.whole:
            spans = [(int(edges[i]), int(edges[i + 1]) - (0 if i == last else 1))
                     for i in range(last + 1)]
            return tuple(f"{lo}" if lo == hi else f"{lo}-{hi}" for lo, hi in spans)
        return tuple(f"[{edges[i]:g}, {edges[i + 1]:g}{']' if i == last else ')'}"
                     for i in range(last + 1))

    def bin_of(self, number: float) -> int:
        """The bin holding `number` (bins include their lower edge; the last, both)."""
        return min(int(np.searchsorted(self.bins, number, side="right")) - 1, len(self.bins) - 2)

    def _key(self, text: str) -> str:
        return text.lower() if self.ignore_case else text

    @cached_property
    def _missing_keys(self) -> frozenset[str]:
        return frozenset(m.lower() for m in self.missing)

    @cached_property
    def _canonical(self) -> dict[str, str]:
        return {self._key(v): v for v in self.values or ()}

    def code_value(self, raw: str) -> str:
        """One raw value in our coding: a listed value, blank for missing, "Other", or an
        `Outside` marker saying why it is in none of them."""
        text = raw.strip()
        if text == "" or text.lower() in self._missing_keys:
            return MISSING
        if text.lower() == OTHER.lower():
            return OTHER
        if self.named_list:
            upper = text.upper()
            if len(upper) == 2:  # alpha-2, as the CTDC Global Dataset writes (Namibia is "NA")
                return _alpha2_to_alpha3().get(upper, NOT_LISTED)
            return upper if upper in _country_set() else NOT_LISTED
        if self.kind == "categorical":
            key = self._key(text)
            return self._canonical.get(key) or self.recode.get(key, NOT_LISTED)
        if self.kind == "number":
            try:
                number = float(text)
            except ValueError:
                return NOT_A_NUMBER
            if not np.isfinite(number):
                return NOT_A_NUMBER
            if not self.range[0] <= number <= self.range[1]:
                return Outside(f"outside its range {self.range[0]:g} to {self.range[1]:g}")
            if self.bins:
                return self._bin_labels[self.bin_of(number)]
            return str(int(number)) if number.is_integer() else NOT_WHOLE
        return text  # open: the value as it is

    def code(self, raw: pd.Series) -> tuple[pd.Series, dict[str, dict[str, int]]]:
        """The column in our coding, and its raw values that are outside, by reason, with their
        counts (the caller refuses them or, with `outside: other`, reads them as "Other")."""
        mapping = {v: self.code_value(str(v)) for v in pd.unique(raw)}
        counts = raw.value_counts()
        outside: dict[str, dict[str, int]] = {}
        for value, coded in mapping.items():
            if isinstance(coded, Outside):
                outside.setdefault(str(coded), {})[str(value)] = int(counts[value])
        coded = raw.map({v: (OTHER if isinstance(c, Outside) else str(c)) for v, c in mapping.items()})
        return coded.astype(str), outside

    def draw_values(self, labels: pd.Series, rng: np.random.Generator,
                    weights: dict[int, float] | None = None) -> pd.Series:
        """`release: value`: each bin label replaced by a whole number drawn inside the bin
        (blank and "Other" stay): uniformly, independently of the records (post-processing, as
        under DP), or, given `weights` (number -> weight), in proportion to them, uniformly in a
        bin where none of its numbers has a weight."""
        spans = dict(zip(self.bin_labels(), zip(self.bins[:-1], self.bins[1:])))
        out = labels.astype(object).copy()
        last = self.bin_labels()[-1]
        for label, (low, high) in spans.items():
            rows = np.flatnonzero((labels == label).to_numpy())
            top = int(high) + (1 if label == last else 0)
            mass = np.array([(weights or {}).get(v, 0.0) for v in range(int(low), top)])
            if mass.sum() > 0:
                drawn = int(low) + rng.choice(len(mass), size=len(rows), p=mass / mass.sum())
            else:
                drawn = rng.integers(int(low), top, size=len(rows))
            out.iloc[rows] = drawn.astype(str)
        return out.astype(str)

    def measured(self, released: pd.Series) -> pd.Series:
        """Released values in the coding the model measured: a drawn number back to its bin."""
        if not (self.bins and self.release == "value"):
            return released
        coded = {v: self.code_value(v) for v in pd.unique(released)}
        return released.map({v: (c if not isinstance(c, Outside) else v) for v, c in coded.items()})


@dataclass(frozen=True)
class Impossible:
    """One impossible combination: for each named column, the coded values (bin labels, blank for
    a missing code) that no record may have together."""

    number: int
    text: str
    values: dict[str, frozenset[str]]

    def rows(self, table: pd.DataFrame) -> np.ndarray:
        hit = np.ones(len(table), dtype=bool)
        for name, values in self.values.items():
            hit &= table[name].isin(values).to_numpy()
        return hit


@dataclass(frozen=True)
class Codebook:
    """A validated codebook: its columns in order, the quasi-identifiers, the impossible
    combinations, and the text it was read from (shipped with a release, with its sha256)."""

    name: str
    columns: dict[str, Column]
    text: str
    quasi_identifiers: tuple[str, ...] = ()
    impossible: tuple[Impossible, ...] = ()
    id: str | None = None
    any_subset: bool = False
    description: str = ""
    builtin: bool = False

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.text.encode("utf-8")).hexdigest()

    def record(self) -> dict[str, str]:
        """What a release records about the codebook it was made with."""
        return {"name": self.name, "sha256": self.sha256}

    def column(self, name: str) -> Column:
        return self.columns[name]

    def aliases(self) -> dict[str, str]:
        return {alias: name for name, c in self.columns.items() for alias in c.aliases}

    def with_years(self, years: tuple[int, int] | None) -> Codebook:
        """The built-in CTDC codebooks with `--years FIRST-LAST` as the year column's range."""
        if years is None or YEAR_COLUMN not in self.columns:
            return self
        column = replace(self.columns[YEAR_COLUMN], range=(float(years[0]), float(years[1])))
        return replace(self, columns={**self.columns, YEAR_COLUMN: column})

    def measured(self, table: pd.DataFrame) -> pd.DataFrame:
        """A released table in the coding the model measured (drawn numbers back in their bins)."""
        drawn = [n for n in table.columns if n in self.columns and self.columns[n].bins
                 and self.columns[n].release == "value"]
        if not drawn:
            return table
        out = table.copy()
        for name in drawn:
            out[name] = self.columns[name].measured(out[name])
        return out

    def impossible_rows(self, table: pd.DataFrame) -> dict[int, int]:
        """How many rows of a (measured) table have each impossible combination, by rule number."""
        return {rule.number: int(rule.rows(table).sum()) for rule in self.impossible
                if set(rule.values) <= set(table.columns)}

    def redacted(self, released: pd.DataFrame) -> str:
        """The codebook text to ship with a release: as written when every list in it is public;
        otherwise with the lists taken from the data (public: false) cut to the values released,
        as they would reveal values the release withheld."""
        private = [n for n, c in self.columns.items()
                   if not c.public and c.kind != "open" and n in released.columns]
        if not private:
            return self.text
        raw = yaml.load(self.text, Loader=yaml.BaseLoader)
        for name in private:
            spec = raw["columns"][name]
            shown = [v for v in (self.columns[name].listed() or ())
                     if v in set(self.columns[name].measured(released[name]))]
            for key in ("values", "range", "bins", "release", "recode", "labels"):
                spec.pop(key, None)
            spec["values"] = shown
        header = ("# The codebook this release was made with. The value lists of "
                  f"{', '.join(private)} came from the data (public: false):\n# only the values "
                  "released are listed here, as the others would reveal what the release withheld.\n")
        return header + yaml.safe_dump(raw, sort_keys=False, allow_unicode=True, width=100)


# ---------------------------------------------------------------------------------------------
# Loading and validation: every problem one line, naming the key.


def _unknown(keys, allowed, where: str, source: str) -> None:
    for key in keys:
        if key not in allowed:
            close = difflib.get_close_matches(str(key), allowed, n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else f" (known: {', '.join(allowed)})"
            raise UserError(f"{source}: {where}unknown key {key!r}{hint}")


def _flag(value, where: str, source: str) -> bool:
    if str(value).lower() in ("true", "yes"):
        return True
    if str(value).lower() in ("false", "no"):
        return False
    raise UserError(f"{source}: {where}: must be true or false (got {value!r})")


def _choice(value, choices, where: str, source: str) -> str:
    if value not in choices:
        raise UserError(f"{source}: {where}: must be one of {', '.join(choices)} (got {value!r})")
    return value


def _texts(value, where: str, source: str) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise UserError(f"{source}: {where}: must be a list of values, e.g. [1, 2]")
    repeated = [v for i, v in enumerate(value) if v in value[:i]]
    if repeated:
        raise UserError(f"{source}: {where}: {repeated[0]!r} is listed twice")
    return tuple(value)


def _numbers(value, where: str, source: str) -> tuple[float, ...]:
    if not isinstance(value, list):
        raise UserError(f"{source}: {where}: must be a list of numbers")
    try:
        numbers = tuple(float(v) for v in value)
    except (TypeError, ValueError):
        raise UserError(f"{source}: {where}: must be a list of numbers (got {value!r})")
    if not all(np.isfinite(numbers)):
        raise UserError(f"{source}: {where}: must be finite numbers")
    return numbers


def _column(name: str, spec, defaults: dict, source: str) -> Column:
    where = f"columns.{name}"
    if spec in (None, ""):
        spec = {}
    if not isinstance(spec, dict):
        raise UserError(f"{source}: {where}: must be a mapping of keys (values, missing, range, ...)")
    _unknown(spec, COLUMN_KEYS, f"{where}: ", source)
    out: dict = {"name": name, "description": str(spec.get("description", ""))}
    if "values" in spec and "range" in spec:
        raise UserError(f"{source}: {where}: give values (a category list) or range (numbers), "
                        "not both")
    values = spec.get("values")
    if isinstance(values, str):
        if values != ISO_COUNTRIES:
            raise UserError(f"{source}: {where}.values: unknown public list {values!r} "
                            f"(give a list, or {ISO_COUNTRIES!r})")
        out["named_list"] = values
    elif values is not None:
        out["values"] = _texts(values, f"{where}.values", source)
        if not out["values"]:
            raise UserError(f"{source}: {where}.values: is empty")
    missing = tuple(defaults["missing"])
    if "missing" in spec:
        missing += _texts(spec["missing"], f"{where}.missing", source)
    out["missing"] = missing
    if out.get("values"):
        clash = [v for v in out["values"] if v.strip() and v.lower() in {m.lower() for m in missing}]
        if clash:
            raise UserError(f"{source}: {where}: {clash[0]!r} is both a value and a missing code")
    if "public" in spec:
        out["public"] = _flag(spec["public"], f"{where}.public", source)
    if "ignore_case" in spec:
        out["ignore_case"] = _flag(spec["ignore_case"], f"{where}.ignore_case", source)
    out["outside"] = _choice(spec.get("outside", defaults["outside"]), OUTSIDE, f"{where}.outside",
                             source)
    if "aliases" in spec:
        out["aliases"] = _texts(spec["aliases"], f"{where}.aliases", source)
    for key in ("labels", "recode"):
        if key in spec and not isinstance(spec[key], dict):
            raise UserError(f"{source}: {where}.{key}: must be a mapping, e.g. {{1: Male}}")
    if "range" in spec:
        _numeric(out, spec, where, source)
    elif "bins" in spec or "release" in spec:
        raise UserError(f"{source}: {where}: bins and release need a numeric range "
                        "(range: [low, high])")
    listed = out.get("values")
    if "labels" in spec:
        if listed is None:
            raise UserError(f"{source}: {where}.labels: only a column with a values list has labels")
        stray = [v for v in spec["labels"] if v not in listed]
        if stray:
            raise UserError(f"{source}: {where}.labels: {stray[0]!r} is not one of its values")
        out["labels"] = {str(k): str(v) for k, v in spec["labels"].items()}
    if "recode" in spec:
        if listed is None:
            raise UserError(f"{source}: {where}.recode: only a column with a values list can be "
                            "recoded (raw spelling: listed value)")
        stray = [v for v in spec["recode"].values() if v not in listed]
        if stray:
            raise UserError(f"{source}: {where}.recode: {stray[0]!r} is not one of its values")
        fold = out.get("ignore_case", False)
        out["recode"] = {(k.lower() if fold else k): v for k, v in spec["recode"].items()}
    return Column(**out)


def _numeric(out: dict, spec: dict, where: str, source: str) -> None:
    low_high = _numbers(spec["range"], f"{where}.range", source)
    if len(low_high) != 2 or not low_high[0] < low_high[1]:
        raise UserError(f"{source}: {where}.range: must be [low, high] with low below high")
    out["range"] = low_high
    if "bins" in spec:
        edges = _numbers(spec["bins"], f"{where}.bins", source)
        if len(edges) < 2 or any(b <= a for a, b in zip(edges, edges[1:])):
            raise UserError(f"{source}: {where}.bins: must be at least two edges, each above the last")
        if edges[0] != low_high[0] or edges[-1] != low_high[1]:
            raise UserError(f"{source}: {where}.bins: must start at {low_high[0]:g} and end at "
                            f"{low_high[1]:g}, the ends of its range")
        out["bins"] = edges
        out["release"] = _choice(spec.get("release", DEFAULT_RELEASE), RELEASE,
                                 f"{where}.release", source)
        whole = all(float(e).is_integer() for e in edges)
        if out["release"] == "value" and not whole:
            raise UserError(f"{source}: {where}.release: value needs whole-number bins")
        if whole and any(b - a < 1 for a, b in zip(edges, edges[1:])):
            raise UserError(f"{source}: {where}.bins: whole-number bins must be at least 1 apart")
    else:
        if "release" in spec:
            raise UserError(f"{source}: {where}.release: needs bins (without bins every whole "
                            "number is released as it is)")
        if not all(float(x).is_integer() for x in low_high):
            raise UserError(f"{source}: {where}: a range of numbers that are not whole needs bins")
        if low_high[1] - low_high[0] + 1 > MAX_WHOLE_NUMBERS:
            raise UserError(f"{source}: {where}: the range holds more than {MAX_WHOLE_NUMBERS} "
                            "whole numbers: give bins")


def _impossible(number: int, spec, columns: dict[str, Column], source: str) -> Impossible:
    where = f"impossible[{number}]"
    if not isinstance(spec, dict) or not spec:
        raise UserError(f"{source}: {where}: must be a mapping of columns to values, "
                        "e.g. {AGEP: [0, 14], MSP: [1, 2]}")
    values = {}
    for name, listed in spec.items():
        if name not in columns:
            raise UserError(f"{source}: {where}: {name!r} is not a column of the codebook")
        column = columns[name]
        items = _texts(listed, f"{where}.{name}", source) if isinstance(listed, list) else None
        if items is None:
            raise UserError(f"{source}: {where}.{name}: must be a list (values, or [low, high])")
        missing = {m.lower() for m in column.missing}
        if items and all(v.lower() in missing for v in items):
            values[name] = frozenset({MISSING})
        elif column.kind == "number":
            values[name] = _interval(column, items, f"{where}.{name}", source)
        elif column.kind == "categorical":
            coded = {column.code_value(v) for v in items}
            stray = [v for v, c in zip(items, (column.code_value(v) for v in items))
                     if isinstance(c, Outside)]
            if stray:
                raise UserError(f"{source}: {where}.{name}: {stray[0]!r} is not one of its values")
            values[name] = frozenset(coded)
        else:
            values[name] = frozenset(items)
    text = ", ".join(f"{n} {' '.join(spec[n])}" if columns[n].kind != "number"
                     else f"{n} {spec[n][0]}-{spec[n][-1]}" for n in spec)
    return Impossible(number, text, values)


def _interval(column: Column, items, where: str, source: str) -> frozenset[str]:
    """A numeric [low, high] (both included) as the coded values it covers: the bins that lie
    inside it (it must not cut a bin), or the whole numbers inside it."""
    bounds = _numbers(list(items), where, source)
    if len(bounds) != 2 or bounds[0] > bounds[1]:
        raise UserError(f"{source}: {where}: a numeric column takes [low, high]")
    low, high = bounds
    if low < column.range[0] or high > column.range[1]:
        raise UserError(f"{source}: {where}: [{low:g}, {high:g}] is outside its range")
    if not column.bins:
        return frozenset(str(v) for v in range(int(np.ceil(low)), int(np.floor(high)) + 1))
    edges, labels = column.bins, column.bin_labels()
    step = 1 if column.whole else 0
    covered = [labels[i] for i in range(len(labels))
               if edges[i] >= low and (edges[i + 1] - step if i < len(labels) - 1 else edges[i + 1])
               <= high]
    cut = [labels[i] for i in range(len(labels))
           if labels[i] not in covered and edges[i] <= high and edges[i + 1] > low]
    if cut or not covered:
        raise UserError(f"{source}: {where}: [{low:g}, {high:g}] cuts the bin {cut[0] if cut else ''}"
                        " (an impossible range must follow the bin edges)")
    return frozenset(covered)


def parse_codebook(text: str, source: str, name: str | None = None,
                   builtin: bool = False) -> Codebook:
    """A Codebook from YAML text; `source` names it in error messages."""
    try:
        raw = load_yaml(text, as_text=True)  # every scalar as text: "01" stays "01"
    except yaml.YAMLError as error:
        raise UserError(f"{source} is not valid YAML{problem(error) or ': cannot be read'}") \
            from None
    if not isinstance(raw, dict):
        raise UserError(f"{source} is not a codebook: expected keys such as columns, "
                        "quasi_identifiers, impossible")
    _unknown(raw, TOP_KEYS, "", source)
    if not isinstance(raw.get("columns"), dict) or not raw["columns"]:
        raise UserError(f"{source}: columns: missing or empty (one entry per column of the table)")
    defaults = {
        "missing": _texts(raw["missing"], "missing", source) if "missing" in raw else (),
        "outside": _choice(raw.get("outside", "refuse"), OUTSIDE, "outside", source),
    }
    columns = {str(n): _column(str(n), spec, defaults, source) for n, spec in raw["columns"].items()}
    seen: dict[str, str] = {}
    for column in columns.values():
        for alias in column.aliases:
            if alias in columns or alias in seen:
                raise UserError(f"{source}: columns.{column.name}.aliases: {alias!r} already "
                                "names a column")
            seen[alias] = column.name
    identifier = raw.get("id")
    if identifier is not None and identifier in columns:
        raise UserError(f"{source}: id: {identifier!r} is an identifier, never released: "
                        "remove it from columns")
    qi = raw.get("quasi_identifiers", [])
    qi = _texts(qi, "quasi_identifiers", source) if qi != "" else ()
    unknown = [q for q in qi if q not in columns]
    if unknown:
        raise UserError(f"{source}: quasi_identifiers: {unknown[0]!r} is not a column of the codebook")
    rules = raw.get("impossible", [])
    if rules == "":
        rules = []
    if not isinstance(rules, list):
        raise UserError(f"{source}: impossible: must be a list of combinations")
    return Codebook(
        name=str(raw.get("name") or name or "codebook"), columns=columns, text=text,
        quasi_identifiers=qi,
        impossible=tuple(_impossible(i, r, columns, source) for i, r in enumerate(rules)),
        id=identifier, description=str(raw.get("description", "")),
        any_subset=_flag(raw.get("any_subset", "false"), "any_subset", source), builtin=builtin,
    )


def load_codebook(path) -> Codebook:
    """The codebook in the YAML file `path`, checked; one UserError line for any problem."""
    path = Path(path)
    if not path.is_file():
        raise UserError(f"{path}: no such codebook file")
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise UserError(f"{path}: cannot be read as a UTF-8 text file ({type(error).__name__})")
    if not text.strip():
        raise UserError(f"{path} is empty")
    return parse_codebook(text, str(path), name=path.stem)


@lru_cache(maxsize=None)
def builtin_codebook(name: str) -> Codebook:
    """One of the codebooks shipped with tipkit (the CTDC formats)."""
    path = BUILTIN_FOLDER / f"{name}.yaml"
    return parse_codebook(path.read_text(encoding="utf-8"), f"built-in codebook {name}",
                          name=name, builtin=True)


def shipped_codebook(folder, manifest) -> Codebook | None:
    """The codebook a release was made with, read from the codebook.yaml it ships, which must be
    the file its release.json (`manifest`) records; None when it records none."""
    from tipkit.synth.release.manifest import MANIFEST, sha256_of

    named = manifest.settings.codebook
    if named is None:
        return None
    path = Path(folder) / SHIPPED
    if not path.is_file() or sha256_of(path) != named.sha256:
        raise UserError(f"{path} is missing or has changed since the release was made (its sha256 "
                        f"differs from {MANIFEST}): give the codebook with --codebook")
    return parse_codebook(path.read_text(encoding="utf-8"), str(path), name=named.name)
