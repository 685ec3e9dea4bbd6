"""The `languages` section: what FreeSWITCH's `say` application looks up, rendered and escaped.

`locate_language` below walks the assembled document the way switch_xml_locate_language
(src/switch_xml.c, 1.10/1.11) does: the first `<section name="languages">` child of the root,
its first `<language>` child whose name matches without case, then `<phrases>` and `<macros>`.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest

from dialplans.models import Dialplan
from esl_handlers.say_args import say_argument
from freeswitch_conf.check import ConfCheckError, assemble, check_conf
from freeswitch_conf.reload import RELOADXML, changed_files, plan_reload, read_tree
from freeswitch_conf.render import SwitchSettings, render_conf, render_files
from freeswitch_conf.say import (
    DEFAULT_SAY_SOUND_PREFIX,
    SAY_MODULE_LIBRARY,
    resolve_say_by,
    say_by_setting,
)
from ivr_scripts.channel import SayKind
from tests.support.rendering import Loaded
from tests.support.unchecked import unchecked

PASSWORD = "k3y-with.plenty_of:entropy"
PLAN: dict[str, Any] = {
    "prompts": {"opts": {"text": "press 1"}},
    "menus": {"main": {"prompt": "opts", "options": {"1": {"hangup": {}}}, "fallback": {"hangup": {}}}},
    "dids": {"4001": {"menu": "main"}},
}
SOURCE_BUILD_PREFIX = Path("/usr/local/freeswitch/sounds/en/us/callie")


@pytest.fixture
def loaded(tmp_path: Path) -> Loaded:
    return Loaded(model=Dialplan.model_validate(PLAN), sounds_dir=tmp_path / "sounds")


def render(tmp_path: Path, loaded: Loaded, **settings: Any) -> Path:
    out = tmp_path / "conf"
    render_conf(loaded, SwitchSettings(esl_password=PASSWORD, **settings), out)
    return out


def locate_language(root: ET.Element, name: str) -> ET.Element:
    section = next(s for s in root.findall("section") if s.get("name") == "languages")
    language = next(
        lang for lang in section.findall("language") if lang.get("name", "").lower() == name.lower()
    )
    phrases = language.find("phrases")
    assert phrases is not None, "Can't find phrases tag."
    assert phrases.find("macros") is not None, "Can't find macros tag."
    return language


def test_say_finds_english_with_its_module_and_the_callie_sounds(tmp_path: Path, loaded: Loaded) -> None:
    root = check_conf(render(tmp_path, loaded))
    language = locate_language(root, "en")
    assert language.get("say-module") == "en"
    assert language.get("sound-prefix") == str(DEFAULT_SAY_SOUND_PREFIX)
    assert Path("/usr/share/freeswitch/sounds/en/us/callie") == DEFAULT_SAY_SOUND_PREFIX
    loaded_modules = [m.get("module") for m in root.iter("load")]
    assert SAY_MODULE_LIBRARY == "mod_say_en"
    assert SAY_MODULE_LIBRARY in loaded_modules


def test_the_language_our_say_argument_names_is_rendered(tmp_path: Path, loaded: Loaded) -> None:
    """`say en NUMBER PRONOUNCED 42`: the first token is the language switch_ivr_say looks up."""
    root = check_conf(render(tmp_path, loaded))
    said: tuple[tuple[SayKind, str], ...] = (
        ("number", "42"),
        ("money", "12.5"),
        ("date", "2024-03-01"),
        ("digits", "007"),
    )
    for kind, value in said:
        language = say_argument(kind, value).split()[0]
        assert locate_language(root, language).get("say-module") == "en"


def test_the_section_sits_directly_in_the_document_and_each_file_stands_alone(
    tmp_path: Path, loaded: Loaded
) -> None:
    out = render(tmp_path, loaded)
    root = check_conf(out)
    assert [s.get("name") for s in root.findall("section")].count("languages") == 1
    own = ET.parse(out / "lang" / "en.xml").getroot()
    assert own.tag == "include"
    assert [child.tag for child in own] == ["language"]
    assert "lang/*.xml" in (out / "freeswitch.xml").read_text(encoding="utf-8")


def test_tts_attributes_follow_the_tts_settings(tmp_path: Path, loaded: Loaded) -> None:
    files = render_files(loaded, SwitchSettings(esl_password=PASSWORD, tts_engine="flite", tts_voice="kal"))
    language = ET.fromstring(files["lang/en.xml"]).find("language")
    assert language is not None
    assert (language.get("tts-engine"), language.get("tts-voice")) == ("flite", "kal")
    files = render_files(loaded, SwitchSettings(esl_password=PASSWORD, tts_engine=None))
    language = ET.fromstring(files["lang/en.xml"]).find("language")
    assert language is not None
    assert "tts-engine" not in language.attrib
    assert "tts-voice" not in language.attrib


def test_an_operator_can_point_say_at_a_source_build(tmp_path: Path, loaded: Loaded) -> None:
    root = check_conf(render(tmp_path, loaded, say_sound_prefix=SOURCE_BUILD_PREFIX))
    assert locate_language(root, "EN").get("sound-prefix") == str(SOURCE_BUILD_PREFIX)


def test_the_prefix_is_escaped_and_reaches_freeswitch_unchanged(tmp_path: Path, loaded: Loaded) -> None:
    prefix = Path("/opt/fs-sounds/en-us/callie,8k=1%")
    out = render(tmp_path, loaded, say_sound_prefix=prefix)
    text = (out / "lang" / "en.xml").read_text(encoding="utf-8")
    assert "&#45;" in text  # '-' never reaches the pre-processor literally
    assert "fs-sounds" not in text
    assert "$${" not in text
    assert "x-pre-process" not in text.lower()
    assembled = assemble(out)
    assert "fs-sounds" not in assembled.text  # the pre-processor leaves the references alone
    assert locate_language(check_conf(out), "en").get("sound-prefix") == str(prefix)


@pytest.mark.parametrize(
    "prefix",
    [
        "en/us/callie",
        "$${sounds_dir}/en/us/callie",
        "/sounds/${sound_prefix}",
        '/sounds/"quoted"',
        "/sounds/with space",
        "/sounds/a!b",
        "/sounds/two\nlines",
        '/x"/><X-PRE-PROCESS cmd="set" data="x=y"/>',
        "/sounds/{braces}",
    ],
)
def test_unsafe_sound_prefixes_are_refused(prefix: str) -> None:
    with pytest.raises(ValueError, match="say_sound_prefix"):
        SwitchSettings(esl_password=PASSWORD, say_sound_prefix=Path(prefix))


def test_a_new_sound_prefix_needs_only_reloadxml(tmp_path: Path, loaded: Loaded) -> None:
    out = render(tmp_path, loaded)
    new = render_files(
        loaded, SwitchSettings(esl_password=PASSWORD, say_sound_prefix=SOURCE_BUILD_PREFIX), conf_dir=out
    )
    changed = changed_files(read_tree(out), new)
    assert changed == {"lang/en.xml"}
    plan = plan_reload(changed)
    assert plan.commands == (RELOADXML,)
    assert plan.restart_needed == ()


def _rewrite_language(out: Path, old: str, new: str) -> None:
    path = out / "lang" / "en.xml"
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new), encoding="utf-8")


@pytest.mark.parametrize(
    ("old", "new", "complaint"),
    [
        ("<macros/>", "", "phrases><macros"),
        ('say-module="en" ', "", "say-module"),
        ('sound-prefix="/usr/share', 'sound-prefix="usr/share', "absolute"),
        ('name="en"', 'name=""', "without a name"),
    ],
)
def test_check_refuses_a_language_say_could_not_use(
    tmp_path: Path, loaded: Loaded, old: str, new: str, complaint: str
) -> None:
    out = render(tmp_path, loaded)
    _rewrite_language(out, old, new)
    with pytest.raises(ConfCheckError, match=complaint):
        check_conf(out)


def test_check_refuses_a_conf_without_languages(tmp_path: Path, loaded: Loaded) -> None:
    out = render(tmp_path, loaded)
    (out / "lang" / "en.xml").unlink()
    with pytest.raises(ConfCheckError, match="no <language>"):
        check_conf(out)
    root = out / "freeswitch.xml"
    text = root.read_text(encoding="utf-8")
    start = text.index('  <section name="languages"')
    end = text.index("</section>", start) + len("</section>\n")
    root.write_text(text[:start] + text[end:], encoding="utf-8")
    with pytest.raises(ConfCheckError, match="missing"):
        check_conf(out)


def test_check_refuses_the_same_language_twice(tmp_path: Path, loaded: Loaded) -> None:
    out = render(tmp_path, loaded)
    twin = (out / "lang" / "en.xml").read_text(encoding="utf-8").replace('name="en"', 'name="EN"')
    (out / "lang" / "en_twin.xml").write_text(twin, encoding="utf-8")
    with pytest.raises(ConfCheckError, match="twice"):
        check_conf(out)


def say_by_of(conf: Path) -> str:
    """The cc_say_by the DIDs' dialplan sets before handing the call to the application."""
    found = {
        word.partition("=")[2]
        for action in ET.parse(conf / "dialplan/public.xml").getroot().iter("action")
        if action.get("application") == "multiset"
        for word in action.get("data", "").split()
        if word.startswith("cc_say_by=")
    }
    assert len(found) == 1, found
    return found.pop()


def test_without_the_say_sounds_values_are_read_by_tts(tmp_path: Path, loaded: Loaded) -> None:
    """No en-us-callie pack: `say` would complete in silence (every file fails to open), so auto picks TTS."""
    empty = tmp_path / "no-sounds"
    empty.mkdir()
    assert say_by_of(render(tmp_path / "a", loaded, say_sound_prefix=empty)) == "tts"
    (empty / "digits" / "8000").mkdir(parents=True)
    assert say_by_of(render(tmp_path / "b", loaded, say_sound_prefix=empty)) == "say"


@pytest.mark.parametrize(
    ("say_by", "sounds", "engine", "expected"),
    [
        ("auto", True, "flite", "say"),
        ("auto", False, "flite", "tts"),
        ("auto", False, None, "say"),  # nothing to speak with: say is all there is
        ("say", False, "flite", "say"),
        ("tts", True, "flite", "tts"),
        ("tts", True, None, "say"),
    ],
)
def test_say_by_resolves_to_say_or_tts(
    tmp_path: Path, say_by: Any, sounds: bool, engine: str | None, expected: str
) -> None:
    if sounds:
        (tmp_path / "digits").mkdir()
    assert resolve_say_by(say_by, tmp_path, engine) == expected


def test_say_by_setting_names_the_choices() -> None:
    assert say_by_setting("tts") == "tts"
    with pytest.raises(ValueError, match="auto, say, tts"):
        say_by_setting("TTS")
    with pytest.raises(ValueError, match="say_by"):
        SwitchSettings(esl_password=PASSWORD, say_by=unchecked("flite"))
