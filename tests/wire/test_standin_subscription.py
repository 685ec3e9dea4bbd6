"""The stand-in's event_list (myevents / event / nixevent) and uuid_setvar(_multi), beyond the captures.

tests/wire/test_standin_captures.py checks what the switches sent in event_subset_outbound; these are
the branches of mod_event_socket.c's parse_command and mod_commands.c's uuid_setvar(_multi)_function no
capture exercises.
"""

from __future__ import annotations

import pytest

from tests.support.standin import CallScript, ScriptedCall, default_library
from tests.support.standin.call import SequenceCounter
from tests.support.standin.setvar import names_set, uuid_setvar, uuid_setvar_multi
from tests.support.standin.subscription import MYEVENTS, Subscription, event_type

pytestmark = pytest.mark.wire

NIXED = (
    "CHANNEL_STATE CHANNEL_CREATE CHANNEL_DESTROY CHANNEL_DATA CHANNEL_PARK CHANNEL_UNPARK "
    "CHANNEL_APPLICATION CHANNEL_ORIGINATE CHANNEL_OUTGOING CHANNEL_UUID CHANNEL_PROGRESS "
    "CHANNEL_PROGRESS_MEDIA DETECTED_SPEECH DTMF TALK NOTALK"
)
KEPT = {
    "CHANNEL_ANSWER",
    "CHANNEL_BRIDGE",
    "CHANNEL_UNBRIDGE",
    "CHANNEL_EXECUTE",
    "CHANNEL_EXECUTE_COMPLETE",
    "CHANNEL_HANGUP",
    "CHANNEL_HANGUP_COMPLETE",
}


def test_nothing_is_sent_before_a_subscription() -> None:
    assert not Subscription("1.10.12").wants("CHANNEL_ANSWER")


def test_myevents_then_nixevent_keeps_seven_types_and_event_adds_record() -> None:
    subscription = Subscription("1.10.12")
    assert subscription.command("myevents", "") == "+OK Events Enabled"
    assert subscription.types == MYEVENTS
    assert not subscription.wants("RECORD_START")
    assert subscription.command("nixevent", NIXED) == "+OK events nixed"
    assert subscription.types == KEPT
    reply = subscription.command("event", "plain RECORD_START RECORD_STOP")
    assert reply == "+OK event listener enabled plain"
    assert subscription.types == KEPT | {"RECORD_START", "RECORD_STOP"}
    assert subscription.command("myevents", "") == "-ERR aready enabled."


@pytest.mark.parametrize("verb", ["event", "nixevent"])
@pytest.mark.parametrize("argument", ["", "plain", "NO_SUCH_EVENT"])
def test_no_event_type_is_no_keywords(verb: str, argument: str) -> None:
    subscription = Subscription("1.10.12")
    subscription.command("myevents", "")
    assert subscription.command(verb, argument) == "-ERR no keywords supplied"
    assert subscription.types == MYEVENTS


def test_nixing_one_type_of_all_keeps_the_others() -> None:
    subscription = Subscription("1.10.12")
    subscription.command("event", "plain ALL")
    assert subscription.wants("CHANNEL_STATE")
    assert subscription.wants("RECORD_STOP")
    subscription.command("nixevent", "DTMF")
    assert not subscription.wants("DTMF")
    assert subscription.wants("CHANNEL_STATE")
    assert subscription.wants("RECORD_STOP")
    subscription.command("nixevent", "ALL")
    assert not subscription.wants("CHANNEL_ANSWER")


def test_switch_name_event() -> None:
    assert event_type("dtmf", "1.10.12") == "DTMF"
    assert event_type("SWITCH_EVENT_DTMF", "1.10.12") == "DTMF"
    assert event_type("CERT_RELOAD", "1.10.12") is None
    assert event_type("CERT_RELOAD", "1.11.2") == "CERT_RELOAD"


@pytest.fixture
def call() -> ScriptedCall:
    return ScriptedCall(CallScript(variables={}), default_library("1.10.12"), SequenceCounter())


def test_uuid_setvar(call: ScriptedCall) -> None:
    calls = {call.uuid: call}
    assert uuid_setvar(calls, f"{call.uuid} cc_probe one two") == "+OK\n"
    assert call.get_var("cc_probe") == "one two"
    assert uuid_setvar(calls, f"{call.uuid} cc_probe") == "+OK\n"
    assert call.get_var("cc_probe") is None
    assert uuid_setvar(calls, "00000000-0000-0000-0000-000000000000 x y") == "-ERR No such channel!\n"
    assert uuid_setvar(calls, call.uuid) == "-USAGE: <uuid> <var> [value]\n"
    assert uuid_setvar(calls, "") == "-USAGE: <uuid> <var> [value]\n"


def test_uuid_setvar_multi(call: ScriptedCall) -> None:
    calls = {call.uuid: call}
    usage = "-USAGE: <uuid> <var>=<value>;<var>=<value>...\n"
    assert uuid_setvar_multi(calls, f"{call.uuid} cc_a=1;cc_b=2;") == "+OK\n"
    assert (call.get_var("cc_a"), call.get_var("cc_b")) == ("1", "2")
    assert uuid_setvar_multi(calls, f"{call.uuid} cc_a;=3;cc_c=${{x}}") == "-ERR No variable specified\n+OK\n"
    assert (call.get_var("cc_a"), call.get_var("cc_c")) == (None, None)  # unset; ${...} refused
    assert uuid_setvar_multi(calls, "00000000-0000-0000-0000-000000000000 x=1") == (
        "-ERR No such channel!\n" + usage
    )
    assert uuid_setvar_multi(calls, f"{call.uuid} =1") == "-ERR No variable specified\n" + usage
    assert uuid_setvar_multi(calls, call.uuid) == usage
    call.hangup_cause = "NORMAL_CLEARING"
    assert uuid_setvar(calls, f"{call.uuid} x y") == "-ERR No such channel!\n"


def test_names_set() -> None:
    assert names_set("uuid_setvar u cc_probe one two") == ["cc_probe"]
    assert names_set("uuid_setvar_multi u cc_a=1;cc_b=2") == ["cc_a", "cc_b"]
    assert names_set("uuid_getvar u cc_a") == []
