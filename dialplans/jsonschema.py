"""The dialplan language as a JSON Schema (draft 2020-12), for editors.

With the YAML language server (VS Code's YAML extension, many others), a first
line `# yaml-language-server: $schema=dialplan.schema.json` gives completion,
hover help and live errors. `callcenter schema` writes the file.

The schema is a convenience: it cannot see the cross-references (a menu named in
a transfer exists, every menu is reachable...). `callcenter validate` is the judge.
"""

from __future__ import annotations

from typing import Any

from dialplans.models import Dialplan

DRAFT_2020_12 = "https://json-schema.org/draft/2020-12/schema"


def dialplan_json_schema() -> dict[str, Any]:
    schema = Dialplan.model_json_schema()
    _close_keyed_maps(schema)
    # `hangup:` (or `callback:`) with no value means the defaults; the model accepts it, so must the schema.
    for model, key in (("Hangup", "hangup"), ("OverflowToCallback", "callback")):
        field = schema["$defs"][model]["properties"][key]
        schema["$defs"][model]["properties"][key] = {
            "anyOf": [{"$ref": field["$ref"]}, {"type": "null"}],
            "default": field.get("default", {}),
        }
    # Top-level `x-` keys are ignored by the loader: a place for YAML anchors (templates).
    schema["patternProperties"] = {"^x-": {}}
    return {"$schema": DRAFT_2020_12, **schema, "title": "Call center dialplan"}


def _close_keyed_maps(node: Any) -> None:
    """Maps whose keys follow a pattern (menu names, keypad keys) accept no other keys."""
    if isinstance(node, dict):
        if "patternProperties" in node and "additionalProperties" not in node:
            node["additionalProperties"] = False
        for value in node.values():
            _close_keyed_maps(value)
    elif isinstance(node, list):
        for value in node:
            _close_keyed_maps(value)
