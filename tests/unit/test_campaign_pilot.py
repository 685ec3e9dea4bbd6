"""Pilots: a stable sample of the leads, its size the percent asked, a different one per campaign."""

from __future__ import annotations

import pytest

from ivr_scripts.campaigns.pilot import in_pilot, pilot_bucket

KEYS = [f"lead-{n}" for n in range(100_000)]


@pytest.mark.parametrize("percent", [1, 10, 37, 50, 99])
def test_the_sample_is_the_percent_asked_within_half_a_point(percent: int) -> None:
    share = 100 * sum(in_pilot("spring", key, percent) for key in KEYS) / len(KEYS)
    assert abs(share - percent) <= 0.5


def test_a_hundred_percent_takes_every_lead() -> None:
    assert all(in_pilot("spring", key, 100) for key in KEYS[:5000])


def test_the_same_lead_is_drawn_the_same_way_every_time() -> None:
    first = [in_pilot("spring", key, 10) for key in KEYS[:5000]]
    assert [in_pilot("spring", key, 10) for key in KEYS[:5000]] == first
    # Fixed values: the draw does not depend on the process (no salted hash()).
    assert [pilot_bucket("spring", key) for key in ("lead-0", "lead-1", "+15005550006")] == [4606, 6785, 824]
    assert in_pilot("spring", "+15005550006", 9)
    assert not in_pilot("spring", "+15005550006", 8)


def test_a_bigger_pilot_keeps_every_lead_of_a_smaller_one() -> None:
    small = {key for key in KEYS[:20_000] if in_pilot("spring", key, 5)}
    large = {key for key in KEYS[:20_000] if in_pilot("spring", key, 20)}
    assert small < large


def test_another_campaign_draws_another_sample() -> None:
    spring = {key for key in KEYS[:20_000] if in_pilot("spring", key, 10)}
    autumn = {key for key in KEYS[:20_000] if in_pilot("autumn", key, 10)}
    # Independent 10% samples share about 1% of the leads, not 10%.
    assert len(spring & autumn) < 0.2 * len(spring)
    # The name and the key are kept apart: ("ab", "c") is not ("a", "bc").
    assert [pilot_bucket("ab", f"c{n}") for n in range(50)] != [
        pilot_bucket("a", f"bc{n}") for n in range(50)
    ]


@pytest.mark.parametrize("percent", [0, 101, -5])
def test_a_percent_outside_1_to_100_is_refused(percent: int) -> None:
    with pytest.raises(ValueError, match=f"runs from 1 to 100, got {percent}"):
        in_pilot("spring", "lead-1", percent)
