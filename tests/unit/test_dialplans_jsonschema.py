"""The editors' JSON Schema: it accepts the example as an editor reads it, and rejects what the loader does.

The `jsonschema` package is not a dependency, so a small validator for the keywords pydantic emits lives
here. Editors read YAML 1.2 (the core schema): `timeout: 5` is an integer and `date: 2026-12-25` a string.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

import dialplans
from dialplans.jsonschema import dialplan_json_schema

FOLDER = Path(dialplans.__file__).parent
EXAMPLE = FOLDER / "main.yaml"
_INT = re.compile(r"^[-+]?[0-9]+$")
_FLOAT = re.compile(r"^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$")


def as_editors_read_it(text: str) -> Any:
    """YAML 1.2 core schema, as the YAML language server resolves plain scalars."""

    def value(node: Node) -> Any:
        if isinstance(node, MappingNode):
            return {key.value: value(item) for key, item in node.value}
        if isinstance(node, SequenceNode):
            return [value(item) for item in node.value]
        assert isinstance(node, ScalarNode)
        if node.style is not None:
            return node.value
        plain = node.value
        if plain in ("", "~", "null"):
            return None
        if plain in ("true", "false"):
            return plain == "true"
        if _INT.match(plain):
            return int(plain)
        return float(plain) if _FLOAT.match(plain) else plain

    root = yaml.compose(text, Loader=yaml.SafeLoader)
    assert root is not None
    return value(root)


_TYPES: dict[str, tuple[type, ...]] = {
    "object": (dict,),
    "array": (list,),
    "string": (str,),
    "integer": (int,),
    "number": (int, float),
    "boolean": (bool,),
    "null": (type(None),),
}


def errors(instance: Any, schema: dict[str, Any], root: dict[str, Any], where: str = "$") -> list[str]:
    """The violations of `schema` by `instance`, for the keywords pydantic's schemas use."""
    found: list[str] = []
    if "$ref" in schema:
        name = schema["$ref"].removeprefix("#/$defs/")
        found += errors(instance, root["$defs"][name], root, where)
    if "type" in schema:
        kinds = schema["type"] if isinstance(schema["type"], list) else [schema["type"]]
        is_bool = isinstance(instance, bool)
        if not any(isinstance(instance, _TYPES[k]) and (k == "boolean" or not is_bool) for k in kinds):
            return [f"{where}: {instance!r} is not of type {kinds}"]
    if "const" in schema and instance != schema["const"]:
        found.append(f"{where}: {instance!r} is not {schema['const']!r}")
    if "enum" in schema and instance not in schema["enum"]:
        found.append(f"{where}: {instance!r} is not one of {schema['enum']}")
    if isinstance(instance, str):
        if "pattern" in schema and not re.search(schema["pattern"], instance):
            found.append(f"{where}: {instance!r} does not match {schema['pattern']}")
        if len(instance) < schema.get("minLength", 0) or len(instance) > schema.get(
            "maxLength", len(instance)
        ):
            found.append(f"{where}: {instance!r} has the wrong length")
        if schema.get("format") == "date":
            try:
                dt.date.fromisoformat(instance)
            except ValueError:
                found.append(f"{where}: {instance!r} is not a date")
    if isinstance(instance, int | float) and not isinstance(instance, bool):
        if "minimum" in schema and instance < schema["minimum"]:
            found.append(f"{where}: {instance} < {schema['minimum']}")
        if "maximum" in schema and instance > schema["maximum"]:
            found.append(f"{where}: {instance} > {schema['maximum']}")
        if "exclusiveMinimum" in schema and instance <= schema["exclusiveMinimum"]:
            found.append(f"{where}: {instance} <= {schema['exclusiveMinimum']}")
    if isinstance(instance, list):
        if len(instance) < schema.get("minItems", 0):
            found.append(f"{where}: fewer than {schema['minItems']} items")
        for index, item in enumerate(instance):
            found += errors(item, schema.get("items", {}), root, f"{where}[{index}]")
    if isinstance(instance, dict):
        found += [f"{where}: missing {key!r}" for key in schema.get("required", []) if key not in instance]
        for key, item in instance.items():
            matched = False
            if key in schema.get("properties", {}):
                matched = True
                found += errors(item, schema["properties"][key], root, f"{where}.{key}")
            for pattern, subschema in schema.get("patternProperties", {}).items():
                if re.search(pattern, key):
                    matched = True
                    found += errors(item, subschema, root, f"{where}.{key}")
            if not matched and schema.get("additionalProperties") is False:
                found.append(f"{where}: unexpected key {key!r}")
    for keyword in ("anyOf", "oneOf"):
        if keyword in schema:
            passing = sum(not errors(instance, option, root, where) for option in schema[keyword])
            if passing == 0 or (keyword == "oneOf" and passing > 1):
                found.append(f"{where}: {passing} of the {keyword} alternatives match")
    return found


@pytest.fixture(scope="module")
def schema() -> dict[str, Any]:
    return dialplan_json_schema()


def test_it_is_a_2020_12_schema_of_the_whole_language(schema: dict[str, Any]) -> None:
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["type"] == "object"
    assert set(schema["properties"]) == {
        "version",
        "sounds_dir",
        "prompts",
        "schedules",
        "queues",
        "agents",
        "crm",
        "self_service",
        "surveys",
        "recording",
        "qa_forms",
        "campaigns",
        "scripts",
        "desktop",
        "fallback",
        "menus",
        "dids",
    }
    assert set(schema["required"]) == {"menus", "dids"}
    refs = re.findall(r'"\$ref": "#/\$defs/([A-Za-z]+)"', json.dumps(schema))
    assert refs
    assert set(refs) <= set(schema["$defs"])


def test_it_accepts_the_example_as_an_editor_reads_it(schema: dict[str, Any]) -> None:
    assert errors(as_editors_read_it(EXAMPLE.read_text(encoding="utf-8")), schema, schema) == []


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (("greeting: welcome ", "greting: welcome "), "$.menus.main: unexpected key 'greting'"),
        (
            ('"5": {play: owners_club_info', '"55": {play: owners_club_info'),
            "$.menus.main.options: unexpected key",
        ),
        (
            ("fallback: &to_operators {transfer", "fallback: &to_operators {goto"),
            "$.menus.main.fallback: 0 of",
        ),
        (("    prompt: repair_options\n", ""), "$.menus.repair: missing 'prompt'"),
        (('close: "18:00"}', 'close: "18:00", shut: "19:00"}'), "unexpected key 'shut'"),
        (("timezone: Europe/London", "timezone: [Europe/London]"), "is not of type ['string']"),
        (("format: wav", "format: ogg"), "$.recording.policies.conversations.format: 'ogg' is not one of"),
    ],
)
def test_it_rejects_what_the_loader_rejects(
    schema: dict[str, Any], change: tuple[str, str], expected: str
) -> None:
    text = EXAMPLE.read_text(encoding="utf-8")
    assert change[0] in text
    found = errors(as_editors_read_it(text.replace(change[0], change[1], 1)), schema, schema)
    assert any(expected in message for message in found), found


def test_it_allows_x_keys_for_templates_and_a_bare_hangup(schema: dict[str, Any]) -> None:
    goodbye = "fallback: {hangup: {prompt: goodbye, cause: NORMAL_CLEARING}}"
    text = EXAMPLE.read_text(encoding="utf-8")
    assert goodbye in text
    text = "x-templates: {anything: [1, 2]}\n" + text.replace(goodbye, "fallback: {hangup: }")
    assert errors(as_editors_read_it(text), schema, schema) == []


def test_the_shipped_schema_file_is_up_to_date(schema: dict[str, Any]) -> None:
    shipped = (FOLDER / "dialplan.schema.json").read_text(encoding="utf-8")
    assert shipped == json.dumps(schema, indent=2, sort_keys=True) + "\n", (
        "regenerate it: callcenter schema -o dialplans/dialplan.schema.json"
    )
    assert EXAMPLE.read_text(encoding="utf-8").startswith(
        "# yaml-language-server: $schema=dialplan.schema.json\n"
    )
