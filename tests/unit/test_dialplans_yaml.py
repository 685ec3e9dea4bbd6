"""The YAML layer: safe parsing, limits that refuse hostile files, duplicate keys, faithful scalars."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from pydantic import ValidationError

from dialplans.loader import DialplanError, load_dialplan
from dialplans.models import Dialplan, GotoMenu, Hangup, Transfer
from dialplans.yaml_source import MAX_DEPTH, read_yaml
from tests.support.dialplans import WriteYaml, messages

VALID = """\
prompts:
  hi: {text: Hello}
menus:
  main:
    prompt: hi
    options:
      "1": {transfer: {extension: "100"}}
    fallback: {hangup: {}}
dids:
  "4001": {menu: main}
"""


BILLION_LAUGHS = """\
a: &a ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]
b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]
c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]
d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c]
e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d]
f: &f [*e, *e, *e, *e, *e, *e, *e, *e, *e]
g: &g [*f, *f, *f, *f, *f, *f, *f, *f, *f]
h: &h [*g, *g, *g, *g, *g, *g, *g, *g, *g]
i: &i [*h, *h, *h, *h, *h, *h, *h, *h, *h]
"""


def test_an_alias_bomb_is_refused_at_the_alias_that_crosses_the_node_budget(plan_file: WriteYaml) -> None:
    path = plan_file(BILLION_LAUGHS)
    outcome: list[BaseException] = []

    def load() -> None:
        try:
            load_dialplan(path)
        except DialplanError as exc:
            outcome.append(exc)

    # Expanded, this document has 9**9 strings; refused, it takes milliseconds. The guard only turns a
    # regression into a failure instead of a hang.
    worker = threading.Thread(target=load, daemon=True)
    worker.start()
    worker.join(timeout=60)
    assert len(outcome) == 1
    assert isinstance(outcome[0], DialplanError)
    [diagnostic] = outcome[0].diagnostics
    assert "expands to more than 50,000 nodes" in diagnostic.message
    assert "alias bomb" in diagnostic.message
    line = BILLION_LAUGHS.splitlines()[diagnostic.line - 1]
    assert line.startswith("e:")
    assert line[diagnostic.column - 1 :].startswith("*d")


def test_the_node_budget_counts_every_node_an_alias_repeats() -> None:
    text = "a: &x [1, 2, 3]\nb: *x\n"  # keys 2 + list 4 + the alias's 4 + the root 1 = 11 nodes
    assert read_yaml(text, "x.yaml", max_nodes=11).diagnostics == []
    [at_root] = read_yaml(text, "x.yaml", max_nodes=10).diagnostics
    assert (at_root.line, at_root.column) == (1, 1)
    [at_alias] = read_yaml(text, "x.yaml", max_nodes=9).diagnostics
    assert (at_alias.line, at_alias.column) == (2, 4)


def test_an_alias_into_its_own_anchor_is_refused(plan_file: WriteYaml) -> None:
    path = plan_file("loop: &self [1, *self]\n")
    assert messages(path) == [
        "plan.yaml:1:17: alias *self points into its own anchor &self, which would repeat forever"
    ]


def test_nesting_is_limited(plan_file: WriteYaml) -> None:
    path = plan_file("a: " + "[" * (MAX_DEPTH + 5) + "]" * (MAX_DEPTH + 5) + "\n")
    [message] = messages(path)
    assert message == f"plan.yaml:1:{3 + MAX_DEPTH}: nested more than {MAX_DEPTH} levels deep"


def test_an_oversized_file_is_refused_before_it_is_parsed(plan_file: WriteYaml) -> None:
    path = plan_file("{{{{ not yaml at all" * 10)  # 200 bytes that would not parse either
    with pytest.raises(DialplanError) as caught:
        load_dialplan(path, max_bytes=199)
    assert (
        str(caught.value)
        == "plan.yaml:1:1: the file is 200 bytes, over the 199-byte limit for a dialplan; not parsed"
    )


def test_the_default_size_limit_is_one_mebibyte(plan_file: WriteYaml) -> None:
    path = plan_file("# " + "x" * (1_048_576 - 3) + "\n")  # exactly 1 MiB: allowed, but it has no dialplan
    assert messages(path) == [
        "plan.yaml:1:1: the file is empty; a dialplan needs at least `menus` and `dids`"
    ]
    path.write_text("#" + "x" * 1_048_576, encoding="utf-8")
    assert messages(path) == [
        "plan.yaml:1:1: the file is 1,048,577 bytes, over the 1,048,576-byte limit for a dialplan; not parsed"
    ]


def test_a_duplicate_digit_is_reported_at_its_second_occurrence(plan_file: WriteYaml) -> None:
    path = plan_file(
        """\
        prompts:
          hi: {text: Hello}
        menus:
          main:
            prompt: hi
            options:
              1: {transfer: {extension: "100"}}
              "2": {transfer: {extension: "200"}}
              "1": {hangup: {}}
            fallback: {hangup: {}}
        dids:
          "4001": {menu: main}
        """
    )
    assert messages(path) == [
        "plan.yaml:9:7 menus.main.options.\"1\": duplicate key '1': it is already set on line 7"
    ]


def test_every_duplicate_key_is_reported(plan_file: WriteYaml) -> None:
    path = plan_file(VALID + "menus: {}\nprompts: {}\n")
    assert messages(path) == [
        "plan.yaml:11:1 menus: duplicate key 'menus': it is already set on line 3",
        "plan.yaml:12:1 prompts: duplicate key 'prompts': it is already set on line 1",
    ]


def test_tabs_get_a_plain_explanation(plan_file: WriteYaml) -> None:
    path = plan_file("menus:\n\tmain: {}\n")
    assert messages(path) == ["plan.yaml:2:1: a tab character: YAML indents with spaces only"]


def test_an_unquoted_star_key_explains_yaml_aliases(plan_file: WriteYaml) -> None:
    path = plan_file("options:\n  *: {menu: main}\n")
    [message] = messages(path)
    assert message.startswith("plan.yaml:2:4: invalid YAML: ")
    assert message.endswith("('*' starts a YAML alias: to use the star key, quote it as \"*\")")


def test_an_unquoted_hash_key_is_a_comment_and_is_warned_about(plan_file: WriteYaml) -> None:
    path = plan_file(VALID.replace('      "1": {transfer', '      #: {menu: main}\n      "1": {transfer'))
    assert messages(path) == [
        "plan.yaml:7:7: warning: this line is a YAML comment, not an option for the # key; write it as "
        '"#": ...'
    ]


def test_a_second_document_is_refused(plan_file: WriteYaml) -> None:
    path = plan_file(VALID + "---\n" + VALID)
    assert messages(path) == [
        "plan.yaml:11:1: a second YAML document (after `---`): a dialplan file holds exactly one"
    ]


def test_text_that_is_not_utf8_is_located(plan_file: WriteYaml) -> None:
    path = plan_file(VALID)
    path.write_bytes(VALID.encode().replace(b"Hello", b"H\xe9llo"))
    assert messages(path) == ["plan.yaml:2:15: not UTF-8 text: byte 0xe9 cannot be decoded"]
    path.write_bytes(VALID.encode().replace(b"Hello", "Hélló".encode() + b"\xff"))
    assert messages(path) == [
        "plan.yaml:2:19: not UTF-8 text: byte 0xff cannot be decoded"
    ]  # columns count characters


def test_control_characters_are_located(plan_file: WriteYaml) -> None:
    path = plan_file(VALID.replace("Hello", "Hel\x07lo"))
    assert messages(path) == ["plan.yaml:2:17: the character '\\x07' is not allowed in YAML text"]


def test_python_tags_are_refused_not_run(plan_file: WriteYaml) -> None:
    path = plan_file(VALID + 'sounds_dir: !!python/object/apply:os.system ["touch pwned"]\n')
    assert messages(path) == [
        "plan.yaml:11:13 sounds_dir: the YAML tag !!python/object/apply:os.system has no meaning in a "
        "dialplan"
    ]
    assert not Path("pwned").exists()


def test_scalars_keep_the_text_as_written(plan_file: WriteYaml) -> None:
    path = plan_file(
        """\
        prompts:
          hi: {text: yes}
        schedules:
          office:
            hours: [{days: [mon], open: 8:00, close: 18:00}]
        queues:
          intl: {extension: 0044}
        menus:
          main:
            prompt: hi
            max_retries: 2
            timeout: 2.5
            options:
              1: {transfer: {queue: intl}}
            fallback: {hangup: }
        dids:
          +4420: {schedule: office, menu: main, closed_menu: main}
        """
    )
    model = load_dialplan(path).model
    assert model.prompts["hi"].text == "yes"  # not True, as YAML 1.1 would have it
    assert (model.schedules["office"].hours[0].open, model.schedules["office"].hours[0].close) == (
        "08:00",
        "18:00",
    )
    assert model.queues["intl"].extension == "0044"  # not the octal 36
    assert (model.menus["main"].max_retries, model.menus["main"].timeout) == (2, 2.5)
    assert isinstance(model.menus["main"].options["1"], Transfer)
    fallback = model.menus["main"].fallback
    assert isinstance(fallback, Hangup)
    assert fallback.hangup.cause == "NORMAL_CLEARING"
    assert list(model.dids) == ["+4420"]


def test_top_level_x_keys_hold_templates_for_merge_keys(plan_file: WriteYaml) -> None:
    text = """\
        prompts:
          hi: {text: Hello}
        x-menu-defaults: &defaults
          prompt: hi
          max_retries: 2
          fallback: {hangup: {}}
        menus:
          main:
            <<: *defaults
            max_retries: 5
            options: {"1": {menu: other}}
          other:
            <<: *defaults
            options: {"*": {menu: main}}
        dids:
          "4001": {menu: main}
        """
    menus = load_dialplan(plan_file(text)).model.menus
    assert menus["main"].max_retries == 5  # an explicit key wins over the merged one
    assert (menus["other"].max_retries, menus["other"].prompt) == (2, "hi")
    assert isinstance(menus["other"].options["*"], GotoMenu)
    # Anywhere else, an unknown key is an error, reported at the key.
    unknown = messages(plan_file(text.replace("x-menu-defaults", "menu_defaults")))
    assert unknown[0].startswith("plan.yaml:3:1 menu_defaults: unknown key 'menu_defaults'")


def test_a_merged_mapping_loads_into_menus(plan_file: WriteYaml) -> None:
    path = plan_file(
        """\
        prompts:
          hi: {text: Hello}
        menus:
          main: &base
            prompt: hi
            options: {"1": {menu: other}, "2": {hangup: }}
            fallback: {hangup: {}}
          other:
            <<: *base
            options: {"*": {menu: main}, "2": {hangup: }}
        dids:
          "4001": {menu: main}
        """
    )
    other = load_dialplan(path).model.menus["other"]
    assert other.prompt == "hi"
    assert isinstance(other.options["*"], GotoMenu)


def test_the_desktop_section_names_the_dispositions_in_order() -> None:
    base: dict[str, object] = {"menus": {}, "dids": {}}
    given = Dialplan.model_validate({**base, "desktop": {"dispositions": {"sold": "Sold", "lost": "Lost"}}})

    assert list(given.desktop.dispositions.items()) == [("sold", "Sold"), ("lost", "Lost")]
    assert next(iter(Dialplan.model_validate(base).desktop.dispositions)) == "resolved"
    for bad in ({}, {"1st": "First"}, {"ok": ""}, {"ok": "two\nlines"}):
        with pytest.raises(ValidationError):
            Dialplan.model_validate({**base, "desktop": {"dispositions": bad}})
