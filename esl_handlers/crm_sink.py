"""`WriterCrmSink`: the IVR's CRM facts (`ivr_scripts.crm.CrmSink`) as records for the queued writer.

Screening becomes a `CallUpdate` (calls.customer_id, screening, screening_detail; merged like every other
call field) and each survey answer a `SurveyAnswerRecord` (survey_responses, the first answer per call and
question kept). Both are appends: the call's greenlet never waits for the database.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Final

from esl_handlers.db_writer import Record
from esl_handlers.session import RecordQueue
from ivr_scripts.crm import CrmSink, ScreeningDecision, SurveyAnswer
from schema.calls.records import CallUpdate, SurveyAnswerRecord
from schema.errors import RecordRejected

log = logging.getLogger(__name__)
DETAIL_MAX: Final = 200  # screening_detail is free text (a block reason); a call row needs no essay


class WriterCrmSink(CrmSink):
    def __init__(self, writer: RecordQueue) -> None:
        self._writer = writer

    def record_screening(self, call_uuid: str, decision: ScreeningDecision) -> None:
        customer = decision.profile.customer
        detail = None if decision.detail is None else decision.detail[:DETAIL_MAX]
        self._submit(
            lambda: CallUpdate(
                uuid=call_uuid,
                customer_id=None if customer is None else customer.customer_id,
                screening=decision.kind,
                screening_detail=detail,
            )
        )

    def record_survey_answer(self, answer: SurveyAnswer) -> None:
        self._submit(
            lambda: SurveyAnswerRecord(
                call_uuid=answer.call_uuid,
                survey=answer.survey,
                question=answer.question,
                score=answer.score,
                agent_id=answer.agent_id,
                queue=answer.queue,
                answered_at=answer.answered_at,
            )
        )

    def _submit(self, make: Callable[[], Record]) -> None:
        # A record the schema refuses is a bug upstream: log it, never fail the call over it.
        try:
            record = make()
        except RecordRejected as exc:
            log.error("CRM record refused: %s", exc)
            return
        self._writer.submit(record)
