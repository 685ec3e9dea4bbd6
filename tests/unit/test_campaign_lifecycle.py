from __future__ import annotations

import itertools

import pytest

from dialplans.campaign_vocabulary import CampaignStatus
from ivr_scripts.campaigns.lifecycle import ALLOWED, TransitionRefused, check_transition

S = CampaignStatus


@pytest.mark.parametrize(
    ("current", "target"),
    [
        (S.DRAFT, S.PILOT),
        (S.DRAFT, S.RUNNING),
        (S.PILOT, S.RUNNING),
        (S.RUNNING, S.PAUSED),
        (S.PAUSED, S.RUNNING),
        (S.RUNNING, S.CLOSED),
        (S.PAUSED, S.CLOSED),
    ],
)
def test_the_lifecycle_allows_its_own_path(current: CampaignStatus, target: CampaignStatus) -> None:
    check_transition("spring", current, target)


def test_closed_is_final_and_the_refusal_names_what_is_allowed() -> None:
    for target in CampaignStatus:
        with pytest.raises(TransitionRefused, match="closed is final"):
            check_transition("spring", S.CLOSED, target)
    with pytest.raises(
        TransitionRefused, match=r"'spring' is running; cannot go to draft \(allowed: closed, paused\)"
    ):
        check_transition("spring", S.RUNNING, S.DRAFT)


def test_no_status_goes_to_itself_or_back_to_draft() -> None:
    for current, target in itertools.product(CampaignStatus, CampaignStatus):
        if target in (current, S.DRAFT):
            assert target not in ALLOWED[current]
