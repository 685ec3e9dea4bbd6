"""The CRM as the call logic sees it: a customer directory in dictionaries and a sink in memory."""

from __future__ import annotations

from ivr_scripts.crm import (
    CallerProfile,
    CrmUnavailable,
    CustomerRecord,
    ScreeningDecision,
    SurveyAnswer,
)


class FakeDirectory:
    """Customers in dictionaries; `down` makes every call raise CrmUnavailable."""

    def __init__(
        self,
        profiles: dict[str, CallerProfile] | None = None,
        keys: dict[tuple[str, str], list[CustomerRecord]] | None = None,
        *,
        down: bool = False,
    ) -> None:
        self.profiles = profiles or {}
        self.keys = keys or {}
        self.down = down
        self.finds: list[tuple[str, str]] = []

    def profile(self, caller_number: str) -> CallerProfile:
        if self.down:
            raise CrmUnavailable("database down")
        return self.profiles.get(caller_number, CallerProfile(e164=caller_number))

    def find(self, by: str, keys: str) -> list[CustomerRecord]:
        self.finds.append((by, keys))
        if self.down:
            raise CrmUnavailable("database down")
        return self.keys.get((by, keys), [])

    def customer(self, customer_id: int) -> CustomerRecord | None:
        raise AssertionError("the call logic finds customers by caller ID or keys")


class MemoryCrmSink:
    def __init__(self) -> None:
        self.screenings: list[tuple[str, ScreeningDecision]] = []
        self.answers: list[SurveyAnswer] = []

    def record_screening(self, call_uuid: str, decision: ScreeningDecision) -> None:
        self.screenings.append((call_uuid, decision))

    def record_survey_answer(self, answer: SurveyAnswer) -> None:
        self.answers.append(answer)
