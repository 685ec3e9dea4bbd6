"""Every fuzz target, by name."""

from __future__ import annotations

from tests.fuzz import esl, http
from tests.fuzz.engine import Target


def all_targets() -> dict[str, Target]:
    return {target.name: target for target in (*esl.targets(), *http.targets())}
