"""Read a conf directory the way FreeSWITCH does, without FreeSWITCH: pre-process, then parse.

This follows `preprocess()` in src/switch_xml.c (1.10): line by line, `$${name}` expands to the
global variable set earlier (empty when unset); lines holding `<include>`, `</include>` or `<?`
are dropped; a line mentioning X-PRE-PROCESS is a directive when the name follows `<` and is
dropped otherwise; `include` globs relative to the including file's directory. The result must be
one well-formed document, as FreeSWITCH's XML parser will require, holding the sections and the
languages FreeSWITCH looks up (`check_languages`).
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path

_MAX_DEPTH = 100
_EXPAND = re.compile(r"\$\$\{([^}]*)\}")
_MENTION = re.compile(r"x-pre-process", re.IGNORECASE)
_DIRECTIVE = re.compile(r'<X-PRE-PROCESS\s+cmd="([^"]*)"\s+data="([^"]*)"\s*/>', re.IGNORECASE)
_DROPPED = ("<include>", "</include>", "<?")
_SECTIONS = ("configuration", "dialplan", "directory", "languages")


class ConfCheckError(ValueError):
    """The directory would not load: FreeSWITCH's pre-processor or parser would reject it."""


@dataclass
class Assembled:
    text: str
    global_vars: dict[str, str] = field(default_factory=dict)
    files: list[Path] = field(default_factory=list)


def assemble(conf_dir: Path, root_name: str = "freeswitch.xml") -> Assembled:
    result = Assembled(text="")
    lines: list[str] = []
    _process(conf_dir / root_name, result, lines, depth=0)
    result.text = "".join(lines)
    return result


def check_conf(conf_dir: Path) -> ET.Element:
    """The assembled document's root; raises ConfCheckError when FreeSWITCH could not load it."""
    assembled = assemble(conf_dir)
    try:
        # The renderer's own output, read back; expat refuses entity expansion bombs by itself.
        root = ET.fromstring(assembled.text)  # noqa: S314
    except ET.ParseError as exc:
        raise ConfCheckError(f"the assembled configuration is not well-formed XML: {exc}") from exc
    sections = {section.get("name") for section in root.iter("section")}
    missing = set(_SECTIONS) - sections
    if root.tag != "document" or missing:
        raise ConfCheckError(f"expected a document with sections {', '.join(_SECTIONS)}; missing {missing}")
    check_languages(root)
    return root


def check_languages(root: ET.Element) -> None:
    """Every language of the first `languages` section is one the `say` application can use.

    switch_xml_locate_language takes the first `<language>` child whose name matches without case
    and fails unless it holds `<phrases><macros>`; switch_ivr_say then calls the `say-module`
    interface with the channel's sound_prefix set to `sound-prefix`, used as is (freeswitch_conf/say.py).
    """
    section = next((s for s in root.findall("section") if s.get("name") == "languages"), None)
    languages = [] if section is None else section.findall("language")
    if not languages:
        raise ConfCheckError("the languages section holds no <language>: `say` would find none")
    seen: set[str] = set()
    for language in languages:
        name = language.get("name", "")
        if not name or name.lower() in seen:
            raise ConfCheckError(f"languages: a <language> without a name, or {name!r} twice")
        seen.add(name.lower())
        if language.find("phrases/macros") is None:
            raise ConfCheckError(f"language {name!r} has no <phrases><macros>: FreeSWITCH would not use it")
        if not language.get("say-module"):
            raise ConfCheckError(f"language {name!r} names no say-module")
        if not language.get("sound-prefix", "").startswith("/"):
            raise ConfCheckError(f"language {name!r}: sound-prefix must be an absolute path")


def _process(path: Path, result: Assembled, lines: list[str], *, depth: int) -> None:
    if depth > _MAX_DEPTH:
        raise ConfCheckError(f"includes nested more than {_MAX_DEPTH} deep at {path}")
    result.files.append(path)
    for raw in path.read_text(encoding="utf-8").splitlines(keepends=True):
        line = _EXPAND.sub(lambda m: result.global_vars.get(m.group(1), ""), raw)
        if any(token in line for token in _DROPPED):
            continue
        mention = _MENTION.search(line)
        if mention is not None:
            if mention.start() > 0 and line[mention.start() - 1] == "<":
                _directive(path, line, result, lines, depth)
            continue
        if "<!--#" in line:
            raise ConfCheckError(f"{path}: a <!--# pre-processor command; we never render those")
        lines.append(line)


def _directive(path: Path, line: str, result: Assembled, lines: list[str], depth: int) -> None:
    match = _DIRECTIVE.search(line)
    if match is None:
        raise ConfCheckError(f"{path}: malformed pre-processor directive {line.strip()!r}")
    command, data = match.group(1).lower(), match.group(2)
    if command == "set":
        name, _, value = data.partition("=")
        result.global_vars[name.strip()] = value.strip()
    elif command == "include":
        for included in sorted(path.parent.glob(data)):
            _process(included, result, lines, depth=depth + 1)
    else:
        raise ConfCheckError(f"{path}: pre-processor command {command!r}; we never render those")
