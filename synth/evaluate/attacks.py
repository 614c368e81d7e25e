"""Attacks on a release, as a data protection officer asks for them: singling out, linkability and
attribute inference (Anonymeter, Giomi et al. 2023), each against a control set of real records the
release never saw, and beside each the same attack on a plain random sample of the real records.

A risk is Anonymeter's: the attack's success rate on the records behind the release beyond its
success rate on the control records, as a share of what was left to gain, with a 95% interval
(Wilson's). The "no protection" row attacks a random sample of the training records of the
release's size in place of the release: what publishing real records would score.
"""

from __future__ import annotations

import logging
import warnings
from contextlib import contextmanager
from dataclasses import dataclass

import numpy as np
import pandas as pd

CONFIDENCE = 0.95
ATTACKS = 2000  # per attack; enough that publishing real records is told apart from zero
MULTIVARIATE_COLUMNS = 3  # columns an attacker combines to single out a person (Anonymeter's)
QUERY_ATTEMPTS = 10  # per query asked for: a k-anonymous release yields few singling-out queries
# A link holds when one row is among the nearest few on both sources: a coarse source (gender and
# age band) ties hundreds of rows, and with a single neighbour even real records hardly link.
LINK_NEIGHBOURS = 5
KINDS = ("singling out", "linkability", "inference")


@dataclass(frozen=True)
class Risk:
    """A risk in [0, 1] with its 95% interval."""

    value: float
    low: float
    high: float

    def record(self) -> dict:
        return {"risk": self.value, "ci95": [self.low, self.high]}


@dataclass(frozen=True)
class AttackResult:
    """One attack on the release and, beside it, on a random sample of the real records."""

    name: str  # singling out (one column) / (combinations) / linkability / inference of X
    kind: str
    attacks: int
    release: Risk
    sample: Risk  # no protection: the same attack on real records of the release's size
    secret: str | None = None

    def record(self) -> dict:
        return {"attack": self.name, "kind": self.kind, "attacks": self.attacks,
                "secret": self.secret, "release": self.release.record(),
                "random_sample_of_real_records": self.sample.record(),
                "sentence": sentence(self)}


def _risk(evaluator) -> Risk:
    found = evaluator.risk(confidence_level=CONFIDENCE)
    return Risk(float(found.value), float(found.ci[0]), float(found.ci[1]))


@contextmanager
def _quiet_and_seeded(seed: int):
    """Anonymeter draws its targets with pandas' `sample`, which reads numpy's global generator:
    seed it (and give its state back after) so that the same inputs give the same risks; its
    warnings (an attack no better than guessing: what a safe release should show) are silenced."""
    state = np.random.get_state()
    logger = logging.getLogger("anonymeter")
    level = logger.level
    np.random.seed(seed)
    logger.setLevel(logging.ERROR)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            yield
    finally:
        np.random.set_state(state)
        logger.setLevel(level)


def _linkability_sources(quasi_identifiers) -> tuple[list[str], list[str]] | None:
    """The two sources an attacker links: the quasi-identifiers split in two halves."""
    qi = list(quasi_identifiers)
    if len(qi) < 2:
        return None
    half = len(qi) // 2
    return qi[:half], qi[half:]


def inference_targets(columns, quasi_identifiers) -> list[tuple[str, list[str]]]:
    """(secret, what the attacker knows): every column outside the quasi-identifiers, known the
    quasi-identifiers; when every column is a quasi-identifier, each in turn, known the others."""
    qi = [c for c in columns if c in quasi_identifiers]
    others = [c for c in columns if c not in quasi_identifiers]
    if others and qi:
        return [(secret, qi) for secret in others]
    return [(secret, [c for c in columns if c != secret]) for secret in columns
            if len(columns) > 1]


def _attacks_on(target: pd.DataFrame, published: pd.DataFrame, control: pd.DataFrame,
                quasi_identifiers, attacks: int, seed: int,
                kinds=KINDS) -> list[tuple[str, str, str | None, int, Risk]]:
    """Every attack (of `kinds`) of `published` (a release, or real records) on the records
    behind it (`target`), measured against `control`: (name, kind, secret, attacks, risk)."""
    from anonymeter.evaluators import (InferenceEvaluator, LinkabilityEvaluator,
                                       SinglingOutEvaluator)

    columns = list(target.columns)
    seeds = np.random.SeedSequence(seed).generate_state(8)
    found = []
    for mode, name in (("univariate", "singling out (one value)"),
                       ("multivariate", "singling out (a combination of values)"))[
            :2 if "singling out" in kinds else 0]:
        with _quiet_and_seeded(int(seeds[0])):
            evaluator = SinglingOutEvaluator(
                ori=target, syn=published, control=control, n_attacks=attacks,
                n_cols=min(MULTIVARIATE_COLUMNS, len(columns)),
                max_attempts=QUERY_ATTEMPTS * attacks, seed=int(seeds[1])).evaluate(mode=mode)
            found.append((name, "singling out", None, attacks, _risk(evaluator)))
    sources = _linkability_sources(quasi_identifiers)
    linked = min(attacks, len(target), len(control))
    if sources and "linkability" in kinds:
        with _quiet_and_seeded(int(seeds[2])):
            evaluator = LinkabilityEvaluator(
                ori=target, syn=published, aux_cols=sources, n_attacks=linked,
                control=control, n_neighbors=LINK_NEIGHBOURS).evaluate(n_jobs=1)
            found.append((f"linkability ({', '.join(sources[0])} | {', '.join(sources[1])})",
                          "linkability", None, linked, _risk(evaluator)))
    for secret, known in inference_targets(columns, quasi_identifiers) \
            if "inference" in kinds else ():
        with _quiet_and_seeded(int(seeds[3])):
            evaluator = InferenceEvaluator(
                ori=target, syn=published, aux_cols=known, secret=secret, regression=False,
                n_attacks=linked, control=control).evaluate(n_jobs=1)
            found.append((f"inference of {secret}", "inference", secret, linked, _risk(evaluator)))
    return found


def random_sample(train: pd.DataFrame, rows: int, seed: int) -> pd.DataFrame:
    """A plain random sample of the training records of `rows` rows (all of them when the release
    is larger): the release with no protection at all."""
    rng = np.random.default_rng(np.random.SeedSequence(seed).spawn(2)[1])
    chosen = rng.choice(len(train), size=min(rows, len(train)), replace=False)
    return train.iloc[np.sort(chosen)].reset_index(drop=True)


def attack_release(train: pd.DataFrame, release: pd.DataFrame, control: pd.DataFrame,
                   quasi_identifiers, attacks: int = ATTACKS, seed: int = 0,
                   kinds=KINDS) -> list[AttackResult]:
    """Every attack (of `kinds`) on `release` (made from `train`, never from `control`), beside
    the same attack on a random sample of `train` of the release's size. All three tables hold
    the same columns, coded alike (text); `seed` fixes every draw."""
    columns = list(release.columns)
    train, control = train[columns].astype(str), control[columns].astype(str)
    release = release[columns].astype(str)
    sample = random_sample(train, len(release), seed)
    on_release = _attacks_on(train, release, control, quasi_identifiers, attacks, seed, kinds)
    on_sample = _attacks_on(train, sample, control, quasi_identifiers, attacks, seed, kinds)
    return [AttackResult(name, kind, n, risk, baseline[4], secret)
            for (name, kind, secret, n, risk), baseline in zip(on_release, on_sample)]


def _percent(risk: Risk) -> str:
    return f"{100 * risk.value:.1f}% (95% interval {100 * risk.low:.1f}-{100 * risk.high:.1f}%)"


_DOES = {
    "singling out (one value)":
        "picks out a single real person by a value that only one row of the release holds",
    "singling out (a combination of values)":
        "picks out a single real person by a combination of values that only one row of the "
        "release holds",
}


def sentence(result: AttackResult) -> str:
    """The attack in plain words, with its risk beside the risk of publishing real records."""
    if result.kind == "singling out":
        does = _DOES[result.name]
    elif result.kind == "linkability":
        first, second = result.name[len("linkability ("):-1].split(" | ")
        does = (f"links a person's record in one source ({first}) to the same person's record "
                f"in another ({second}) through the release (the same row among the "
                f"{LINK_NEIGHBOURS} closest on both)")
    else:
        does = f"guesses a person's {result.secret} from the other values it knows"
    return (f"An attacker who {does} succeeds on the people behind the release more often "
            f"than on people outside it by {_percent(result.release)} of what was left to gain "
            f"({result.attacks} tries); with a random sample of the real records in place of "
            f"the release, by {_percent(result.sample)}.")


def attacks_record(results: list[AttackResult], control: str, train_rows: int,
                   control_rows: int) -> dict:
    """The attacks as the evaluation JSON and the data card record them."""
    return {"library": "anonymeter", "confidence": CONFIDENCE, "control": control,
            "target_rows": train_rows, "control_rows": control_rows,
            "attacks": [r.record() for r in results]}
