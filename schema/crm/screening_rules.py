"""Caller screening rules: the blacklist and the VIP list, from the dialplan YAML and from managers.

A rule is an E.164 number (`+441632960001`) or, with `is_prefix`, every number starting with its
pattern (`+44909`). YAML entries are copied in at start with source `yaml` (`sync_yaml_rules`
replaces them all); managers add and remove source `db` rules at run time, which the sync never
touches. A YAML entry already present as a db rule is left to the db rule (one row per kind,
pattern and is_prefix). Removing a YAML rule here would only last until the next sync, so it is
refused: edit the dialplan instead.

Who may do what: managers (and the call server, `SYSTEM`) write; supervisors and managers read;
agents may do neither (`PermissionDenied`).
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from typing import Any, Final, Literal, cast

from sqlalchemy import Connection, Engine, Table, bindparam, delete, insert, select
from sqlalchemy import exc as sa_exc

from dialplans.crm_models import PREFIX_PATTERN, Crm
from schema.crm.access import may_read_screening_rules, may_write_screening_rules
from schema.crm.models import RULE_KINDS, ScreeningRule
from schema.crm.phones import normalise_number
from schema.crm.views import ScreeningRuleView
from schema.db import read_connection, write_transaction
from schema.errors import NotFound, PermissionDenied, RecordRejected
from schema.viewer import Viewer

RuleKind = Literal["block", "vip"]

RULES: Final = cast(Table, ScreeningRule.__table__)
YAML_AUTHOR: Final = "dialplan"
_PREFIX: Final = re.compile(PREFIX_PATTERN)

log = logging.getLogger(__name__)


# Built once: compiling the statement per call was half of a caller-ID lookup's Python time.
_RULES_FOR_PATTERNS: Final = select(RULES).where(RULES.c.pattern.in_(bindparam("patterns", expanding=True)))


def rules_for_number(connection: Connection, e164: str) -> tuple[ScreeningRuleView | None, bool]:
    """The block rule for an E.164 number and whether a VIP rule lists it, in one indexed query.

    The block rule is the rule for the number itself, else the longest matching prefix. SQLAlchemy
    errors are left to the caller, who owns the connection (and translates them).
    """
    if not e164.startswith("+") or len(e164) < 2:
        return None, False
    candidates = [e164[:end] for end in range(2, len(e164) + 1)]  # "+4", "+44", ..., the number
    rows = connection.execute(_RULES_FOR_PATTERNS, {"patterns": candidates}).mappings().all()
    matching = [row for row in rows if row["is_prefix"] or row["pattern"] == e164]
    blocks = [row for row in matching if row["kind"] == "block"]
    # Exact number first, then the longest prefix; the pattern makes the order total.
    blocks.sort(key=lambda row: (row["is_prefix"], -len(row["pattern"])))
    block = _view(blocks[0]) if blocks else None
    return block, any(row["kind"] == "vip" for row in matching)


def sync_yaml_rules(engine: Engine, crm: Crm, *, now: dt.datetime | None = None) -> int:
    """Replace every source `yaml` rule with the dialplan's lists; returns how many YAML rules are stored.

    Numbers are normalised with `crm.default_region`; one that will not normalise is skipped with a
    warning (the dialplan checks refuse it before this runs).
    """
    region = crm.default_region
    wanted: dict[tuple[str, str, bool], None] = {}  # ordered set of (kind, pattern, is_prefix)
    listed: list[tuple[RuleKind, list[str]]] = [("block", crm.blacklist.numbers)]
    if crm.vip is not None:
        listed.append(("vip", crm.vip.numbers))
    for kind, numbers in listed:
        for number in numbers:
            e164 = normalise_number(number, region)
            if e164 is None:
                log.warning("%s number %r is not a full number in region %s: skipped", kind, number, region)
            else:
                wanted[(kind, e164, False)] = None
    for prefix in crm.blacklist.prefixes:
        wanted[("block", prefix, True)] = None
    created_at = now or dt.datetime.now(dt.UTC)
    with write_transaction(engine, "syncing the YAML screening rules") as connection:
        connection.execute(delete(RULES).where(RULES.c.source == "yaml"))
        from_db = {
            (row.kind, row.pattern, row.is_prefix)
            for row in connection.execute(select(RULES.c.kind, RULES.c.pattern, RULES.c.is_prefix))
        }
        rows = [
            _row(
                kind,
                pattern,
                is_prefix,
                reason=None,
                source="yaml",
                created_by=YAML_AUTHOR,
                created_at=created_at,
            )
            for kind, pattern, is_prefix in wanted
            if (kind, pattern, is_prefix) not in from_db
        ]
        if rows:
            connection.execute(insert(RULES), rows)
    return len(rows)


def list_rules(engine: Engine, viewer: Viewer, *, kind: RuleKind | None = None) -> list[ScreeningRuleView]:
    """Every rule (or every rule of one kind), by kind then pattern; supervisors and managers only."""
    if not may_read_screening_rules(viewer):
        raise PermissionDenied(f"{viewer.user} ({viewer.role}) may not read the screening rules")
    query = select(RULES).order_by(RULES.c.kind, RULES.c.pattern, RULES.c.is_prefix)
    if kind is not None:
        query = query.where(RULES.c.kind == _checked_kind(kind))
    with read_connection(engine, "reading the screening rules") as connection:
        return [_view(row) for row in connection.execute(query).mappings()]


def add_rule(
    engine: Engine,
    viewer: Viewer,
    kind: RuleKind,
    number: str,
    *,
    is_prefix: bool = False,
    reason: str | None = None,
    region: str = "US",
    now: dt.datetime | None = None,
) -> ScreeningRuleView:
    """List a number (or, with `is_prefix`, an E.164 prefix such as +44909); managers only."""
    _check_writer(viewer, "add screening rules")
    pattern = _pattern(number, is_prefix=is_prefix, region=region)
    row = _row(
        _checked_kind(kind),
        pattern,
        is_prefix,
        reason=reason,
        source="db",
        created_by=viewer.user,
        created_at=now or dt.datetime.now(dt.UTC),
    )
    what = f"{kind} {'prefix' if is_prefix else 'number'} {pattern}"
    try:
        with write_transaction(engine, f"adding {what}") as connection:
            added = connection.execute(insert(RULES).values(row).returning(*RULES.c)).mappings().one()
    except RecordRejected as exc:
        if isinstance(exc.__cause__, sa_exc.IntegrityError):  # kind was checked: the unique key
            raise RecordRejected(f"{what} is already listed") from exc
        raise
    return _view(added)


def remove_rule(engine: Engine, viewer: Viewer, rule_id: int) -> None:
    """Delete a rule added in the database; managers only. YAML rules are removed from the dialplan."""
    _check_writer(viewer, "remove screening rules")
    with write_transaction(engine, f"removing screening rule {rule_id}") as connection:
        source = connection.execute(select(RULES.c.source).where(RULES.c.id == rule_id)).scalar_one_or_none()
        if source is None:
            raise NotFound(f"no screening rule {rule_id}")
        if source == "yaml":
            raise PermissionDenied(f"screening rule {rule_id} comes from the dialplan YAML: remove it there")
        connection.execute(delete(RULES).where(RULES.c.id == rule_id))


def _pattern(number: str, *, is_prefix: bool, region: str) -> str:
    text = number.strip()
    if is_prefix:
        if not _PREFIX.fullmatch(text):
            raise RecordRejected(f"prefix {number!r} is not + and 1 to 15 digits, e.g. +44909")
        return text
    e164 = normalise_number(text, region)
    if e164 is None:
        raise RecordRejected(f"{number!r} is not a full phone number (E.164, or national in {region})")
    return e164


def _checked_kind(kind: str) -> str:
    if kind not in RULE_KINDS:
        raise RecordRejected(f"rule kind {kind!r} is not one of {RULE_KINDS}")
    return kind


def _check_writer(viewer: Viewer, action: str) -> None:
    if not may_write_screening_rules(viewer):
        raise PermissionDenied(f"{viewer.user} ({viewer.role}) may not {action}: managers only")


def _row(
    kind: str,
    pattern: str,
    is_prefix: bool,
    *,
    reason: str | None,
    source: str,
    created_by: str,
    created_at: dt.datetime,
) -> dict[str, Any]:
    return {
        "kind": kind,
        "pattern": pattern,
        "is_prefix": is_prefix,
        "reason": reason,
        "source": source,
        "created_by": created_by,
        "created_at": created_at,
    }


def _view(row: Any) -> ScreeningRuleView:
    return ScreeningRuleView.model_validate(dict(row))
