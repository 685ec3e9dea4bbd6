"""`uuid_bridge <socket call> <agent leg>` as FreeSWITCH plays it on the socket-controlled call.

From src/switch_ivr_bridge.c (FreeSWITCH 1.10):

- switch_ivr_uuid_bridge sets CF_REDIRECT and CF_TRANSFER on both channels, bridge_channel /
  bridge_uuid / signal_bond, adds uuid_bridge_state_handlers and moves the caller (the
  originator, CF_UUID_BRIDGE_ORIGINATOR) to CS_HIBERNATE. uuid_bridge_function answers
  "+OK <other uuid>" at once; the bridge itself runs in the caller's own thread.
- CF_TRANSFER and the pending state change make switch_channel_ready() false
  (switch_channel_test_ready), so the running playback leaves switch_ivr_play_file's loop with
  SWITCH_STATUS_FALSE and playback_function reports "PLAYBACK ERROR" (not "FILE PLAYED": that is
  only for a break or the end of the file). The socket app's park (switch_ivr_park) ends too:
  CHANNEL_UNPARK, then CHANNEL_EXECUTE_COMPLETE for `socket`. The listener stays attached to the
  session, so the socket keeps receiving the call's events.
- uuid_bridge_on_hibernate -> CS_RESET -> uuid_bridge_on_reset -> CS_SOFT_EXECUTE ->
  uuid_bridge_on_soft_execute fires CHANNEL_EXECUTE "uuid_bridge" (Application-Data: the other
  uuid) on both channels, then switch_ivr_multi_threaded_bridge(caller, leg): CHANNEL_BRIDGE with
  the caller's data, Bridge-A/B-Unique-ID and the leg as Other-Leg-* (originatee profile). The
  leg gets no CHANNEL_BRIDGE of its own.
- The bridge ends when either side hangs up. The caller hanging up: the leg's
  audio_bridge_on_exchange_media hangs the (answered) leg up with NORMAL_CLEARING whatever the
  caller's cause; the caller waits for that, sets bridge_hangup_cause and fires CHANNEL_UNBRIDGE.
- The leg hanging up (agent, uuid_kill): the caller gets bridge_hangup_cause=<leg's cause> and
  CHANNEL_UNBRIDGE; then, in switch_ivr_multi_threaded_bridge's tail (the leg was answered),
  park_after_bridge=true parks it (switch_ivr_park_session: CHANNEL_PARK, and the socket's
  queued applications run again), else transfer_after_bridge transfers it, else
  hangup_after_bridge=true (or "explicit") hangs it up with the leg's cause. If none applies,
  uuid_bridge_on_soft_execute sets CS_EXECUTE and switch_core_standard_on_execute continues the
  DIALPLAN after the `socket` action (switch_channel_set_caller_profile clones the extension from
  its current application on): our public.xml's fallback `transfer`, or a NORMAL_CLEARING hangup
  when nothing follows (CallScript.after_socket_transfer chooses).

The caller's CHANNEL_STATE events CS_HIBERNATE, CS_RESET, CS_SOFT_EXECUTE (before CHANNEL_EXECUTE
uuid_bridge) and CS_PARK (before the CHANNEL_PARK of park_after_bridge) are sent as both releases
send them (tests/transcripts/*/agent_answered_outbound.jsonl). From the uuid_bridge command on,
every event of the caller carries the leg as Other-Leg-* (switch_ivr_uuid_bridge sets the
originatee profile at once): the interrupted playback's completion, CHANNEL_UNPARK and the socket's
completion already do (EventEmitter.attach_other_leg). Not modelled: an application sent during the
bridge (FreeSWITCH runs it inside the bridge loop; the stand-in runs it once the call is parked
again, or drops it when the call ends).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

from tests.support.standin.wire import separate_string

if TYPE_CHECKING:
    from tests.support.standin.agents import Leg
    from tests.support.standin.call import ScriptedCall

# What audio_bridge_on_exchange_media gives an answered leg whose caller left.
PARTNER_LEFT_CAUSE: Final = "NORMAL_CLEARING"


def _true(value: str | None) -> bool:
    return (value or "").lower() in ("true", "yes", "on", "1", "enabled", "active", "allow")


def other_leg_overrides(leg: Leg) -> dict[str, str | None]:
    """The leg as the caller's events name it (its originatee caller profile)."""
    return {
        "Other-Leg-Unique-ID": leg.uuid,
        "Other-Leg-Channel-Name": leg.name,
        "Other-Leg-Destination-Number": leg.dest,
        "Other-Leg-Callee-ID-Number": leg.dest,
        "Bridge-B-Unique-ID": leg.uuid,
    }


def run_uuid_bridge(call: ScriptedCall, leg: Leg) -> None:
    """Play the caller's side from the moment its running application has stopped."""
    if call.hangup_cause is not None:
        call.end_partner(leg.uuid, PARTNER_LEFT_CAUSE)
        return
    if not call.socket_done:  # the socket app's park ends, and the app returns
        call.emitter.emit("CHANNEL_UNPARK")
        call.emitter.emit_socket_complete()
        call.socket_done = True
    call.parked = False
    for state in ("CS_HIBERNATE", "CS_RESET", "CS_SOFT_EXECUTE"):
        call.emitter.emit_state(state)
    call.set_var("bridge_channel", leg.name)
    call.set_var("bridge_uuid", leg.uuid)
    call.set_var("signal_bond", leg.uuid)
    call.emitter.set_other_leg(leg.uuid)
    call.current_app = ("uuid_bridge", leg.uuid)
    call.emitter.emit(
        "CHANNEL_EXECUTE:uuid_bridge",
        app_headers=[("Application", "uuid_bridge"), ("Application-Data", leg.uuid)],
    )
    if call.phones is not None:
        call.phones.bridged_by(leg, call.uuid)
    call.bridged = True
    other_leg = other_leg_overrides(leg)
    call.emitter.emit("CHANNEL_BRIDGE", overrides=other_leg)
    cause = call.wait_for_bridge_end()
    if cause is None:  # the caller left: the leg goes first, then the caller's UNBRIDGE
        call.end_partner(leg.uuid, PARTNER_LEFT_CAUSE)
        cause = PARTNER_LEFT_CAUSE
    call.set_var("bridge_hangup_cause", cause)
    call.set_var("last_bridge_to", leg.uuid)
    call.emitter.emit("CHANNEL_UNBRIDGE", overrides=other_leg)
    call.bridged = False
    call.set_var("bridge_uuid", None)
    if call.hangup_cause is None:
        _after_bridge(call, cause)


def _after_bridge(call: ScriptedCall, leg_cause: str) -> None:
    if _true(call.get_var("park_after_bridge")):
        call.park_again()
        return
    where = call.get_var("transfer_after_bridge")
    if where:
        call.set_var("transfer_after_bridge", None)
        argv = [*separate_string(where, ":"), "", ""]
        call.transferred_to = (argv[0], argv[1] or "XML", argv[2] or "default")
        return
    hangup = call.get_var("hangup_after_bridge") or ""
    if hangup.lower() == "explicit" or _true(hangup):
        call.hangup(leg_cause, by="switch")
        return
    call.continue_dialplan()
