"""Caller-ID lookup and keypad lookup (schema.crm.lookup), on SQLite and PostgreSQL."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Engine

from schema.crm.lookup import caller_match, find_by_keys
from schema.crm.queries import create_customer
from schema.crm.screening_rules import add_rule
from schema.crm.views import CustomerSummary
from schema.db import create_engine_from_url
from schema.errors import StorageError
from schema.viewer import SYSTEM, Viewer
from tests.support.crm_records import jane


@pytest.mark.parametrize("caller_id", ["+12025550143", "2025550143", "(202) 555-0143", "0012025550143"])
def test_a_known_number_in_any_form_matches_its_customer(engine: Engine, caller_id: str) -> None:
    customer = jane(engine)

    match = caller_match(engine, SYSTEM, caller_id, region="US")

    assert match.e164 == "+12025550143"
    assert match.customer == CustomerSummary(
        id=customer.id,
        name="Jane Doe",
        account_number="AC-1001",
        tier="gold",
        department="sales",
        owner_agent_id="1001",
    )
    assert (match.blocked, match.vip_listed) == (None, False)


def test_a_national_number_reads_in_the_configured_region(engine: Engine) -> None:
    customer = jane(engine)

    match = caller_match(engine, SYSTEM, "020 7946 0958", region="GB")

    assert (match.e164, match.customer and match.customer.id) == ("+442079460958", customer.id)
    assert caller_match(engine, SYSTEM, "020 7946 0958", region="US").customer is None


def test_an_unknown_number_has_its_e164_and_no_customer(engine: Engine) -> None:
    jane(engine)
    match = caller_match(engine, SYSTEM, "+1 202 555 0100", region="US")
    assert (match.e164, match.customer) == ("+12025550100", None)


@pytest.mark.parametrize("caller_id", ["", "anonymous", "Anonymous", "1001", "unknown", "+"])
def test_withheld_or_invalid_caller_ids_match_nothing(engine: Engine, caller_id: str) -> None:
    jane(engine)
    match = caller_match(engine, SYSTEM, caller_id, region="US")
    assert (match.e164, match.customer, match.blocked, match.vip_listed) == (None, None, None, False)


def test_a_blacklisted_number_and_prefix_are_reported_with_the_rule(engine: Engine) -> None:
    jane(engine)
    number_rule = add_rule(engine, SYSTEM, "block", "+12025550143", reason="abusive")
    prefix_rule = add_rule(engine, SYSTEM, "block", "+1900", is_prefix=True, reason="premium")

    listed = caller_match(engine, SYSTEM, "2025550143", region="US")
    by_prefix = caller_match(engine, SYSTEM, "+1 900 555 0100", region="US")

    assert listed.blocked == number_rule
    assert listed.customer is not None  # the customer is still named: the call is recorded against them
    assert by_prefix.blocked == prefix_rule
    assert caller_match(engine, SYSTEM, "+12025550100", region="US").blocked is None


def test_a_vip_listed_number_is_flagged(engine: Engine) -> None:
    add_rule(engine, SYSTEM, "vip", "+12025550199")
    assert caller_match(engine, SYSTEM, "202 555 0199", region="US").vip_listed
    assert not caller_match(engine, SYSTEM, "202 555 0198", region="US").vip_listed


def test_a_customer_the_viewer_may_not_see_is_not_matched(engine: Engine) -> None:
    jane(engine)  # owned by agent 1001
    stranger = Viewer("bob", "agent", agent_id="2002")

    match = caller_match(engine, stranger, "+12025550143", region="US")

    assert (match.e164, match.customer) == ("+12025550143", None)


# --- find_by_keys ------------------------------------------------------------------------------------


@pytest.mark.parametrize("keys", ["2212233", "2212233#", "*22 12-233#"])
def test_a_plate_is_found_by_the_digits_a_keypad_sends(engine: Engine, keys: str) -> None:
    customer = jane(engine)
    assert [c.id for c in find_by_keys(engine, SYSTEM, "plate", keys)] == [customer.id]


def test_an_account_number_is_found_and_the_view_is_complete(engine: Engine) -> None:
    customer = jane(engine)
    assert find_by_keys(engine, SYSTEM, "account", "221001") == [customer]


def test_keys_of_another_kind_or_no_digits_find_nothing(engine: Engine) -> None:
    jane(engine)
    assert find_by_keys(engine, SYSTEM, "account", "2212233") == []
    assert find_by_keys(engine, SYSTEM, "plate", "#") == []
    assert find_by_keys(engine, SYSTEM, "plate", "221223") == []


def test_shared_keys_return_every_match_up_to_the_limit_in_id_order(engine: Engine) -> None:
    first = create_customer(engine, SYSTEM, name="A", region="US", custom_fields={"plate": "CAB"})
    second = create_customer(engine, SYSTEM, name="B", region="US", custom_fields={"plate": "ABA"})
    create_customer(engine, SYSTEM, name="C", region="US", custom_fields={"plate": "BAC"})

    assert [c.id for c in find_by_keys(engine, SYSTEM, "plate", "222")] == [first.id, second.id]
    assert len(find_by_keys(engine, SYSTEM, "plate", "222", limit=5)) == 3
    assert find_by_keys(engine, SYSTEM, "plate", "222", limit=0) == []


def test_find_by_keys_skips_customers_the_viewer_may_not_see(engine: Engine) -> None:
    jane(engine)  # department sales
    other_department = Viewer("sue", "supervisor", department="service")
    assert find_by_keys(engine, other_department, "plate", "2212233") == []


def test_a_database_failure_is_a_storage_error(tmp_path: Path) -> None:
    unmigrated = create_engine_from_url(f"sqlite:///{tmp_path / 'empty.db'}")
    try:
        with pytest.raises(StorageError, match="matching caller"):
            caller_match(unmigrated, SYSTEM, "+12025550143", region="US")
        with pytest.raises(StorageError, match="finding customers by plate"):
            find_by_keys(unmigrated, SYSTEM, "plate", "2212233")
    finally:
        unmigrated.dispose()
