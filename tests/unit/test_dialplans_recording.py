"""The recording part of the YAML (policies, directory, QA forms, sensitive input): every mistake located."""

from __future__ import annotations

import pytest

from dialplans.loader import load_dialplan
from dialplans.recording_models import DEFAULT_RECORDING_DIRECTORY, QaCriterion, RecordingPolicy
from tests.support.dialplans import EXAMPLE, WriteYaml, messages

GOOD = """\
prompts:
  hi: {text: Hello}
  notice: {text: Calls are recorded}
  ask_card: {text: Your card number please}
  card_ok: {text: Thank you}
recording:
  directory: /srv/cc-1/recordings.d/
  default_policy: sample
  policies:
    sample: {mode: percent, percent: 2.5, stereo: false, retention_days: 30}
    calls: {mode: all, format: mp3, announce: notice, retention_days: 365}
    later: {mode: on_demand}
qa_forms:
  standard:
    name: Standard review
    criteria:
      - {id: greeting, description: Said who they are, weight: 2}
      - {id: resolution, max_score: 10}
self_service:
  card:
    ask: ask_card
    min_digits: 16
    max_digits: 19
    answer: [{prompt: card_ok}]
    sensitive: true
queues:
  desk: {extension: "2001", tiers: [{agent: "1001"}], recording: calls}
agents:
  "1001": {name: Ann}
menus:
  main:
    prompt: hi
    options: {"1": {transfer: {queue: desk}}, "2": {menu: pay}}
    fallback: {hangup: }
  pay:
    prompt: hi
    sensitive: true
    options: {"1": {lookup: card}, "*": {menu: main}}
    fallback: {hangup: }
dids:
  "4001": {menu: main}
  "4002": {menu: main, recording: later}
"""


def test_a_full_recording_plan_loads_with_every_key_typed(plan_file: WriteYaml) -> None:
    path = plan_file(GOOD)
    # `notice` is played only as an announcement, and mp3 needs nothing but mod_shout: no warning.
    assert messages(path) == []
    plan = load_dialplan(path).model
    recording = plan.recording
    assert (recording.directory, recording.default_policy) == ("/srv/cc-1/recordings.d/", "sample")
    assert recording.policies == {
        "sample": RecordingPolicy(mode="percent", percent=2.5, stereo=False, retention_days=30),
        "calls": RecordingPolicy(mode="all", format="mp3", announce="notice", retention_days=365),
        "later": RecordingPolicy(mode="on_demand"),
    }
    assert (plan.dids["4001"].recording, plan.dids["4002"].recording) == (None, "later")
    assert plan.queues["desk"].recording == "calls"
    form = plan.qa_forms["standard"]
    assert form.name == "Standard review"
    assert form.criteria == [
        QaCriterion(id="greeting", description="Said who they are", weight=2),
        QaCriterion(id="resolution", max_score=10),
    ]
    assert (plan.menus["pay"].sensitive, plan.menus["main"].sensitive) == (True, False)
    assert plan.self_service["card"].sensitive


def test_the_recording_defaults(plan_file: WriteYaml) -> None:
    path = plan_file(
        "prompts:\n  hi: {text: Hello}\nrecording:\n  policies: {p: {}}\n  default_policy: p\n"
        "menus:\n  main: {prompt: hi, options: {}, fallback: {hangup: }}\n"
        'dids:\n  "4001": {menu: main}\n'
    )
    assert messages(path) == []
    plan = load_dialplan(path).model
    assert plan.recording.directory == DEFAULT_RECORDING_DIRECTORY
    policy = plan.recording.policies["p"]
    assert (policy.mode, policy.percent, policy.stereo, policy.format) == ("none", None, True, "wav")
    assert (policy.announce, policy.retention_days) == (None, 90)
    assert plan.qa_forms == {}
    assert not plan.menus["main"].sensitive


MENUS = """\
menus:
  main: {prompt: hi, options: {}, fallback: {hangup: }}
dids:
  "4001": {menu: main}
"""

SHAPES = """\
prompts:
  hi: {text: Hello}
recording:
  directry: /x
  policies:
    a: {mode: percent}
    b: {mode: all, percent: 10}
    c: {mode: always, format: ogg, stereo: maybe, retention_days: 0}
    d: {mode: percent, percent: 0}
    e: {mode: percent, percent: 150, annonce: hi}
qa_forms:
  empty: {criteria: []}
  weights:
    criteria: [{id: a, weight: 0, max_score: 0}, {id: "b c"}]
"""


def test_shape_errors_of_recording_are_located(plan_file: WriteYaml) -> None:
    path = plan_file(SHAPES + MENUS)
    assert messages(path) == [
        "plan.yaml:4:3 recording.directry: unknown key 'directry'; did you mean 'directory'? the keys here "
        "are: directory, policies, default_policy",
        "plan.yaml:6:8 recording.policies.a: mode percent needs `percent`: the share of calls to record, "
        "e.g. 10",
        "plan.yaml:7:8 recording.policies.b: `percent` goes only with mode percent, and this policy's mode "
        "is all",
        "plan.yaml:8:15 recording.policies.c.mode: expected 'all', 'percent', 'none' or 'on_demand', got "
        "'always'",
        "plan.yaml:8:31 recording.policies.c.format: expected 'wav' or 'mp3', got 'ogg'",
        "plan.yaml:8:44 recording.policies.c.stereo: expected true or false, got 'maybe'",
        "plan.yaml:8:67 recording.policies.c.retention_days: must be at least 1, got '0'",
        "plan.yaml:9:33 recording.policies.d.percent: must be more than 0, got '0'",
        "plan.yaml:10:33 recording.policies.e.percent: must be at most 100, got '150'",
        "plan.yaml:10:38 recording.policies.e.annonce: unknown key 'annonce'; did you mean 'announce'? the "
        "keys here are: mode, percent, stereo, format, announce, retention_days",
        "plan.yaml:12:21 qa_forms.empty.criteria: needs at least one entry",
        "plan.yaml:14:32 qa_forms.weights.criteria[0].weight: must be more than 0, got '0'",
        "plan.yaml:14:46 qa_forms.weights.criteria[0].max_score: must be at least 1, got '0'",
        "plan.yaml:14:55 qa_forms.weights.criteria[1].id: 'b c' is not a valid name: start with a letter, "
        "then use letters, digits, '_' or '-' (at most 64 characters)",
    ]


MISTAKES = """\
prompts:
  hi: {text: Hello}
  notice: {text: Calls are recorded}
recording:
  default_policy: smaple
  policies:
    sample: {mode: percent, percent: 100, stereo: false}
    calls: {mode: all, format: mp3, announce: notic}
    quiet: {mode: none, announce: notice}
    spare: {mode: on_demand}
qa_forms:
  standard:
    criteria:
      - {id: greeting, weight: 2}
      - {id: courtesy}
      - {id: greeting, max_score: 10}
      - {id: courtesy}
queues:
  desk: {extension: "2001", tiers: [{agent: "1001"}], recording: call}
  care: {extension: "2002", tiers: [{agent: "1001"}], recording: quiet}
agents:
  "1001": {name: Ann}
self_service:
  who: {by: caller_id, answer: [{field: name}], sensitive: true}
  acct: {ask: hi, answer: [{prompt: hi}]}
menus:
  main:
    prompt: hi
    sensitive: true
    options: {"1": {transfer: {queue: desk}}, "2": {transfer: {queue: care}}, "3": {menu: self}}
    fallback: {hangup: }
  self:
    prompt: hi
    sensitive: true
    options: {"1": {lookup: who}, "2": {lookup: acct}, "*": {menu: main}}
    fallback: {hangup: }
dids:
  "4001": {menu: main, recording: Sample}
  "4002": {menu: main, recording: calls}
"""


def test_references_and_policies_are_checked_where_they_are_written(plan_file: WriteYaml) -> None:
    path = plan_file(MISTAKES)
    assert messages(path) == [
        "plan.yaml:5:19 recording.default_policy: unknown recording policy 'smaple'; did you mean 'sample'?",
        "plan.yaml:7:13 recording.policies.sample: warning: recording policy 'sample' is not used by any DID "
        "or queue, nor as default_policy",
        "plan.yaml:7:38 recording.policies.sample.percent: warning: 100 percent records every call: use mode "
        "all",
        "plan.yaml:8:47 recording.policies.calls.announce: unknown prompt 'notic'; did you mean 'notice'?",
        "plan.yaml:9:35 recording.policies.quiet.announce: warning: mode none records nothing, so there is "
        "nothing to announce; remove announce",
        "plan.yaml:10:12 recording.policies.spare: warning: recording policy 'spare' is not used by any DID "
        "or queue, nor as default_policy",
        "plan.yaml:16:14 qa_forms.standard.criteria[2].id: criterion id 'greeting' is already used by "
        "criteria[0]: scores are stored by criterion, so each needs its own",
        "plan.yaml:17:14 qa_forms.standard.criteria[3].id: criterion id 'courtesy' is already used by "
        "criteria[1]: scores are stored by criterion, so each needs its own",
        "plan.yaml:19:66 queues.desk.recording: unknown recording policy 'call'; did you mean 'calls'?",
        "plan.yaml:24:60 self_service.who.sensitive: warning: a caller_id lookup asks the caller for no "
        "keys, so there is nothing secret to mask",
        "plan.yaml:35:49 menus.self.options.\"2\".lookup: warning: this menu is sensitive but lookup 'acct' "
        "is not: the keys it asks for would be recorded and stored; mark the lookup sensitive too",
        "plan.yaml:38:35 dids.\"4001\".recording: unknown recording policy 'Sample'; did you mean 'sample'?",
    ]


def test_a_policy_named_where_no_policy_exists_says_so(plan_file: WriteYaml) -> None:
    path = plan_file(
        "prompts:\n  hi: {text: Hello}\n" + MENUS.replace("{menu: main}", "{menu: main, recording: all}")
    )
    assert messages(path) == [
        "plan.yaml:6:35 dids.\"4001\".recording: unknown recording policy 'all': recording.policies defines "
        "none"
    ]


SAFE = "ASCII letters, digits and / _ . - :"
PLAIN = "write the directory plainly, e.g. /var/lib/callcenter/recordings"


@pytest.mark.parametrize(
    ("directory", "message"),
    [
        (
            "recordings",
            "'recordings' is not an absolute path: FreeSWITCH would put the files under its sound directory; "
            "write it from the root, e.g. /var/lib/callcenter/recordings",
        ),
        (
            "/var/call recordings",
            f"the recording directory holds a space: it goes into FreeSWITCH commands "
            f"as is, so use only {SAFE}",
        ),
        (
            "/var/${uuid}",
            f"the recording directory holds '$', '{{', '}}': it goes into FreeSWITCH commands "
            f"as is, so use only {SAFE}",
        ),
        (
            "$${base_dir}/rec",
            f"the recording directory holds '$', '{{', '}}': it goes into FreeSWITCH "
            f"commands as is, so use only {SAFE}",
        ),
        (
            "/srv/enregistrés",
            f"the recording directory holds 'é': it goes into FreeSWITCH commands as is, so use only {SAFE}",
        ),
        (
            "/srv/o'neill",
            f'the recording directory holds "\'": it goes into FreeSWITCH commands as is, so use only {SAFE}',
        ),
        ("/", "recordings need a directory of their own, not the root: prune deletes under it"),
        ("/srv/../etc", f"'/srv/../etc' has an empty, '.' or '..' part: {PLAIN}"),
        ("/srv/./rec", f"'/srv/./rec' has an empty, '.' or '..' part: {PLAIN}"),
        ("//srv/rec", f"'//srv/rec' has an empty, '.' or '..' part: {PLAIN}"),
    ],
)
def test_the_directory_is_absolute_and_plain(plan_file: WriteYaml, directory: str, message: str) -> None:
    path = plan_file(f'prompts:\n  hi: {{text: Hello}}\nrecording: {{directory: "{directory}"}}\n' + MENUS)
    assert messages(path) == [f"plan.yaml:3:24 recording.directory: {message}"]


@pytest.mark.parametrize(
    "directory", ["/var/lib/callcenter/recordings", "/srv/rec/", "/mnt/nas:1/rec.2026_a-b"]
)
def test_plain_absolute_directories_pass(plan_file: WriteYaml, directory: str) -> None:
    path = plan_file(f'prompts:\n  hi: {{text: Hello}}\nrecording: {{directory: "{directory}"}}\n' + MENUS)
    assert messages(path) == []


def test_the_example_records_its_conversations_and_samples_its_ivr() -> None:
    # No unused policy, no unknown prompt: tests/unit/test_dialplans_example.py proves it warns only
    # about missing audio files.
    plan = load_dialplan(EXAMPLE).model
    recording = plan.recording
    assert recording.directory == DEFAULT_RECORDING_DIRECTORY
    sample, conversations = recording.policies["ivr_sample"], recording.policies["conversations"]
    assert (sample.mode, sample.percent, sample.stereo, sample.format) == ("percent", 10, False, "wav")
    assert (conversations.mode, conversations.stereo, conversations.format) == ("all", True, "wav")
    assert conversations.retention_days == 365
    assert conversations.announce is not None
    assert plan.prompts[conversations.announce].text
    assert plan.dids["4001"].recording == "ivr_sample"
    recorded = {name for name, queue in plan.queues.items() if queue.recording == "conversations"}
    assert recorded == {"repair", "insurance", "complaints"}
    criteria = plan.qa_forms["standard"].criteria
    assert [c.id for c in criteria] == ["greeting", "identification", "resolution", "courtesy"]
    assert all(c.weight > 0 and c.description for c in criteria)
    assert not any(menu.sensitive for menu in plan.menus.values())
    assert not any(lookup.sensitive for lookup in plan.self_service.values())
