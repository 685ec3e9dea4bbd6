"""Calling windows: open in every zone of a number, the next opening exact across DST changes."""

from __future__ import annotations

import datetime as dt
from functools import cache
from zoneinfo import ZoneInfo, available_timezones

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dialplans.campaign_models import Window
from ivr_scripts.campaigns.windows import (
    CallingWindow,
    NeverOpen,
    next_opening,
    open_zone_keys,
    window_open,
    zone_key,
    zones_of,
)

UTC = dt.UTC
DAYTIME = CallingWindow(dt.time(8), dt.time(21))


def at(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text).replace(tzinfo=UTC)


def test_the_window_is_local_to_the_number() -> None:
    # December: New York is UTC-5.
    new_york = ("America/New_York",)
    assert not window_open(DAYTIME, new_york, at("2026-12-07 12:59:59"))
    assert window_open(DAYTIME, new_york, at("2026-12-07 13:00"))
    assert window_open(DAYTIME, new_york, at("2026-12-08 01:59:59"))
    assert not window_open(DAYTIME, new_york, at("2026-12-08 02:00"))


def test_a_number_with_two_candidate_zones_is_called_only_when_both_are_open() -> None:
    both = ("America/New_York", "America/Chicago")
    assert window_open(DAYTIME, ("America/New_York",), at("2026-12-07 13:30"))
    assert not window_open(DAYTIME, both, at("2026-12-07 13:30"))
    assert next_opening(DAYTIME, both, at("2026-12-07 12:00")) == at("2026-12-07 14:00")
    # New York closes first: 21:00 there is 02:00 UTC, while Chicago is still open.
    assert not window_open(DAYTIME, both, at("2026-12-08 02:00"))
    assert next_opening(DAYTIME, both, at("2026-12-08 02:00")) == at("2026-12-08 14:00")


def test_an_open_window_opens_now() -> None:
    now = at("2026-12-07 15:12:34.5")
    assert next_opening(DAYTIME, ("Europe/London",), now) == now


def test_a_start_in_the_skipped_hour_opens_at_the_jump() -> None:
    # 2027-03-14: New York jumps from 02:00 EST to 03:00 EDT at 07:00 UTC; 02:30 never shows.
    window = CallingWindow(dt.time(2, 30), dt.time(5))
    zones = ("America/New_York",)
    assert next_opening(window, zones, at("2027-03-14 05:00")) == at("2027-03-14 07:00")
    assert not window_open(window, zones, at("2027-03-14 06:59:59"))
    assert window_open(window, zones, at("2027-03-14 07:00"))
    # The next day is ordinary: 02:30 EDT.
    assert next_opening(window, zones, at("2027-03-14 09:00")) == at("2027-03-15 06:30")


def test_an_edge_in_the_repeated_hour_is_crossed_twice() -> None:
    # 2027-11-07: New York falls back from 02:00 EDT to 01:00 EST at 06:00 UTC.
    window = CallingWindow(dt.time(0, 30), dt.time(1, 30))
    zones = ("America/New_York",)
    assert window_open(window, zones, at("2027-11-07 05:29:59"))  # 01:29:59 EDT
    assert not window_open(window, zones, at("2027-11-07 05:30"))  # 01:30 EDT
    assert next_opening(window, zones, at("2027-11-07 05:30")) == at("2027-11-07 06:00")  # 01:00 EST
    assert not window_open(window, zones, at("2027-11-07 06:30"))


def test_lord_howe_moves_its_clock_by_half_an_hour() -> None:
    # 2027-10-03: Lord Howe goes from 02:00 +10:30 to 02:30 +11 at 15:30 UTC the day before.
    window = CallingWindow(dt.time(2, 10), dt.time(3))
    zones = ("Australia/Lord_Howe",)
    assert next_opening(window, zones, at("2027-10-02 14:00")) == at("2027-10-02 15:30")


def test_days_are_local_weekdays() -> None:
    mondays = CallingWindow(dt.time(9), dt.time(17), days=frozenset({0}))
    # Tuesday 2026-12-08 10:00 in Tokyo; the next Monday 09:00 JST is Monday 00:00 UTC.
    assert next_opening(mondays, ("Asia/Tokyo",), at("2026-12-08 01:00")) == at("2026-12-14 00:00")
    # Sunday 23:30 UTC is already Monday 08:30 in Tokyo: not yet open, opens at 00:00 UTC.
    assert not window_open(mondays, ("Asia/Tokyo",), at("2026-12-13 23:30"))


def test_zones_a_day_apart_never_share_a_one_day_window() -> None:
    mondays = CallingWindow(dt.time(8), dt.time(21), days=frozenset({0}))
    with pytest.raises(NeverOpen, match=r"Pacific/Kiritimati, Pacific/Pago_Pago at once .* 8 days"):
        next_opening(mondays, ("Pacific/Pago_Pago", "Pacific/Kiritimati"), at("2026-12-07 00:00"))


def test_a_number_without_zones_takes_the_fallback_and_a_forced_zone_wins() -> None:
    now = at("2026-12-07 13:30")  # 08:30 New York, 07:30 Chicago
    assert window_open(DAYTIME, (), now, fallback=("America/New_York",))
    assert not window_open(DAYTIME, (), now, fallback=("America/New_York", "America/Chicago"))
    with pytest.raises(ValueError, match="needs a fallback zone set"):
        window_open(DAYTIME, (), now)
    forced = CallingWindow(dt.time(8), dt.time(21), time_zone="America/New_York")
    assert window_open(forced, ("America/Chicago",), now)
    assert next_opening(forced, (), at("2026-12-07 12:00")) == at("2026-12-07 13:00")


def test_bad_windows_and_naive_times_are_refused() -> None:
    with pytest.raises(ValueError, match="21:00 to 08:00 would run past midnight"):
        CallingWindow(dt.time(21), dt.time(8))
    with pytest.raises(ValueError, match="would run past midnight"):
        CallingWindow(dt.time(8), dt.time(8))
    with pytest.raises(ValueError, match="weekdays 0"):
        CallingWindow(dt.time(8), dt.time(9), days=frozenset())
    with pytest.raises(ValueError, match="expected an aware datetime"):
        window_open(DAYTIME, ("Europe/London",), dt.datetime(2026, 12, 7, 12))


def test_a_window_from_the_yaml() -> None:
    window = CallingWindow.from_yaml(
        Window(start="09:00", end="20:30", days=["sat", "sun"], time_zone="Etc/UTC")
    )
    assert window == CallingWindow(dt.time(9), dt.time(20, 30), frozenset({5, 6}), "Etc/UTC")
    assert CallingWindow.from_yaml(Window()) == DAYTIME


def test_zone_keys_are_sorted_and_read_back() -> None:
    key = zone_key(["America/New_York", "America/Chicago", "America/New_York"])
    assert key == "America/Chicago|America/New_York"
    assert zones_of(key) == ("America/Chicago", "America/New_York")
    assert (zone_key([]), zones_of("")) == ("", ())


def test_open_zone_keys_picks_the_sets_open_now() -> None:
    keys = ["America/New_York", "America/Chicago|America/New_York", "Europe/London", ""]
    now = at("2026-12-07 13:30")
    assert open_zone_keys(DAYTIME, keys, now, fallback=("America/Los_Angeles",)) == {
        "America/New_York",
        "Europe/London",
    }
    assert open_zone_keys(DAYTIME, keys, now, fallback=("Europe/Paris",)) == {
        "America/New_York",
        "Europe/London",
        "",
    }


# --- Properties, over many zones and instants around their offset changes ---------------------------

REQUIRED_ZONES = (
    "America/New_York",
    "America/Chicago",
    "America/Denver",
    "America/Los_Angeles",
    "America/Santiago",
    "America/St_Johns",
    "Europe/London",
    "Australia/Lord_Howe",
    "Asia/Kolkata",
    "Pacific/Chatham",
)
ZONES = tuple(sorted(set(REQUIRED_ZONES) | set(sorted(available_timezones())[::15])))


@cache
def offset_changes(zone: str, year: int) -> tuple[dt.datetime, ...]:
    """The instants `zone` changes its UTC offset in `year`, found minute by minute near each change."""
    info = ZoneInfo(zone)
    changes: list[dt.datetime] = []
    hour = dt.datetime(year, 1, 1, tzinfo=UTC)
    while hour.year == year:
        following = hour + dt.timedelta(hours=1)
        if hour.astimezone(info).utcoffset() != following.astimezone(info).utcoffset():
            minute = hour
            while minute.astimezone(info).utcoffset() == hour.astimezone(info).utcoffset():
                minute += dt.timedelta(minutes=1)
            changes.append(minute)
        hour = following
    return tuple(changes)


@st.composite
def instants(draw: st.DrawFn, zones: tuple[str, ...]) -> dt.datetime:
    year = draw(st.integers(2025, 2030))
    changes = [change for zone in zones for change in offset_changes(zone, year)]
    if changes:
        base = draw(st.sampled_from(changes))
    else:
        base = dt.datetime(year, draw(st.integers(1, 12)), 15, tzinfo=UTC)
    return base + dt.timedelta(seconds=draw(st.integers(-2 * 86400, 2 * 86400)))


@st.composite
def windows(draw: st.DrawFn) -> CallingWindow:
    start = draw(st.integers(0, 24 * 60 - 2))
    end = draw(st.integers(start + 1, 24 * 60 - 1))
    days = draw(st.frozensets(st.integers(0, 6), min_size=1))
    return CallingWindow(dt.time(*divmod(start, 60)), dt.time(*divmod(end, 60)), days)


zone_sets = st.lists(st.sampled_from(ZONES), min_size=1, max_size=3, unique=True).map(tuple)


def locally_inside(window: CallingWindow, zone: str, instant: dt.datetime) -> bool:
    local = instant.astimezone(ZoneInfo(zone))
    return local.weekday() in window.days and window.start <= local.time().replace(tzinfo=None) < window.end


@settings(max_examples=300, deadline=None)
@given(window=windows(), data=st.data(), zones=zone_sets)
def test_never_open_outside_the_window_in_any_zone(
    window: CallingWindow, data: st.DataObject, zones: tuple[str, ...]
) -> None:
    now = data.draw(instants(zones))
    assert window_open(window, zones, now) == all(locally_inside(window, zone, now) for zone in zones)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(window=windows(), data=st.data(), zones=zone_sets)
def test_the_next_opening_is_open_and_no_earlier_minute_is(
    window: CallingWindow, data: st.DataObject, zones: tuple[str, ...]
) -> None:
    now = data.draw(instants(zones))
    try:
        opening = next_opening(window, zones, now)
    except NeverOpen:
        minutes = range(8 * 24 * 60)
        assert not any(
            all(locally_inside(window, z, now + dt.timedelta(minutes=m)) for z in zones) for m in minutes
        )
        return
    assert opening >= now
    assert opening.tzinfo is UTC
    assert all(locally_inside(window, zone, opening) for zone in zones)
    if opening > now:
        assert not window_open(window, zones, opening - dt.timedelta(seconds=1))
    minute = now
    while minute < opening:
        assert not all(locally_inside(window, zone, minute) for zone in zones), minute
        minute += dt.timedelta(minutes=1)


def test_an_unknown_zone_is_named() -> None:
    with pytest.raises(ValueError, match="unknown time zone 'Mars/Olympus'"):
        window_open(DAYTIME, ("Europe/London", "Mars/Olympus"), at("2026-12-07 12:00"))
