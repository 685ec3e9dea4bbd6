"""The dialer's messages come from the IVR's own prompt book: the files the switch plays, or a logged gap."""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Mapping
from pathlib import Path

import pytest

from callcenter.dialer_wiring import campaign_audio
from dialplans.campaign_models import Campaign
from dialplans.loader import LoadedDialplan, load_dialplan
from esl_handlers.dialer import CampaignAudio
from ivr_scripts.channel import Audio
from ivr_scripts.prompts import PromptBook
from tests.support.dialplans import EXAMPLE

CAMPAIGN = {"type": "survey", "agents": ["1001"], "lists": ["march"], "caller_id": "+13125550000"}


def loaded_with(**campaigns: Mapping[str, object]) -> LoadedDialplan:
    loaded = load_dialplan(EXAMPLE)
    model = loaded.model.model_copy(
        update={"campaigns": {name: Campaign.model_validate(c) for name, c in campaigns.items()}}
    )
    return dataclasses.replace(loaded, model=model)


def test_messages_are_the_books_files_and_a_missing_file_is_logged(caplog: pytest.LogCaptureFixture) -> None:
    loaded = loaded_with(
        spring={
            **CAMPAIGN,
            "abandon": {"message": "welcome"},
            "machine": {"action": "message", "message": "no_key"},
        },
        autumn=CAMPAIGN,
    )
    book = PromptBook(
        {
            "welcome": Audio("welcome", str(Path("/srv/sounds/welcome.wav")), "Thank you"),
            "no_key": Audio("no_key", None, "We did not get a key"),
        }
    )
    with caplog.at_level(logging.ERROR, logger="callcenter.dialer_wiring"):
        audio = campaign_audio(loaded, book)
    assert audio == {
        "spring": CampaignAudio(dropped="/srv/sounds/welcome.wav", machine=None),
        "autumn": CampaignAudio(dropped=None, machine=None),
    }
    assert [record.getMessage() for record in caplog.records] == [
        "campaign spring: prompt no_key has no audio file (run `callcenter render`); not played"
    ]
