"""The shipped example: the dealership line of MISSION.md F1, which must load clean."""

from __future__ import annotations

from pathlib import Path

import pytest

import dialplans
from dialplans.crm_models import SayField
from dialplans.loader import LoadedDialplan, load_dialplan, validate_file
from dialplans.models import GotoMenu, Hangup, Lookup, PlayMessage, Transfer

EXAMPLE = Path(dialplans.__file__).parent / "main.yaml"


@pytest.fixture(scope="module")
def example() -> LoadedDialplan:
    return load_dialplan(EXAMPLE)


def test_the_example_has_no_errors_and_warns_only_about_missing_audio(example: LoadedDialplan) -> None:
    diagnostics = validate_file(EXAMPLE)
    assert all(d.severity == "warning" for d in diagnostics)
    missing = {
        name
        for name, prompt in example.model.prompts.items()
        if prompt.file is not None and example.prompt_file(name) is None
    }
    assert missing, "the example ships no audio, so every recorded prompt should be warned about"
    assert {d.path for d in diagnostics} == {f"prompts.{name}.file" for name in missing}
    assert all("callers will hear its text by TTS" in d.message for d in diagnostics)
    assert example.warnings == diagnostics


def test_every_prompt_can_be_spoken(example: LoadedDialplan) -> None:
    assert example.model.sounds_dir == "sounds"
    assert all(prompt.text for prompt in example.model.prompts.values())


def queue_of(action: object) -> str | None:
    return action.transfer.queue if isinstance(action, Transfer) else None


def test_the_main_line_offers_the_f1_menu(example: LoadedDialplan) -> None:
    plan = example.model
    main_line = plan.dids["4001"]
    assert (main_line.menu, main_line.schedule) == ("main", "dealership_hours")
    main = plan.menus[main_line.menu]
    assert main.greeting is not None
    assert main.invalid_prompt is not None
    assert main.timeout_prompt is not None
    assert {queue_of(main.options[key]) for key in "2360"} == {
        "insurance",
        "roadside",
        "complaints",
        "operators",
    }
    assert queue_of(main.fallback) == "operators"
    owners_club = main.options["5"]
    assert isinstance(owners_club, PlayMessage)
    assert owners_club.then == "return"
    repair = main.options["1"]
    assert isinstance(repair, GotoMenu)
    submenu = plan.menus[repair.menu]
    assert any(isinstance(a, GotoMenu) and a.menu == "main" for a in submenu.options.values())
    assert any(queue_of(a) == "repair" for a in submenu.options.values())
    assert any(isinstance(a, Transfer) and a.transfer.extension for a in submenu.options.values())


def test_the_queues_ring_2001_to_2006(example: LoadedDialplan) -> None:
    extensions = {name: queue.extension for name, queue in example.model.queues.items()}
    assert extensions == {
        "repair": "2001",
        "insurance": "2002",
        "roadside": "2003",
        "complaints": "2004",
        "operators": "2005",
        "vip": "2006",
    }


def test_dealership_hours_and_the_after_hours_menu(example: LoadedDialplan) -> None:
    plan = example.model
    hours = plan.schedules["dealership_hours"]
    assert hours.timezone == "Europe/London"
    assert [(block.days, block.open, block.close) for block in hours.hours] == [
        (["mon", "tue", "wed", "thu", "fri"], "08:00", "18:00"),
        (["sat"], "09:00", "13:00"),
    ]
    assert len(hours.holidays) >= 2
    closed_menu = plan.dids["4001"].closed_menu
    assert closed_menu is not None
    after_hours = plan.menus[closed_menu]
    assert any(queue_of(action) == "roadside" for action in after_hours.options.values())
    assert isinstance(after_hours.fallback, Hangup)
    assert after_hours.fallback.hangup.prompt is not None


def test_the_roadside_line_is_open_around_the_clock(example: LoadedDialplan) -> None:
    roadside_line = example.model.dids["4002"]
    assert roadside_line.schedule is None
    assert roadside_line.closed_menu is None
    menu = example.model.menus[roadside_line.menu]
    assert queue_of(menu.fallback) == "roadside"


def test_the_crm_screens_callers_and_serves_vips(example: LoadedDialplan) -> None:
    crm = example.model.crm
    assert crm.default_region == "GB"
    assert crm.blacklist.numbers
    assert crm.blacklist.prompt in example.model.prompts
    assert "+44909" in crm.blacklist.prefixes
    assert crm.vip is not None
    assert (crm.vip.tiers, crm.vip.queue, crm.vip.dedicated_agent) == (["gold", "platinum"], "vip", True)
    assert len(example.model.queues["vip"].tiers) >= 2


def test_self_service_lookups_are_offered_and_the_repair_queue_has_a_survey(example: LoadedDialplan) -> None:
    plan = example.model
    offered = {
        action.lookup
        for menu in plan.menus.values()
        for action in menu.options.values()
        if isinstance(action, Lookup)
    }
    assert offered == set(plan.self_service) == {"appointment", "claim"}
    appointment, claim = plan.self_service["appointment"], plan.self_service["claim"]
    assert (appointment.by, claim.by) == ("plate", "account")
    assert [(i.field, i.say_as) for i in appointment.answer if isinstance(i, SayField)] == [
        ("next_appointment", "date")
    ]
    assert [(i.field, i.say_as) for i in claim.answer if isinstance(i, SayField)] == [
        ("claim_status", "text")
    ]
    assert plan.queues["repair"].survey == "after_call"
    questions = plan.surveys["after_call"].questions
    assert [(q.id, q.max_key) for q in questions] == [("satisfaction", 5), ("resolved", 2)]
