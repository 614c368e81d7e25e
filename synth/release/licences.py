"""The licences a release may state (`--licence`), by SPDX id, and how its command line and
release.json record one: nothing for the default, so older releases keep their bytes.
"""

from __future__ import annotations

from tipkit.errors import UserError

# By SPDX id, as Frictionless names them: (address, title). The default asks whoever reuses the
# rows to credit the release and its sources.
LICENCES = {
    "CC-BY-4.0": ("https://creativecommons.org/licenses/by/4.0/",
                  "Creative Commons Attribution 4.0"),
    "CC-BY-SA-4.0": ("https://creativecommons.org/licenses/by-sa/4.0/",
                     "Creative Commons Attribution Share-Alike 4.0"),
    "CC-BY-NC-4.0": ("https://creativecommons.org/licenses/by-nc/4.0/",
                     "Creative Commons Attribution Non-Commercial 4.0"),
    "CC0-1.0": ("https://creativecommons.org/publicdomain/zero/1.0/",
                "Creative Commons Zero 1.0 (public domain dedication)"),
    "ODC-By-1.0": ("https://opendatacommons.org/licenses/by/1-0/",
                   "Open Data Commons Attribution License 1.0"),
    "ODbL-1.0": ("https://opendatacommons.org/licenses/odbl/1-0/",
                 "Open Data Commons Open Database License 1.0"),
    "PDDL-1.0": ("https://opendatacommons.org/licenses/pddl/1-0/",
                 "Open Data Commons Public Domain Dedication and License 1.0"),
}
DEFAULT_LICENCE = "CC-BY-4.0"


def licence_option(licence: str) -> dict:
    """The settings' option recording a licence other than the default (none for the default, so
    a release keeps the bytes it had before `--licence` existed)."""
    if licence not in LICENCES:
        raise UserError(f"--licence {licence!r} is not one tipkit knows: choose one of "
                        f"{', '.join(LICENCES)}")
    return {} if licence == DEFAULT_LICENCE else {"licence": licence}


def licence_flag(licence: str) -> str:
    """`--licence X` for the command line a release quotes, when not the default."""
    return "" if licence == DEFAULT_LICENCE else f" --licence {licence}"
