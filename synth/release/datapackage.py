"""The release as a standard data package: `datapackage.json` (a Frictionless Tabular Data
Package, v1) and `dataset.jsonld` (a schema.org Dataset), so that R, Stata and data repositories
read a release without tipkit.

Both are written into the staged release after its tables were checked, then read back from disk
and checked against the tables by the rules `frictionless validate` applies (types, keys, the
case-leg link, the value lists, each CSV's sha256); release.json hashes them like every other file.
The tests validate every kind of release with the `frictionless` library itself.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from tipkit.errors import UserError
from tipkit.synth.release.licences import DEFAULT_LICENCE, LICENCES
from tipkit.synth.release.manifest import Manifest, sha256_of
from tipkit.synth.release.schema import (AGE_BANDS, CASE_COLUMNS, CASE_ID, FLAG, GENDERS,
                                         LEG_DOMAINS, LEG_ID, MISSING, OTHER, TRAFFICK_MONTHS)

DATAPACKAGE = "datapackage.json"
JSONLD = "dataset.jsonld"

MEDIA_TYPES = {"csv": "text/csv", "parquet": "application/vnd.apache.parquet"}
KEYWORDS = ("human trafficking", "synthetic data", "k-anonymity", "CTDC")


def licence_of(manifest: Manifest) -> dict:
    """The licence a release states: its `--licence` (release.json records one other than the
    default among the settings' options), as a Frictionless licence."""
    name = manifest.settings.options.get("licence") or DEFAULT_LICENCE
    path, title = LICENCES[name]
    return {"name": name, "path": path, "title": title}


@dataclass(frozen=True)
class FieldSpec:
    """What is public about one column: its list of values (an `enum`, with "Other" when the
    release may generalise a value into it), or a range of whole numbers, or neither (open)."""

    description: str = ""
    values: tuple[str, ...] | None = None
    other: bool = False
    whole: tuple[int, int] | None = None


@dataclass(frozen=True)
class About:
    """What the package says about the release beyond its tables: a machine name (lowercase,
    `-`, `.`, `_`), a title, a description in plain words and the sources it was made from."""

    name: str
    title: str
    description: str
    sources: tuple[str, ...]


def slug(text: str) -> str:
    """A Frictionless package name: lowercase letters, digits, `-`, `.` and `_`."""
    return re.sub(r"[^a-z0-9._]+", "-", text.lower()).strip("-") or "release"


# ---- the public value lists of the built-in schema (releases from published figures) ----------

def schema_fields() -> dict[str, FieldSpec]:
    """Each column of the CTDC-shaped tables with its public list: the CTDC codebook's bands and
    codes, ISO 3166-1 alpha-3 for countries (with "Other": a country no public share names)."""
    import pycountry

    countries = tuple(sorted(c.alpha_3 for c in pycountry.countries))
    lists = {"gender": GENDERS, "ageBroad": AGE_BANDS, "traffickMonths": TRAFFICK_MONTHS}
    specs = {"yearOfRegistration": FieldSpec("Year the case was registered.", whole=(1900, 2100))}
    for name in CASE_COLUMNS:
        if name in ("citizenship", "CountryOfExploitation"):
            specs[name] = FieldSpec("ISO 3166-1 alpha-3 country code; Other: a country the "
                                    "public shares do not name.", countries, other=True)
        elif name in lists:
            specs[name] = FieldSpec(values=lists[name])
        elif name not in specs:
            specs[name] = FieldSpec("1 = yes, 0 = no.", FLAG)
    specs.update(leg_fields())
    return specs


def leg_fields(other: bool = False) -> dict[str, FieldSpec]:
    """The journey-leg columns with tipkit's public lists (legIndex: 1 to 4); `other`: a journey
    value may have been generalised to "Other" (a fitted release merges rare values into it)."""
    low, high = (int(v) for v in (LEG_DOMAINS["legIndex"][0], LEG_DOMAINS["legIndex"][-1]))
    specs = {"legIndex": FieldSpec("Order of the leg in the case's journey.", whole=(low, high))}
    for name, values in LEG_DOMAINS.items():
        if name != "legIndex":
            specs[name] = FieldSpec(values=values, other=other)
    return specs


def codebook_fields(codebook, released: pd.DataFrame) -> dict[str, FieldSpec]:
    """Each column of a fitted release with its codebook's public list (`codebook`: a
    microdata.codebook.Codebook): a list, bin labels, or a whole-number range. A list that came
    from the data (public: false) is cut to the values released, as the shipped codebook is; its
    range is never stated (the data's smallest and largest values), nor bins drawn as numbers."""
    specs = {}
    for name, column in codebook.columns.items():
        spec = FieldSpec(column.description)
        drawn = bool(column.bins) and column.release == "value"  # numbers drawn inside bins
        numbers = column.kind == "number" and not (column.bins and column.release == "bin")
        if not column.public:
            if not drawn and column.kind != "open" and name in released.columns:
                shown = set(column.measured(released[name]))
                spec = FieldSpec(column.description,
                                 tuple(v for v in column.listed() if v in shown), other=True)
        elif numbers:
            low, high = column.range
            if float(low).is_integer() and float(high).is_integer():
                spec = FieldSpec(column.description, whole=(int(low), int(high)))
        elif column.kind != "open":
            spec = FieldSpec(column.description, column.listed(), other=True)
        specs[name] = spec
    return {**specs, **leg_fields(other=True)}


def about_release(manifest: Manifest, rows: tuple[int, int | None], name: str, title: str,
                  origin: str, sources: tuple[str, ...]) -> About:
    """The package's name, title and plain-words description of a release: how many cases (and
    legs), what it was made from (`origin`), its k and, if any, its privacy budget."""
    cases, legs = rows
    promised = manifest.promised
    text = f"{cases:,} synthetic trafficking case records"
    text += f" and their {legs:,} international journey legs" if legs is not None else ""
    text += (f", made by tipkit ({manifest.pipeline}) from {origin}. Every combination of the "
             f"quasi-identifiers ({', '.join(promised.quasi_identifiers)}) is shared by at least "
             f"{promised.k} records.")
    dp = promised.differential_privacy
    if dp:
        text += f" Differentially private: epsilon = {dp['epsilon']:g}, delta = {dp['delta']:g}."
    text += (" How it was made and what it protects against: datacard.md; every guarantee: "
             "release.json.")
    return About(slug(name), title, text, sources)


# ---- the descriptors ---------------------------------------------------------------------------

def _is_whole(column: pd.Series, low: int, high: int) -> bool:
    known = column[column != MISSING]
    return bool(known.str.fullmatch(r"-?\d+").all()
                and known.astype(int).between(low, high).all())


def table_field(name: str, column: pd.Series, spec: FieldSpec | None, key: bool) -> dict:
    """One Table Schema field. A whole-number column is an integer only when the file holds
    nothing else (a value outside its range may have been released as "Other")."""
    field = {"name": name, "type": "string"}
    if key:
        field["description"] = "Row identifier, unique in its table."
        field["constraints"] = {"required": True}
        return field
    if spec is None:
        return field
    if spec.description:
        field["description"] = spec.description
    if spec.whole is not None:
        low, high = spec.whole
        if _is_whole(column, low, high):
            field["type"] = "integer"
            field["constraints"] = {"minimum": low, "maximum": high}
        else:
            field["description"] = (f"{spec.description} Whole numbers from {low} to {high}, "
                                    f"or {OTHER}.").strip()
    elif spec.values is not None:
        enum = list(spec.values) + ([OTHER] if spec.other and OTHER not in spec.values else [])
        field["constraints"] = {"enum": enum}
    return field


def _resource(name: str, folder: Path, fmt: str, table: pd.DataFrame, specs, keys) -> dict:
    path = folder / f"{name}.{fmt}"
    resource = {"name": name, "path": path.name, "profile": "tabular-data-resource",
                "format": fmt, "mediatype": MEDIA_TYPES[fmt], "encoding": "utf-8"}
    if fmt == "csv":  # frictionless checks a CSV's size and hash; it reads Parquet by rows only
        resource.update({"bytes": path.stat().st_size, "hash": f"sha256:{sha256_of(path)}"})
    resource["schema"] = {"fields": [table_field(c, table[c], specs.get(c), c in keys)
                                     for c in table.columns],
                          "missingValues": [MISSING]}
    return resource


def data_package(folder: Path, fmt: str, cases: pd.DataFrame, legs: pd.DataFrame | None,
                 specs: dict[str, FieldSpec], manifest: Manifest, about: About) -> dict:
    """datapackage.json for the tables written in `folder` (re-read as `cases`, `legs`), with the
    guarantees and provenance of release.json (`manifest`, measured on the files)."""
    record = manifest.to_dict()
    resources = [_resource("cases", folder, fmt, cases, specs, (CASE_ID,))]
    resources[0]["schema"]["primaryKey"] = [CASE_ID]
    if legs is not None:
        leg = _resource("legs", folder, fmt, legs, specs, (LEG_ID, CASE_ID))
        leg["schema"]["primaryKey"] = [LEG_ID]
        leg["schema"]["foreignKeys"] = [{"fields": [CASE_ID],
                                         "reference": {"resource": "cases", "fields": [CASE_ID]}}]
        resources.append(leg)
    return {
        "profile": "tabular-data-package",
        "name": about.name,
        "title": about.title,
        "description": about.description,
        "licenses": [licence_of(manifest)],
        "sources": [{"title": s} for s in about.sources],
        "keywords": list(KEYWORDS),
        "resources": resources,
        # tipkit's own properties (the spec allows more): what release.json records
        "guarantees": record["guarantees"],
        "tipkit": {"version": manifest.tool_version, "pipeline": manifest.pipeline,
                   "command": manifest.command, "manifest": "release.json",
                   "datacard": "datacard.md"},
    }


def dataset_jsonld(package: dict, folder: Path) -> dict:
    """The schema.org Dataset for repositories and search engines, from the data package and the
    tables in `folder` (their sizes and sha256)."""
    variables = [{"@type": "PropertyValue", "name": f["name"],
                  **({"description": f["description"]} if "description" in f else {})}
                 for r in package["resources"] for f in r["schema"]["fields"]
                 if not (r["name"] == "legs" and f["name"] == CASE_ID)]
    files = [{"@type": "DataDownload", "name": r["name"], "contentUrl": r["path"],
              "encodingFormat": r["mediatype"],
              "contentSize": f"{(Path(folder) / r['path']).stat().st_size} B",
              "sha256": sha256_of(Path(folder) / r["path"])} for r in package["resources"]]
    files.append({"@type": "DataDownload", "name": "Frictionless data package",
                  "contentUrl": DATAPACKAGE, "encodingFormat": "application/json"})
    return {
        "@context": "https://schema.org/",
        "@type": "Dataset",
        "name": package["title"],
        "alternateName": package["name"],
        "description": package["description"],
        "license": package["licenses"][0]["path"],
        "isAccessibleForFree": True,
        "keywords": package["keywords"],
        "isBasedOn": [{"@type": "CreativeWork", "name": s["title"]} for s in package["sources"]],
        "measurementTechnique": f"Synthetic data: {package['tipkit']['command']} "
                                f"(tipkit {package['tipkit']['version']})",
        "variableMeasured": variables,
        "distribution": files,
        "subjectOf": {"@type": "CreativeWork", "name": "Data card", "url": "datacard.md"},
    }


# ---- writing and checking ------------------------------------------------------------------------

def _text(descriptor: dict) -> str:
    return json.dumps(descriptor, indent=2, ensure_ascii=False, allow_nan=False) + "\n"


def write_data_package(folder: Path, fmt: str, cases: pd.DataFrame, legs: pd.DataFrame | None,
                       specs: dict[str, FieldSpec], manifest: Manifest, about: About) -> None:
    """Write datapackage.json and dataset.jsonld into the staged release, read them back and check
    the package against the tables (`cases`, `legs`: as re-read from disk); any problem abandons
    the release (one UserError line)."""
    folder = Path(folder)
    package = data_package(folder, fmt, cases, legs, specs, manifest, about)
    written = {DATAPACKAGE: _text(package), JSONLD: _text(dataset_jsonld(package, folder))}
    for name, text in written.items():
        (folder / name).write_text(text, encoding="utf-8")
    problems = [f"{name} does not read back as written" for name, text in written.items()
                if (folder / name).read_text(encoding="utf-8") != text]
    if not problems:
        tables = {"cases": cases, "legs": legs}
        problems = package_problems(folder, json.loads((folder / DATAPACKAGE).read_text("utf-8")),
                                    {k: v for k, v in tables.items() if v is not None})
    if problems:
        raise UserError(f"the written release failed its check: {problems[0]}")


def package_problems(folder: Path, package: dict, tables: dict[str, pd.DataFrame]) -> list[str]:
    """What the package says that its tables (read as text) do not hold: the same rules
    `frictionless validate` applies (columns, size and hash, required keys, primary and foreign
    keys, value lists, whole-number ranges), counted on whole columns in seconds where
    frictionless reads cell by cell; the tests hold the two to agree. No value is ever named."""
    found = []
    for resource in package["resources"]:
        name, schema = resource["name"], resource["schema"]
        table = tables.get(name)
        where = f"{DATAPACKAGE}: {name}"
        if table is None:
            found.append(f"{where}: no such table in the release")
            continue
        path = Path(folder) / resource["path"]
        if "hash" in resource and (resource["hash"] != f"sha256:{sha256_of(path)}"
                                   or resource["bytes"] != path.stat().st_size):
            found.append(f"{where}: {path.name} differs from its size or hash")
        if [f["name"] for f in schema["fields"]] != list(table.columns):
            found.append(f"{where}: the fields are not the table's columns, in order")
            continue
        for field in schema["fields"]:
            found += [f"{where}: column {field['name']!r} {problem}"
                      for problem in _field_problems(table[field["name"]], field)]
        key = schema.get("primaryKey", [])
        if key and table.duplicated(subset=key).any():
            found.append(f"{where}: its primary key {', '.join(key)} is not unique")
        for link in schema.get("foreignKeys", []):
            parent = tables.get(link["reference"]["resource"])
            child = pd.MultiIndex.from_frame(table[link["fields"]])
            if parent is None or not child.isin(
                    pd.MultiIndex.from_frame(parent[link["reference"]["fields"]])).all():
                found.append(f"{where}: a row's {', '.join(link['fields'])} is in no row of "
                             f"{link['reference']['resource']} (foreign key)")
    return found


def _field_problems(column: pd.Series, field: dict) -> list[str]:
    constraints = field.get("constraints", {})
    known = column[column != MISSING]
    found = []
    if constraints.get("required") and len(known) < len(column):
        found.append("is required but has a blank")
    if "enum" in constraints and not known.isin(constraints["enum"]).all():
        found.append(f"has {int((~known.isin(constraints['enum'])).sum())} values outside its "
                     "list (enum)")
    if field["type"] == "integer":
        low = constraints.get("minimum", -float("inf"))
        high = constraints.get("maximum", float("inf"))
        whole = known.str.fullmatch(r"-?\d+")
        if not whole.all():
            found.append("is an integer but holds text")
        elif not known.astype(int).between(low, high).all():
            found.append(f"has values outside its range {low} to {high}")
    return found
