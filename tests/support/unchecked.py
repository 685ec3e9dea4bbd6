"""Values handed past the type checker on purpose, for tests proving the code refuses them at run time."""

from __future__ import annotations

from typing import Any


def unchecked(value: object) -> Any:
    """`value` as Any: a call the types forbid, made on purpose because the code must refuse it."""
    return value
