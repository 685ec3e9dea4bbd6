"""Recording and quality assurance in the dialplan: recording policies and QA scoring forms.

- `recording`: where files go, and named policies (record all calls, a percentage, none, or on
  demand; mono or stereo; WAV or MP3; an announcement; how long files are kept). A DID names the
  policy for its calls' IVR part, a queue the policy for the conversation with the agent; the
  queue's wins from the moment the caller joins it.
- `qa_forms`: scoring forms reviewers fill in for a recording: weighted criteria.
"""

from __future__ import annotations

from typing import Literal, Self

from pydantic import Field, model_validator

from dialplans.base import Name, Node

RecordMode = Literal["all", "percent", "none", "on_demand"]
RecordFormat = Literal["wav", "mp3"]
DEFAULT_RECORDING_DIRECTORY = "/var/lib/callcenter/recordings"


class RecordingPolicy(Node):
    mode: RecordMode = Field(
        default="none",
        description="all, percent (a sample of calls), none, or on_demand (started by an agent or the API).",
    )
    percent: float | None = Field(
        default=None, gt=0, le=100, description="With mode percent: the share of calls recorded."
    )
    stereo: bool = Field(default=True, description="Caller on the left channel, agent on the right.")
    format: RecordFormat = Field(default="wav", description="wav (mod_sndfile) or mp3 (mod_shout).")
    announce: Name | None = Field(
        default=None, description="Played to the caller before recording starts (e.g. 'calls are recorded')."
    )
    retention_days: int = Field(
        default=90, ge=1, le=3650, description="Days a file is kept before `recordings prune` deletes it."
    )

    @model_validator(mode="after")
    def _percent_goes_with_its_mode(self) -> Self:
        if self.mode == "percent" and self.percent is None:
            raise ValueError("mode percent needs `percent`: the share of calls to record, e.g. 10")
        if self.mode != "percent" and self.percent is not None:
            raise ValueError(f"`percent` goes only with mode percent, and this policy's mode is {self.mode}")
        return self


class Recording(Node):
    directory: str = Field(
        default=DEFAULT_RECORDING_DIRECTORY,
        min_length=1,
        description="Absolute directory the switch writes into: <directory>/YYYY/MM/DD/<call uuid>.<format>.",
    )
    policies: dict[Name, RecordingPolicy] = Field(default_factory=dict)
    default_policy: Name | None = Field(
        default=None, description="The policy of DIDs that name none (leave out: not recorded)."
    )


class QaCriterion(Node):
    id: Name = Field(description="Stored with each score, e.g. greeting.")
    description: str = Field(default="", max_length=500)
    weight: float = Field(default=1.0, gt=0, le=100, description="Relative weight in the total.")
    max_score: int = Field(default=5, ge=1, le=100, description="Scores run 0..max_score.")


class QaForm(Node):
    """A scoring form: the total is the weighted average of score / max_score, as a percentage."""

    name: str = ""
    criteria: list[QaCriterion] = Field(min_length=1, max_length=50)
