"""Values a scenario file marks `# assumption`, read from its text (the comments are the record of
what is sourced and what is assumed), with the range an analyst may give them for sensitivity.

The range syntax, anywhere in the value's comment: `range LOW-HIGH` (also `LOW to HIGH` or
`LOW..HIGH`), e.g. `specialist: 0.7  # assumption, range 0.4-0.9: below the RAFT tool's ...`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

MARK = "assumption"
_NUMBER = r"\d+(?:\.\d+)?(?:[eE]-?\d+)?"
_RANGE = re.compile(rf"\brange\s+({_NUMBER})\s*(?:-|–|\.\.|to)\s*({_NUMBER})")


@dataclass(frozen=True)
class Assumption:
    """One value marked as an assumption: its dotted key, its text in the file, the comment
    that says why, and the range the comment gives (None: none given)."""
    key: str
    value: str
    note: str
    range: tuple[float, float] | None = None


def assumptions_in(source: str) -> list[Assumption]:
    """Every value marked `# assumption` in a scenario's text, including values inside a section
    marked so (unless the value's own comment names a source). A key set in several files (the
    text of `scenario_source`: the file first, then those it is based on) counts where it is
    first set, since that value wins."""
    found, stack, seen = [], [], set()
    for indent, key, value, comment in source_lines(source):
        comment = comment.strip()
        while stack and stack[-1][0] >= indent:
            stack.pop()
        marked = MARK in comment
        dotted = ".".join([k for _, k, _ in stack] + [key.strip()])
        if value.strip():
            inherited = next((note for _, _, note in reversed(stack) if note), "")
            if dotted in seen:
                continue
            seen.add(dotted)
            note = comment if marked else ("" if comment else inherited)
            if note:
                found.append(Assumption(dotted, value.strip(), note, stated_range(
                    comment if marked else "")))
        else:
            stack.append((indent, key.strip(), comment if marked else ""))
    return found


def source_lines(source: str):
    """(indent, key, value, comment) of each line of a scenario's text that holds a key."""
    for line in source.splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        body, _, comment = line.partition("#")
        key, _, value = body.strip().partition(":")
        yield len(line) - len(line.lstrip()), key, value, comment


def stated_range(comment: str) -> tuple[float, float] | None:
    """The `range LOW-HIGH` a comment gives, or None."""
    match = _RANGE.search(comment)
    if match is None:
        return None
    return float(match.group(1)), float(match.group(2))
