"""The live predictive test's reading of the switch's events (tests/support/live/dial_ahead.py): a dialer
that places one call per free seat never shows more calls in flight than seats free; one that dials ahead
does; two customers on one seat at once are caught."""

from __future__ import annotations

from tests.support.live.dial_ahead import Headers, switch_view

SEAT = "seat-leg"


def event(name: str, seconds: float, **headers: str) -> dict[str, str]:
    return {"Event-Name": name, "Event-Date-Timestamp": str(int(seconds * 1_000_000)), **headers}


def seat(*parks: float) -> list[Headers]:
    return [event("CHANNEL_PARK", t, variable_cc_seat_agent="1001") for t in parks]


def customer(created: float, *, decided: float, bridged: float | None, left: float) -> list[Headers]:
    legs = [
        event("CHANNEL_CREATE", created, variable_cc_campaign="c"),
        event("CHANNEL_EXECUTE_COMPLETE", decided, Application="wait_for_silence"),
    ]
    if bridged is not None:
        legs.append(event("CHANNEL_BRIDGE", bridged, **{"Other-Leg-Unique-ID": SEAT}))
    return [*legs, event("CHANNEL_HANGUP", left), event("CHANNEL_HANGUP_COMPLETE", left + 0.05)]


def test_one_call_per_free_seat_is_never_ahead() -> None:
    view = switch_view(
        {
            SEAT: seat(0.0, 6.0),
            "a": customer(1.0, decided=3.0, bridged=3.1, left=5.9),
            "b": customer(7.0, decided=9.0, bridged=9.1, left=12.0),
        },
        "c",
    )
    assert [(flying, free) for _, flying, free in view.ahead()] == [(1, 1), (1, 1)]
    assert view.seat_agents == {SEAT: "1001"}
    assert view.customers["a"].seat == SEAT
    assert not view.overlapping_customers()


def test_a_call_placed_while_the_seat_talks_is_ahead() -> None:
    view = switch_view(
        {
            SEAT: seat(0.0, 6.0),
            "a": customer(1.0, decided=3.0, bridged=3.1, left=5.9),
            "b": customer(4.0, decided=6.5, bridged=6.6, left=9.0),
        },
        "c",
    )
    assert [(flying, free) for _, flying, free in view.ahead()] == [(1, 1), (1, 0)]


def test_two_customers_on_one_seat_at_once_are_caught() -> None:
    view = switch_view(
        {
            SEAT: seat(0.0),
            "a": customer(1.0, decided=3.0, bridged=3.1, left=8.0),
            "b": customer(2.0, decided=4.0, bridged=4.1, left=9.0),
        },
        "c",
    )
    assert view.overlapping_customers() == [("a", "b")]


def test_legs_of_other_campaigns_are_left_out() -> None:
    view = switch_view({"x": customer(1.0, decided=2.0, bridged=None, left=3.0)}, "another")
    assert view.customers == {}
