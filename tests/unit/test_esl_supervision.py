"""Supervision's eavesdrop variables per mode and its permission rule."""

from __future__ import annotations

import pytest

from esl_handlers.supervision import eavesdrop_variables, may_supervise, supervisor_phone
from ivr_scripts.supervision import Mode, Side
from schema.errors import NotFound, PermissionDenied
from schema.viewer import SYSTEM, Viewer


@pytest.mark.parametrize(
    ("mode", "side", "aleg", "bleg"),
    [
        # On the agent's leg: bleg (ED_MUX_WRITE) is what the agent's phone plays, aleg (ED_MUX_READ)
        # what the agent's leg sends on to the caller.
        ("listen", "agent", "false", "false"),
        ("whisper", "agent", "false", "true"),
        ("barge", "agent", "true", "true"),
        # On the caller's channel the agent is the partner: a whisper goes into what the caller sends.
        ("listen", "caller", "false", "false"),
        ("whisper", "caller", "true", "false"),
        ("barge", "caller", "true", "true"),
    ],
)
def test_each_mode_sets_the_whisper_variables_for_the_side_eavesdropped(
    mode: Mode, side: Side, aleg: str, bleg: str
) -> None:
    assert eavesdrop_variables(mode, side) == {
        "eavesdrop_enable_dtmf": "false",  # the supervisor cannot key themselves into another mode
        "eavesdrop_whisper_aleg": aleg,
        "eavesdrop_whisper_bleg": bleg,
    }


def test_managers_and_the_system_supervise_anyone() -> None:
    may_supervise(Viewer("boss", "manager"), "1001", "sales")
    may_supervise(SYSTEM, "1001", None)


def test_a_supervisor_supervises_their_own_department_only() -> None:
    lead = Viewer("lead", "supervisor", department="sales")
    may_supervise(lead, "1001", "sales")
    with pytest.raises(NotFound, match="no agent 1002"):
        may_supervise(lead, "1002", "service")
    with pytest.raises(NotFound):
        may_supervise(lead, "1003", None)


def test_agents_may_not_supervise() -> None:
    with pytest.raises(PermissionDenied, match="may not supervise"):
        may_supervise(Viewer("alice", "agent", agent_id="1001", department="sales"), "1002", "sales")


def test_the_phone_rung_is_always_the_viewers_own() -> None:
    lead = Viewer("lead", "supervisor", department="sales", extension="1201")
    assert supervisor_phone(lead, None) == "1201"
    assert supervisor_phone(lead, "1201") == "1201"
    with pytest.raises(PermissionDenied, match=r"^1299 is not lead's phone \(theirs is 1201\)"):
        supervisor_phone(lead, "1299")
    boss = Viewer("boss", "manager", extension="1299")
    with pytest.raises(PermissionDenied, match="1201 is not boss's phone"):  # no override for managers
        supervisor_phone(boss, "1201")


def test_a_viewer_without_a_phone_cannot_supervise() -> None:
    for viewer, requested in ((Viewer("boss", "manager"), "1201"), (SYSTEM, None)):
        with pytest.raises(PermissionDenied, match="has no phone extension to ring"):
            supervisor_phone(viewer, requested)
