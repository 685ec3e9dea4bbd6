"""Screening rules: matching a caller ID against numbers and prefixes, the YAML sync, and who may edit;
on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
import logging
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Connection, Engine, event

from dialplans.crm_models import Crm
from schema.crm.screening_rules import add_rule, list_rules, remove_rule, rules_for_number, sync_yaml_rules
from schema.db import create_engine_from_url
from schema.errors import NotFound, PermissionDenied, RecordRejected
from schema.migrate import upgrade
from schema.viewer import SYSTEM, Viewer
from tests.support.unchecked import unchecked

T0 = dt.datetime(2024, 3, 1, 9, 0, tzinfo=dt.UTC)
MANAGER = Viewer("maria", "manager")
SUPERVISOR = Viewer("sam", "supervisor", department="sales")
AGENT = Viewer("alice", "agent", agent_id="alice")
NUMBER = "+441632960001"


def crm(**lists: Any) -> Crm:
    return Crm.model_validate({"default_region": "GB", **lists})


def match(engine: Engine, e164: str) -> tuple[str | None, bool]:
    with engine.connect() as connection:
        block, vip = rules_for_number(connection, e164)
    return (None if block is None else f"{block.pattern}{'*' if block.is_prefix else ''}"), vip


def patterns(engine: Engine, **kwargs: Any) -> list[tuple[str, str, bool, str]]:
    return [(r.kind, r.pattern, r.is_prefix, r.source) for r in list_rules(engine, MANAGER, **kwargs)]


# --- matching ------------------------------------------------------------------------------------


def test_the_number_itself_beats_any_prefix_and_longer_prefixes_beat_shorter(engine: Engine) -> None:
    for prefix in ("+44", "+441632"):
        add_rule(engine, MANAGER, "block", prefix, is_prefix=True)
    add_rule(engine, MANAGER, "block", "01632 960002", region="GB", reason="abusive")

    assert match(engine, NUMBER) == ("+441632*", False)
    assert match(engine, "+441632960002") == ("+441632960002", False)
    assert match(engine, "+442071838750") == ("+44*", False)
    assert match(engine, "+15551230000") == (None, False)
    with engine.connect() as connection:
        block, _ = rules_for_number(connection, "+441632960002")
    assert block is not None
    assert (block.reason, block.source, block.created_by) == ("abusive", "db", "maria")


def test_a_number_rule_does_not_match_longer_numbers(engine: Engine) -> None:
    add_rule(engine, MANAGER, "block", "+15551230000")
    add_rule(engine, MANAGER, "vip", "+15551230000")
    assert match(engine, "+155512300001") == (None, False)
    assert match(engine, "+15551230000") == ("+15551230000", True)


def test_vip_numbers_and_prefixes_set_the_flag_without_blocking(engine: Engine) -> None:
    add_rule(engine, MANAGER, "vip", NUMBER)
    add_rule(engine, MANAGER, "vip", "+1555", is_prefix=True)
    assert match(engine, NUMBER) == (None, True)
    assert match(engine, "+15557654321") == (None, True)
    assert match(engine, "+15567654321") == (None, False)


def test_a_number_both_blocked_and_vip_reports_both(engine: Engine) -> None:
    add_rule(engine, MANAGER, "vip", NUMBER)
    add_rule(engine, MANAGER, "block", "+4416", is_prefix=True)
    assert match(engine, NUMBER) == ("+4416*", True)


@pytest.mark.parametrize("not_e164", ["", "+", "441632960001", "anonymous"])
def test_what_is_not_e164_matches_nothing(engine: Engine, not_e164: str) -> None:
    add_rule(engine, MANAGER, "block", "+4", is_prefix=True)
    assert match(engine, not_e164) == (None, False)


def test_matching_is_one_query(engine: Engine) -> None:
    add_rule(engine, MANAGER, "block", "+44", is_prefix=True)
    add_rule(engine, MANAGER, "vip", NUMBER)
    statements: list[str] = []

    def count(conn: Connection, cursor: Any, statement: str, *args: Any) -> None:
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", count)
    try:
        assert match(engine, NUMBER) == ("+44*", True)
    finally:
        event.remove(engine, "before_cursor_execute", count)
    queries = [s for s in statements if s != "BEGIN"]  # SQLite's BEGIN comes from schema.db
    assert len(queries) == 1
    assert "FROM screening_rules" in queries[0]


def test_matching_uses_the_pattern_index(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'plan.db'}"
    upgrade(url)
    engine = create_engine_from_url(url)
    plans: list[str] = []

    def explain(conn: Connection, cursor: Any, statement: str, parameters: Any, *args: Any) -> None:
        if "screening_rules" in statement and not statement.startswith("EXPLAIN"):
            plans.extend(
                str(row[-1]) for row in cursor.execute(f"EXPLAIN QUERY PLAN {statement}", parameters)
            )

    event.listen(engine, "before_cursor_execute", explain)
    try:
        match(engine, NUMBER)
    finally:
        event.remove(engine, "before_cursor_execute", explain)
        engine.dispose()
    assert plans
    assert all("USING INDEX ix_screening_rules_pattern" in plan for plan in plans), plans


# --- the YAML sync -------------------------------------------------------------------------------


def test_yaml_numbers_are_normalised_and_replace_the_previous_yaml_rules(engine: Engine) -> None:
    first = crm(
        blacklist={"numbers": ["01632 960001", "+1 555 123 0000"], "prefixes": ["+44909"]},
        vip={"queue": "vip", "numbers": ["01632 960099"]},
    )
    assert sync_yaml_rules(engine, first, now=T0) == 4
    assert patterns(engine) == [
        ("block", "+15551230000", False, "yaml"),
        ("block", NUMBER, False, "yaml"),
        ("block", "+44909", True, "yaml"),
        ("vip", "+441632960099", False, "yaml"),
    ]
    assert {r.created_by for r in list_rules(engine, MANAGER)} == {"dialplan"}

    assert sync_yaml_rules(engine, crm(blacklist={"prefixes": ["+1900"]}), now=T0) == 1
    assert patterns(engine) == [("block", "+1900", True, "yaml")]
    assert match(engine, NUMBER) == (None, False)


def test_the_sync_leaves_database_rules_alone_and_does_not_duplicate_them(engine: Engine) -> None:
    add_rule(engine, MANAGER, "block", NUMBER, reason="fraud")
    add_rule(engine, MANAGER, "vip", "+15551230000")

    stored = sync_yaml_rules(engine, crm(blacklist={"numbers": ["01632 960001", "01632 960002"]}))
    assert stored == 1  # 01632 960001 is already a database rule
    assert patterns(engine) == [
        ("block", NUMBER, False, "db"),
        ("block", "+441632960002", False, "yaml"),
        ("vip", "+15551230000", False, "db"),
    ]
    assert sync_yaml_rules(engine, crm()) == 0
    assert patterns(engine) == [("block", NUMBER, False, "db"), ("vip", "+15551230000", False, "db")]


def test_a_yaml_number_that_will_not_normalise_is_skipped_with_a_warning(
    engine: Engine, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="schema.crm.screening_rules"):
        stored = sync_yaml_rules(engine, crm(blacklist={"numbers": ["123", "01632 960001"]}))
    assert stored == 1
    assert patterns(engine) == [("block", NUMBER, False, "yaml")]
    assert [r.getMessage() for r in caplog.records] == [
        "block number '123' is not a full number in region GB: skipped"
    ]


# --- editing and permissions ---------------------------------------------------------------------


def test_add_rule_normalises_national_numbers_with_the_region(engine: Engine) -> None:
    rule = add_rule(engine, MANAGER, "block", "(555) 123-0000", region="US", reason="spam", now=T0)
    assert (rule.kind, rule.pattern, rule.is_prefix, rule.reason, rule.source) == (
        "block",
        "+15551230000",
        False,
        "spam",
        "db",
    )
    assert (rule.created_by, rule.created_at) == ("maria", T0)
    assert list_rules(engine, MANAGER) == [rule]


@pytest.mark.parametrize(
    ("number", "is_prefix", "complaint"),
    [
        ("123", False, "not a full phone number"),
        ("call me", False, "not a full phone number"),
        ("44909", True, r"not \+ and 1 to 15 digits"),
        ("+44 909", True, r"not \+ and 1 to 15 digits"),
        ("+" + "1" * 16, True, r"not \+ and 1 to 15 digits"),
    ],
)
def test_add_rule_refuses_what_is_not_a_number_or_prefix(
    engine: Engine, number: str, is_prefix: bool, complaint: str
) -> None:
    with pytest.raises(RecordRejected, match=complaint):
        add_rule(engine, MANAGER, "block", number, is_prefix=is_prefix, region="GB")
    assert list_rules(engine, MANAGER) == []


def test_a_rule_listed_twice_is_refused(engine: Engine) -> None:
    add_rule(engine, MANAGER, "block", NUMBER)
    sync_yaml_rules(engine, crm(blacklist={"prefixes": ["+44909"]}))
    with pytest.raises(RecordRejected, match=r"block number \+441632960001 is already listed"):
        add_rule(engine, MANAGER, "block", "01632 960001", region="GB")
    with pytest.raises(RecordRejected, match=r"block prefix \+44909 is already listed"):
        add_rule(engine, SYSTEM, "block", "+44909", is_prefix=True)
    add_rule(engine, MANAGER, "vip", NUMBER)  # the same number on the other list is another rule
    assert len(list_rules(engine, MANAGER)) == 3


def test_an_unknown_kind_is_refused(engine: Engine) -> None:
    with pytest.raises(RecordRejected, match="kind"):
        add_rule(engine, MANAGER, unchecked("grey"), NUMBER)


def test_who_may_read_and_write_the_rules(engine: Engine) -> None:
    block = add_rule(engine, MANAGER, "block", NUMBER)
    vip = add_rule(engine, SYSTEM, "vip", "+15551230000")

    for reader in (MANAGER, SUPERVISOR, SYSTEM):
        assert list_rules(engine, reader) == [block, vip]
        assert list_rules(engine, reader, kind="vip") == [vip]
    with pytest.raises(PermissionDenied):
        list_rules(engine, AGENT)

    for not_a_manager in (SUPERVISOR, AGENT):
        with pytest.raises(PermissionDenied):
            add_rule(engine, not_a_manager, "block", "+15550000000")
        with pytest.raises(PermissionDenied):
            remove_rule(engine, not_a_manager, block.id)
    assert list_rules(engine, MANAGER) == [block, vip]


def test_remove_rule_deletes_database_rules_only(engine: Engine) -> None:
    kept = add_rule(engine, MANAGER, "vip", "+15551230000")
    gone = add_rule(engine, MANAGER, "block", NUMBER)
    sync_yaml_rules(engine, crm(blacklist={"prefixes": ["+44909"]}))
    from_yaml = list_rules(engine, MANAGER, kind="block")[-1]
    assert from_yaml.source == "yaml"

    remove_rule(engine, MANAGER, gone.id)
    assert match(engine, NUMBER) == (None, False)
    with pytest.raises(NotFound):
        remove_rule(engine, MANAGER, gone.id)
    with pytest.raises(PermissionDenied, match="dialplan YAML"):
        remove_rule(engine, SYSTEM, from_yaml.id)
    assert list_rules(engine, MANAGER) == [from_yaml, kept]
